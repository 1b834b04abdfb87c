"""ConsoleApproval, driven through fake stdin/stdout streams."""

from __future__ import annotations

import io

import pytest

from looplet_core import ToolCall, tool, tools_from
from looplet_core.hooks_lib import (
    ApprovalRequest,
    Approve,
    ConsoleApproval,
    Edit,
    Reject,
    Rule,
    Skip,
)
from looplet_core.hooks_lib.console_approval import visible


@tool
def delete_file(path: str, force: bool = False) -> str:
    """Delete a file."""
    return path


SCHEMA = tools_from([delete_file]).get("delete_file").parameters


def request(args=None, text="", can_persist=False):
    call = ToolCall("delete_file", {"path": "draft.tmp"} if args is None else args, "c1", text)
    return ApprovalRequest(
        call, SCHEMA, 6, 4, Rule("delete_file", "ask"), "ask delete_file", can_persist
    )


def answer(typed: str, req=None):
    out = io.StringIO()
    front = ConsoleApproval(io.StringIO(typed), out)
    return front(req or request()), out.getvalue()


def test_approve_once():
    result, shown = answer("a\n")
    assert result == Approve()
    assert "approval needed: step 6, delete_file" in shown
    assert '"path": "draft.tmp"' in shown


def test_unknown_choices_ask_again():
    result, shown = answer("x\n\nS\n")
    assert result == Skip()
    assert "unknown choice 'x'" in shown


def test_approve_for_the_session_shows_the_rule_before_adding_it():
    result, shown = answer("t\ny\n")
    assert result == Approve(Rule("delete_file", "allow", source="session"))
    assert "rule to add: allow delete_file [session]" in shown
    assert shown.index("rule to add") < shown.index("[y] add it")


def test_going_back_from_a_rule_returns_to_the_menu():
    result, shown = answer("t\nn\ns\n")
    assert result == Skip()
    assert shown.count("choice> ") == 2


def test_a_pattern_approval_offers_the_current_value_and_can_save_it():
    result, shown = answer("p\n\n^tmp/\nf\n", request(can_persist=True))
    rule = Rule("delete_file", "allow", arg="path", pattern="^tmp/", source="session")
    assert result == Approve(rule, persist=True)
    assert r"regular expression [^draft\.tmp$]" in shown
    assert "rule to add: allow delete_file if path ~ /^tmp// [session]" in shown


def test_a_pattern_defaults_to_the_exact_value_and_saving_needs_a_rules_file():
    result, shown = answer("p\npath\n\nf\ny\n")
    assert result == Approve(
        Rule("delete_file", "allow", arg="path", pattern=r"^draft\.tmp$", source="session")
    )
    assert "[f]" not in shown


def test_a_pattern_on_all_arguments_or_a_bad_one_is_asked_again():
    result, shown = answer('p\nnope\n-\n(\n-\n"force"\ny\n', request({"path": "a", "force": True}))
    assert result == Approve(Rule("delete_file", "allow", pattern='"force"', source="session"))
    assert "the call has no argument 'nope'" in shown
    assert "invalid pattern" in shown


def test_edit_re_prompts_on_bad_json_and_schema_errors_then_shows_a_diff():
    typed = 'e\n{"path": \n\n{"path": 3}\n\n{"path": "safe.tmp",\n "force": true}\n\ny\n'
    result, shown = answer(typed)
    assert result == Edit({"path": "safe.tmp", "force": True})
    assert "not valid JSON" in shown
    assert "argument 'path' must be string, got integer" in shown
    assert '-  "path": "draft.tmp"' in shown
    assert '+  "path": "safe.tmp"' in shown
    assert '+  "force": true,' in shown


def test_declining_an_edit_asks_for_arguments_again_and_an_empty_one_goes_back():
    result, shown = answer('e\n{"path": "x"}\n\nn\n\nr\nno thanks\n')
    assert result == Reject("no thanks")
    assert shown.count("choice> ") == 2


def test_reject_keeps_the_feedback_as_typed():
    result, _ = answer("r\n  use the trash folder instead  \n")
    assert result == Reject("  use the trash folder instead  ")


def test_who_is_the_configured_person():
    front = ConsoleApproval(io.StringIO("s\n"), io.StringIO(), who="alice on tty3")
    assert front(request()) == Skip(who="alice on tty3")


def test_end_of_input_raises_so_the_hook_denies():
    with pytest.raises(EOFError):
        answer("")
    with pytest.raises(EOFError):
        answer('e\n{"path":')


def test_untrusted_text_is_printed_with_control_characters_visible():
    hostile = "\x1b[2J\x1b]0;pwned\x07 ok\u202eevil\x9b"
    _, shown = answer("a\n", request({"path": hostile}, text=f"because {hostile}\nsecond line"))
    assert (
        "\x1b" not in shown
        and "\x9b" not in shown
        and "\u202e" not in shown
        and "\x07" not in shown
    )
    assert "because \\x1b[2J\\x1b]0;pwned\\x07 ok\\u202eevil\\x9b\nsecond line" in shown


def test_visible_leaves_printable_text_alone():
    assert visible("héllo → wörld\nnext") == "héllo → wörld\nnext"
    assert visible("tab\there") == "tab\\x09here"
