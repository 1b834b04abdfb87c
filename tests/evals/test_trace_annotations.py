"""`ProvenanceSink.annotate`: hooks leave their findings in the trace, and the reader
gives them back as `TraceMeta.annotations`, whichever side of the sink the hook is on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from looplet_core import ScriptedBackend, ToolCall, composable_loop, tool
from looplet_core.provenance import ProvenanceSink, open_trace
from tests.helpers import drive

FIXTURES = Path(__file__).parents[1] / "trace" / "fixtures"


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def script() -> ScriptedBackend:
    return ScriptedBackend([ToolCall("add", {"a": 2, "b": 3}), ToolCall("done", {"answer": "5"})])


class Annotator:
    """Annotates at the end of the run, like EvalHook does."""

    def __init__(self, sink: ProvenanceSink, value: object) -> None:
        self.sink = sink
        self.value = value

    def on_loop_end(self, state, result) -> None:
        self.sink.annotate("evals", self.value)


@pytest.mark.parametrize("annotator_first", [True, False])
def test_an_annotation_reaches_the_summary_before_or_after_the_sink_ended(
    tmp_path: Path, annotator_first: bool
) -> None:
    sink = ProvenanceSink(tmp_path / "run")
    annotator = Annotator(sink, {"passed": 2, "failed": 1})
    hooks = [annotator, sink] if annotator_first else [sink, annotator]
    drive(composable_loop(script(), [add], "2 + 3?", hooks=hooks))

    meta = open_trace(tmp_path / "run").meta
    assert meta.annotations == {"evals": {"passed": 2, "failed": 1}}
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["annotations"]["evals"]["failed"] == 1


def test_annotations_are_redacted_and_made_json(tmp_path: Path) -> None:
    sink = ProvenanceSink(tmp_path / "run")
    drive(composable_loop(script(), [add], "2 + 3?", hooks=[sink]))
    sink.annotate("late", {"key": "sk-" + "a" * 30, "tags": ("x",)})
    assert open_trace(tmp_path / "run").meta.annotations == {
        "late": {"key": "[REDACTED]", "tags": ["x"]}
    }


def test_runs_without_annotations_and_foreign_traces_have_none(tmp_path: Path) -> None:
    sink = ProvenanceSink(tmp_path / "run")
    drive(composable_loop(script(), [add], "2 + 3?", hooks=[sink]))
    assert open_trace(tmp_path / "run").meta.annotations == {}
    assert "annotations" not in json.loads((tmp_path / "run" / "summary.json").read_text())
    assert open_trace(FIXTURES / "looplet04" / "ok_run").meta.annotations == {}
    traj = FIXTURES / "minisweagent" / "toolcall_submitted.traj.json"
    assert open_trace(traj).meta.annotations == {}


def test_annotate_refuses_a_key_that_is_not_a_string(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="non-empty str key"):
        ProvenanceSink(tmp_path / "run").annotate("", 1)
