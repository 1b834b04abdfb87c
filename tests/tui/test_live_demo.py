"""The demo wears the ship-ready hooks, and the debugger shows what each does:
compactions marked live, metrics in the hook states, evals graded at the end and
stored in the trace; hooks that can annotate the trace are given the run's sink."""

from __future__ import annotations

from pathlib import Path

from looplet_core import composable_loop
from looplet_core.evals import EvalHook
from looplet_core.hooks_lib import CheckpointHook, MetricsHook, ThresholdCompactHook
from looplet_core.provenance import open_trace
from looplet_tui.demo import demo_agent
from looplet_tui.live.breakpoints import BreakpointSet
from looplet_tui.session import Session
from looplet_tui.widgets.status_bar import StatusBar
from looplet_tui.widgets.timeline import Timeline
from tests.helpers import drive
from tests.tui.conftest import app_for as viewer_for
from tests.tui.conftest import settle
from tests.tui.live_agents import (
    continue_to,
    demo_app,
    notes_spec,
    reply,
    wait_for_end,
    wait_until,
)
from tests.tui.rendering import drawn_text
from tests.tui.test_viewer_findings import compacted_in


def marked(timeline: Timeline, mark: str) -> list[int]:
    """Numbers of the rows that start with `mark`."""
    source = timeline.source
    return [
        source.summary(p).number
        for p in range(len(source))
        if timeline.row_content(p, 60).plain.startswith(mark)
    ]


async def run_demo(pilot, answer: str) -> None:  # type: ignore[no-untyped-def]
    """Continue to the delete_file approval; approve once (a) or reject (x) it."""
    screen = await continue_to(pilot, "approval")
    assert marked(screen.timeline, "✂") == [6]  # shown live, before the trace lists it
    metrics = screen.pause.hook_states["metrics"]
    assert metrics["total"]["steps"] == 6 and metrics["total"]["tool_errors"] == 1
    await pilot.press(answer)
    await pilot.pause()
    await pilot.press("enter")  # once / no feedback
    await wait_for_end(pilot)


async def test_the_demo_compacts_and_grades_and_the_debugger_shows_it() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_demo(pilot, "a")
        screen = app.screen
        run_dir = screen.session.run_dir
        await wait_until(
            pilot,
            lambda: "evals ✓4" in drawn_text([screen.query_one(StatusBar)]),
            "the eval verdicts in the status bar",
        )
        live_marks = marked(screen.timeline, "✂")
    assert live_marks == compacted_in(run_dir) == [6, 8]
    meta = open_trace(run_dir).meta
    assert meta.annotations["evals"]["passed"] == 4 and meta.annotations["evals"]["failed"] == 0
    assert [c["step"] for c in meta.annotations["compactions"]] == [6, 8]
    assert meta.annotations["metrics"]["steps"] == 9
    reopened = viewer_for(Path(run_dir))
    async with reopened.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert marked(reopened.screen.query_one(Timeline), "✂") == [6, 8]


async def test_rejecting_the_delete_fails_the_tidy_eval() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_demo(pilot, "x")
        screen = app.screen
        await wait_until(
            pilot,
            lambda: "✗2" in drawn_text([screen.query_one(StatusBar)]),
            "two failed evals in the status bar",
        )
        run_dir = screen.session.run_dir
    results = {r["name"]: r for r in open_trace(run_dir).meta.annotations["evals"]["results"]}
    assert results["eval_workspace_tidy"]["status"] == "fail"
    assert results["eval_workspace_tidy"]["detail"] == "draft.tmp is still there"
    assert results["eval_steps_ok"]["status"] == "fail"  # 7 of 9 steps ok
    assert results["eval_finished"]["status"] == "pass"


def test_hooks_that_annotate_get_the_sink_unless_they_have_a_recorder() -> None:
    own = object()
    metrics, evals = MetricsHook(recorder=own), EvalHook([lambda ctx: True])
    compaction = ThresholdCompactHook(1000)
    spec = notes_spec(reply("x"), hooks=[metrics, evals, compaction])
    session = Session(spec, lambda message: None, BreakpointSet(()))
    assert metrics.recorder is own
    assert evals.recorder is session.sink and compaction.recorder is session.sink


def test_the_debuggers_approval_goes_before_a_checkpoints_last_word(tmp_path: Path) -> None:
    checkpoint = CheckpointHook(tmp_path / "ckpt")
    spec = notes_spec(reply("x"), hooks=[checkpoint, checkpoint.last])
    session = Session(spec, lambda message: None, BreakpointSet(()))
    order = list(session.hooks)
    assert order.index(checkpoint) < order.index(session.approval) < order.index(checkpoint.last)


def test_the_demo_agent_compacts_twice_in_the_plain_loop_and_no_stage_fails() -> None:
    spec = demo_agent()
    (compaction,) = [hook for hook in spec.hooks if isinstance(hook, ThresholdCompactHook)]
    drive(composable_loop(spec.llm, spec.tools, spec.task, hooks=spec.hooks, config=spec.config))
    assert len(compaction.compactions) == 2
    stages = [[(r.stage, r.error) for r in c.stages] for c in compaction.compactions]
    assert all(error is None for stage in stages for _, error in stage), stages
    assert all(c.tokens_after < c.tokens_before for c in compaction.compactions)
