"""What the run's hooks found, in the viewer: eval verdicts (Usage pane, status bar)
and compactions (Usage pane, ✂ on the timeline), read tolerantly from the trace."""

from __future__ import annotations

from pathlib import Path

from looplet_core import ScriptedBackend, composable_loop
from looplet_core.evals import EvalHook, eval_mark
from looplet_core.hooks_lib import ThresholdCompactHook
from looplet_core.provenance import ProvenanceSink, open_trace
from looplet_tui.findings import compacted_steps, compactions, eval_results
from looplet_tui.widgets.status_bar import StatusBar
from looplet_tui.widgets.timeline import Timeline
from tests.tui.conftest import app_for, settle
from tests.tui.hostile import HOSTILE, expected_pieces
from tests.tui.rendering import drawn_text
from tests.tui.test_hostile import assert_literal, assert_safe
from tests.tui.traces import TOOLS, small_script

COMPACTION = {
    "turn": 3,
    "step": 4,
    "tokens_before": 900,
    "tokens_after": 400,
    "messages_before": 12,
    "messages_after": 5,
    "stages": [{"stage": "truncate", "removed": "dropped 7 messages", "error": None}],
}


def test_compactions_are_read_and_damaged_entries_left_out() -> None:
    damaged = [
        "not a dict",
        {**COMPACTION, "step": "4"},
        {**COMPACTION, "tokens_after": True},
        {key: value for key, value in COMPACTION.items() if key != "turn"},
    ]
    odd_stages = {**COMPACTION, "step": 9, "stages": ["?", {"error": "boom"}]}
    found = compactions({"compactions": [*damaged, COMPACTION, odd_stages]})
    assert [c.step for c in found] == [4, 9]
    assert found[0].describe() == (
        "compacted 900 → 400 tokens, 12 → 5 messages: truncate: dropped 7 messages"
    )
    assert found[1].describe().endswith("?: ? failed (boom)")
    assert compacted_steps({"compactions": [COMPACTION, odd_stages]}) == {4, 9}
    for nothing in ({}, {"compactions": {"step": 4}}, {"compactions": None}):
        assert compactions(nothing) == () and compacted_steps(nothing) == frozenset()


def test_eval_results_tolerate_a_damaged_annotation() -> None:
    results = eval_results({"evals": {"results": [{"name": "eval_a", "status": "pass"}, 7]}})
    assert [(r.name, r.status) for r in results] == [("eval_a", "pass"), ("?", "error")]
    assert eval_results({"evals": "junk"}) == ()


def graders() -> list[object]:
    @eval_mark(name=f"eval_{HOSTILE[:40]}")
    def eval_hostile(ctx):  # type: ignore[no-untyped-def]
        return {"passed": False, "detail": HOSTILE}

    def eval_finished(ctx):  # type: ignore[no-untyped-def]
        return ctx.finished

    return [eval_finished, eval_hostile]


def compacted_in(run: Path | str) -> list[int]:
    """The steps whose hook trace holds a compaction edit, read from the trace itself."""
    trace = open_trace(run)
    return [
        trace.steps[p].number
        for p in range(len(trace))
        if any(
            e.decision == "edit" and e.hook == "compaction" for e in trace.detail(p).step.hook_trace
        )
    ]


def record_graded(directory: Path) -> Path:
    """The small run, compacted whenever it grows past a tiny limit, then graded."""
    sink = ProvenanceSink(directory)
    hooks = [
        ThresholdCompactHook(90, recorder=sink),
        sink,
        EvalHook(graders(), recorder=sink),
    ]
    for _ in composable_loop(ScriptedBackend(small_script()), TOOLS, "do the things", hooks=hooks):
        pass
    return directory


async def test_a_graded_and_compacted_run_shows_what_its_hooks_found(tmp_path: Path) -> None:
    run = record_graded(tmp_path / "run")
    trace = open_trace(run)
    after_compaction = compacted_in(run)  # from the hook traces, not the annotation read
    assert after_compaction
    app = app_for(run)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        timeline = app.screen.query_one(Timeline)
        marked = {
            trace.steps[p].number
            for p in range(len(trace))
            if timeline.row_content(p, 80).plain.startswith("✂")
        }
        assert sorted(marked) == after_compaction
        status = drawn_text([app.screen.query_one(StatusBar)])
        assert "evals ✓1 ✗1" in status
        app.screen.details.active = "usage"
        await settle(pilot)
        usage = "\n".join(app.screen.details.pane().rendered_lines())
    assert "evals: 1 passed, 1 failed" in usage
    assert "eval_finished" in usage and "✓ pass" in usage and "✗ fail" in usage
    assert_safe(usage)  # the hostile grader's name and detail are shown, not obeyed
    assert_literal(usage, expected_pieces())
    assert f"compactions: {len(after_compaction)}" in usage
    for number in after_compaction:
        assert f"before step {number}" in usage
