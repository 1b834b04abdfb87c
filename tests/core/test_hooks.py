"""Hooks: duck typing, each phase's composition rule, and a complete hook trace."""

from __future__ import annotations

import pytest

from looplet_core import (
    Allow,
    Block,
    Deny,
    ErrorKind,
    Inject,
    Message,
    Replace,
    Rewrite,
    ScriptedBackend,
    Stop,
    StopReason,
    ToolCall,
    ToolResult,
    composable_loop,
    tool,
)
from tests.helpers import drive


@tool
def echo(text: str) -> str:
    """Return the text."""
    return text


DONE = ToolCall("done", {"answer": "ok"})


def run(script, hooks):
    return drive(composable_loop(ScriptedBackend(script), [echo], "task", hooks=hooks))


class Named:
    """A hook whose phases return scripted answers and which logs every call."""

    def __init__(self, name: str, log: list, **answers) -> None:
        self.name = name
        self.log = log
        for phase, answer in answers.items():
            setattr(self, phase, self._phase(phase, answer))

    def _phase(self, phase, answer):
        def method(*args):
            self.log.append((self.name, phase))
            return answer(*args) if callable(answer) else answer

        return method


def decisions(step, phase):
    return [(e.hook, e.decision, e.reason) for e in step.hook_trace if e.phase == phase]


def test_any_object_with_some_phase_methods_is_a_hook() -> None:
    class OnlyPostDispatch:
        def __init__(self):
            self.seen = []

        def post_dispatch(self, state, call, result):
            self.seen.append((call.name, result.data))

    hook = OnlyPostDispatch()
    run([ToolCall("echo", {"text": "a"}), DONE], [hook])
    assert hook.seen == [("echo", "a"), ("done", {"answer": "ok"})]


def test_phase_methods_are_looked_up_once_at_start() -> None:
    log: list = []
    hook = Named("late", log)
    gen = composable_loop(
        ScriptedBackend([ToolCall("echo", {"text": "a"}), DONE]), [echo], "t", hooks=[hook]
    )
    next(gen)
    hook.pre_dispatch = lambda state, call: Deny("too late")
    steps, result = drive(gen)
    assert steps[0].ok and result.stop_reason is StopReason.DONE


def test_hook_trace_records_every_call_including_silent_ones() -> None:
    log: list = []
    hook = Named(
        "watch",
        log,
        pre_loop=None,
        pre_prompt=None,
        on_llm_response=None,
        pre_dispatch=None,
        post_dispatch=None,
        check_done=None,
        should_stop=None,
        on_step=None,
        on_loop_end=None,
    )
    steps, result = run([ToolCall("echo", {"text": "a"}), DONE], [hook])
    assert [(e.phase, e.decision) for e in steps[0].hook_trace] == [
        ("pre_loop", None),
        ("pre_prompt", None),
        ("on_llm_response", None),
        ("pre_dispatch", None),
        ("post_dispatch", None),
        ("should_stop", None),
    ]
    assert [e.phase for e in steps[1].hook_trace] == [
        "on_step",
        "pre_prompt",
        "on_llm_response",
        "pre_dispatch",
        "post_dispatch",
        "check_done",
    ]
    assert [e.phase for e in result.hook_trace] == ["on_step", "on_loop_end"]
    every = [e for s in steps for e in s.hook_trace] + list(result.hook_trace)
    assert len(every) == len(log), "one trace entry per hook call"
    assert all(e.hook == "watch" and isinstance(e.micros, int) and e.micros >= 0 for e in every)


def test_hook_name_defaults_to_the_class_name() -> None:
    class MyGuard:
        def pre_dispatch(self, state, call):
            return Allow("fine")

    steps, _ = run([DONE], [MyGuard()])
    assert decisions(steps[0], "pre_dispatch") == [("MyGuard", "allow", "fine")]


# -- pre_prompt -------------------------------------------------------------


def test_pre_prompt_text_is_injected_as_a_user_message_the_model_sees() -> None:
    seen = []

    def look(prompt):
        seen.append(prompt.messages[-1])
        return DONE

    steps, result = run([look], [Named("tip", [], pre_prompt="Remember: be brief.")])
    assert seen == [Message("user", "Remember: be brief.")]
    assert decisions(steps[0], "pre_prompt") == [("tip", "inject", "Remember: be brief.")]
    assert result.messages[2] == Message("user", "Remember: be brief.")


def test_pre_prompt_edits_chain_and_replace_the_conversation() -> None:
    seen = []

    def keep_last_two(state, prompt):
        return list(prompt.messages[-2:])

    def add_note(state, prompt):
        return [*prompt.messages, Message("user", "note")]

    def look(prompt):
        seen.append([m.role for m in prompt.messages])
        return DONE

    steps, result = run(
        [look],
        [Named("trim", [], pre_prompt=keep_last_two), Named("note", [], pre_prompt=add_note)],
    )
    assert seen == [["system", "user", "user"]]
    assert decisions(steps[0], "pre_prompt") == [
        ("trim", "edit", "2 messages"),
        ("note", "edit", "3 messages"),
    ]
    assert result.messages[2].content == "note"


def test_pre_prompt_stop_ends_the_run_before_the_model_call() -> None:
    log: list = []
    steps, result = run(
        [DONE],
        [
            Named("budget", log, pre_prompt=Stop("over budget")),
            Named("never", log, pre_prompt=None),
        ],
    )
    assert steps == []
    assert result.stop_reason is StopReason.HOOK and result.reason == "over budget"
    assert log == [("budget", "pre_prompt")]
    assert [(e.hook, e.decision) for e in result.hook_trace] == [("budget", "stop")]


def test_pre_prompt_bad_return_type_names_the_hook() -> None:
    with pytest.raises(TypeError, match=r"hook 'oops' returned int from pre_prompt"):
        run([DONE], [Named("oops", [], pre_prompt=42)])


def test_pre_prompt_message_list_must_hold_messages() -> None:
    with pytest.raises(TypeError, match=r"every item must be a Message"):
        run([DONE], [Named("oops", [], pre_prompt=[{"role": "user"}])])


# -- pre_dispatch -----------------------------------------------------------


def test_first_deny_wins_and_later_hooks_are_not_asked() -> None:
    log: list = []
    hooks = [
        Named("allow", log, pre_dispatch=Allow()),
        Named("deny", log, pre_dispatch=lambda s, c: Deny("no") if c.name == "echo" else None),
        Named("deny2", log, pre_dispatch=Deny("also no")),
    ]
    steps, _ = run([ToolCall("echo", {"text": "rm -rf"}), DONE], hooks)
    assert steps[0].tool_result.error_kind is ErrorKind.DENIED
    assert steps[0].tool_result.error == "no"
    assert decisions(steps[0], "pre_dispatch") == [("allow", "allow", ""), ("deny", "deny", "no")]
    assert ("deny2", "pre_dispatch") in log, "deny2 only ran for the done call"
    assert steps[1].tool_result.error == "also no"


def test_denial_reason_is_fed_back_to_the_model() -> None:
    seen = []

    def look(prompt):
        seen.append(prompt.messages[-1])
        return DONE

    once = iter([Deny("not in this directory")])
    hook = Named("guard", [], pre_dispatch=lambda s, c: next(once, None))
    run([ToolCall("echo", {"text": "x"}), look], [hook])
    assert seen[0].role == "tool"
    assert seen[0].content == "ERROR (denied): not in this directory"


def test_rewrites_chain_and_the_tool_runs_with_the_final_arguments() -> None:
    hooks = [
        Named("a", [], pre_dispatch=lambda s, c: Rewrite({"text": c.args["text"] + "-a"})),
        Named("b", [], pre_dispatch=lambda s, c: Rewrite({"text": c.args["text"] + "-b"}, "why")),
    ]
    steps, result = run([ToolCall("echo", {"text": "x"})], hooks)
    assert steps[0].tool_call.args == {"text": "x-a-b"}
    assert steps[0].tool_result.data == "x-a-b"
    assert decisions(steps[0], "pre_dispatch") == [("a", "rewrite", ""), ("b", "rewrite", "why")]
    assert result.messages[2].tool_calls[0].args == {"text": "x"}, "the model's proposal is kept"
    assert "arguments were changed before running" in result.messages[3].content


def test_replace_at_pre_dispatch_skips_the_tool() -> None:
    ran = []

    @tool
    def costly() -> str:
        """Expensive."""
        ran.append(1)
        return "fresh"

    hook = Named(
        "cache", [], pre_dispatch=lambda s, c: Replace("cached") if c.name == "costly" else None
    )
    steps, _ = drive(
        composable_loop(
            ScriptedBackend([ToolCall("costly", {}), DONE]), [costly], "t", hooks=[hook]
        )
    )
    assert ran == []
    assert steps[0].tool_result == ToolResult(data="cached")
    assert decisions(steps[0], "pre_dispatch") == [("cache", "replace", "")]


def test_pre_dispatch_bad_return_type_names_hook_and_phase() -> None:
    with pytest.raises(TypeError, match=r"hook 'yes' returned str from pre_dispatch"):
        run([DONE], [Named("yes", [], pre_dispatch="allow")])


# -- post_dispatch ----------------------------------------------------------


def test_post_dispatch_replaces_chain() -> None:
    hooks = [
        Named(
            "a",
            [],
            post_dispatch=lambda s, c, r: Replace(f"{r.data}+a") if c.name == "echo" else None,
        ),
        Named(
            "b",
            [],
            post_dispatch=lambda s, c, r: Replace(f"{r.data}+b") if c.name == "echo" else None,
        ),
    ]
    steps, _ = run([ToolCall("echo", {"text": "x"}), DONE], hooks)
    assert steps[0].tool_result.data == "x+a+b"


def test_injections_arrive_after_all_of_the_turns_tool_results() -> None:
    hook = Named(
        "nudge",
        [],
        post_dispatch=lambda s, c, r: (
            Inject(f"checked {c.args['text']}") if c.name == "echo" else None
        ),
    )
    _, result = run(
        [[ToolCall("echo", {"text": "1"}), ToolCall("echo", {"text": "2"})], DONE], [hook]
    )
    assert [(m.role, m.content) for m in result.messages[3:7]] == [
        ("tool", "1"),
        ("tool", "2"),
        ("user", "checked 1"),
        ("user", "checked 2"),
    ]


def test_post_dispatch_stop_yields_the_step_then_ends_and_all_hooks_still_run() -> None:
    log: list = []
    hooks = [
        Named("stopper", log, post_dispatch=Stop("enough")),
        Named("observer", log, post_dispatch=None),
    ]
    steps, result = run([ToolCall("echo", {"text": "x"}), DONE], hooks)
    assert len(steps) == 1 and steps[0].ok
    assert result.stop_reason is StopReason.HOOK and result.reason == "enough"
    assert log == [("stopper", "post_dispatch"), ("observer", "post_dispatch")]


# -- check_done and should_stop ---------------------------------------------


def test_check_done_block_keeps_the_loop_going_and_tells_the_model_why() -> None:
    verdicts = iter([Block("run the tests first"), None])
    hook = Named("gate", [], check_done=lambda s, c, r: next(verdicts))
    steps, result = run([DONE, DONE], [hook])
    assert steps[0].tool_result.error_kind is ErrorKind.BLOCKED
    assert steps[0].tool_result.error == "run the tests first"
    assert result.messages[3].content == "ERROR (blocked): run the tests first"
    assert result.stop_reason is StopReason.DONE and len(steps) == 2
    assert decisions(steps[0], "check_done") == [("gate", "block", "run the tests first")]


def test_check_done_is_only_asked_about_terminal_tools() -> None:
    log: list = []
    run([ToolCall("echo", {"text": "x"}), DONE], [Named("gate", log, check_done=None)])
    assert log == [("gate", "check_done")]


def test_should_stop_sees_the_step_and_its_reason_becomes_the_stop_reason() -> None:
    seen = []

    def after_two(state, step):
        seen.append(step.number)
        return "two steps is plenty" if step.number == 2 else False

    steps, result = run(
        [ToolCall("echo", {"text": "x"})] * 3, [Named("limit", [], should_stop=after_two)]
    )
    assert seen == [1, 2]
    assert len(steps) == 2
    assert result.stop_reason is StopReason.HOOK and result.reason == "two steps is plenty"
    assert decisions(steps[1], "should_stop") == [("limit", "stop", "two steps is plenty")]
    assert steps[1].hook_trace == result.steps[1].hook_trace


def test_should_stop_true_uses_a_default_reason() -> None:
    _, result = run([ToolCall("echo", {"text": "x"})], [Named("halt", [], should_stop=True)])
    assert result.reason == "halt asked to stop"


def test_on_loop_end_runs_once_with_the_final_result() -> None:
    ends = []
    hook = Named("end", [], on_loop_end=lambda state, result: ends.append(result.stop_reason))
    run([DONE], [hook])
    assert ends == [StopReason.DONE]


def test_on_step_sees_each_finished_step_before_the_consumer_does() -> None:
    events: list = []

    class Recorder:
        def on_step(self, state, step):
            events.append(("recorded", step.number, step))

    gen = composable_loop(
        ScriptedBackend([[ToolCall("echo", {"text": "a"}), DONE, ToolCall("echo", {"text": "b"})]]),
        [echo],
        "task",
        hooks=[Recorder()],
    )
    for step in gen:
        events.append(("consumed", step.number, step))
    assert [(kind, number) for kind, number, _ in events] == [
        ("recorded", 1),
        ("consumed", 1),
        ("recorded", 2),
        ("consumed", 2),
        ("recorded", 3),
        ("consumed", 3),
    ]
    assert all(events[i][2] is events[i + 1][2] for i in range(0, 6, 2)), "the same final Step"


def test_on_step_trace_entries_land_on_the_next_step_and_the_result() -> None:
    class Recorder:
        def on_step(self, state, step):
            return None

    steps, result = run([ToolCall("echo", {"text": "a"}), DONE], [Recorder()])
    assert [(e.hook, e.phase) for e in steps[0].hook_trace] == []
    assert [(e.hook, e.phase) for e in steps[1].hook_trace] == [("Recorder", "on_step")]
    assert [(e.hook, e.phase) for e in result.hook_trace] == [("Recorder", "on_step")]


def test_on_llm_response_sees_the_latency_the_loop_measured() -> None:
    seen = []

    class Recorder:
        def on_llm_response(self, state, prompt, response):
            seen.append(response.latency_ms)

    steps, _ = run([DONE], [Recorder()])
    assert seen[0] > 0 and seen[0] == steps[0].latency_ms
