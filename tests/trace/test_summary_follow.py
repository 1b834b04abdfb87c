"""Following a run: summary.json is read again when it is rewritten after the run ended
(a hook later in the list than the sink annotates it, as EvalHook does)."""

from __future__ import annotations

from looplet_core import ScriptedBackend, ToolCall, composable_loop
from looplet_core.evals import EvalHook
from looplet_core.provenance import ProvenanceSink, open_trace
from tests.helpers import drive
from tests.trace.scenarios import TOOLS


class Follower:
    """A viewer tailing the run: opens it at the first step, refreshes as the run goes on.
    Its `on_loop_end` runs after the sink wrote summary.json and before the evals did."""

    def __init__(self, directory) -> None:
        self.directory = directory
        self.trace = None
        self.at_end: dict | None = None

    def on_step(self, state, step) -> None:
        if self.trace is None:
            self.trace = open_trace(self.directory)
        else:
            self.trace.refresh()

    def on_loop_end(self, state, result) -> None:
        self.trace.refresh()
        self.at_end = dict(self.trace.meta.annotations)


def test_a_follower_sees_annotations_written_after_the_summary(tmp_path) -> None:
    sink = ProvenanceSink(tmp_path)
    follower = Follower(tmp_path)
    evals = EvalHook([lambda ctx: len(ctx.steps) == 2], recorder=sink)
    script = [ToolCall("add", {"a": 1, "b": 2}), ToolCall("done", {"answer": "3"})]
    loop = composable_loop(ScriptedBackend(script), TOOLS, "add", hooks=[sink, follower, evals])
    drive(loop)
    trace = follower.trace
    assert follower.at_end == {}  # the summary existed, without the evals yet
    assert trace.meta.finished and trace.meta.stop_reason == "done"

    assert trace.refresh() == 0
    assert trace.meta.annotations["evals"] == open_trace(tmp_path).meta.annotations["evals"]
    assert [r["status"] for r in trace.meta.annotations["evals"]["results"]] == ["pass"]

    unchanged = trace.summary
    trace.refresh()
    assert trace.summary is unchanged  # not read again while the file is the same
    sink.annotate("note", "late")
    trace.refresh()
    assert trace.meta.annotations["note"] == "late"
    assert trace.problems == []
