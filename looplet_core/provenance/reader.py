"""Reading a trace directory: `open_trace(path) -> Trace`.

Opening reads header.json, summary.json and the compact index.jsonl, plus the
tail of events.jsonl the index does not cover yet (a run killed between its
two writes, or still running).  A step's full record, the prompt its model
call saw and the raw request are read only by `Trace.detail(i)`.

Damage is reported, not raised: torn or garbled lines are skipped and named in
`Trace.problems`, and a missing or damaged index is rebuilt in memory from
events.jsonl.  `open_trace` raises `TraceError` only when nothing at all is
readable, and `TraceError` is the only exception that leaves this module
(an out-of-range step number is an ordinary IndexError).
"""

from __future__ import annotations

import json
import os

from looplet_core._record import Record, set_field
from looplet_core.provenance import _format as fmt
from looplet_core.types import LLMResponse, Message, Step, Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any, BinaryIO

__all__ = [
    "HumanDecision",
    "StepDetail",
    "StepSummary",
    "Trace",
    "TraceError",
    "TraceMeta",
    "open_trace",
]

_MAX_PROBLEMS = 100
"""Problems listed one by one; beyond this they are only counted."""
_CACHED_EPOCHS = 4
"""Rebuilt lists kept per chain (one per epoch: the longest rebuilt so far)."""
_SKIP_IN_CHAINS = (b'{"kind":"step"', b'{"kind":"human"')
_CALL_PREFIX = b'{"kind":"call"'


class TraceError(Exception):
    """A trace that cannot be read; the message names the file and the reason on one line."""


class StepSummary(Record):
    """One step as the index describes it: enough for a timeline row."""

    __slots__ = (
        "number",
        "turn",
        "tool",
        "args_preview",
        "ok",
        "error_kind",
        "duration_ms",
        "input_tokens",
        "output_tokens",
        "latency_ms",
    )
    number: int
    turn: int
    tool: str
    args_preview: str
    ok: bool
    error_kind: str | None
    duration_ms: float
    input_tokens: int
    output_tokens: int
    latency_ms: float

    def __init__(
        self,
        number: int,
        turn: int,
        tool: str,
        args_preview: str,
        ok: bool,
        error_kind: str | None,
        duration_ms: float,
        input_tokens: int,
        output_tokens: int,
        latency_ms: float,
    ) -> None:
        set_field(self, "number", number)
        set_field(self, "turn", turn)
        set_field(self, "tool", tool)
        set_field(self, "args_preview", args_preview)
        set_field(self, "ok", ok)
        set_field(self, "error_kind", error_kind)
        set_field(self, "duration_ms", duration_ms)
        set_field(self, "input_tokens", input_tokens)
        set_field(self, "output_tokens", output_tokens)
        set_field(self, "latency_ms", latency_ms)


class HumanDecision(Record):
    """A person's decision about a step: "approve", "edit" (before/after arguments)
    or "reject" (`after` is the feedback)."""

    __slots__ = ("step", "action", "before", "after", "who", "time")
    step: int
    action: str
    before: Any
    after: Any
    who: str
    time: float | None

    def __init__(
        self, step: int, action: str, before: Any, after: Any, who: str, time: float | None
    ) -> None:
        set_field(self, "step", step)
        set_field(self, "action", action)
        set_field(self, "before", before)
        set_field(self, "after", after)
        set_field(self, "who", who)
        set_field(self, "time", time)


class StepDetail(Record):
    """Everything recorded about one step.

    `prompt` is the conversation the model saw for this step's turn and
    `response` its reply (with `raw_request`/`raw_response` when the backend
    kept them); either is None when the records it needs are damaged, and
    `problems` then says why.  `time` is when the reply arrived (Unix time).
    """

    __slots__ = ("step", "prompt", "response", "human", "time", "problems")
    step: Step
    prompt: tuple[Message, ...] | None
    response: LLMResponse | None
    human: tuple[HumanDecision, ...]
    time: float | None
    problems: tuple[str, ...]

    def __init__(
        self,
        step: Step,
        prompt: tuple[Message, ...] | None,
        response: LLMResponse | None,
        human: tuple[HumanDecision, ...] = (),
        time: float | None = None,
        problems: tuple[str, ...] = (),
    ) -> None:
        set_field(self, "step", step)
        set_field(self, "prompt", prompt)
        set_field(self, "response", response)
        set_field(self, "human", human)
        set_field(self, "time", time)
        set_field(self, "problems", problems)


class TraceMeta(Record):
    """What the run was and how it ended: from header.json and summary.json, or
    derived from the records when the run did not finish (`finished` False)."""

    __slots__ = (
        "task",
        "model",
        "tools",
        "settings",
        "created",
        "finished",
        "stop_reason",
        "reason",
        "error",
        "answer",
        "steps",
        "turns",
        "usage",
        "cost",
        "duration_ms",
    )
    task: str | None
    model: str | None
    tools: tuple[dict[str, Any], ...]
    settings: dict[str, Any]
    created: str | None
    finished: bool
    stop_reason: str | None
    reason: str
    error: str | None
    answer: Any
    steps: int
    turns: int
    usage: Usage
    cost: float | None
    duration_ms: float | None

    def __init__(self, **fields: Any) -> None:
        for name in self._field_names:
            set_field(self, name, fields.pop(name))
        if fields:
            raise TypeError(f"TraceMeta has no field(s) {', '.join(sorted(fields))}")


class _Broken(Exception):
    """A record needed for a step's detail is missing or damaged (becomes a problem)."""


class _Steps:
    """`trace.steps`: a read-only sequence of StepSummary, built from index entries on access."""

    __slots__ = ("_entries",)

    def __init__(self, entries: list[tuple[Any, ...]]) -> None:
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [StepSummary(*entry[:10]) for entry in self._entries[index]]
        return StepSummary(*self._entries[index][:10])

    def __iter__(self) -> Iterator[StepSummary]:
        for entry in self._entries:
            yield StepSummary(*entry[:10])

    def __repr__(self) -> str:
        return f"<{len(self._entries)} steps>"


def open_trace(path: str | os.PathLike[str]) -> Trace:
    """Open a trace directory (or a file inside one) for lazy reading."""
    try:
        return Trace(path)
    except TraceError:
        raise
    except Exception as exc:  # the contract: nothing but TraceError escapes
        raise TraceError(
            f"{os.fspath(path)}: cannot be read ({type(exc).__name__}: {exc})"
        ) from exc


class Trace:
    """A trace directory, read lazily.  Build it with `open_trace`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        path = os.fspath(path)
        if os.path.isfile(path):
            path = os.path.dirname(path) or "."
        if not os.path.isdir(path):
            raise TraceError(f"{path}: no such trace directory")
        self.path = path
        """The trace directory."""
        self.header: dict[str, Any] | None = None
        self.summary: dict[str, Any] | None = None
        self._damage: list[str] = []
        """Problems found once and for all (bad lines, damaged records)."""
        self._state: list[str] = []
        """Problems describing the current state (a missing file, a torn tail); redone each load."""
        self._suppressed = 0
        self._entries: list[tuple[Any, ...]] = []
        self.steps = _Steps(self._entries)
        """One StepSummary per recorded step, from the index."""
        self._humans: dict[int, list[tuple[int, int]]] = {}
        self._human_offsets: set[int] = set()
        self._end: tuple[int, dict[str, Any]] | None = None
        self._use_index = True
        self._index_pos = 0
        self._index_line = 0
        self._events_pos = 0
        self._chains: dict[str, dict[int, list[Any]]] = {"messages": {}, "raw": {}}
        self._raw_heads: dict[int, dict[str, Any]] = {}
        self._load()
        if self.header is None and self.summary is None and not self._entries and not self._end:
            names = os.listdir(path)
            if not names:
                raise TraceError(f"{path}: empty directory, not a trace")
            if not {fmt.HEADER, fmt.EVENTS, fmt.INDEX, fmt.SUMMARY} & set(names):
                raise TraceError(
                    f"{path}: not a looplet trace (no {fmt.HEADER}, {fmt.EVENTS} or {fmt.INDEX})"
                )
            reasons = "; ".join(self._state + self._damage)
            raise TraceError(f"{path}: nothing readable ({reasons})")

    # -- public -----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<Trace {self.path!r}: {len(self._entries)} steps, {len(self.problems)} problems>"

    @property
    def problems(self) -> list[str]:
        """Human-readable damage and gaps, e.g. "torn record at events.jsonl line 812"."""
        extra = [f"... and {self._suppressed} more problems"] if self._suppressed else []
        return self._state + self._damage + extra

    @property
    def meta(self) -> TraceMeta:
        try:
            return self._meta()
        except Exception as exc:
            raise TraceError(f"{self.path}: cannot describe the run ({exc})") from exc

    def detail(self, index: int) -> StepDetail:
        """The full record of `steps[index]`, with its prompt and response.

        Raises IndexError for a step that does not exist, and TraceError when
        the step's own record is unreadable (the index does not match events.jsonl).
        """
        entry = self._entries[index]
        try:
            return self._detail(entry)
        except TraceError:
            raise
        except Exception as exc:
            raise TraceError(
                f"{self._file(fmt.EVENTS)}: step {entry[0]}: cannot be read "
                f"({type(exc).__name__}: {exc})"
            ) from exc

    def conversation(self) -> tuple[Message, ...] | None:
        """The run's final conversation, or None if the run has not ended (or it is damaged)."""
        if self._end is None:
            return None
        offset, record = self._end
        try:
            with open(self._file(fmt.EVENTS), "rb") as events:
                return tuple(self._messages_for(events, offset, record))
        except (_Broken, OSError) as exc:
            self._note(f"the final conversation cannot be rebuilt: {exc}")
            return None
        except Exception as exc:
            raise TraceError(f"{self._file(fmt.EVENTS)}: cannot be read ({exc})") from exc

    def refresh(self) -> int:
        """Pick up what was written since opening (follow mode); return how many steps are new."""
        try:
            before = len(self._entries)
            self._load()
            return len(self._entries) - before
        except TraceError:
            raise
        except Exception as exc:
            raise TraceError(
                f"{self.path}: cannot be refreshed ({type(exc).__name__}: {exc})"
            ) from exc

    # -- loading ----------------------------------------------------------------

    def _file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def _note(self, problem: str) -> None:
        if problem in self._damage:
            return
        if len(self._damage) >= _MAX_PROBLEMS:
            self._suppressed += 1
        else:
            self._damage.append(problem)

    def _load(self) -> None:
        self._state = []
        header = self._read_json(fmt.HEADER)  # small, and rewritten once the tools are known
        if header is not None:
            self.header = header
            self._check_header(header)
        events_exists = os.path.exists(self._file(fmt.EVENTS))
        if not events_exists:
            self._state.append(f"{fmt.EVENTS} missing: no model call or step was recorded")
        if self._use_index:
            self._load_index(events_exists)
        if events_exists:
            self._scan_events(self._events_pos)
        if self.summary is None:
            self.summary = self._read_json(fmt.SUMMARY, missing=False)
        if self.summary is None and not os.path.exists(self._file(fmt.SUMMARY)):
            if self._end is None:
                self._state.append(f"{fmt.SUMMARY} missing: the run did not finish")
            else:
                self._state.append(
                    f"{fmt.SUMMARY} missing: the run ended but its summary was not written "
                    f"(totals come from {fmt.EVENTS})"
                )

    def _read_json(self, name: str, missing: bool = True) -> dict[str, Any] | None:
        """A whole-file JSON object, or None with the reason added to the state problems."""
        try:
            with open(self._file(name), "rb") as file:
                data = file.read()
        except FileNotFoundError:
            if missing:
                self._state.append(f"{name} missing")
            return None
        except OSError as exc:
            self._state.append(f"{name}: cannot be read ({exc.strerror or exc})")
            return None
        if not data.strip():
            self._state.append(f"{name} is empty")
            return None
        value, error = _parse(data)
        if error:
            self._state.append(f"{name}: {error}")
            return None
        if not isinstance(value, dict):
            self._state.append(f"{name}: expected a JSON object, found {_kind(value)}")
            return None
        return value

    def _check_header(self, header: dict[str, Any]) -> None:
        if header.get("format") != fmt.FORMAT:
            self._note(f"{fmt.HEADER}: format is {header.get('format')!r}, not {fmt.FORMAT!r}")
        elif header.get("version") != fmt.VERSION:
            self._note(
                f"{fmt.HEADER}: version {header.get('version')!r}; this reader knows version "
                f"{fmt.VERSION}, so some data may be missing"
            )

    def _load_index(self, events_exists: bool) -> None:
        try:
            with open(self._file(fmt.INDEX), "rb") as file:
                file.seek(self._index_pos)
                data = file.read()
        except FileNotFoundError:
            self._index_unusable(f"{fmt.INDEX} missing")
            return
        except OSError as exc:
            self._index_unusable(f"{fmt.INDEX}: cannot be read ({exc.strerror or exc})")
            return
        events_size = os.path.getsize(self._file(fmt.EVENTS)) if events_exists else None
        lines = data.split(b"\n")
        torn = lines.pop()  # the part after the last newline: empty, or a record being written
        position = self._index_pos
        for line in lines:  # the hot loop of opening a trace: about 2 µs a line
            self._index_line += 1
            value, problem = _parse(line)
            problem = problem or self._take_index_line(value, events_size)
            if problem:
                self._index_unusable(f"{fmt.INDEX} line {self._index_line}: {problem}")
                return
            position += len(line) + 1
        self._index_pos = position
        if torn:
            self._state.append(f"torn record at {fmt.INDEX} line {self._index_line + 1}")

    def _take_index_line(self, value: Any, events_size: int | None) -> str | None:
        """Add one index line's entry; return what is wrong with it instead, if anything."""
        entry = _entry(value)
        if entry is None:
            if isinstance(value, dict) and "human" in value:
                step, offset, length = value.get("human"), value.get("off"), value.get("len")
                if not (_is_int(step) and _is_int(offset) and _is_int(length)):
                    return "a human-decision line of the wrong shape"
                self._add_human(step, offset, length)
                return None
            return "a step line of the wrong shape"
        if self._entries and entry[0] <= self._entries[-1][0]:
            if entry[10] < self._events_pos:
                return None  # already found in events.jsonl, ahead of the index
            return f"step {entry[0]} follows step {self._entries[-1][0]}"
        end = entry[10] + entry[11]
        if events_size is not None and end > events_size:
            return f"step {entry[0]} points past the end of {fmt.EVENTS}"
        self._entries.append(entry)
        self._events_pos = max(self._events_pos, end)
        return None

    def _index_unusable(self, problem: str) -> None:
        """Forget the index and rebuild the step list from events.jsonl."""
        self._note(problem)
        self._note(f"{fmt.INDEX} not used: the step list was rebuilt from {fmt.EVENTS}")
        self._use_index = False
        self._entries.clear()
        self._humans.clear()
        self._human_offsets.clear()
        self._events_pos = 0

    def _add_human(self, step: int, offset: int, length: int) -> None:
        if offset not in self._human_offsets:
            self._human_offsets.add(offset)
            self._humans.setdefault(step, []).append((offset, length))

    def _scan_events(self, start: int) -> None:
        """Read events.jsonl from `start`: steps the index lacks, human decisions, the end."""
        try:
            events = open(self._file(fmt.EVENTS), "rb")  # noqa: SIM115
        except OSError as exc:
            self._state.append(f"{fmt.EVENTS}: cannot be read ({exc.strerror or exc})")
            return
        with events:
            events.seek(start)
            position = start
            line_number = 1 if start == 0 else None  # counted only once a problem needs it
            for line in events:
                if not line.endswith(b"\n"):
                    if line_number is None:
                        line_number = _line_number(events, position)
                    self._state.append(f"torn record at {fmt.EVENTS} line {line_number}")
                    break
                problem = (
                    None if line.startswith(_CALL_PREFIX) else self._take_event(line, position)
                )
                if problem:
                    if line_number is None:
                        line_number = _line_number(events, position)
                    self._note(f"{fmt.EVENTS} line {line_number}: {problem}")
                position += len(line)
                if line_number is not None:
                    line_number += 1
            self._events_pos = position

    def _take_event(self, line: bytes, offset: int) -> str | None:
        value, error = _parse(line)
        if error:
            return error
        kind = value.get("kind") if isinstance(value, dict) else None
        if not isinstance(kind, str):
            return "not a trace record (a JSON object with a kind)"
        if kind == "step":
            step = value.get("step")
            call = value.get("call")
            try:
                entry = _entry(fmt.index_line(step, offset, len(line), call))  # type: ignore[arg-type]
            except (KeyError, TypeError, AttributeError, ValueError):
                entry = None
            if entry is None or not (call is None or _is_int(call)):
                return "a step record of the wrong shape"
            if not self._entries or entry[0] > self._entries[-1][0]:
                self._entries.append(entry)
        elif kind == "human":
            if not _is_int(value.get("step")):
                return "a human-decision record of the wrong shape"
            self._add_human(value["step"], offset, len(line))
        elif kind == "end":
            self._end = (offset, value)
        return None

    # -- details ----------------------------------------------------------------

    def _detail(self, entry: tuple[Any, ...]) -> StepDetail:
        number, offset, length, call_offset = entry[0], entry[10], entry[11], entry[12]
        events_path = self._file(fmt.EVENTS)
        where = f"{events_path}: step {number}'s record (byte {offset})"
        try:
            events = open(events_path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise TraceError(f"{events_path}: cannot be read ({exc.strerror or exc})") from exc
        with events:
            events.seek(offset)
            data = events.read(length)
            if len(data) != length or not data.endswith(b"\n"):
                raise TraceError(f"{where} is cut short")
            record, error = _parse(data)
            if error:
                raise TraceError(f"{where}: {error}")
            if not isinstance(record, dict) or record.get("kind") != "step":
                raise TraceError(f"{where} is not a step record: the index does not match")
            try:
                step = Step.from_dict(record["step"])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise TraceError(f"{where} has the wrong shape ({type(exc).__name__})") from exc
            if step.number != number:
                raise TraceError(f"{where} holds step {step.number}: the index does not match")
            problems: list[str] = []
            prompt = response = when = None
            if call_offset is None:
                problems.append(f"step {number} has no model call record")
            else:
                try:
                    call = _record_at(events, call_offset, "call")
                    when = call.get("time") if _is_number(call.get("time")) else None
                    prompt = tuple(self._messages_for(events, call_offset, call))
                    response = self._response(events, call_offset, call)
                except _Broken as exc:
                    problems.append(f"step {number}: {exc}")
            human = tuple(self._human_for(events, number, problems))
        for problem in problems:
            self._note(problem)
        return StepDetail(step, prompt, response, human, when, tuple(problems))

    def _response(self, events: BinaryIO, offset: int, call: dict[str, Any]) -> LLMResponse:
        data = call.get("response")
        if not isinstance(data, dict):
            raise _Broken(f"the model call record at byte {offset} has no response")
        try:
            raw_request = self._raw_request(events, offset, call)
            return LLMResponse.from_dict(data, raw_request, call.get("raw_response"))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _Broken(
                f"the model call record at byte {offset} has the wrong shape ({exc})"
            ) from exc

    def _human_for(
        self, events: BinaryIO, number: int, problems: list[str]
    ) -> Iterator[HumanDecision]:
        for offset, _length in self._humans.get(number, ()):
            try:
                record = _record_at(events, offset, "human")
                yield HumanDecision(
                    number,
                    str(record.get("action")),
                    record.get("before"),
                    record.get("after"),
                    str(record.get("who") or ""),
                    record.get("time"),
                )
            except _Broken as exc:
                problems.append(f"step {number}: {exc}")

    # -- rebuilding lists stored as deltas --------------------------------------

    def _messages_for(self, events: BinaryIO, offset: int, record: dict[str, Any]) -> list[Message]:
        part = _message_part(record, offset)
        if part is None:
            raise _Broken(f"the record at byte {offset} holds no conversation")
        return self._rebuild(events, "messages", offset, part, _message_part, Message.from_dict)

    def _raw_request(self, events: BinaryIO, offset: int, call: dict[str, Any]) -> Any:
        if "raw_request" in call:
            return call["raw_request"]
        delta = call.get("raw_request_delta")
        if delta is None:
            return None
        part = _raw_part(call, offset)
        if part is None:
            raise _Broken(f"the raw request delta at byte {offset} has the wrong shape")
        messages = self._rebuild(events, "raw", offset, part, _raw_part, _same)
        head = self._raw_heads.get(part[0])
        if head is None:
            head = _record_at(events, part[0], "call").get("raw_request")
            if not isinstance(head, dict):
                raise _Broken(f"the raw request at byte {part[0]} is missing")
            _remember(self._raw_heads, part[0], head)
        same, changed = delta.get("same"), delta.get("set")
        if not isinstance(same, list) or not isinstance(changed, dict):
            raise _Broken(f"the raw request delta at byte {offset} has the wrong shape")
        request: dict[str, Any] = {}
        for key, value in head.items():
            if key == "messages":
                request[key] = messages
            elif key in same:
                request[key] = value
        request.update(changed)
        request.setdefault("messages", messages)
        return request

    def _rebuild(
        self,
        events: BinaryIO,
        chain: str,
        target: int,
        part: tuple[int, int, list[Any], bool],
        part_of: Callable[[dict[str, Any], int], tuple[int, int, list[Any], bool] | None],
        convert: Callable[[Any], Any],
    ) -> list[Any]:
        """The list stored at `target` as deltas since its epoch's full copy.

        Within an epoch every list is a prefix of the later ones, so the
        longest list rebuilt so far per epoch answers every earlier record by
        slicing, and later records by reading on from where it ended.
        """
        epoch, count, _items, _full = part
        cache = self._chains[chain]
        cached = cache.get(epoch)
        if cached is not None and len(cached[0]) >= count:
            _remember(cache, epoch, cached)
            return cached[0][:count]
        resume = cached is not None and cached[1] < target
        base, start = (cached[0], cached[1]) if resume else ([], epoch)  # type: ignore[index]
        added: list[Any] = []
        events.seek(start)
        position = start
        if resume:
            position += len(events.readline())  # the record the cache already holds
        for line in events:
            here = position
            position += len(line)
            if here > target:
                break
            if line.startswith(_SKIP_IN_CHAINS) or not line.endswith(b"\n"):
                continue
            record, error = _parse(line)
            if error:  # not necessarily one this list needs: a missing delta shows in the count
                self._note(f"{fmt.EVENTS}: the record at byte {here} is damaged ({error})")
                continue
            found = part_of(record, here) if isinstance(record, dict) else None
            if found is None:
                continue
            record_epoch, record_count, items, full = found
            if record_epoch != epoch or full != (here == epoch):
                raise _Broken(
                    f"the record at byte {here} does not continue the one at byte {epoch}"
                )
            if record_count - len(items) != len(base) + len(added):
                raise _Broken(f"the delta at byte {here} does not follow the records before it")
            try:
                added.extend(convert(item) for item in items)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise _Broken(f"the record at byte {here} holds a damaged item ({exc})") from exc
            if here == target:
                break
        if len(base) + len(added) != count:
            raise _Broken(f"the records from byte {epoch} to {target} are incomplete")
        base.extend(added)
        _remember(cache, epoch, [base, target])
        return base[:count]

    # -- meta -------------------------------------------------------------------

    def _meta(self) -> TraceMeta:
        header = self.header or {}
        end = self._end[1] if self._end else {}
        summary = self.summary or end
        tools = header.get("tools")
        settings = header.get("settings")
        usage = None
        if isinstance(summary.get("usage"), dict):
            try:
                usage = Usage.from_dict(summary["usage"])
            except (TypeError, ValueError):
                usage = None
        if usage is None:  # each step repeats its turn's usage: count every turn once
            turns = {entry[1]: (entry[7], entry[8]) for entry in self._entries}
            usage = Usage(sum(i for i, _ in turns.values()), sum(o for _, o in turns.values()))
        last_turn = self._entries[-1][1] if self._entries else 0
        return TraceMeta(
            task=_str_or_none(header.get("task")),
            model=_str_or_none(header.get("model")),
            tools=tuple(t for t in tools if isinstance(t, dict)) if isinstance(tools, list) else (),
            settings=settings if isinstance(settings, dict) else {},
            created=_str_or_none(header.get("created")),
            finished=bool(self.summary or end),
            stop_reason=_str_or_none(summary.get("stop_reason")),
            reason=str(summary.get("reason") or ""),
            error=_str_or_none(summary.get("error")),
            answer=summary.get("answer"),
            steps=len(self._entries),
            turns=summary["turns"] if _is_int(summary.get("turns")) else last_turn,
            usage=usage,
            cost=summary["cost"] if isinstance(summary.get("cost"), int | float) else None,
            duration_ms=summary.get("duration_ms")
            if isinstance(summary.get("duration_ms"), int | float)
            else None,
        )


# -- helpers ----------------------------------------------------------------------


_scan = json.JSONDecoder().scan_once
"""The decoder's scanner, called directly: a third of `json.loads` per line."""


def _parse(data: bytes) -> tuple[Any, str | None]:
    """JSON from bytes, or why not: invalid UTF-8, invalid JSON, or nesting too deep."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "invalid UTF-8"
    try:
        value, end = _scan(text, 0)
        if end == len(text) or (text[end] == "\n" and end + 1 == len(text)):
            return value, None
    except (StopIteration, ValueError):
        pass  # leading space, an error to describe, or extra data: let json.loads decide
    except RecursionError:
        return None, "JSON nested too deeply"
    try:
        return json.loads(text), None
    except ValueError:
        return None, "invalid JSON"
    except RecursionError:
        return None, "JSON nested too deeply"


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string"}.get(type(value), repr(value)[:20])


def _is_int(value: Any) -> bool:
    return type(value) is int


def _is_number(value: Any) -> bool:
    return type(value) is int or type(value) is float


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_NONE = type(None)
_ENTRY_TYPES = frozenset(
    (int, int, str, str, bool, error, ms, int, int, latency, int, int, call)
    for error in (_NONE, str)
    for ms in (int, float)
    for latency in (int, float)
    for call in (_NONE, int)
)
"""The types an index line (INDEX_FIELDS) may hold, as tuples: one set lookup checks a line."""


def _entry(line: Any) -> tuple[Any, ...] | None:
    """A step's index line as a tuple (INDEX_FIELDS), or None if it has the wrong shape."""
    if type(line) is not list or tuple(map(type, line)) not in _ENTRY_TYPES:
        return None
    if line[10] < 0 or line[11] <= 0 or (line[12] is not None and line[12] < 0):
        return None
    return tuple(line)


def _line_number(file: BinaryIO, offset: int) -> int:
    """The 1-based number of the line starting at `offset` (reads the file up to it)."""
    here = file.tell()
    file.seek(0)
    count = 1
    remaining = offset
    while remaining > 0:
        chunk = file.read(min(remaining, 1 << 20))
        if not chunk:
            break
        count += chunk.count(b"\n")
        remaining -= len(chunk)
    file.seek(here)
    return count


def _record_at(events: BinaryIO, offset: int, kind: str) -> dict[str, Any]:
    events.seek(offset)
    line = events.readline()
    if not line.endswith(b"\n"):
        raise _Broken(f"the {kind} record at byte {offset} is missing or cut short")
    record, error = _parse(line)
    if error:
        raise _Broken(f"the {kind} record at byte {offset} is damaged ({error})")
    if not isinstance(record, dict) or record.get("kind") != kind:
        raise _Broken(f"byte {offset} of {fmt.EVENTS} does not start a {kind} record")
    return record


def _message_part(record: dict[str, Any], offset: int) -> tuple[int, int, list[Any], bool] | None:
    """A call or end record's place in the conversation chain."""
    if record.get("kind") not in ("call", "end"):
        return None
    epoch, count, items = record.get("epoch"), record.get("n"), record.get("messages")
    if not (_is_int(epoch) and _is_int(count) and isinstance(items, list)):
        raise _Broken(f"the record at byte {offset} has a damaged conversation delta")
    return epoch, count, items, bool(record.get("snapshot"))


def _raw_part(record: dict[str, Any], offset: int) -> tuple[int, int, list[Any], bool] | None:
    """A call record's place in the chain of raw request messages."""
    if record.get("kind") != "call":
        return None
    full = record.get("raw_request")
    if isinstance(full, dict) and isinstance(full.get("messages"), list):
        return offset, len(full["messages"]), full["messages"], True
    delta = record.get("raw_request_delta")
    if not isinstance(delta, dict):
        return None
    epoch, count, items = delta.get("epoch"), delta.get("n"), delta.get("messages")
    if not (_is_int(epoch) and _is_int(count) and isinstance(items, list)):
        raise _Broken(f"the raw request delta at byte {offset} has the wrong shape")
    return epoch, count, items, False


def _same(item: Any) -> Any:
    return item


def _remember(cache: dict[int, Any], key: int, value: Any) -> None:
    """Insert or refresh `key` as the most recently used entry; drop the oldest beyond the cap."""
    cache.pop(key, None)
    cache[key] = value
    while len(cache) > _CACHED_EPOCHS:
        del cache[next(iter(cache))]
