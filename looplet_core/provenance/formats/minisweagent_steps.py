"""Grouping a mini-swe-agent message list into steps, and reading one step's outcome.

Pure code over parsed messages, so every shape of message can be tested
without a file.  `Grouper` takes the messages one at a time (a progressive
reader hands it each message as it decodes it, then drops it); `group_steps`
runs it over a whole list.  The facts it relies on (tests/trace/fixtures/README.md):

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
    from collections.abc import Callable, Iterable
    from typing import Any

    Entry = tuple[int, int, int, int, int, float | None]
    StepMade = Callable[[int, Entry, dict[str, Any], Any], None]

__all__ = [
    "SUBMIT_MARKER",
    "Grouper",
    "Grouping",
    "actions_of",
    "extra_of",
    "group_steps",
    "outcome",
]

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
        self.entries: list[Entry] = []
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


def group_steps(messages: Iterable[Any]) -> Grouping:
    """Every action of every assistant message as a step, in order, in one pass."""
    grouper = Grouper()
    for index, message in enumerate(messages):
        grouper.add(index, message)
    return grouper.finish()


class Grouper:
    """`group_steps`, one message at a time.

    It holds only the messages a step still needs: the reply whose
    observations are being collected, those observations, the last reply
    that made steps and the exit message.  `on_step(position, entry,
    assistant message, result message or None)` is called for every entry
    made, and again for the one entry `finish` changes (the command that
    submitted gets the exit message as its result), so a caller can build
    what it keeps of a step (a summary) while the messages are at hand.
    """

    def __init__(self, on_step: StepMade | None = None) -> None:
        self.found = Grouping()
        self.settled = 0
        """Entries that can no longer change: all but the last reply's until `finish`."""
        self._on_step = on_step
        self._clock: float | None = None
        """The latest time seen: a command starts when the reply or the command before it ends."""
        self._replying: tuple[int, dict[str, Any]] | None = None
        """The assistant message whose observations are being collected."""
        self._observations: list[tuple[int, dict[str, Any]]] = []
        self._last_reply: dict[str, Any] = _EMPTY
        """The last assistant message that made steps (the submission is one of them)."""
        self._exit: dict[str, Any] = _EMPTY

    def add(self, index: int, message: Any) -> None:
        """Take `messages[index]`, the message after the last one added."""
        found = self.found
        if type(message) is not dict:
            found.problems.append(f"messages[{index}] is {kind(message)}, not a message")
            return
        role, extra = message.get("role"), message.get("extra")
        if type(extra) is not dict:
            extra = _EMPTY
        if self._replying is not None:
            if role in _OBSERVATION_ROLES and _is_observation(extra):
                self._observations.append((index, message))
                return
            self._add_actions()
        if role == "assistant":
            found.turns += 1
            self._clock = _later(self._clock, extra.get("timestamp"))
            self._replying = (index, message)
        elif role == "exit":
            found.exit_index = index
            self._exit = message
        elif extra.get("interrupt_type") == "FormatError":
            found.turns += 1
            found.format_errors += 1

    def finish(self) -> Grouping:
        """The grouping of every message added (call once, after the last)."""
        if self._replying is not None:
            self._add_actions()
        self._attach_submission()
        self.settled = len(self.found.entries)
        return self.found

    def _add_actions(self) -> None:
        """Add the steps of the reply being collected, answered in order by its observations."""
        assert self._replying is not None
        index, message = self._replying
        observations = self._observations
        self._replying, self._observations = None, []
        found = self.found
        actions = extra_of(message).get("actions")
        if type(actions) is not list:
            found.problems.append(
                f"messages[{index}]: an assistant message without an actions list"
            )
            return
        if actions:
            self.settled = len(found.entries)
            self._last_reply = message
        for position, action in enumerate(actions):
            if type(action) is not dict or type(action.get("command")) is not str:
                found.problems.append(f"messages[{index}]: action {position + 1} has no command")
            result, answer = observations[position] if position < len(observations) else (-1, None)
            entry = (len(found.entries) + 1, found.turns, index, position, result, self._clock)
            found.entries.append(entry)
            if self._on_step is not None:
                self._on_step(len(found.entries) - 1, entry, message, answer)
            if answer is not None:
                self._clock = _later(self._clock, answer["extra"].get("timestamp"))
        if len(observations) > len(actions):
            found.problems.append(
                f"messages[{observations[len(actions)][0]}]: an observation without a command"
            )

    def _attach_submission(self) -> None:
        """Give the submitting command the exit message as its result: the first
        unanswered command of the last reply that prints the marker (or else the
        first unanswered one), since execution stopped there."""
        found = self.found
        if found.exit_index < 0 or extra_of(self._exit).get("exit_status") != "Submitted":
            return
        last = found.entries[-1][2] if found.entries else -1
        waiting = [i for i, entry in enumerate(found.entries) if entry[2] == last and entry[4] < 0]
        if not waiting:
            return
        actions = actions_of(self._last_reply)
        marked = [
            i for i in waiting if SUBMIT_MARKER in str(_command(actions[found.entries[i][3]]))
        ]
        chosen = (marked or waiting)[0]
        entry = found.entries[chosen]
        entry = found.entries[chosen] = (*entry[:4], found.exit_index, entry[5])
        if self._on_step is not None:
            self._on_step(chosen, entry, self._last_reply, self._exit)


def outcome(message: Any, started: float | None) -> tuple[Any, str | None, ErrorKind | None, float]:
    """(output, error, error kind, duration in ms) of a command whose result is
    `message` (None: none was recorded)."""
    if message is None:
        return None, "no observation was recorded for this command", ErrorKind.SKIPPED, 0.0
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
