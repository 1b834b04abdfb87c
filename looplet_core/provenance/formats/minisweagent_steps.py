"""Grouping a mini-swe-agent message list into steps, and reading one step's outcome.

Pure functions over the parsed `messages` list, so every shape of message can
be tested without a file.  The facts they rely on (tests/trace/fixtures/README.md):

- an assistant message's `extra.actions` are the commands that ran, in order;
- each is answered by one observation right after it (a `tool` message in
  tool-call mode, a `user` one in text mode), whose `extra` holds
  `returncode`, `raw_output` and any exception;
- the command that submits gets no observation: the final `exit` message
  takes its place (and mini-swe-agent then drops the observations of the
  other commands of that reply);
- a reply that could not be parsed leaves no assistant message, only a `user`
  message with `extra.interrupt_type` "FormatError"; it still was a model call.
"""

from __future__ import annotations

from looplet_core.provenance._parse import kind
from looplet_core.provenance.formats._common import float_or_none
from looplet_core.types import ErrorKind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SUBMIT_MARKER", "Grouping", "actions_of", "extra_of", "group_steps", "outcome"]

SUBMIT_MARKER = "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"
"""The first output line with which a command submits (mini-swe-agent's default config)."""
_EMPTY: dict[str, Any] = {}
_OBSERVATION_ROLES = ("tool", "user")


class Grouping:
    """What one pass over the messages finds.

    Each entry is (step number, turn, index of the assistant message, index of
    the action in it, index of its result message or -1, the time the command
    started or None); the result message is an observation, or the exit
    message for the command that submitted.
    """

    __slots__ = ("entries", "exit_index", "format_errors", "problems", "turns")

    def __init__(self) -> None:
        self.entries: list[tuple[int, int, int, int, int, float | None]] = []
        self.exit_index = -1
        self.format_errors = 0
        self.turns = 0
        """Model calls seen: assistant messages plus format errors."""
        self.problems: list[str] = []


def extra_of(message: Any) -> dict[str, Any]:
    """A message's `extra` dict, or an empty one for anything else."""
    extra = message.get("extra") if type(message) is dict else None
    return extra if type(extra) is dict else _EMPTY


def actions_of(message: Any) -> list[Any]:
    """A message's `extra.actions` list, or an empty one."""
    actions = extra_of(message).get("actions")
    return actions if type(actions) is list else []


def group_steps(messages: list[Any]) -> Grouping:
    """Every action of every assistant message as a step, in order, in one pass."""
    found = Grouping()
    clock: float | None = None
    """The latest time seen: a command starts when the reply or the command before it ends."""
    replying = -1
    """The assistant message whose observations are being collected, or -1."""
    observations: list[int] = []
    for index, message in enumerate(messages):
        if type(message) is not dict:
            found.problems.append(f"messages[{index}] is {kind(message)}, not a message")
            continue
        role, extra = message.get("role"), message.get("extra")
        if type(extra) is not dict:
            extra = _EMPTY
        if replying >= 0:
            if role in _OBSERVATION_ROLES and _is_observation(extra):
                observations.append(index)
                continue
            clock = _add_actions(found, messages, replying, observations, clock)
            replying, observations = -1, []
        if role == "assistant":
            found.turns += 1
            clock = _later(clock, extra.get("timestamp"))
            replying = index
        elif role == "exit":
            found.exit_index = index
        elif extra.get("interrupt_type") == "FormatError":
            found.turns += 1
            found.format_errors += 1
    if replying >= 0:
        _add_actions(found, messages, replying, observations, clock)
    _attach_submission(found, messages)
    return found


def _add_actions(
    found: Grouping, messages: list[Any], index: int, observations: list[int], clock: float | None
) -> float | None:
    """Add the steps of the assistant message at `index`, answered in order by the
    `observations` (message indices); return the time the last of them ended."""
    actions = extra_of(messages[index]).get("actions")
    if type(actions) is not list:
        found.problems.append(f"messages[{index}]: an assistant message without an actions list")
        return clock
    for position, action in enumerate(actions):
        if type(action) is not dict or type(action.get("command")) is not str:
            found.problems.append(f"messages[{index}]: action {position + 1} has no command")
        result = observations[position] if position < len(observations) else -1
        step_number = len(found.entries) + 1
        found.entries.append((step_number, found.turns, index, position, result, clock))
        if result >= 0:
            clock = _later(clock, messages[result]["extra"].get("timestamp"))
    if len(observations) > len(actions):
        found.problems.append(
            f"messages[{observations[len(actions)]}]: an observation without a command"
        )
    return clock


def _attach_submission(found: Grouping, messages: list[Any]) -> None:
    """Give the submitting command the exit message as its result: the first
    unanswered command of the last reply that prints the marker (or else the
    first unanswered one), since execution stopped there."""
    if found.exit_index < 0:
        return
    if extra_of(messages[found.exit_index]).get("exit_status") != "Submitted":
        return
    last = found.entries[-1][2] if found.entries else -1
    waiting = [i for i, entry in enumerate(found.entries) if entry[2] == last and entry[4] < 0]
    if not waiting:
        return
    actions = actions_of(messages[last])
    marked = [i for i in waiting if SUBMIT_MARKER in str(_command(actions[found.entries[i][3]]))]
    chosen = (marked or waiting)[0]
    entry = found.entries[chosen]
    found.entries[chosen] = (*entry[:4], found.exit_index, entry[5])


def outcome(
    messages: list[Any], result_index: int, started: float | None
) -> tuple[Any, str | None, ErrorKind | None, float]:
    """(output, error, error kind, duration in ms) of a command whose result is
    `messages[result_index]` (-1: none was recorded)."""
    if result_index < 0:
        return None, "no observation was recorded for this command", ErrorKind.SKIPPED, 0.0
    message = messages[result_index]
    extra = extra_of(message)
    if message.get("role") == "exit":
        submission = extra.get("submission")
        text = submission if isinstance(submission, str) else message.get("content")
        return text, None, None, 0.0
    output = extra.get("raw_output", message.get("content"))
    ended = float_or_none(extra.get("timestamp"))
    duration = 0.0 if ended is None or started is None else max(0.0, (ended - started) * 1000)
    exception = extra.get("exception_info") or extra.get("exception")
    if exception or extra.get("exception_type"):
        error = str(exception or extra.get("exception_type"))
        timed_out = "Timeout" in str(extra.get("exception_type")) or "timed out" in error
        return output, error, ErrorKind.TIMEOUT if timed_out else ErrorKind.EXECUTION, duration
    code = extra.get("returncode")
    if type(code) is int and code != 0:
        return output, f"exit code {code}", ErrorKind.EXECUTION, duration
    return output, None, None, duration


def _command(action: Any) -> Any:
    return action.get("command") if type(action) is dict else None


def _is_observation(extra: dict[str, Any]) -> bool:
    """Whether a tool or user message with this `extra` reports a command's result."""
    return ("returncode" in extra or "raw_output" in extra) and "interrupt_type" not in extra


def _later(clock: float | None, timestamp: Any) -> float | None:
    seen = float_or_none(timestamp)
    if seen is None:
        return clock
    return seen if clock is None else max(clock, seen)
