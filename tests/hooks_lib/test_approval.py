"""ApprovalHook: rule precedence, every front-end answer, scopes, fail-closed paths,
the rules file, and human decisions in a real trace."""

from __future__ import annotations

import json

import pytest

from looplet_core import ErrorKind, ScriptedBackend, ToolCall, composable_loop, tool, tools_from
from looplet_core.hooks_lib import (
    ApprovalHook,
    ApprovalRequest,
    Approve,
    Edit,
    Reject,
    Rule,
    RulesFileError,
    Skip,
    load_rules,
)
from looplet_core.provenance import ProvenanceSink, open_trace
from tests.helpers import drive

DONE = ToolCall("done", {"answer": "ok"})


class Workspace:
    """Tools that log every real execution, so a test can tell what ran."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, dict]] = []

        @tool
        def read_file(path: str) -> str:
            """Read a file."""
            self.ran.append(("read_file", {"path": path}))
            return f"contents of {path}"

        @tool
        def delete_file(path: str, force: bool = False) -> str:
            """Delete a file."""
            self.ran.append(("delete_file", {"path": path, "force": force}))
            return f"deleted {path}"

        self.tools = tools_from([read_file, delete_file])


class Scripted:
    """A front-end that answers from a list and keeps every request it saw."""

    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.requests: list[ApprovalRequest] = []

    def __call__(self, request: ApprovalRequest):
        self.requests.append(request)
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer


def run(calls, hook, hooks=()):
    workspace = Workspace()
    script = [*calls, DONE]
    steps, result = drive(
        composable_loop(ScriptedBackend(script), workspace.tools, "task", hooks=[*hooks, hook])
    )
    return workspace, steps, result


def approval_trace(step):
    return [
        (e.decision, e.reason)
        for e in step.hook_trace
        if e.hook == "approval" and e.phase == "pre_dispatch"
    ]


def read(path):
    return ToolCall("read_file", {"path": path})


def delete(path, **extra):
    return ToolCall("delete_file", {"path": path, **extra})


# -- rules alone: the permission case -------------------------------------------


def test_rules_allow_deny_and_the_default_without_a_front_end():
    hook = ApprovalHook([Rule("read_*", "allow"), Rule("done", "allow")], default="deny")
    workspace, steps, _ = run([read("a"), delete("b")], hook)
    assert workspace.ran == [("read_file", {"path": "a"})]
    assert approval_trace(steps[0])[0][0] == "allow"
    assert steps[1].tool_result.error_kind == ErrorKind.DENIED
    assert "no rule allows it" in steps[1].tool_result.error


def test_an_ask_rule_without_a_front_end_denies():
    hook = ApprovalHook([Rule("delete_file", "ask")], default="allow")
    workspace, steps, _ = run([delete("b"), read("a")], hook)
    assert workspace.ran == [("read_file", {"path": "a"})]
    assert steps[0].tool_result.error_kind == ErrorKind.DENIED
    assert "no one can approve it" in steps[0].tool_result.error


def test_a_deny_rule_wins_over_an_earlier_allow_and_its_reason_reaches_the_model():
    hook = ApprovalHook(
        [
            Rule("*", "allow"),
            Rule("delete_file", "deny", arg="path", pattern=r"^/", reason="no absolute paths"),
        ]
    )
    workspace, steps, result = run([delete("/etc/passwd"), delete("tmp/x")], hook)
    assert workspace.ran == [("delete_file", {"path": "tmp/x", "force": False})]
    assert steps[0].tool_result.error == "no absolute paths"
    assert any(m.content == "ERROR (denied): no absolute paths" for m in result.messages)


def test_the_first_matching_non_deny_rule_decides():
    ask = Scripted(Skip())
    hook = ApprovalHook([Rule("delete_file", "ask"), Rule("*", "allow")], ask=ask)
    workspace, _, _ = run([delete("x"), read("y")], hook)
    assert [r.tool for r in ask.requests] == ["delete_file"]
    assert workspace.ran == [("read_file", {"path": "y"})]


@pytest.mark.parametrize(
    ("rule", "matched"),
    [
        (Rule("delete_file", "deny", arg="path", pattern=r"\.tmp$"), ["a.tmp"]),
        (Rule("delete_file", "deny", pattern=r'"force": true'), ["c.txt"]),
        (Rule("delete_file", "deny", arg="force", pattern="^true$"), ["c.txt"]),
        (Rule("delete_file", "deny", when=lambda call, state: state.turn == 2), ["b.txt"]),
        (Rule("delete_*", "deny"), ["a.tmp", "b.txt", "c.txt"]),
        (Rule("delete_file", "deny", arg="missing", pattern=""), []),
    ],
)
def test_matchers_on_one_argument_on_all_arguments_and_by_callable(rule, matched):
    hook = ApprovalHook([rule], default="allow")
    workspace, _, _ = run([delete("a.tmp"), delete("b.txt"), delete("c.txt", force=True)], hook)
    ran = [args["path"] for name, args in workspace.ran]
    assert ran == [p for p in ("a.tmp", "b.txt", "c.txt") if p not in matched]


def test_a_raising_matcher_denies_the_call_and_says_why():
    def broken(call, state):
        raise KeyError("path")

    hook = ApprovalHook([Rule("delete_file", "allow", when=broken)], default="allow")
    workspace, steps, _ = run([delete("x")], hook)
    assert workspace.ran == []
    decision, reason = approval_trace(steps[0])[0]
    assert decision == "deny"
    assert "could not be checked (KeyError: 'path')" in reason
    assert hook.debug_state()["last_failure"] == reason
    assert hook.debug_state()["decisions"]["failed"] == 1


def test_invalid_rules_are_refused_when_built():
    with pytest.raises(ValueError, match="invalid pattern"):
        Rule("x", "allow", pattern="(")
    with pytest.raises(ValueError, match="allow, deny or ask"):
        Rule("x", "permit")
    with pytest.raises(ValueError, match="no pattern"):
        Rule("x", "allow", arg="path")


# -- the front-end ------------------------------------------------------------------


def test_the_request_carries_what_a_front_end_shows():
    ask = Scripted(Approve())
    hook = ApprovalHook([Rule("delete_file", "ask"), Rule("*", "allow")], ask=ask)
    run([read("a"), ToolCall("delete_file", {"path": "b"}, text="b is junk")], hook)
    (request,) = ask.requests
    assert (request.tool, request.args, request.step, request.turn) == (
        "delete_file",
        {"path": "b"},
        2,
        2,
    )
    assert request.call.text == "b is junk"
    assert request.rule == Rule("delete_file", "ask")
    assert request.schema["required"] == ["path"]
    assert request.can_persist is False


def test_approve_once_asks_again_next_time():
    ask = Scripted(Approve(), Approve())
    workspace, steps, _ = run(
        [delete("a"), delete("b")], ApprovalHook([Rule("done", "allow")], ask=ask)
    )
    assert [args["path"] for _, args in workspace.ran] == ["a", "b"]
    assert len(ask.requests) == 2
    assert approval_trace(steps[0]) == [("allow", "approved by user at keyboard (once)")]


def test_approve_for_the_session_stops_asking_about_that_tool_only():
    ask = Scripted(lambda request: Approve(request.tool_rule()), Approve())
    hook = ApprovalHook([Rule("done", "allow")], ask=ask)
    workspace, _, _ = run([delete("a"), delete("b"), read("c")], hook)
    assert len(workspace.ran) == 3
    assert [r.tool for r in ask.requests] == ["delete_file", "read_file"]
    assert hook.rules[0] == Rule("delete_file", "allow", source="session")


def test_a_pattern_approval_adds_the_rule_the_front_end_saw():
    shown = []

    def approve_tmp(request):
        rule = request.pattern_rule("path", r"^tmp/")
        shown.append(rule)
        return Approve(rule)

    ask = Scripted(approve_tmp, Skip())
    hook = ApprovalHook([Rule("done", "allow")], ask=ask)
    workspace, _, _ = run([delete("tmp/a"), delete("tmp/b"), delete("home/c")], hook)
    assert [args["path"] for _, args in workspace.ran] == ["tmp/a", "tmp/b"]
    assert hook.rules[0] is shown[0]
    assert [r.args["path"] for r in ask.requests] == ["tmp/a", "home/c"]


def test_the_suggested_pattern_matches_exactly_the_current_value():
    request = ApprovalRequest(delete("a.tmp"), None, 1, 1, None, "", False)
    rule = request.pattern_rule(request.suggested_arg)
    assert (rule.arg, rule.pattern) == ("path", r"^a\.tmp$")
    assert rule.matches(delete("a.tmp"), None)
    assert not rule.matches(delete("a.tmp.bak"), None)
    assert not rule.matches(delete("aXtmp"), None)


def test_a_session_approval_never_overrides_a_deny_rule():
    ask = Scripted(lambda request: Approve(request.tool_rule()))
    hook = ApprovalHook(
        [Rule("delete_file", "deny", arg="path", pattern="^/"), Rule("done", "allow")], ask=ask
    )
    workspace, _, _ = run([delete("a"), delete("/etc/passwd"), delete("b")], hook)
    assert [args["path"] for _, args in workspace.ran] == ["a", "b"]


def test_an_edit_runs_with_the_new_arguments_and_the_model_is_told():
    ask = Scripted(Edit({"path": "safe.tmp"}))
    workspace, steps, result = run(
        [delete("important.txt")], ApprovalHook([Rule("done", "allow")], ask=ask)
    )
    assert workspace.ran == [("delete_file", {"path": "safe.tmp", "force": False})]
    assert steps[0].tool_call.args == {"path": "safe.tmp"}
    tool_message = next(m for m in result.messages if m.role == "tool")
    assert "arguments were changed" in tool_message.content


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({"path": 3}, "must be string"),
        ({}, "missing required argument 'path'"),
        (["path"], "must be a JSON object"),
    ],
)
def test_invalid_edited_arguments_are_refused_with_the_validation_errors(args, problem):
    ask = Scripted(Edit(args))
    hook = ApprovalHook([Rule("done", "allow")], ask=ask)
    workspace, steps, _ = run([delete("important.txt")], hook)
    assert workspace.ran == []
    assert steps[0].tool_result.error_kind == ErrorKind.DENIED
    assert problem in steps[0].tool_result.error
    assert ask.requests[0].check(args) and problem in ask.requests[0].check(args)[0]
    assert ask.requests[0].check({"path": "ok"}) == ()


def test_a_rejection_reaches_the_model_as_the_result():
    feedback = "keep important.txt, delete the .tmp files instead"
    seen = []

    def model(prompt):
        seen.append(prompt.messages[-1].content)
        return DONE

    hook = ApprovalHook([Rule("done", "allow")], ask=Scripted(Reject(feedback)))
    workspace = Workspace()
    drive(
        composable_loop(
            ScriptedBackend([delete("important.txt"), model]), workspace.tools, "t", hooks=[hook]
        )
    )
    assert workspace.ran == []
    assert seen == [f"ERROR (denied): The user rejected this call: {feedback}"]


def test_skip_gives_the_skipped_by_user_error():
    workspace, steps, _ = run(
        [delete("x")], ApprovalHook([Rule("done", "allow")], ask=Scripted(Skip()))
    )
    assert workspace.ran == []
    assert (steps[0].tool_result.error_kind, steps[0].tool_result.error) == (
        ErrorKind.SKIPPED,
        "skipped by user",
    )


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (RuntimeError("terminal went away"), "approval failed (RuntimeError: terminal went away)"),
        ("yes", "answered str, not Approve"),
        (Approve(Rule("delete_file", "deny")), "can only add an allow rule"),
    ],
)
def test_a_failing_or_confused_front_end_denies_the_call(answer, reason):
    def ask(request):
        if isinstance(answer, Exception):
            raise answer
        return answer

    hook = ApprovalHook([Rule("done", "allow")], ask=ask)
    workspace, steps, _ = run([delete("x")], hook)
    assert workspace.ran == []
    assert steps[0].tool_result.error_kind == ErrorKind.DENIED
    assert reason in approval_trace(steps[0])[0][1]
    assert hook.debug_state()["decisions"]["failed"] == 1


def test_debug_state_lists_rules_and_counts():
    ask = Scripted(Approve(), Reject("no"))
    hook = ApprovalHook([Rule("read_*", "allow"), Rule("done", "allow")], ask=ask)
    run([read("a"), delete("b"), delete("c")], hook)
    state = hook.debug_state()
    assert state["rules"] == ["allow read_* [config]", "allow done [config]"]
    assert state["front_end"] == "Scripted"
    assert state["decisions"] == {
        "allow": 2,
        "deny": 0,
        "approve": 1,
        "edit": 0,
        "reject": 1,
        "skip": 0,
        "failed": 0,
    }


def test_rules_can_be_added_and_removed_while_running():
    hook = ApprovalHook([Rule("done", "allow")])
    extra = Rule("delete_file", "allow", source="session")
    hook.add_rule(extra)
    assert hook.rules[0] == extra
    hook.remove_rule(extra)
    assert extra not in hook.rules
    with pytest.raises(ValueError, match="no such rule"):
        hook.remove_rule(extra)


# -- the rules file ---------------------------------------------------------------


def test_always_allow_is_saved_and_loaded_by_the_next_run(tmp_path):
    path = tmp_path / "rules.json"
    ask = Scripted(lambda request: Approve(request.pattern_rule("path", "^tmp/"), persist=True))
    first = ApprovalHook([Rule("done", "allow")], ask=ask, rules_file=path)
    run([delete("tmp/a")], first)
    assert ask.requests[0].can_persist
    saved = json.loads(path.read_text())
    assert saved["rules"] == [
        {"tool": "delete_file", "action": "allow", "pattern": "^tmp/", "arg": "path"}
    ]

    nobody = Scripted()
    second = ApprovalHook([Rule("done", "allow")], ask=nobody, rules_file=path)
    workspace, _, _ = run([delete("tmp/b")], second)
    assert workspace.ran and nobody.requests == []
    assert second.rules[0].source == "file"

    second.remove_rule(second.rules[0])
    assert load_rules(path) == []


def test_a_session_rule_is_not_saved(tmp_path):
    path = tmp_path / "rules.json"
    hook = ApprovalHook(
        [Rule("done", "allow")], ask=Scripted(lambda r: Approve(r.tool_rule())), rules_file=path
    )
    run([delete("a")], hook)
    assert not path.exists()


def test_persisting_without_a_rules_file_denies():
    ask = Scripted(lambda request: Approve(request.tool_rule(), persist=True))
    workspace, steps, _ = run([delete("a")], ApprovalHook([Rule("done", "allow")], ask=ask))
    assert workspace.ran == []
    assert "no rules_file" in steps[0].tool_result.error


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not valid JSON"),
        ('{"rules": []}', "not a looplet approval rules file"),
        ('{"format": "looplet-approval-rules", "version": 9, "rules": []}', "version 9"),
        ('{"format": "looplet-approval-rules", "version": 1, "rules": [{"tool": "x"}]}', "rule 1"),
        (
            '{"format": "looplet-approval-rules", "version": 1, '
            '"rules": [{"tool": "x", "action": "allow", "pattern": "("}]}',
            "invalid pattern",
        ),
    ],
)
def test_a_bad_rules_file_is_one_line_naming_the_file(tmp_path, text, problem):
    path = tmp_path / "rules.json"
    path.write_text(text)
    with pytest.raises(RulesFileError) as caught:
        ApprovalHook(rules_file=path)
    message = str(caught.value)
    assert message.startswith(str(path)) and problem in message and "\n" not in message


def test_a_rule_with_a_callable_cannot_be_saved(tmp_path):
    hook = ApprovalHook(rules_file=tmp_path / "rules.json")
    with pytest.raises(ValueError, match="cannot be saved"):
        hook.add_rule(Rule("x", "allow", when=lambda call, state: True), persist=True)


# -- human decisions in the trace ---------------------------------------------------


def test_every_human_decision_is_in_the_trace_with_before_and_after(tmp_path):
    sink = ProvenanceSink(tmp_path / "trace")
    ask = Scripted(
        Approve(),
        Edit({"path": "b.tmp"}),
        Reject("not that one"),
        Skip(),
        lambda request: Approve(request.tool_rule(), who="policy bot"),
    )
    hook = ApprovalHook([Rule("done", "allow")], ask=ask, recorder=sink)
    run([delete("a"), delete("b"), delete("c"), delete("d"), read("e")], hook, hooks=[sink])
    trace = open_trace(tmp_path / "trace")
    human = [
        [(h.step, h.action, h.before, h.after, h.who) for h in trace.detail(i).human]
        for i in range(5)
    ]
    me = "user at keyboard"
    assert human == [
        [(1, "approve", {"path": "a"}, {"path": "a"}, me)],
        [(2, "edit", {"path": "b"}, {"path": "b.tmp"}, me)],
        [(3, "reject", {"path": "c"}, "not that one", me)],
        [(4, "skip", {"path": "d"}, "skipped by user", me)],
        [
            (5, "approve", {"path": "e"}, {"path": "e"}, "policy bot"),
            (5, "add_rule", None, "allow read_file [session]", "policy bot"),
        ],
    ]


def test_a_decision_that_cannot_be_recorded_is_not_acted_on():
    class Broken:
        def record_human(self, *args):
            raise OSError("disk full")

    hook = ApprovalHook([Rule("done", "allow")], ask=Scripted(Approve()), recorder=Broken())
    workspace, steps, _ = run([delete("a")], hook)
    assert workspace.ran == []
    assert "OSError: disk full" in steps[0].tool_result.error


def test_rule_changes_a_person_makes_mid_run_are_in_the_trace(tmp_path):
    """What a debugger does while paused: removes a rule and adds one, then approves."""
    sink = ProvenanceSink(tmp_path / "trace")
    reads = Rule("read_file", "allow")
    hook = ApprovalHook([reads, Rule("done", "allow")], recorder=sink)

    def edit_rules_then_approve(request):
        hook.remove_rule(reads, who="user at keyboard")
        hook.add_rule(Rule("read_file", "deny", reason="reads are off"), who="user at keyboard")
        return Approve()

    hook.ask = edit_rules_then_approve
    workspace, steps, _ = run([delete("a"), read("b")], hook, hooks=[sink])
    assert workspace.ran == [("delete_file", {"path": "a", "force": False})]
    assert steps[1].tool_result.error == "reads are off"
    human = [
        (h.step, h.action, h.before, h.after)
        for h in open_trace(tmp_path / "trace").detail(0).human
    ]
    assert human == [
        (1, "remove_rule", "allow read_file [config]", None),
        (1, "add_rule", None, "deny read_file [config]"),
        (1, "approve", {"path": "a"}, {"path": "a"}),
    ]


def test_a_persisted_approval_is_recorded_as_the_file_rule_it_became(tmp_path):
    sink = ProvenanceSink(tmp_path / "trace")
    ask = Scripted(lambda request: Approve(request.tool_rule(), persist=True))
    hook = ApprovalHook(
        [Rule("done", "allow")], ask=ask, recorder=sink, rules_file=tmp_path / "r.json"
    )
    run([delete("a")], hook, hooks=[sink])
    (_, added) = open_trace(tmp_path / "trace").detail(0).human
    assert (added.action, added.after) == ("add_rule", "allow delete_file [file]")
