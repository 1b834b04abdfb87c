"""Breakpoint conditions as pure logic, and breakpoints set and fired in the debugger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from looplet_core import ToolCall
from looplet_core.provenance import open_trace
from looplet_tui.live.breakpoints import (
    Breakpoint,
    BreakpointError,
    BreakpointSet,
    Condition,
    Moment,
    parse_count,
)
from looplet_tui.screens.breakpoint_dialog import AddBreakpointDialog, BreakpointDialog
from looplet_tui.session import BREAKPOINTS_FILE
from tests.tui.live_agents import (
    PromptRecorder,
    app_for,
    demo_app,
    notes_spec,
    reply,
    started,
    wait_for_end,
    wait_for_pause,
    wait_until,
)

PRE, BEFORE, AFTER = "pre_prompt", "pre_dispatch", "post_dispatch"


def at(phase: str = BEFORE, **fields: object) -> Moment:
    return Moment(phase=phase, step=fields.pop("step", 3), **fields)  # type: ignore[arg-type]


# -- conditions ----------------------------------------------------------------


def test_every_fires_at_its_phase_only() -> None:
    every = Breakpoint(PRE, Condition.EVERY)
    assert every.hits(at(PRE)) and not every.hits(at(BEFORE))


def test_tool_glob() -> None:
    glob = Breakpoint(BEFORE, Condition.TOOL, "delete_*")
    assert glob.hits(at(tool="delete_file"))
    assert not glob.hits(at(tool="read_file"))
    assert not glob.hits(at(tool="Delete_file"))  # case-sensitive, as tool names are


def test_argument_regex_in_one_argument_or_all_of_them() -> None:
    in_path = Breakpoint(BEFORE, Condition.ARG, r"^/etc/", arg="path")
    assert in_path.hits(at(args={"path": "/etc/passwd"}))
    assert not in_path.hits(at(args={"path": "etc/passwd"}))
    assert not in_path.hits(at(args={"other": "/etc/passwd"}))
    anywhere = Breakpoint(BEFORE, Condition.ARG, r'"force": true')
    assert anywhere.hits(at(args={"path": "x", "force": True}))
    assert not anywhere.hits(at(args={"path": "x", "force": False}))
    assert not anywhere.hits(at(args="not JSON"))


def test_step_number() -> None:
    step = Breakpoint(AFTER, Condition.STEP, "4")
    assert step.hits(at(AFTER, step=4)) and not step.hits(at(AFTER, step=5))


def test_thresholds_fire_once_when_first_reached() -> None:
    breakpoints = BreakpointSet(
        [Breakpoint(PRE, Condition.TOKENS, "1.5k"), Breakpoint(PRE, Condition.COST, "$0.25")]
    )
    fired = [
        [b.condition for b in breakpoints.check(at(PRE, tokens=tokens, cost=cost))]
        for tokens, cost in ((900, None), (1500, 0.1), (2400, 0.3), (9000, 0.9))
    ]
    assert fired == [[], [Condition.TOKENS], [Condition.COST], []]
    breakpoints.new_run()  # a restart starts counting again
    assert [b.condition for b in breakpoints.check(at(PRE, tokens=2000))] == [Condition.TOKENS]


def test_error_result_and_last_step_failed() -> None:
    after = Breakpoint(AFTER, Condition.ERROR)
    assert after.hits(at(AFTER, ok=False)) and not after.hits(at(AFTER, ok=True))
    before_model = Breakpoint(PRE, Condition.ERROR)
    assert before_model.hits(at(PRE, ok=False))
    assert not before_model.hits(at(PRE, ok=None))  # no step yet


def test_repeated_identical_call() -> None:
    repeat = Breakpoint(BEFORE, Condition.REPEAT)
    assert repeat.hits(at(repeated=True)) and not repeat.hits(at(repeated=False))


def test_disabled_breakpoints_do_not_fire_and_hits_are_counted() -> None:
    breakpoints = BreakpointSet([Breakpoint(BEFORE, Condition.EVERY)])
    (only,) = breakpoints
    assert breakpoints.check(at()) == [only]
    breakpoints.set_enabled(only.id, False)
    assert breakpoints.check(at()) == []
    assert breakpoints.hit_counts == {only.id: 1}


@pytest.mark.parametrize(
    ("phase", "condition", "value", "problem"),
    [
        (PRE, Condition.TOOL, "x", "can only be set before dispatch or after dispatch"),
        (BEFORE, Condition.ERROR, "", "can only be set before the model call or after dispatch"),
        (BEFORE, Condition.TOOL, " ", "give a tool name"),
        (BEFORE, Condition.ARG, "(", "invalid regular expression"),
        (AFTER, Condition.STEP, "0", "1 or more"),
        (AFTER, Condition.STEP, "two", "is not a whole number"),
        (PRE, Condition.TOKENS, "lots", "is not a token count"),
        (PRE, Condition.COST, "-1", "is not an amount in dollars"),
        ("later", Condition.EVERY, "", "unknown phase"),
    ],
)
def test_invalid_breakpoints_say_why(phase: str, condition: str, value: str, problem: str) -> None:
    with pytest.raises(BreakpointError, match=problem):
        Breakpoint(phase, condition, value)  # type: ignore[arg-type]


def test_counts_and_round_trip() -> None:
    assert [parse_count(t) for t in ("12000", "12k", "1.5M", "12_000")] == [
        12000,
        12000,
        1_500_000,
        12000,
    ]
    original = Breakpoint(BEFORE, Condition.ARG, "^tmp/", arg="path", enabled=False)
    again = Breakpoint.from_dict(json.loads(json.dumps(original.to_dict())))
    assert again == original
    assert original.describe() == "before dispatch · path ~ /^tmp//"


# -- in the debugger -----------------------------------------------------------


def repeating_agent() -> PromptRecorder:
    note = ToolCall("write_note", {"path": "n.txt", "text": "hi"})
    return PromptRecorder(
        [
            reply("first", note, tokens=100),
            reply("again", ToolCall("delete_file", {"path": "/etc/hosts"}), tokens=400),
            reply("once more", note, tokens=500),
            reply("finished", ToolCall("done", {"answer": "ok"}), tokens=600),
        ]
    )


@pytest.mark.parametrize(
    ("breakpoint", "kind", "step"),
    [
        (Breakpoint(PRE, Condition.EVERY), "pre_prompt", 2),
        (Breakpoint(BEFORE, Condition.TOOL, "delete_*"), "approval", 2),
        (Breakpoint(AFTER, Condition.ARG, "^/etc/", arg="path"), "post_dispatch", 2),
        (Breakpoint(BEFORE, Condition.STEP, "3"), "approval", 3),
        (Breakpoint(PRE, Condition.TOKENS, "500"), "pre_prompt", 3),
        (Breakpoint(BEFORE, Condition.REPEAT), "approval", 3),
        (Breakpoint(PRE, Condition.ERROR), None, None),  # no step fails in this run
    ],
    ids=["every", "tool", "arg", "step", "tokens", "repeat", "error"],
)
async def test_each_condition_pauses_the_live_run_where_it_holds(
    breakpoint: Breakpoint, kind: str | None, step: int | None
) -> None:
    llm = repeating_agent()
    app = app_for(lambda: notes_spec(llm, breakpoints=(breakpoint,)))
    async with started(app) as (pilot, screen):
        await pilot.press("c")
        if kind is None:
            await wait_for_end(pilot)
            assert screen.session.result is not None
            assert str(screen.session.result.stop_reason) == "done"
            return
        await wait_for_pause(pilot, kind)
        assert screen.pause.step == step
        assert screen.pause.why == (f"breakpoint 1: {breakpoint.describe()}",)
        await pilot.press("s")


async def test_the_error_condition_fires_after_a_failed_call() -> None:
    app = demo_app()  # its fourth call moves a file that does not exist
    async with started(app) as (pilot, screen):
        screen.session.add_breakpoint(Breakpoint(AFTER, Condition.ERROR))
        await pilot.press("c")
        await wait_for_pause(pilot, "post_dispatch")
        assert screen.pause.step == 5 and screen.pause.result.error_kind == "execution"
        await pilot.press("s")


async def test_the_editor_adds_disables_and_deletes_breakpoints() -> None:
    llm = repeating_agent()
    app = app_for(lambda: notes_spec(llm))
    async with started(app) as (pilot, screen):
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, BreakpointDialog), "the editor")
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddBreakpointDialog), "the form")
        form = app.screen
        assert form.query_one("#add-phase", Select).value == "pre_dispatch"
        assert form.value is None  # a tool breakpoint needs a name
        form.query_one("#add-value", Input).value = "write_*"
        await pilot.pause()
        assert form.value is not None
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, BreakpointDialog), "the list")
        (added,) = screen.session.breakpoints
        assert added.describe() == "before dispatch · tool write_*" and added.enabled

        await pilot.press("space")  # the new breakpoint is highlighted: disable it
        assert not next(iter(screen.session.breakpoints)).enabled
        await pilot.press("space")
        assert next(iter(screen.session.breakpoints)).enabled
        await pilot.press("escape")
        await pilot.press("c")
        await wait_for_pause(pilot, "approval")
        assert screen.pause.why == ("breakpoint 1: before dispatch · tool write_*",)

        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, BreakpointDialog), "the editor")
        await pilot.press("d")
        assert len(screen.session.breakpoints) == 0
        await pilot.press("escape")
        run_dir = screen.session.run_dir
        await pilot.press("a", "enter")
        await wait_for_end(pilot)
    saved = json.loads((Path(run_dir) / BREAKPOINTS_FILE).read_text())
    assert saved == {"format": "looplet-breakpoints", "version": 1, "breakpoints": []}
    actions = [(d.action, d.after) for d in open_trace(run_dir).detail(0).human]
    assert actions == [
        ("add_breakpoint", "before dispatch · tool write_*"),
        ("disable_breakpoint", "before dispatch · tool write_*"),
        ("enable_breakpoint", "before dispatch · tool write_*"),
        ("remove_breakpoint", None),
        ("approve", {"path": "n.txt", "text": "hi"}),
    ]
    assert llm.calls == 4
