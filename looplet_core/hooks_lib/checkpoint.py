"""`CheckpointHook`: journal a run as it goes, so `resume` can continue it after a kill.

    checkpoint = CheckpointHook("runs/nightly.ckpt")
    hooks = [checkpoint, *other_hooks, checkpoint.last]
    for step in composable_loop(llm, tools, task, hooks=hooks):
        ...

Put it **first** in the hooks list: it records the conversation at the start
of each turn before other pre_prompt hooks change it, and each call's result
before other post_dispatch hooks do, so a resumed run can pass the interrupted
turn through the same hooks again and reach the same messages.

Put `checkpoint.last` **last**: it writes the pending-call record after every
other pre_dispatch hook has had its say, so the record holds the call exactly
as it will run (after rewrites and edits), and a run killed while a person
was still deciding about a call leaves no pending call behind.  Without it the
CheckpointHook writes that record itself, before the other hooks.

Each record is appended to `checkpoint.jsonl` with one write, so a killed
process never loses a record the loop had moved past, and a record is
committed once its line is complete: the journal is always consistent, a kill
leaves at most a torn last line, which readers ignore and `resume` cuts off.
The pending-call record is also fsynced before the call is dispatched (which
makes every record before it durable too), so even after a power cut the
journal never shows a call as not started when its tool may have run.  Per
step that is a few small appends and one fsync, whatever the length of the
run: the conversation is stored as what each turn added.

A tool registry or model backend may keep state worth restoring (a sandbox's
files, a scripted backend's position): if it has `checkpoint_state()`
returning JSON data and `restore_state(data)`, the journal holds the latest
state and `resume` hands it back.
"""

from __future__ import annotations

import json
import os
import time

from looplet_core.hooks_lib.checkpoint_read import FORMAT, JOURNAL, VERSION

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from looplet_core.hooks_lib.checkpoint_read import Checkpoint
    from looplet_core.loop import LoopState, Prompt
    from looplet_core.types import LLMResponse, Message, RunResult, Step, ToolCall, ToolResult

__all__ = ["CheckpointHook"]


class _Written:
    """The message list the journal last stored, to store the next one as a delta.

    A list extends the stored one when the history was not rewritten (same
    `history_version`) and it still starts with the same message objects.
    """

    __slots__ = ("first", "last", "n", "version")

    def __init__(self, messages: Sequence[Message] = (), version: int = 0) -> None:
        self.n = len(messages)
        self.first = messages[0] if messages else None
        self.last = messages[-1] if messages else None
        self.version = version

    def extended_by(self, messages: Sequence[Message], version: int) -> bool:
        n = self.n
        return (
            version == self.version
            and len(messages) >= n
            and (n == 0 or (messages[0] is self.first and messages[n - 1] is self.last))
        )


class CheckpointHook:
    """Journals every turn, reply, dispatch and step of a run into `dir`.

    A directory holds one run: starting a second run in it raises
    FileExistsError (use `resume` to continue one).
    """

    name = "checkpoint"

    def __init__(self, dir: str | os.PathLike[str]) -> None:
        self.dir = os.path.abspath(os.fspath(dir))
        self.path = os.path.join(self.dir, JOURNAL)
        self._fd: int | None = None
        self._written = _Written()
        self._bytes = 0
        self._records = 0
        self._continuing: Checkpoint | None = None
        self._resume_record: dict[str, Any] = {}
        self._last_in_place = False
        """Whether `last` is in this run's hooks (its pre_loop says so)."""
        self.last = _PendingMarker(self)
        """The hook to put at the end of the list (see the module docstring)."""

    def continue_from(self, checkpoint: Checkpoint, resume_record: dict[str, Any]) -> None:
        """Append to `checkpoint`'s journal instead of starting one (what `resume` does).

        What the journal already holds of the interrupted turn is not written again.
        """
        self._continuing = checkpoint
        self._resume_record = resume_record

    # -- hook phases --------------------------------------------------------

    def pre_loop(self, state: LoopState) -> None:
        self._close()
        self._last_in_place = False
        continuing = self._continuing
        if continuing is None:
            self._fd = _open_new_journal(self.dir, self.path)
            self._write(
                {
                    "kind": "start",
                    "format": FORMAT,
                    "version": VERSION,
                    "task": state.task,
                    "time": time.time(),
                    **_saved_state("tools", state.tools),
                    **_saved_state("llm", state.llm),
                }
            )
            return
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        os.truncate(self.path, continuing.size)  # drop a torn last record
        self._bytes = continuing.size
        self._written = _Written(continuing.messages)
        self._write({"kind": "resume", "time": time.time(), **self._resume_record})

    def pre_prompt(self, state: LoopState, prompt: Prompt) -> None:
        if self._interrupted_turn(state) is not None:
            return
        messages = state.messages
        record: dict[str, Any] = {"kind": "turn", "turn": state.turn}
        record["usage"] = state.usage.to_dict()
        record["cost"] = state.cost
        self._add_messages(record, messages, state.history_version)
        self._written = _Written(messages, state.history_version)
        self._write(record)

    def on_llm_response(self, state: LoopState, prompt: Prompt, response: LLMResponse) -> None:
        interrupted = self._interrupted_turn(state)
        if interrupted is not None and interrupted.response is not None:
            return
        record = {"kind": "response", "turn": state.turn, "response": response.to_dict()}
        self._write({**record, **_saved_state("llm", state.llm)})

    def pre_dispatch(self, state: LoopState, call: ToolCall) -> None:
        if not self._last_in_place:
            self._write_pending(state, call)

    def post_dispatch(self, state: LoopState, call: ToolCall, result: ToolResult) -> None:
        interrupted = self._interrupted_turn(state)
        if interrupted is not None and call.id in interrupted.recorded:
            return
        record = {
            "kind": "result",
            "step": len(state.steps) + 1,
            "turn": state.turn,
            "call": call.to_dict(),
            "result": result.to_dict(),
        }
        self._write({**record, **_saved_state("tools", state.tools)})

    def on_step(self, state: LoopState, step: Step) -> None:
        continuing = self._continuing
        if continuing is not None and step.number <= len(continuing.steps):
            return
        self._write({"kind": "step", "step": step.to_dict()})

    def on_loop_end(self, state: LoopState, result: RunResult) -> None:
        if self._fd is None:
            return
        record: dict[str, Any] = {
            "kind": "end",
            "stop_reason": str(result.stop_reason),
            "reason": result.reason,
            "time": time.time(),
        }
        self._add_messages(record, result.messages, state.history_version)
        try:
            self._write(record, durable=True)
        finally:
            self._close()

    def debug_state(self) -> dict[str, Any]:
        return {"dir": self.dir, "records": self._records, "bytes": self._bytes}

    # -- internals ----------------------------------------------------------

    def _write_pending(self, state: LoopState, call: ToolCall) -> None:
        step = len(state.steps) + 1
        record = {"kind": "pending", "step": step, "turn": state.turn, "call": call.to_dict()}
        self._write(record, durable=True)

    def _interrupted_turn(self, state: LoopState) -> Checkpoint | None:
        """The checkpoint being continued, while a resume replays its interrupted turn
        (which the journal already holds)."""
        continuing = self._continuing
        return continuing if continuing is not None and state.turn == continuing.turn else None

    def _add_messages(
        self, record: dict[str, Any], messages: Sequence[Message], version: int
    ) -> None:
        written = self._written
        start = written.n if written.extended_by(messages, version) else 0
        if start == 0 and written.n:
            record["reset"] = True
        record["n"] = len(messages)
        record["messages"] = [message.to_dict() for message in messages[start:]]

    def _write(self, record: dict[str, Any], durable: bool = False) -> None:
        """Append one record (committed before the loop goes on); `durable` fsyncs the
        journal, making it and every record before it survive a power cut."""
        if self._fd is None:
            raise RuntimeError("CheckpointHook: no run is being journaled (pre_loop has not run)")
        try:
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"CheckpointHook: a {record['kind']} record is not JSON: {exc}"
            ) from None
        data = line.encode("utf-8") + b"\n"
        written = os.write(self._fd, data)
        while written < len(data):
            written += os.write(self._fd, data[written:])
        if durable:
            os.fsync(self._fd)
        self._bytes += len(data)
        self._records += 1

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _PendingMarker:
    """`CheckpointHook.last`: writes the pending-call record as the last pre_dispatch hook."""

    name = "checkpoint-pending"

    def __init__(self, checkpoint: CheckpointHook) -> None:
        self._checkpoint = checkpoint

    def pre_loop(self, state: LoopState) -> None:
        # Runs after the CheckpointHook's own pre_loop when it follows it in the list;
        # placed before it, this is undone and the CheckpointHook marks calls itself.
        self._checkpoint._last_in_place = True

    def pre_dispatch(self, state: LoopState, call: ToolCall) -> None:
        if self._checkpoint._last_in_place:
            self._checkpoint._write_pending(state, call)


def _open_new_journal(folder: str, path: str) -> int:
    """Create the journal; one holding no complete record (its run died before the
    first write finished) is started again, one holding a run is refused."""
    os.makedirs(folder, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
    try:
        if _holds_a_record(descriptor):
            raise FileExistsError(
                f"{path} already holds a run: a CheckpointHook journals one run per "
                "directory (use resume() to continue it, or give a new dir)"
            )
        os.ftruncate(descriptor, 0)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _holds_a_record(descriptor: int) -> bool:
    """Whether the file has a complete line: records end with a newline."""
    offset = 0
    while chunk := os.pread(descriptor, 1 << 16, offset):
        if b"\n" in chunk:
            return True
        offset += len(chunk)
    return False


def _saved_state(key: str, owner: Any) -> dict[str, Any]:
    """`{key: owner.checkpoint_state()}` when the owner keeps state, else nothing."""
    method = getattr(owner, "checkpoint_state", None)
    return {key: method()} if callable(method) else {}
