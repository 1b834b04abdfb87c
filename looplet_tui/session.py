"""The bridge between a running agent and the debugger's UI.

A `Session` is one live run.  The screen calls `Session.run()` in a single
thread worker; it pulls `composable_loop` to the end.  The UI and the loop
thread meet in three places only:

- **Messages.**  The loop thread reports with typed messages (live/messages.py)
  through `post`, which must be thread-safe (`Widget.post_message` is).
- **The gate.**  At a pause the loop thread blocks in `Gate.wait` until the UI
  answers with `answer(pause_id, value)`.  Pauses happen in the `Breakpoints`
  hook (before the model call, after dispatch), after a step when stepping,
  and before dispatch through the `ApprovalHook`: the session is that hook's
  `ask` front-end, so a pre-dispatch breakpoint is an approval, and an
  approval scope ("allow this tool for the session") is one of its rules.
- **Flags.**  `mode` (step, continue, pause) and `stop()` are plain
  assignments and thread-safe calls that the loop thread reads at boundaries.

`stop()` cancels the loop state, abandons a model call or tool that is still
running (see live/gate.py) and wakes the gate, so the run ends within
milliseconds and its trace is closed with a stop reason.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from looplet_core import (
    HookTrace,
    LoopState,
    Message,
    Prompt,
    Replace,
    RunResult,
    Step,
    ToolCall,
    ToolRegistry,
    ToolResult,
    composable_loop,
    tools_from,
)
from looplet_core.hooks import hook_name
from looplet_core.hooks_lib import (
    ApprovalRequest,
    Rule,
)
from looplet_core.hooks_lib.approval import USER_AT_KEYBOARD
from looplet_core.hooks_lib.approval_rules import ALLOW
from looplet_core.jsonable import to_jsonable
from looplet_core.provenance.sink import write_atomic
from looplet_tui.live.breakpoints import (
    POST_DISPATCH,
    PRE_DISPATCH,
    PRE_PROMPT,
    Breakpoint,
    BreakpointSet,
    Moment,
    call_key,
)
from looplet_tui.live.edits import changed_region
from looplet_tui.live.gate import CLOSED, Gate, Interrupt
from looplet_tui.live.interruptible import InterruptibleLLM, InterruptibleTools
from looplet_tui.live.messages import (
    AFTER_STEP,
    APPROVAL,
    HookStates,
    HumanRecorded,
    Pause,
    PausedAt,
    PhaseChanged,
    RunEnded,
    RunStarted,
    StepRecorded,
    TurnStarted,
)
from looplet_tui.live.spec import AgentSpec
from looplet_tui.live.wiring import compaction_hook_names, live_hooks

__all__ = [
    "BREAKPOINTS_FILE",
    "RESUME",
    "STOPPED_BY_USER",
    "Breakpoints",
    "EditPrompt",
    "EditResult",
    "Mode",
    "RunStopped",
    "Session",
]

STOPPED_BY_USER = f"stopped by {USER_AT_KEYBOARD}"
BREAKPOINTS_FILE = "breakpoints.json"
"""Saved in the run directory whenever the breakpoints change (BREAKPOINTS_FORMAT)."""
RESUME = "resume"
"""The gate answer that lets the run go on (in the session's current mode)."""
_BETWEEN_STEPS = frozenset(("pre_loop", "on_step"))
"""Phases that run between steps: the loop files their calls under the next step's
hook trace, but they are about the run's start or the step before, not this one."""


class Mode(StrEnum):
    """How far the run goes before it pauses by itself (breakpoints always pause it)."""

    PAUSED = "paused"
    """Pause at the next boundary: before the model call, before or after dispatch."""
    STEP = "step"
    """Pause once the next Step has been yielded."""
    RUN = "run"
    """Pause only at breakpoints and approvals."""


@dataclass(frozen=True, slots=True)
class EditPrompt:
    """Gate answer at a pre-prompt pause: the model gets these messages instead."""

    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class EditResult:
    """Gate answer at a post-dispatch pause: the step's result becomes this."""

    result: ToolResult


class RunStopped(Exception):
    """Raised from the approval front-end when the run is stopped while it asks:
    the ApprovalHook then refuses the call (it fails closed) and the run ends."""


class _NotifyingRecorder:
    """The trace's recorder, also telling the UI that a human decision was written."""

    def __init__(self, inner: Any, post: Callable[[Any], None]) -> None:
        self.inner = inner
        self._post = post

    def record_human(
        self, step: int, action: str, before: Any, after: Any, who: str = USER_AT_KEYBOARD
    ) -> None:
        self.inner.record_human(step, action, before, after, who)
        self._post(HumanRecorded(step, action))


class Session:
    """One live run of an AgentSpec, paused and resumed by the UI.

    `post` receives every message for the UI; it is called from the loop
    thread.  `breakpoints` is shared with later sessions (a restart keeps them).
    """

    def __init__(
        self,
        spec: AgentSpec,
        post: Callable[[Any], Any],
        breakpoints: BreakpointSet,
        *,
        run_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.spec = spec
        self._post_to_ui = post
        self.breakpoints = breakpoints
        breakpoints.new_run()
        self.gate = Gate()
        self.interrupt = Interrupt()
        self.mode = Mode.PAUSED
        self.state = LoopState(spec.task)
        self.result: RunResult | None = None
        self.error: str | None = None
        self.run_dir: str | None = None
        """The trace directory, once the run has started."""
        self._pause_ids = itertools.count(1)
        self._why: tuple[str, ...] = ()
        self._seen_calls: set[str] = set()
        self._stopping = False
        self._paused_after_dispatch: int | None = None

        settings = {
            "llm": type(spec.llm).__name__,
            "agent": spec.name,
            "breakpoints": [b.to_dict() for b in breakpoints],
        }
        wired = live_hooks(spec.hooks, settings, run_dir)
        hooks = wired.hooks
        self.sink = sink = wired.sink
        self._compactors = compaction_hook_names(hooks)
        approval = wired.approval
        approval.ask = self._ask
        approval.recorder = _NotifyingRecorder(approval.recorder or sink, self._post)
        approval.add_rule(Rule("*", "ask", when=self.breakpoint_or_pause, source="debugger"))
        self.approval = approval
        self.breakpoints_hook = Breakpoints(self)
        hooks.append(self.breakpoints_hook)
        self.hooks: tuple[object, ...] = tuple(hooks)
        registry = spec.tools if isinstance(spec.tools, ToolRegistry) else tools_from(spec.tools)
        self.llm = InterruptibleLLM(spec.llm, self.interrupt, self._phase)
        self.tools = InterruptibleTools(registry, self.interrupt, self._phase)

    # -- the loop thread --------------------------------------------------------

    def run(self) -> None:
        """Drive the run to its end.  Call once, from the thread worker."""
        loop = composable_loop(
            self.llm,
            self.tools,
            self.spec.task,
            hooks=self.hooks,
            config=self.spec.config,
            state=self.state,
        )
        try:
            while True:
                try:
                    step = next(loop)
                except StopIteration as finished:
                    self.result = finished.value
                    break
                self._after_step(step)
        except Exception as exc:  # a hook or the backend's wiring raised: the run is over
            self.error = _one_line(exc)
            self._phase("ended", "error")
            self._post(RunEnded("error", "", self.error))
            return
        finally:
            loop.close()
        result = self.result
        assert result is not None
        self._phase("ended", str(result.stop_reason))
        self._post(RunEnded(str(result.stop_reason), result.reason, result.error))

    def _after_step(self, step: Step) -> None:
        self._seen_calls.add(call_key(step.tool_call.name, step.tool_call.args))
        compacted = any(
            entry.phase == "pre_prompt"
            and entry.decision == "edit"
            and entry.hook in self._compactors
            for entry in step.hook_trace
        )
        self._post(StepRecorded(step.number, self.hook_states(), compacted))
        if (
            self._stopping
            or self.mode is not Mode.STEP
            or self._paused_after_dispatch == step.number
        ):
            return
        pause = self._new_pause(
            AFTER_STEP,
            step.number,
            ("stepped: the step was yielded",),
            call=step.tool_call,
            result=step.tool_result,
            # its on_step calls have run (as it was yielded) and wait for the next step
            decisions=_own(step.hook_trace) + self.state.pending_hook_trace,
        )
        self.wait(pause)

    def wait(self, pause: Pause) -> Any:
        """Announce `pause` and block until the UI answers it (CLOSED when stopped)."""
        self._phase("paused", pause.kind)
        return self.gate.wait(pause.id, lambda: self._post(PausedAt(pause)))

    def _new_pause(self, kind: str, step: int, why: tuple[str, ...], **payload: Any) -> Pause:
        payload.setdefault("decisions", _own(self.state.pending_hook_trace))
        return Pause(
            next(self._pause_ids),
            kind,
            self.state.turn,
            step,
            why,
            hook_states=self.hook_states(),
            **payload,
        )

    def why_pause(self, moment: Moment) -> tuple[str, ...]:
        """Why the run should pause at `moment`, or () to go on."""
        if self._stopping:
            return ()
        fired = self.breakpoints.check(moment)
        if fired:
            return tuple(f"breakpoint {b.id}: {b.describe()}" for b in fired)
        if self.mode is Mode.PAUSED:
            if moment.phase == PRE_PROMPT and not self.state.steps and self.state.turn == 1:
                return ("runs start paused before the first model call",)
            return ("paused",)
        return ()

    def moment(self, phase: str, call: ToolCall | None = None, ok: bool | None = None) -> Moment:
        state = self.state
        return Moment(
            phase=phase,
            step=len(state.steps) + 1,
            tool=None if call is None else call.name,
            args=None if call is None else call.args,
            ok=ok,
            tokens=state.usage.total_tokens,
            cost=state.cost,
            repeated=call is not None and call_key(call.name, call.args) in self._seen_calls,
        )

    def breakpoint_or_pause(self, call: ToolCall, state: LoopState) -> bool:
        """The `when` of the approval rule that turns pre-dispatch breakpoints into asks.

        Rules learned in this session are added in front of this one, so they
        answer first ("allow this tool" ends the pauses for it); rules saved to
        the rules file by an earlier run were loaded behind it, so they are
        given the same precedence here.
        """
        why = self.why_pause(self.moment(PRE_DISPATCH, call))
        saved = (r for r in self.approval.rules if r.source == "file" and r.action == ALLOW)
        if why and any(rule.matches(call, state) for rule in saved):
            why = ()
        self._why = why
        return bool(why)

    def _ask(self, request: ApprovalRequest) -> Any:
        """The ApprovalHook's front-end: pause, and return the user's answer."""
        why, self._why = self._why or (f"approval rule: {request.reason}",), ()
        pause = self._new_pause(APPROVAL, request.step, why, request=request, call=request.call)
        answer = self.wait(pause)
        if answer is CLOSED:
            raise RunStopped(f"the run was {STOPPED_BY_USER}")
        return answer

    def hook_states(self) -> HookStates:
        """Each hook's `debug_state()`, converted to plain data in the loop thread."""
        states: dict[str, Any] = {}
        for hook in self.hooks:
            method = getattr(hook, "debug_state", None)
            if not callable(method):
                continue
            try:
                states[hook_name(hook)] = to_jsonable(method())
            except Exception as exc:
                states[hook_name(hook)] = {"debug_state() raised": _one_line(exc)}
        return states

    def _phase(self, phase: str, detail: str) -> None:
        self._post(PhaseChanged(phase, detail, time.monotonic()))

    def _post(self, message: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app's event loop is gone: nobody listens
            self._post_to_ui(message)

    # -- the UI thread ----------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stopping

    def answer(self, pause_id: int, value: Any, mode: Mode | None = None) -> bool:
        """Answer a pause, optionally changing the mode first; False if it is not waiting."""
        if self.gate.waiting != pause_id:
            return False
        if mode is not None:
            self.mode = mode
        return self.gate.answer(pause_id, value)

    def stop(self) -> None:
        """End the run as soon as possible, with the stop recorded in the trace."""
        if self._stopping:
            return
        self._stopping = True
        self.state.cancel(STOPPED_BY_USER)
        self.record("stop", None, STOPPED_BY_USER)
        self.interrupt.trigger()
        self.gate.close()

    def record(self, action: str, before: Any, after: Any) -> None:
        """Write a human action about the step being decided, if the run is recording."""
        with contextlib.suppress(RuntimeError):  # not recording: not started yet, or over
            self.approval.recorder.record_human(
                len(self.state.steps) + 1, action, before, after, USER_AT_KEYBOARD
            )

    def add_breakpoint(self, breakpoint: Breakpoint) -> Breakpoint:
        added = self.breakpoints.add(breakpoint)
        self.record("add_breakpoint", None, added.describe())
        self.save_breakpoints()
        return added

    def remove_breakpoint(self, breakpoint_id: int) -> None:
        removed = self.breakpoints.remove(breakpoint_id)
        self.record("remove_breakpoint", removed.describe(), None)
        self.save_breakpoints()

    def set_breakpoint_enabled(self, breakpoint_id: int, enabled: bool) -> None:
        changed = self.breakpoints.set_enabled(breakpoint_id, enabled)
        action = "enable_breakpoint" if enabled else "disable_breakpoint"
        self.record(action, changed.describe(), changed.describe())
        self.save_breakpoints()

    def approval_rules(self) -> tuple[Rule, ...]:
        """The ApprovalHook's rules the user may remove (the debugger's own is hidden)."""
        return tuple(rule for rule in self.approval.rules if rule.source != "debugger")

    def add_rule(self, rule: Rule, persist: bool = False) -> None:
        """Add an approval rule the user wrote; `persist` saves it to the rules file.

        Raises ValueError (no rules file) or OSError (it cannot be written).
        """
        with contextlib.suppress(RuntimeError):  # added; the run had just stopped recording
            self.approval.add_rule(rule, persist=persist, who=USER_AT_KEYBOARD)

    def remove_rule(self, rule: Rule) -> None:
        with contextlib.suppress(RuntimeError):  # removed; the run had just stopped recording
            self.approval.remove_rule(rule, who=USER_AT_KEYBOARD)

    def save_breakpoints(self) -> None:
        """Write the breakpoints next to the trace, so they are kept with the run."""
        if self.run_dir is None:
            return
        text = json.dumps(self.breakpoints.to_dict(), indent=2, ensure_ascii=False) + "\n"
        with contextlib.suppress(OSError):  # the trace directory went away; its reader says so
            write_atomic(os.path.join(self.run_dir, BREAKPOINTS_FILE), text.encode("utf-8"))


class Breakpoints:
    """The hook that pauses the loop: before each model call and after each dispatch.

    Placed last, so it sees the prompt after every other hook's injections and
    the result after every other hook's replacements: what the user edits is
    what the model will read.
    """

    name = "breakpoints"

    def __init__(self, session: Session) -> None:
        self.session = session

    def pre_loop(self, state: LoopState) -> None:
        session = self.session
        session.run_dir = session.sink.dir
        session.save_breakpoints()
        session._post(RunStarted(session.sink.dir))

    def pre_prompt(self, state: LoopState, prompt: Prompt) -> list[Message] | None:
        session = self.session
        session._post(TurnStarted(prompt.turn))
        session._phase("prompt", "")
        last = state.last_step
        why = session.why_pause(session.moment(PRE_PROMPT, ok=None if last is None else last.ok))
        if not why:
            return None
        messages = tuple(prompt.messages)
        pause = session._new_pause(
            PRE_PROMPT, len(state.steps) + 1, why, messages=messages, tools=tuple(prompt.tools)
        )
        while True:
            answer = session.wait(pause)
            if isinstance(answer, EditPrompt):
                before, after = changed_region(
                    [m.to_dict() for m in pause.messages], [m.to_dict() for m in answer.messages]
                )
                session.record("edit_prompt", before, after)
                pause = replace(pause, messages=answer.messages, edited=True)
                continue
            if answer is CLOSED:  # stopped: the run is cancelled, the model is not called
                return None
            return list(pause.messages) if pause.edited else None

    def post_dispatch(self, state: LoopState, call: ToolCall, result: ToolResult) -> Any:
        session = self.session
        why = session.why_pause(session.moment(POST_DISPATCH, call, ok=result.ok))
        if not why:
            return None
        step = len(state.steps) + 1
        session._paused_after_dispatch = step
        pause = session._new_pause(POST_DISPATCH, step, why, call=call, result=result)
        while True:
            answer = session.wait(pause)
            if not isinstance(answer, EditResult):
                break
            session.record("edit_result", result.to_dict(), answer.result.to_dict())
            result = answer.result
            pause = replace(pause, result=result, edited=True)
        if pause.edited:
            return Replace(result, f"result edited by {USER_AT_KEYBOARD}")
        return None

    def debug_state(self) -> dict[str, Any]:
        session = self.session
        counts = session.breakpoints.hit_counts
        return {
            "mode": str(session.mode),
            "breakpoints": [
                f"{b.id}: {b.describe()}{'' if b.enabled else ' (disabled)'}"
                + (f" · hit {counts[b.id]}×" if counts.get(b.id) else "")
                for b in session.breakpoints
            ],
        }


def _own(entries: tuple[HookTrace, ...]) -> tuple[HookTrace, ...]:
    """A step's hook calls without the between-steps ones filed with it."""
    return tuple(entry for entry in entries if entry.phase not in _BETWEEN_STEPS)


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
