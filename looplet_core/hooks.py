"""Hooks: plain objects that steer the loop, the decisions they return, and the
runner that calls them in order and records every call in a HookTrace.

A hook is any object with any subset of the phase methods below; there is no
base class.  The loop asks each hook once, at start, which phases it has, so a
phase a hook lacks costs nothing per step.  The `Protocol`s here document the
signatures; the rules for combining several hooks are in docs/hooks.md.
"""

from __future__ import annotations

from time import perf_counter_ns

from looplet_core._record import Record, set_field
from looplet_core.jsonable import to_jsonable
from looplet_core.types import HookTrace, Message, ToolCall, ToolResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from looplet_core.loop import LoopState, Prompt
    from looplet_core.types import Step

__all__ = [
    "PHASES",
    "Allow",
    "Block",
    "Deny",
    "Diverged",
    "HookRunner",
    "Inject",
    "Replace",
    "Rewrite",
    "Stop",
    "hook_name",
]


# -- decisions ---------------------------------------------------------------


class _Reasoned(Record):
    """A decision that carries only a reason."""

    __slots__ = ("reason",)
    reason: str

    def __init__(self, reason: str = "") -> None:
        set_field(self, "reason", reason)


class Allow(_Reasoned):
    """pre_dispatch: this hook lets the call run (a later hook may still deny it)."""

    __slots__ = ()


class Deny(_Reasoned):
    """pre_dispatch: do not run the call; the model receives `reason` as the result."""

    __slots__ = ()


class Stop(_Reasoned):
    """pre_prompt / pre_dispatch / post_dispatch / should_stop: end the run with
    stop reason `hook`."""

    __slots__ = ()


class Diverged(Stop):
    """A Stop meaning the run left the path it was meant to follow: stop reason `diverged`.

    Replay returns it when a call no longer matches the recording; anything
    that checks a run against an expected one (a golden trajectory) may too.
    """

    __slots__ = ()


class Block(_Reasoned):
    """check_done: refuse to finish; the model receives `reason` and the loop goes on."""

    __slots__ = ()


class Rewrite(Record):
    """pre_dispatch: run the call with these arguments instead (rewrites chain)."""

    __slots__ = ("args", "reason")
    args: dict[str, Any]
    reason: str

    def __init__(self, args: dict[str, Any], reason: str = "") -> None:
        set_field(self, "args", args)
        set_field(self, "reason", reason)


class Replace(Record):
    """pre_dispatch: skip the tool and use this result; post_dispatch: swap the result;
    pre_prompt: replace the conversation with `result`, a list of Messages, saying why.

    In pre_dispatch and post_dispatch, `result` may be a ToolResult or plain
    data, which becomes a successful result.
    """

    __slots__ = ("result", "reason")
    result: Any
    reason: str

    def __init__(self, result: Any, reason: str = "") -> None:
        set_field(self, "result", result)
        set_field(self, "reason", reason)


class Inject(Record):
    """post_dispatch: add `text` as a user message once this turn's results are in."""

    __slots__ = ("text",)
    text: str

    def __init__(self, text: str) -> None:
        set_field(self, "text", text)


PHASES = (
    "pre_loop",
    "pre_prompt",
    "on_llm_response",
    "on_llm_error",
    "pre_dispatch",
    "post_dispatch",
    "check_done",
    "should_stop",
    "on_step",
    "on_loop_end",
)

_ALLOWED: dict[str, tuple[type, ...]] = {
    "pre_prompt": (str, list, tuple, Replace, Stop),
    "pre_dispatch": (Allow, Deny, Rewrite, Replace, Stop),
    "post_dispatch": (Replace, Inject, Stop),
    "check_done": (Block,),
    "should_stop": (bool, str, Stop),
}


def hook_name(hook: object) -> str:
    """A hook's display name: its `name` attribute if it is a string, else its class."""
    name = getattr(hook, "name", None)
    return name if isinstance(name, str) and name else type(hook).__name__


class HookRunner:
    """Calls hooks phase by phase, in list order, and records each call.

    Recorded entries collect in `pending` until the loop attaches them to the next
    Step (or, at the end, to the RunResult), so every call lands somewhere.
    """

    __slots__ = ("_phases", "hooks", "pending")

    def __init__(self, hooks: Iterable[object]) -> None:
        self.hooks: tuple[object, ...] = tuple(hooks)
        self.pending: list[HookTrace] = []
        self._phases: dict[str, tuple[tuple[str, Callable[..., Any]], ...]] = {
            phase: tuple(
                (hook_name(hook), method)
                for hook in self.hooks
                if callable(method := getattr(hook, phase, None))
            )
            for phase in PHASES
        }

    def has(self, phase: str) -> bool:
        return bool(self._phases[phase])

    def take_pending(self) -> tuple[HookTrace, ...]:
        entries = tuple(self.pending)
        self.pending.clear()
        return entries

    def observe(self, phase: str, *args: Any) -> None:
        """Run an observe-only phase (pre_loop, on_llm_response, on_llm_error, on_step,
        on_loop_end)."""
        for name, method in self._phases[phase]:
            started = perf_counter_ns()
            method(*args)
            self._record(name, phase, None, "", started)

    def pre_prompt(self, state: LoopState, prompt: Prompt) -> Stop | None:
        """Injections append to the conversation, edits (a list, or a Replace holding one)
        replace it; the first Stop wins."""
        for name, method in self._phases["pre_prompt"]:
            started = perf_counter_ns()
            outcome = _checked(name, "pre_prompt", method(state, prompt))
            if outcome is None:
                self._record(name, "pre_prompt", None, "", started)
            elif isinstance(outcome, Stop):
                self._record(name, "pre_prompt", _stop_label(outcome), outcome.reason, started)
                return outcome
            elif isinstance(outcome, str):
                state.append(Message("user", outcome))
                self._record(name, "pre_prompt", "inject", _first_line(outcome), started)
            elif isinstance(outcome, Replace):  # an edit that says why (compaction does)
                state.replace_messages(_as_messages(name, outcome.result))
                self._record(name, "pre_prompt", "edit", outcome.reason, started)
            else:
                state.replace_messages(_as_messages(name, outcome))
                self._record(name, "pre_prompt", "edit", f"{len(outcome)} messages", started)
            prompt.messages = state.messages
        return None

    def pre_dispatch(
        self, state: LoopState, call: ToolCall
    ) -> tuple[ToolCall, Deny | Replace | Stop | None]:
        """Rewrites chain into the call later hooks see; the first Deny, Replace or Stop ends it."""
        for name, method in self._phases["pre_dispatch"]:
            started = perf_counter_ns()
            outcome = _checked(name, "pre_dispatch", method(state, call))
            if outcome is None:
                self._record(name, "pre_dispatch", None, "", started)
            elif isinstance(outcome, Allow):
                self._record(name, "pre_dispatch", "allow", outcome.reason, started)
            elif isinstance(outcome, Rewrite):
                call = ToolCall(call.name, dict(outcome.args), call.id, call.text, call.reasoning)
                self._record(name, "pre_dispatch", "rewrite", outcome.reason, started)
            else:
                if isinstance(outcome, Stop):
                    decision = _stop_label(outcome)
                else:
                    decision = "deny" if isinstance(outcome, Deny) else "replace"
                self._record(name, "pre_dispatch", decision, outcome.reason, started)
                return call, outcome
        return call, None

    def post_dispatch(
        self, state: LoopState, call: ToolCall, result: ToolResult
    ) -> tuple[ToolResult, list[str], Stop | None]:
        """Every hook runs; Replaces chain, Injects accumulate, the first Stop's reason wins."""
        injected: list[str] = []
        stop: Stop | None = None
        for name, method in self._phases["post_dispatch"]:
            started = perf_counter_ns()
            outcome = _checked(name, "post_dispatch", method(state, call, result))
            if outcome is None:
                self._record(name, "post_dispatch", None, "", started)
            elif isinstance(outcome, Replace):
                result = as_tool_result(outcome.result, result.duration_ms)
                self._record(name, "post_dispatch", "replace", outcome.reason, started)
            elif isinstance(outcome, Inject):
                injected.append(outcome.text)
                self._record(name, "post_dispatch", "inject", _first_line(outcome.text), started)
            else:
                stop = stop or outcome
                self._record(name, "post_dispatch", _stop_label(outcome), outcome.reason, started)
        return result, injected, stop

    def check_done(self, state: LoopState, call: ToolCall, result: ToolResult) -> Block | None:
        """The first Block keeps the loop going and ends the phase."""
        for name, method in self._phases["check_done"]:
            started = perf_counter_ns()
            outcome = _checked(name, "check_done", method(state, call, result))
            if outcome is None:
                self._record(name, "check_done", None, "", started)
            else:
                self._record(name, "check_done", "block", outcome.reason, started)
                return outcome
        return None

    def should_stop(self, state: LoopState, step: Step) -> Stop | None:
        """The first truthy answer stops the run; a string or Stop gives the reason."""
        for name, method in self._phases["should_stop"]:
            started = perf_counter_ns()
            outcome = _checked(name, "should_stop", method(state, step))
            if not outcome:
                self._record(name, "should_stop", None, "", started)
                continue
            if not isinstance(outcome, Stop):
                outcome = Stop(outcome if isinstance(outcome, str) else f"{name} asked to stop")
            self._record(name, "should_stop", _stop_label(outcome), outcome.reason, started)
            return outcome
        return None

    def _record(
        self, hook: str, phase: str, decision: str | None, reason: str, started: int
    ) -> None:
        micros = (perf_counter_ns() - started) // 1000
        self.pending.append(HookTrace(hook, phase, decision, reason, micros))


def as_tool_result(value: Any, duration_ms: float = 0.0) -> ToolResult:
    """A hook's replacement result: a ToolResult as is, anything else as successful data."""
    if isinstance(value, ToolResult):
        return value
    return ToolResult(data=to_jsonable(value), duration_ms=duration_ms)


def _checked(hook: str, phase: str, outcome: Any) -> Any:
    """Reject answers a phase cannot act on, naming the hook, instead of ignoring them."""
    if outcome is None or phase not in _ALLOWED or isinstance(outcome, _ALLOWED[phase]):
        return outcome
    expected = ", ".join(kind.__name__ for kind in _ALLOWED[phase])
    raise TypeError(
        f"hook {hook!r} returned {type(outcome).__name__} from {phase}; "
        f"expected None or one of: {expected}"
    )


def _stop_label(stop: Stop) -> str:
    """The trace decision of a Stop: `diverged` for a Diverged, else `stop`."""
    return "diverged" if isinstance(stop, Diverged) else "stop"


def _as_messages(hook: str, edited: Sequence[Any]) -> list[Message]:
    if not isinstance(edited, list | tuple):
        raise TypeError(
            f"hook {hook!r} returned Replace from pre_prompt holding "
            f"{type(edited).__name__}; expected a list of Messages"
        )
    messages = list(edited)
    for message in messages:
        if not isinstance(message, Message):
            raise TypeError(
                f"hook {hook!r} returned a message list from pre_prompt containing "
                f"{type(message).__name__}; every item must be a Message"
            )
    return messages


def _first_line(text: str, width: int = 80) -> str:
    line = text.split("\n", 1)[0]
    return line if len(line) <= width else line[: width - 1] + "…"
