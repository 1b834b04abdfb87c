"""Reading a checkpoint directory back: where a run stood when it stopped.

A checkpoint is one append-only journal, `checkpoint.jsonl`, written by
`CheckpointHook`: one JSON record per line, each appended with one write
before the run moves on.  A record is committed once its line is complete, so a process
killed mid-write leaves at most one torn last line, which is ignored; the
journal up to it is always a consistent state.  The records:

- `start` (pre_loop): format, version, task, tool-registry and model state;
- `turn` (pre_prompt): turn number, usage and cost so far, and the messages
  added since the last turn record (or all of them, marked `reset`);
- `response` (on_llm_response): the turn's model reply, model state;
- `pending` (pre_dispatch): the step number and the call about to be dispatched;
- `result` (post_dispatch): the call as dispatched and its result as dispatch
  gave it (before other hooks saw it), registry state;
- `step` (on_step): the finished Step;
- `end` (on_loop_end): the stop reason, messages added since the last turn record;
- `resume` (pre_loop of a resumed run): how a pending call was reconciled.

A pending record with no result after it is a call whose effect is unknown:
the tool may or may not have run.
"""

from __future__ import annotations

import json
import os

from looplet_core._record import Record, set_field
from looplet_core.types import LLMResponse, Message, Step, StopReason, ToolCall, ToolResult, Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "FORMAT",
    "JOURNAL",
    "VERSION",
    "Checkpoint",
    "CheckpointError",
    "PendingCall",
    "Recorded",
    "load_checkpoint",
]

JOURNAL = "checkpoint.jsonl"
FORMAT = "looplet-checkpoint"
VERSION = 1

_FINAL = frozenset({StopReason.DONE, StopReason.MAX_STEPS, StopReason.HOOK, StopReason.DIVERGED})
"""Stop reasons that end a run for good; a run that ended otherwise (an error, a
failed model call, cancellation) can be resumed like a killed one."""


class CheckpointError(Exception):
    """A checkpoint that cannot be read or resumed; the message is one line."""


class PendingCall(Record):
    """A call that was being dispatched when the run stopped: it may or may not have run."""

    __slots__ = ("step", "turn", "call")
    step: int
    turn: int
    call: ToolCall

    def __init__(self, step: int, turn: int, call: ToolCall) -> None:
        set_field(self, "step", step)
        set_field(self, "turn", turn)
        set_field(self, "call", call)

    def describe(self) -> str:
        args = json.dumps(self.call.args, ensure_ascii=False, sort_keys=True)
        return f"step {self.step}: {self.call.name}({args}) [call id {self.call.id}]"


class Recorded(Record):
    """A call of the last turn whose outcome is known, and why: it ran before the
    run stopped, or a person marked it done when resuming."""

    __slots__ = ("call", "result", "why")
    call: ToolCall
    result: ToolResult
    why: str

    def __init__(self, call: ToolCall, result: ToolResult, why: str) -> None:
        set_field(self, "call", call)
        set_field(self, "result", result)
        set_field(self, "why", why)


class Checkpoint(Record):
    """Where a run stood: the start of its last turn, and what of that turn is known.

    `messages`, `usage` and `cost` are as they were when turn `turn` began
    (before any pre_prompt hook but the CheckpointHook ran); `response` is that
    turn's model reply if it arrived, and `recorded` the turn's calls whose
    outcome is known.  `model_calls` counts the replies received in all, which
    is where a scripted backend's script continues.
    """

    __slots__ = (
        "dir",
        "task",
        "turn",
        "messages",
        "usage",
        "cost",
        "response",
        "model_calls",
        "steps",
        "recorded",
        "pending",
        "stop_reason",
        "final_messages",
        "tools_state",
        "llm_state",
        "size",
    )
    dir: str
    task: str
    turn: int
    messages: tuple[Message, ...]
    usage: Usage
    cost: float | None
    response: LLMResponse | None
    model_calls: int
    steps: tuple[Step, ...]
    recorded: dict[str, Recorded]
    """Known outcomes of the last turn's calls, by call id."""
    pending: PendingCall | None
    stop_reason: str | None
    """How the run ended, or None if it was killed (or resumed since)."""
    final_messages: tuple[Message, ...] | None
    """The conversation when the run ended, if it ended."""
    tools_state: Any
    llm_state: Any
    size: int
    """Bytes of the journal that are committed; anything after them is a torn record."""

    def __init__(self, **fields: Any) -> None:
        for name in self._field_names:
            set_field(self, name, fields.pop(name))
        if fields:
            raise TypeError(f"Checkpoint has no field(s) {', '.join(sorted(fields))}")

    @property
    def finished(self) -> bool:
        """The run ended for good (done, max_steps, a hook's stop): nothing to resume."""
        return self.stop_reason in _FINAL


def load_checkpoint(dir: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint directory; CheckpointError (one line) if it cannot be used."""
    folder = os.path.abspath(os.fspath(dir))
    path = os.path.join(folder, JOURNAL)
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise CheckpointError(f"{folder}: no checkpoint here (no {JOURNAL})") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read: {exc.strerror}") from None
    fold = _Fold(folder)
    size = 0
    lines = data.split(b"\n")
    complete = lines[:-1]  # the last piece has no newline: empty, or a torn record
    for number, line in enumerate(complete, 1):
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            fold.add(record)
        except (ValueError, KeyError, TypeError) as exc:
            if number == len(complete):  # a damaged last record is as good as torn
                break
            raise CheckpointError(f"{path} line {number}: damaged record ({exc})") from None
        size += len(line) + 1
    if not fold.started:
        raise CheckpointError(f"{path}: empty or not a {FORMAT} journal")
    return fold.checkpoint(size)


class _Fold:
    """Replays journal records into the state they describe."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.started = False
        self.task = ""
        self.turn = 0
        self.messages: list[Message] = []
        self.usage = Usage()
        self.cost: float | None = None
        self.response: LLMResponse | None = None
        self.model_calls = 0
        self.steps: list[Step] = []
        self.recorded: dict[str, Recorded] = {}
        self.pending: PendingCall | None = None
        self.stop_reason: str | None = None
        self.final_messages: tuple[Message, ...] | None = None
        self.tools_state: Any = None
        self.llm_state: Any = None

    def add(self, record: dict[str, Any]) -> None:
        kind = record["kind"]
        if not self.started:
            if kind != "start" or record.get("format") != FORMAT:
                raise ValueError(f"the first record is not a {FORMAT} start")
            if record.get("version") != VERSION:
                raise ValueError(f"checkpoint version {record.get('version')!r} is not supported")
            self.started = True
            self.task = record["task"]
            self.tools_state = record.get("tools")
            self.llm_state = record.get("llm")
            return
        handler = getattr(self, f"_on_{kind}", None)
        if handler is None:
            raise ValueError(f"unknown record kind {kind!r}")
        handler(record)

    def _on_turn(self, record: dict[str, Any]) -> None:
        self.messages = _extended(self.messages, record)
        self.turn = int(record["turn"])
        self.usage = Usage.from_dict(record["usage"])
        self.cost = record.get("cost")
        self.response = None
        self.recorded = {}
        self.pending = None

    def _on_response(self, record: dict[str, Any]) -> None:
        self.response = LLMResponse.from_dict(record["response"])
        self.model_calls += 1
        if "llm" in record:
            self.llm_state = record["llm"]

    def _on_pending(self, record: dict[str, Any]) -> None:
        self.pending = PendingCall(
            int(record["step"]), int(record["turn"]), ToolCall.from_dict(record["call"])
        )

    def _on_result(self, record: dict[str, Any]) -> None:
        call = ToolCall.from_dict(record["call"])
        result = ToolResult.from_dict(record["result"])
        self.recorded[call.id] = Recorded(call, result, "recorded before the run stopped")
        if self.pending is not None and self.pending.step == record["step"]:
            self.pending = None
        if "tools" in record:
            self.tools_state = record["tools"]

    def _on_step(self, record: dict[str, Any]) -> None:
        step = Step.from_dict(record["step"])
        self.steps.append(step)
        if self.pending is not None and self.pending.step == step.number:
            self.pending = None

    def _on_end(self, record: dict[str, Any]) -> None:
        self.stop_reason = record["stop_reason"]
        self.final_messages = tuple(_extended(self.messages, record))

    def _on_resume(self, record: dict[str, Any]) -> None:
        self.stop_reason = None
        self.final_messages = None
        marked = record.get("marked")
        if marked is not None:
            self.pending = None
            if marked["as"] == "done":
                call = ToolCall.from_dict(marked["call"])
                result = ToolResult.from_dict(marked["result"])
                self.recorded[call.id] = Recorded(call, result, "marked done when resuming")

    def checkpoint(self, size: int) -> Checkpoint:
        return Checkpoint(
            dir=self.folder,
            task=self.task,
            turn=self.turn,
            messages=tuple(self.messages),
            usage=self.usage,
            cost=self.cost,
            response=self.response,
            model_calls=self.model_calls,
            steps=tuple(self.steps),
            recorded=dict(self.recorded),
            pending=self.pending,
            stop_reason=self.stop_reason,
            final_messages=self.final_messages,
            tools_state=self.tools_state,
            llm_state=self.llm_state,
            size=size,
        )


def _extended(messages: list[Message], record: dict[str, Any]) -> list[Message]:
    """The message list a turn or end record describes: a delta on `messages`, or a reset."""
    base = [] if record.get("reset") else messages
    combined = base + [Message.from_dict(item) for item in record["messages"]]
    if len(combined) != record["n"]:
        raise ValueError(f"expected {record['n']} messages, the journal gives {len(combined)}")
    return combined
