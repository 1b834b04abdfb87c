"""MetricsHook: per-step and total tokens, cost, latency, tool durations and errors,
checked against what the loop itself reports."""

from __future__ import annotations

import pytest

from looplet_core import LLMResponse, ScriptedBackend, ToolCall, Usage, composable_loop, tool
from looplet_core.hooks_lib.metrics import MetricsHook
from looplet_core.provenance import ProvenanceSink, open_trace
from tests.helpers import drive


@tool
def fetch(url: str) -> str:
    """Fetch a page."""
    if "missing" in url:
        raise FileNotFoundError(url)
    return f"<html>{url}</html>"


def reply(*calls: ToolCall, usage=(0, 0), cost=None, latency=0.0) -> LLMResponse:
    return LLMResponse(tool_calls=calls, usage=Usage(*usage), cost=cost, latency_ms=latency)


def script() -> ScriptedBackend:
    return ScriptedBackend(
        [
            reply(
                ToolCall("fetch", {"url": "a"}),
                ToolCall("fetch", {"url": "missing"}),
                usage=(100, 20),
                cost=0.01,
                latency=250.0,
            ),
            reply(ToolCall("nope", {}), usage=(150, 10), cost=0.02, latency=100.0),
            reply(ToolCall("done", {"answer": "ok"}), usage=(200, 5), latency=50.0),
        ]
    )


def test_totals_match_what_the_loop_reports() -> None:
    metrics = MetricsHook()
    steps, result = drive(composable_loop(script(), [fetch], "fetch", hooks=[metrics]))
    total = metrics.debug_state()["total"]
    assert total["model_calls"] == result.turns == 3
    assert (total["input_tokens"], total["output_tokens"]) == (450, 35)
    assert (total["input_tokens"], total["output_tokens"]) == (
        result.usage.input_tokens,
        result.usage.output_tokens,
    )
    assert total["cost"] == pytest.approx(0.03) == pytest.approx(result.cost)
    assert total["latency_ms"] == {"total": 400.0, "mean": pytest.approx(133.333), "max": 250.0}
    assert total["steps"] == len(steps) == 4
    assert total["tool_errors"] == 2
    assert total["errors_by_kind"] == {"execution": 1, "unknown_tool": 1}
    assert total["stop_reason"] == "done" and total["duration_ms"] == result.duration_ms
    fetches = total["tools"]["fetch"]
    assert (fetches["calls"], fetches["errors"]) == (2, 1)
    ran = [s.tool_result.duration_ms for s in steps if s.tool_call.name == "fetch"]
    assert fetches["total_ms"] == pytest.approx(sum(ran), abs=0.001)
    assert fetches["max_ms"] == pytest.approx(max(ran), abs=0.001)
    assert total["model_errors"] == 0


def test_each_step_has_its_numbers_and_a_turn_counts_its_tokens_once() -> None:
    metrics = MetricsHook()
    steps, _ = drive(composable_loop(script(), [fetch], "fetch", hooks=[metrics]))
    per_step = metrics.steps
    assert [(m.step, m.turn, m.tool, m.ok, m.error_kind) for m in per_step] == [
        (1, 1, "fetch", True, None),
        (2, 1, "fetch", False, "execution"),
        (3, 2, "nope", False, "unknown_tool"),
        (4, 3, "done", True, None),
    ]
    assert [m.first_of_turn for m in per_step] == [True, False, True, True]
    counted = [m for m in per_step if m.first_of_turn]
    assert sum(m.input_tokens for m in counted) == 450
    assert metrics.step(2).latency_ms == 250.0 and metrics.step(2).cost == 0.01
    assert metrics.step(4).duration_ms == steps[3].tool_result.duration_ms
    assert metrics.step(99) is None
    state = metrics.debug_state()
    assert state["last_step"] == per_step[-1].to_dict()
    assert [m["step"] for m in state["recent_steps"]] == [1, 2, 3, 4]


def test_a_failed_model_call_is_counted() -> None:
    class Down:
        def generate(self, prompt):
            raise ConnectionError("no route")

    metrics = MetricsHook()
    _, result = drive(composable_loop(Down(), [fetch], "fetch", hooks=[metrics]))
    total = metrics.totals()
    assert result.stop_reason == "llm_error"
    assert (total["model_calls"], total["model_errors"], total["stop_reason"]) == (
        0,
        1,
        "llm_error",
    )
    assert total["cost"] is None  # nothing priced: unknown, not zero


def test_only_the_last_steps_are_kept_but_every_step_is_counted() -> None:
    metrics = MetricsHook(keep_steps=2)
    drive(composable_loop(script(), [fetch], "fetch", hooks=[metrics]))
    assert [m.step for m in metrics.steps] == [3, 4]
    assert metrics.totals()["steps"] == 4 and metrics.totals()["tools"]["fetch"]["calls"] == 2
    with pytest.raises(ValueError, match="keep_steps"):
        MetricsHook(keep_steps=-1)


def test_a_second_run_starts_from_zero() -> None:
    metrics = MetricsHook()
    drive(composable_loop(script(), [fetch], "fetch", hooks=[metrics]))
    drive(composable_loop(script(), [fetch], "fetch", hooks=[metrics]))
    assert metrics.totals()["model_calls"] == 3 and metrics.totals()["steps"] == 4


def test_totals_are_annotated_in_the_trace(tmp_path) -> None:
    sink = ProvenanceSink(tmp_path / "run")
    metrics = MetricsHook(recorder=sink)
    drive(composable_loop(script(), [fetch], "fetch", hooks=[metrics, sink]))
    assert open_trace(tmp_path / "run").meta.annotations["metrics"] == metrics.totals()
