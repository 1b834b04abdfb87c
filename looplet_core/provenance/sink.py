"""`ProvenanceSink`: a hook that records a run into a trace directory as it goes.

    for step in composable_loop(llm, tools, task, hooks=[ProvenanceSink("runs/today")]):
        ...

Every record is on disk (written and flushed to the kernel) before the loop
moves on, so a process killed at any instant leaves a trace that opens with
every completed step.  The layout is documented in docs/trace-format.md.

Per-step cost is kept flat: one `to_dict()`, one compact JSON encoding, one
`write()` each to events.jsonl and index.jsonl.  Records are only walked string
by string when their JSON text shows a possible secret or an over-long string
(see `redact.py`).
"""

from __future__ import annotations

import contextlib
import os
import time
from _thread import allocate_lock

from looplet_core.jsonable import to_jsonable
from looplet_core.provenance import _format as fmt
from looplet_core.provenance.hook_states import HookStateLog
from looplet_core.provenance.redact import Cleaner

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

    from looplet_core.loop import LoopState, Prompt
    from looplet_core.types import LLMResponse, Message, RunResult, Step

__all__ = ["ProvenanceSink", "default_run_dir", "write_atomic"]


def default_run_dir() -> str:
    """`./.looplet/runs/<UTC YYYYmmdd-HHMMSS>-<6 hex>`, as an absolute path."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return os.path.abspath(os.path.join(".looplet", "runs", f"{stamp}-{os.urandom(3).hex()}"))


def write_atomic(path: str, data: bytes) -> None:
    """Write a whole file so a reader sees the old version or the new, never a part.

    A temp file in the same directory is written, fsynced and renamed over
    `path`; the directory is then fsynced so the rename itself survives a crash.
    """
    folder = os.path.dirname(path) or "."
    temp = os.path.join(
        folder, f".{os.path.basename(path)}.{os.getpid()}.{os.urandom(3).hex()}.tmp"
    )
    try:
        with open(temp, "xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # directories cannot be opened on some platforms
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _write_all(file: Any, data: bytes) -> None:
    """One write() per record; loop only if the OS took part of it."""
    written = file.write(data)
    if written != len(data):
        view = memoryview(data)
        while written < len(data):
            written += file.write(view[written:])


def _iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class _Chain:
    """What the sink remembers of the last list it stored, to store the next as a delta.

    A list is stored as "the previous list plus these items" when it still
    starts with what was stored (checked at its first, middle and last stored
    positions: by identity for loop messages, by equality for wire data), and
    in full otherwise.  `epoch` is the byte offset of the record holding the
    last full list.
    """

    __slots__ = ("epoch", "first", "last", "middle", "n")

    def __init__(self) -> None:
        self.epoch: int | None = None
        self.n = 0
        self.first: Any = None
        self.middle: Any = None
        self.last: Any = None

    def extends(self, items: Sequence[Any], by_identity: bool) -> bool:
        n = self.n
        if self.epoch is None or len(items) < n:
            return False
        if n == 0:
            return True
        if by_identity:
            return (
                items[0] is self.first
                and items[n // 2] is self.middle
                and items[n - 1] is self.last
            )
        return items[0] == self.first and items[n // 2] == self.middle and items[n - 1] == self.last

    def remember(self, items: Sequence[Any], epoch: int | None) -> None:
        if epoch is not None:
            self.epoch = epoch
        n = self.n = len(items)
        if n:
            self.first, self.middle, self.last = items[0], items[n // 2], items[n - 1]
        else:
            self.first = self.middle = self.last = None


class ProvenanceSink:
    """Records a run: header, every model call, step and human decision, and the end.

    `dir` defaults to `./.looplet/runs/<UTC timestamp>-<6 hex>/`; a directory
    that already holds a trace is refused.  `redact` is True (common API-key
    shapes become `[REDACTED]`), False, or a callable str -> str used instead.
    Strings longer than `max_string` characters are cut after redaction.
    The header describes the run from `LoopState.llm`, `.tools` and `.config`
    (the model name is `llm.model` when the backend has one, else the first
    response's); `settings` adds any JSON data of your own to it.
    `forked_from` (`{"path", "step", "mode"}`) says which trace this run
    replays or forks; replay sets it.

    One sink records one run at a time.  With the default directory a second
    run gets a new directory; with an explicit one it is refused.
    """

    def __init__(
        self,
        dir: str | os.PathLike[str] | None = None,
        *,
        redact: bool | Callable[[str], str] = True,
        max_string: int = 200_000,
        settings: Mapping[str, Any] | None = None,
        forked_from: Mapping[str, Any] | None = None,
    ) -> None:
        self._cleaner = Cleaner(redact, max_string)
        self._redact_mode = "default" if redact is True else "off" if redact is False else "custom"
        self._given_dir = None if dir is None else os.path.abspath(os.fspath(dir))
        self.dir = self._given_dir or default_run_dir()
        """Where the trace is (or will be) written."""
        self._settings = dict(settings or {})
        self._forked_from = None if forked_from is None else dict(forked_from)
        self._lock = allocate_lock()
        self._events: Any = None
        self._index: Any = None
        self._used = False
        self._start_run_state()

    def _start_run_state(self) -> None:
        self._seq = 0
        self._offset = 0
        """Bytes written to events.jsonl: the offset of the next record."""
        self._calls = 0
        self._steps = 0
        self._humans = 0
        self._call_offset: int | None = None
        self._messages = _Chain()
        self._history_version = 0
        self._wire = _Chain()
        self._wire_rest: dict[str, Any] = {}
        """The epoch's raw request without its messages: what later deltas compare with."""
        self._tools: Any = None
        self._header: dict[str, Any] = {}
        self._annotations: dict[str, Any] = {}
        self._summary: dict[str, Any] | None = None
        """summary.json as written, once the run ended: what a late `annotate` adds to."""
        self._hook_states = HookStateLog((), exclude=self)

    # -- hook phases ------------------------------------------------------------

    def pre_loop(self, state: LoopState) -> None:
        with self._lock:
            self._close_files()
            if self._used and self._given_dir is None:
                self.dir = default_run_dir()
            self._used = True
            self._start_run_state()
            self._hook_states = HookStateLog(state.hooks, exclude=self)
            os.makedirs(self.dir, exist_ok=True)
            for name in (fmt.HEADER, fmt.EVENTS):
                if os.path.exists(os.path.join(self.dir, name)):
                    raise FileExistsError(
                        f"{os.path.join(self.dir, name)} already exists: a ProvenanceSink writes "
                        "one run per directory (give a new dir, or none for a fresh one)"
                    )
            self._header = self._make_header(state)
            self._write_header()
            self._events = open(os.path.join(self.dir, fmt.EVENTS), "ab", buffering=0)  # noqa: SIM115
            self._index = open(os.path.join(self.dir, fmt.INDEX), "ab", buffering=0)  # noqa: SIM115

    def on_llm_response(self, state: LoopState, prompt: Prompt, response: LLMResponse) -> None:
        with self._lock:
            if self._events is None:
                return
            offset = self._offset
            if self._header["model"] is None and response.model:
                self._header["model"] = response.model
                self._write_header()
            record: dict[str, Any] = {
                "kind": "call",
                "seq": self._next_seq(),
                "turn": prompt.turn,
                "time": time.time(),
            }
            snapshot = self._add_messages(record, state, prompt.messages, offset)
            record["response"] = response.to_dict()
            if response.raw_request is not None:
                self._add_raw_request(record, response.raw_request, snapshot, offset)
            if response.raw_response is not None:
                record["raw_response"] = response.raw_response
            if prompt.tools is not self._tools and prompt.tools != self._tools:
                record["tools"] = list(prompt.tools)
                self._tools = prompt.tools
            self._append(record)
            self._call_offset = offset
            self._calls += 1

    def on_llm_error(self, state: LoopState, prompt: Prompt, error: Exception) -> None:
        """Record the request that failed: the error and the conversation the model was sent."""
        with self._lock:
            if self._events is None:
                return
            offset = self._offset
            record: dict[str, Any] = {
                "kind": "llm_error",
                "seq": self._next_seq(),
                "turn": prompt.turn,
                "time": time.time(),
                "error": f"{type(error).__name__}: {error}",
            }
            # A leaf: later records continue the chain from the last call, not from here.
            self._add_messages(record, state, prompt.messages, offset, advance=False)
            self._append(record)

    def on_step(self, state: LoopState, step: Step) -> None:
        with self._lock:
            if self._events is None:
                return
            offset = self._offset
            data = step.to_dict()
            record = {
                "kind": "step",
                "seq": self._next_seq(),
                "call": self._call_offset,
                "step": data,
            }
            changed, unchanged = self._hook_states.take(offset)
            if changed:
                record["hook_states"] = changed
            if unchanged:
                record["hook_states_at"] = unchanged
            line = fmt.encode(record)
            if self._cleaner.needs_walk(line):
                record = self._cleaner.walk(record)
                data = record["step"]
                line = fmt.encode(record)
            encoded = fmt.to_bytes(line)
            _write_all(self._events, encoded)
            self._offset += len(encoded)
            entry = fmt.index_line(data, offset, len(encoded), self._call_offset)
            _write_all(self._index, fmt.to_bytes(fmt.encode(entry)))
            self._steps += 1

    def on_loop_end(self, state: LoopState, result: RunResult) -> None:
        with self._lock:
            if self._events is None:
                return
            try:
                offset = self._offset
                record: dict[str, Any] = {"kind": "end", "seq": self._next_seq()}
                self._add_messages(record, state, result.messages, offset)
                record.update(
                    stop_reason=str(result.stop_reason),
                    reason=result.reason,
                    error=result.error,
                    answer=result.answer,
                    steps=len(result.steps),
                    turns=result.turns,
                    usage=result.usage.to_dict(),
                    cost=result.cost,
                    duration_ms=result.duration_ms,
                    hook_trace=[entry.to_dict() for entry in result.hook_trace],
                    time=time.time(),
                )
                if self._annotations:
                    record["annotations"] = dict(self._annotations)
                self._append(record)
                os.fsync(self._events.fileno())
                os.fsync(self._index.fileno())
                index_bytes = os.fstat(self._index.fileno()).st_size
            finally:
                self._close_files()
            summary = {
                "format": fmt.FORMAT,
                "version": fmt.VERSION,
                "stop_reason": record["stop_reason"],
                "reason": result.reason,
                "error": result.error,
                "answer": result.answer,
                "steps": self._steps,
                "turns": result.turns,
                "calls": self._calls,
                "human_decisions": self._humans,
                "usage": record["usage"],
                "cost": result.cost,
                "duration_ms": result.duration_ms,
                "finished": _iso_now(),
                "events_bytes": self._offset,
                "index_bytes": index_bytes,
            }
            if self._annotations:
                summary["annotations"] = dict(self._annotations)
            self._summary = summary
            self._write_json_atomic(fmt.SUMMARY, summary)

    def annotate(self, key: str, value: Any) -> None:
        """Leave a hook's findings in the trace: `value` (JSON data) under `key` in
        the run's `annotations` (summary.json and the end record; `TraceMeta.annotations`).

        EvalHook stores its grades this way, ThresholdCompactHook its
        compactions, MetricsHook its totals.  Called while the run is on, the
        value is written when it ends; called after the run ended (by a hook
        later in the list than the sink), summary.json is rewritten with it.
        """
        if not isinstance(key, str) or not key:
            raise TypeError(f"annotate needs a non-empty str key, not {key!r}")
        with self._lock:
            self._annotations[key] = to_jsonable(value)
            if self._summary is not None:
                self._summary["annotations"] = dict(self._annotations)
                self._write_json_atomic(fmt.SUMMARY, self._summary)

    # -- human decisions --------------------------------------------------------

    def record_human(
        self,
        step_number: int,
        action: str,
        before: Any,
        after: Any,
        who: str = "user at keyboard",
    ) -> None:
        """Record a person's decision about a step (usually at a breakpoint, before it runs).

        `action` is "approve" (`after` is None or the same arguments), "edit"
        (`before` and `after` are the old and new arguments) or "reject"
        (`before` the arguments, `after` the feedback the model is given).
        Safe to call from another thread while the loop runs.
        """
        if type(step_number) is not int or not isinstance(action, str) or not action:
            raise TypeError(
                f"record_human needs an int step number and a non-empty action, "
                f"not {step_number!r} and {action!r}"
            )
        with self._lock:
            if self._events is None:
                raise RuntimeError(
                    "record_human: no run is being recorded (call it between the run's "
                    "pre_loop and on_loop_end)"
                )
            offset = self._offset
            length = self._append(
                {
                    "kind": "human",
                    "seq": self._next_seq(),
                    "step": step_number,
                    "action": action,
                    "before": before,
                    "after": after,
                    "who": who,
                    "time": time.time(),
                }
            )
            entry = {"human": step_number, "off": offset, "len": length}
            _write_all(self._index, fmt.to_bytes(fmt.encode(entry)))
            self._humans += 1

    def debug_state(self) -> dict[str, Any]:
        return {
            "dir": self.dir,
            "recording": self._events is not None,
            "calls": self._calls,
            "steps": self._steps,
            "events_bytes": self._offset,
        }

    # -- internals --------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _append(self, record: dict[str, Any]) -> int:
        """Clean, encode and write one record to events.jsonl; return its length in bytes."""
        line = fmt.encode(record)
        if self._cleaner.needs_walk(line):
            line = fmt.encode(self._cleaner.walk(record))
        encoded = fmt.to_bytes(line)
        _write_all(self._events, encoded)
        self._offset += len(encoded)
        return len(encoded)

    def _add_messages(
        self,
        record: dict[str, Any],
        state: LoopState,
        messages: Sequence[Message],
        offset: int,
        advance: bool = True,
    ) -> bool:
        """Put the conversation in `record` as a delta, or in full after a rewrite; True if full.

        With `advance=False` the record does not become the base later deltas extend.
        """
        chain = self._messages
        version = getattr(state, "history_version", 0)
        snapshot = version != self._history_version or not chain.extends(messages, True)
        start = 0 if snapshot else chain.n
        record["epoch"] = offset if snapshot else chain.epoch
        record["n"] = len(messages)
        if snapshot:
            record["snapshot"] = True
        record["messages"] = [message.to_dict() for message in messages[start:]]
        if advance:
            chain.remember(messages, offset if snapshot else None)
            self._history_version = version
        return snapshot

    def _add_raw_request(
        self, record: dict[str, Any], raw: Any, snapshot: bool, offset: int
    ) -> None:
        """The wire request, as a delta against the last full one when its messages only grew."""
        chain = self._wire
        wire = raw.get("messages") if isinstance(raw, dict) else None
        if not isinstance(wire, list):
            record["raw_request"] = raw
            chain.epoch = None
            return
        if snapshot or not chain.extends(wire, False):
            record["raw_request"] = raw
            self._wire_rest = {key: value for key, value in raw.items() if key != "messages"}
            chain.remember(wire, offset)
            return
        rest = self._wire_rest
        same = [
            key
            for key, value in raw.items()
            if key != "messages" and key in rest and (rest[key] is value or rest[key] == value)
        ]
        kept = set(same)
        record["raw_request_delta"] = {
            "epoch": chain.epoch,
            "n": len(wire),
            "messages": wire[chain.n :],
            "same": same,
            "set": {k: v for k, v in raw.items() if k != "messages" and k not in kept},
        }
        chain.remember(wire, None)

    def _make_header(self, state: LoopState) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        messages = state.messages
        if messages and messages[0].role == "system":
            settings["system_prompt"] = messages[0].content
        settings["initial_messages"] = len(messages)
        config = getattr(state, "config", None)
        if config is not None:
            settings["max_steps"] = config.max_steps
            settings["text_fallback"] = config.text_fallback
        registry = getattr(state, "tools", None)
        if registry is not None:
            self._tools = registry.schemas()
            settings["terminal_tools"] = [tool.name for tool in registry if tool.terminal]
        llm = getattr(state, "llm", None)
        model = getattr(llm, "model", None)
        if llm is not None:
            settings["llm"] = type(llm).__name__
            for name in ("endpoint", "params"):
                value = getattr(llm, name, None)
                if value is not None:
                    settings[name] = value
        settings.update(self._settings)
        header: dict[str, Any] = {
            "format": fmt.FORMAT,
            "version": fmt.VERSION,
            "created": _iso_now(),
            "task": state.task,
            "model": model if isinstance(model, str) and model else None,
            "tools": None if self._tools is None else list(self._tools),
            "settings": settings,
            "recorder": {"redact": self._redact_mode, "max_string": self._cleaner.max_string},
        }
        if self._forked_from is not None:
            header["forked_from"] = self._forked_from
        return header

    def _write_header(self) -> None:
        self._write_json_atomic(fmt.HEADER, self._header)

    def _write_json_atomic(self, name: str, data: dict[str, Any]) -> None:
        text = fmt.encode(self._cleaner.walk(data))
        write_atomic(os.path.join(self.dir, name), fmt.to_bytes(text))

    def _close_files(self) -> None:
        for file in (self._events, self._index):
            if file is not None:
                file.close()
        self._events = self._index = None
