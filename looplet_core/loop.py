"""`composable_loop`: the tool-calling loop, as a generator of Steps.

One turn is one model call; one Step is one tool call.  Per turn:

    prompt → hooks.pre_prompt → llm.generate → hooks.on_llm_response
                                            (or hooks.on_llm_error, and the run ends)
    for each proposed call:
        hooks.pre_dispatch → registry.dispatch → hooks.post_dispatch
        → hooks.check_done (terminal tools) → hooks.should_stop
        → hooks.on_step → yield Step

Hooks that judge a step run *before* it is yielded, so the Step a consumer
receives already carries its complete hook trace and never changes afterwards.

Per-step work is constant in the length of the run: messages are appended to
one list that is handed to the backend by reference, and nothing re-reads
earlier steps.
"""

from __future__ import annotations

from time import perf_counter

from looplet_core._record import Record, set_field
from looplet_core.hooks import Deny, Diverged, HookRunner, Stop, as_tool_result
from looplet_core.textcalls import ToolCallParseError, parse_tool_calls
from looplet_core.tools import ToolRegistry, tools_from
from looplet_core.types import (
    ErrorKind,
    LLMResponse,
    Message,
    RunResult,
    Step,
    StopReason,
    ToolCall,
    ToolResult,
    Usage,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Generator, Iterable, Sequence
    from typing import Any

    from looplet_core.hooks import Replace
    from looplet_core.protocols import LLMBackend
    from looplet_core.tools import Tool
    from looplet_core.types import HookTrace

__all__ = ["DEFAULT_SYSTEM_PROMPT", "LoopConfig", "LoopState", "Prompt", "composable_loop"]

DEFAULT_SYSTEM_PROMPT = (
    "You are an agent that completes the user's task by calling the tools you are given, "
    "one step at a time. Read each tool result before deciding the next call. "
    "When the task is complete, call the `done` tool with your final answer."
)


class LoopConfig(Record):
    """Settings that do not change during a run."""

    __slots__ = ("max_steps", "system_prompt", "text_fallback")
    max_steps: int
    """Tool calls allowed before the run stops with `max_steps`."""
    system_prompt: str
    text_fallback: bool
    """Parse tool calls out of text replies, for backends without native tool calling."""

    def __init__(
        self,
        max_steps: int = 50,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        text_fallback: bool = True,
    ) -> None:
        if max_steps < 0:
            raise ValueError(f"max_steps must be 0 or more, not {max_steps}")
        set_field(self, "max_steps", max_steps)
        set_field(self, "system_prompt", system_prompt)
        set_field(self, "text_fallback", text_fallback)


class Prompt:
    """What the backend is asked: the conversation so far and the tool schemas.

    `messages` is the run's own list, not a copy, so building a prompt costs the
    same at step 10 000 as at step 1.  Backends must treat it as read-only.
    """

    __slots__ = ("messages", "tools", "turn")

    def __init__(self, messages: Sequence[Message], tools: tuple[dict[str, Any], ...], turn: int):
        self.messages = messages
        self.tools = tools
        self.turn = turn


class LoopState:
    """The mutable side of a run, shared with every hook.

    Pass a LoopState with messages already in it to continue a conversation;
    the loop then adds neither system prompt nor task.  `data` is scratch space
    for hooks.  `cancel()` may be called from any thread.

    `llm`, `tools`, `config` and `hooks` are set by `composable_loop` before
    `pre_loop`, so a hook can describe the run (a recorder writes the model, the
    tool schemas, the settings and the other hooks' `debug_state()`) without
    being handed them separately.
    """

    __slots__ = (
        "_cancel_reason",
        "_cancelled",
        "_pending_hook_trace",
        "config",
        "cost",
        "data",
        "history_version",
        "hooks",
        "last_step",
        "llm",
        "messages",
        "steps",
        "task",
        "tools",
        "turn",
        "usage",
    )

    def __init__(self, task: str = "", messages: Iterable[Message] = ()) -> None:
        self.task = task
        self.llm: LLMBackend | None = None
        """The backend answering this run's model calls."""
        self.tools: ToolRegistry | None = None
        """The run's tools; `tools.schemas()` is what the model is shown."""
        self.config: LoopConfig | None = None
        """The settings in force, with composable_loop's overrides applied."""
        self.hooks: tuple[object, ...] = ()
        """The run's hooks, in the order they are called."""
        self.messages: list[Message] = list(messages)
        self.steps: list[Step] = []
        self.turn = 0
        self.usage = Usage()
        self.cost: float | None = None
        self.last_step: Step | None = None
        self.data: dict[str, Any] = {}
        self.history_version = 0
        """Bumped whenever the message list is rewritten rather than appended to."""
        self._cancelled = False
        self._cancel_reason = "cancelled"
        self._pending_hook_trace: list[HookTrace] = []

    @property
    def step_count(self) -> int:
        return len(self.steps)

    def append(self, message: Message) -> None:
        self.messages.append(message)

    def replace_messages(self, messages: list[Message]) -> None:
        self.messages = messages
        self.history_version += 1

    def cancel(self, reason: str = "cancelled") -> None:
        """Ask the loop to stop with `cancelled` at its next turn or step boundary.

        `reason` starts the RunResult's `reason`, which goes on to say where the
        run stopped ("stopped by user at keyboard during the model call"), so a
        front-end can say who cancelled.  A plain flag is enough: assigning an
        attribute is atomic, and the loop only polls it between phases.
        """
        self._cancel_reason = reason
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def cancel_reason(self) -> str:
        """What `cancel(reason)` was given ("cancelled" by default)."""
        return self._cancel_reason

    @property
    def pending_hook_trace(self) -> tuple[HookTrace, ...]:
        """The hook calls recorded since the last Step: the start of the next Step's
        `hook_trace`.

        For debuggers that pause inside a phase (in a hook) and show what the
        hooks have decided about the coming step so far.  Read it in the loop's
        thread, from a hook: the hooks add to it as they run.
        """
        return tuple(self._pending_hook_trace)


class _Ending:
    """How the run is ending, gathered while it runs and turned into a RunResult once."""

    __slots__ = ("answer", "detail", "error", "reason")

    def __init__(
        self, reason: StopReason, detail: str = "", error: str | None = None, answer: Any = None
    ) -> None:
        self.reason = reason
        self.detail = detail
        self.error = error
        self.answer = answer


class _TurnContext:
    """The model reply being worked through, and what it leaves for the end of the turn."""

    __slots__ = ("injected", "latency_ms", "response")

    def __init__(self, response: LLMResponse, latency_ms: float) -> None:
        self.response = response
        self.latency_ms = latency_ms
        self.injected: list[str] = []


def composable_loop(
    llm: LLMBackend,
    tools: ToolRegistry | Iterable[Tool | Any],
    task: str,
    *,
    hooks: Iterable[object] = (),
    config: LoopConfig | None = None,
    state: LoopState | None = None,
    max_steps: int | None = None,
    system_prompt: str | None = None,
) -> Generator[Step, None, RunResult]:
    """Run the agent, yielding one Step per tool call; return a RunResult.

    `tools` is a ToolRegistry, or an iterable of functions/Tools that becomes one
    through `tools_from` (which adds a `done` tool).  `max_steps` and
    `system_prompt` override the matching `config` fields.
    """
    config = config or LoopConfig()
    if max_steps is not None or system_prompt:
        config = LoopConfig(
            config.max_steps if max_steps is None else max_steps,
            system_prompt or config.system_prompt,
            config.text_fallback,
        )
    state = state if state is not None else LoopState(task)
    state.llm = llm
    state.tools = tools if isinstance(tools, ToolRegistry) else tools_from(tools)
    state.config = config
    runner = HookRunner(hooks)
    state.hooks = runner.hooks
    state._pending_hook_trace = runner.pending
    run = _Run(llm, state.tools, runner, state, config)
    if not state.messages:
        state.append(Message("system", config.system_prompt))
        state.append(Message("user", task))
    started = perf_counter()
    try:
        ending = yield from run.turns()
    except GeneratorExit:
        run.finish(_Ending(StopReason.CLOSED, "the consumer closed the loop"), started)
        raise
    except BaseException as exc:
        run.finish(_Ending(StopReason.ERROR, error=f"{type(exc).__name__}: {exc}"), started)
        raise
    return run.finish(ending, started)


class _Run:
    """One run's moving parts; each method is one phase of the picture above."""

    __slots__ = ("hooks", "llm", "max_steps", "registry", "state", "text_fallback")

    def __init__(
        self,
        llm: LLMBackend,
        registry: ToolRegistry,
        hooks: HookRunner,
        state: LoopState,
        config: LoopConfig,
    ) -> None:
        self.llm = llm
        self.registry = registry
        self.hooks = hooks
        self.state = state
        self.max_steps = config.max_steps
        self.text_fallback = config.text_fallback

    def turns(self) -> Generator[Step, None, _Ending]:
        state = self.state
        if self.hooks.has("pre_loop"):
            self.hooks.observe("pre_loop", state)
        while True:
            if state.cancelled:
                return _cancelled(state, "before the next model call")
            if len(state.steps) >= self.max_steps:
                return _Ending(StopReason.MAX_STEPS, f"reached max_steps={self.max_steps}")
            state.turn += 1
            reply = self.ask_model()
            if isinstance(reply, _Ending):
                return reply
            calls = self.proposed_calls(reply)
            if isinstance(calls, str):
                yield self.emit(self.text_reply_step(reply, calls))
                continue
            ending = yield from self.run_calls(reply, calls)
            for text in reply.injected:
                state.append(Message("user", text))
            if ending is not None:
                return ending

    def ask_model(self) -> _TurnContext | _Ending:
        state = self.state
        prompt = Prompt(state.messages, self.registry.schemas(), state.turn)
        if self.hooks.has("pre_prompt"):
            stop = self.hooks.pre_prompt(state, prompt)
            if stop is not None:
                return _stopped(stop)
            if state.cancelled:  # while a hook held the turn (a debugger's pause)
                return _cancelled(state, "before the next model call")
        started = perf_counter()
        try:
            response = self.llm.generate(prompt)
        except Exception as exc:
            if self.hooks.has("on_llm_error"):
                self.hooks.observe("on_llm_error", state, prompt, exc)
            return _Ending(
                StopReason.LLM_ERROR, "the model call failed", f"{type(exc).__name__}: {exc}"
            )
        if not isinstance(response, LLMResponse):
            raise TypeError(
                f"{type(self.llm).__name__}.generate returned {type(response).__name__}; "
                "expected an LLMResponse"
            )
        latency_ms = response.latency_ms or (perf_counter() - started) * 1000
        if state.cancelled:  # the caller gave up while the model was answering
            return _cancelled(state, "during the model call")
        if self.hooks.has("on_llm_response"):
            if not response.latency_ms:  # recorders see the latency the loop measured
                response = response.replace(latency_ms=latency_ms)
            self.hooks.observe("on_llm_response", state, prompt, response)
        state.usage += response.usage
        if response.cost is not None:
            state.cost = (state.cost or 0.0) + response.cost
        return _TurnContext(response, latency_ms)

    def proposed_calls(self, reply: _TurnContext) -> tuple[ToolCall, ...] | str:
        """The turn's calls, with ids assigned, or why the reply holds none.

        Records the assistant message when there are calls.
        """
        response = reply.response
        calls = response.tool_calls
        if not calls:
            if not (self.text_fallback and response.text):
                return "the reply did not call a tool. Call a tool, or `done` when finished."
            try:
                calls = parse_tool_calls(response.text)
            except ToolCallParseError as exc:
                return str(exc)
        turn = self.state.turn
        calls = tuple(
            call
            if call.id
            and (call.text or not response.text)
            and (call.reasoning or not response.reasoning)
            else ToolCall(
                call.name,
                call.args,
                call.id or f"call_{turn}_{index}",
                call.text or response.text,
                call.reasoning or response.reasoning,
            )
            for index, call in enumerate(calls)
        )
        self.state.append(Message("assistant", response.text, calls))
        return calls

    def text_reply_step(self, reply: _TurnContext, problem: str) -> Step:
        """A reply with no usable call becomes a parse-error step the model can act on."""
        text = reply.response.text
        self.state.append(Message("assistant", text))
        self.state.append(Message("user", f"Your last reply could not be used: {problem}"))
        call = ToolCall("", {}, text=text, reasoning=reply.response.reasoning)
        return self.record(reply, call, ToolResult.failure(ErrorKind.PARSE, problem))

    def run_calls(
        self, reply: _TurnContext, calls: tuple[ToolCall, ...]
    ) -> Generator[Step, None, _Ending | None]:
        state = self.state
        for index, proposed in enumerate(calls):
            ending: _Ending | None = None
            if state.cancelled:
                ending = _cancelled(state, "between tool calls")
            elif len(state.steps) >= self.max_steps:
                ending = _Ending(StopReason.MAX_STEPS, f"reached max_steps={self.max_steps}")
            if ending is not None:
                self.answer_unrun(calls[index:], ending)
                return ending
            call, verdict = self.judge(proposed)
            if isinstance(verdict, Stop):  # the call does not run, and no Step records it
                ending = _stopped(verdict)
                self.answer_unrun(calls[index:], ending)
                return ending
            step, ending = self.dispatch(reply, proposed, call, verdict)
            yield self.emit(step)
            if ending is not None:
                unrun = calls[index + 1 :]
                self.answer_unrun(unrun, ending)
                if ending.reason is StopReason.DONE:  # recorded as skipped steps, per the contract
                    for skipped in unrun:
                        yield self.emit(self.record(reply, skipped, _skipped_result(ending)))
                return ending
        return None

    def judge(self, proposed: ToolCall) -> tuple[ToolCall, Deny | Replace | Stop | None]:
        """The pre_dispatch hooks' verdict on a call, and the call as they left it."""
        # Arguments that were not JSON cannot be judged; dispatch answers them with a parse error.
        if self.hooks.has("pre_dispatch") and not isinstance(proposed.args, str):
            return self.hooks.pre_dispatch(self.state, proposed)
        return proposed, None

    def dispatch(
        self,
        reply: _TurnContext,
        proposed: ToolCall,
        call: ToolCall,
        verdict: Deny | Replace | None,
    ) -> tuple[Step, _Ending | None]:
        hooks, state = self.hooks, self.state
        if verdict is None:
            result = self.registry.dispatch(call)
        elif isinstance(verdict, Deny):
            result = ToolResult.failure(ErrorKind.DENIED, verdict.reason)
        else:
            result = as_tool_result(verdict.result)
        stop: Stop | None = None
        if hooks.has("post_dispatch"):
            result, injected, stop = hooks.post_dispatch(state, call, result)
            reply.injected.extend(injected)
        ending = None if stop is None else _stopped(stop)
        if result.ok and self.registry.is_terminal(call.name):
            block = hooks.check_done(state, call, result) if hooks.has("check_done") else None
            if block is not None:
                result = ToolResult.failure(ErrorKind.BLOCKED, block.reason, result.duration_ms)
            elif ending is None:
                ending = _Ending(StopReason.DONE, f"{call.name} was called", answer=result.data)
        content = result.content_for_model()
        if call.args != proposed.args:
            content = f"(The arguments were changed before running to {call.args!r}.)\n{content}"
        state.append(Message("tool", content, (), call.id, call.name, not result.ok))
        step = self.record(reply, call, result)
        if ending is None and hooks.has("should_stop"):
            stop = hooks.should_stop(state, step)
            step = step.replace(hook_trace=step.hook_trace + hooks.take_pending())
            state.steps[-1] = state.last_step = step
            if stop is not None:
                ending = _stopped(stop)
        return step, ending

    def record(self, reply: _TurnContext, call: ToolCall, result: ToolResult) -> Step:
        state = self.state
        response = reply.response
        step = Step(
            len(state.steps) + 1,
            state.turn,
            call,
            result,
            response.usage,
            reply.latency_ms,
            response.cost,
            self.hooks.take_pending() if self.hooks.pending else (),
        )
        state.steps.append(step)
        state.last_step = step
        return step

    def emit(self, step: Step) -> Step:
        """Show recorders the finished Step before the consumer gets it.

        A recorder that writes here has the step on disk before anyone could
        report it.  These calls happen between steps, so their trace entries
        land on the next Step (or the RunResult), like every between-steps call.
        """
        if self.hooks.has("on_step"):
            self.hooks.observe("on_step", self.state, step)
        return step

    def answer_unrun(self, calls: Sequence[ToolCall], ending: _Ending) -> None:
        """Give calls that will never run a result, so the conversation stays valid to resume."""
        content = _skipped_result(ending).content_for_model()
        for call in calls:
            self.state.append(Message("tool", content, (), call.id, call.name, True))

    def finish(self, ending: _Ending, started: float) -> RunResult:
        state = self.state
        result = RunResult(
            stop_reason=ending.reason,
            reason=ending.detail,
            steps=tuple(state.steps),
            turns=state.turn,
            usage=state.usage,
            cost=state.cost,
            answer=ending.answer,
            error=ending.error,
            duration_ms=(perf_counter() - started) * 1000,
            messages=tuple(state.messages),
        )
        if self.hooks.has("on_loop_end"):
            self.hooks.observe(
                "on_loop_end", state, result.replace(hook_trace=tuple(self.hooks.pending))
            )
        return result.replace(hook_trace=self.hooks.take_pending())


def _cancelled(state: LoopState, where: str) -> _Ending:
    """The ending of a cancelled run: who cancelled (the reason given), then where."""
    return _Ending(StopReason.CANCELLED, f"{state.cancel_reason} {where}")


def _stopped(stop: Stop) -> _Ending:
    """The ending a hook's Stop asks for: `diverged` for a Diverged, `hook` otherwise."""
    return _Ending(
        StopReason.DIVERGED if isinstance(stop, Diverged) else StopReason.HOOK, stop.reason
    )


def _skipped_result(ending: _Ending) -> ToolResult:
    return ToolResult.failure(ErrorKind.SKIPPED, f"not run: the run ended ({ending.reason}) first")
