"""EvalContext reads every trace format the same way, and a live run the same as its trace."""

from __future__ import annotations

import pytest

from looplet_core.evals import EvalContext
from looplet_core.provenance import TraceError, open_trace
from tests.evals.runs import FIXTURES, FOREIGN, record_demo


@pytest.mark.parametrize("path", FOREIGN, ids=lambda p: p.name)
def test_every_foreign_trace_gives_its_task_steps_and_ending(path) -> None:
    ctx = EvalContext.from_trace(path)
    trace = open_trace(path)
    meta = trace.meta
    assert ctx.task == meta.task and ctx.task
    assert ctx.stop_reason == meta.stop_reason and ctx.answer == meta.answer
    assert (ctx.usage, ctx.cost) == (meta.usage, meta.cost)
    assert len(ctx.steps) == len(trace) == meta.steps > 0
    assert ctx.calls == tuple(trace.detail(i).step.tool_call for i in range(len(trace)))
    assert [r.ok for r in ctx.results] == [s.ok for s in trace.steps]
    assert ctx.errors == tuple(s for s in ctx.steps if not s.ok)
    assert ctx.tools_called == tuple(s.tool for s in trace.steps)
    assert ctx.meta == meta and ctx.source == trace.path


def test_what_the_fixtures_are_known_to_hold() -> None:
    ok = EvalContext.from_trace(FIXTURES / "looplet04" / "ok_run")
    assert ok.finished and ok.answer == {"summary": "todo.txt has 3 lines and 7 words"}
    assert ok.called("word_count") and not ok.called("delete_file")
    assert [c.args["path"] for c in ok.calls_to("read_file")] == [
        "notes/todo.txt",
        "notes/missing.txt",
    ]
    capped = EvalContext.from_trace(FIXTURES / "looplet04" / "max_steps_run")
    assert not capped.finished and capped.stop_reason == "max_steps"
    submitted = EvalContext.from_trace(FIXTURES / "minisweagent" / "toolcall_submitted.traj.json")
    assert submitted.finished and submitted.answer == "hi\n"
    assert submitted.total_tokens == 120 and submitted.cost == pytest.approx(5.4e-05)


def test_a_live_run_and_its_trace_give_the_same_context(tmp_path) -> None:
    captured = {}

    class Capture:
        def on_loop_end(self, state, result):
            captured["live"] = EvalContext.from_run(state, result)

    path, steps, _, _ = record_demo(tmp_path, Capture())
    live, saved = captured["live"], EvalContext.from_trace(path)
    assert live.steps == saved.steps == tuple(steps)
    for field in ("task", "answer", "stop_reason", "reason", "error", "usage", "cost", "messages"):
        assert getattr(live, field) == getattr(saved, field), field
    assert live.meta is None and saved.meta is not None and saved.problems == ()


def test_a_path_that_is_no_trace_raises_trace_error(tmp_path) -> None:
    with pytest.raises(TraceError, match="no such trace"):
        EvalContext.from_trace(tmp_path / "missing")


def test_a_context_needs_every_field_and_no_other() -> None:
    with pytest.raises(TypeError, match=r"EvalContext: field\(s\) missing task, steps"):
        EvalContext(source="x")
    fields = {name: None for name in EvalContext._field_names}
    with pytest.raises(TypeError, match=r"EvalContext: field\(s\) no colour"):
        EvalContext(**fields, colour="red")
    assert EvalContext(**fields).source is None
