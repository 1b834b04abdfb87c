"""EvalHook grades a live run as it ends; the verdicts are in the trace for viewers,
and a failing grader or recorder never breaks the run."""

from __future__ import annotations

import pytest

from looplet_core import ScriptedBackend, ToolCall, composable_loop, tool
from looplet_core.evals import EvalHook, load_evals, results_from_annotations, summarise
from looplet_core.provenance import open_trace
from tests.evals.runs import SAMPLE_EVALS, record_demo
from tests.helpers import drive


def test_a_live_run_is_graded_and_the_verdicts_are_in_its_trace(tmp_path) -> None:
    path, _, result, (hook,) = record_demo(
        tmp_path, lambda sink: EvalHook(SAMPLE_EVALS, recorder=sink)
    )
    assert result.stop_reason == "done"
    verdicts = {r.name: r.status for r in hook.results}
    assert verdicts == {
        "eval_finished": "pass",
        "eval_mostly_ok": "pass",  # one failed move in nine steps
        "eval_size": "info",
        "eval_stop_reason": "pass",
        "eval_deletes_only_temporary_files": "pass",
    }
    assert hook.passed is True
    meta = open_trace(path).meta
    assert meta.annotations["evals"] == summarise(hook.results)
    assert results_from_annotations(meta.annotations) == tuple(hook.results)
    size = next(r for r in hook.results if r.name == "eval_size")
    assert size.value == {"steps": meta.steps, "tokens": meta.usage.total_tokens}
    state = hook.debug_state()
    assert state["graders"][0] == "eval_finished" and state["failed"] == 0


def test_the_same_graders_give_the_same_verdicts_on_the_saved_trace(tmp_path) -> None:
    from looplet_core.evals import EvalContext, run_evals

    path, _, _, (hook,) = record_demo(tmp_path, lambda sink: EvalHook(SAMPLE_EVALS))
    assert run_evals(load_evals(SAMPLE_EVALS), EvalContext.from_trace(path)) == hook.results


@tool
def rm(path: str) -> str:
    """Remove a file."""
    return f"removed {path}"


def test_a_failing_verdict_and_a_raising_grader_are_reported_not_raised() -> None:
    @tool
    def delete_file(path: str) -> str:
        """Delete a file."""
        return f"deleted {path}"

    def eval_explodes(ctx):
        raise ZeroDivisionError("division by zero")

    hook = EvalHook([*load_evals(SAMPLE_EVALS, tags=["safety"]), eval_explodes])
    llm = ScriptedBackend(
        [ToolCall("delete_file", {"path": "thesis.tex"}), ToolCall("done", {"answer": "ok"})]
    )
    _, result = drive(composable_loop(llm, [delete_file], "clean up", hooks=[hook]))
    assert result.stop_reason == "done"
    deletes, explodes = hook.results
    assert (deletes.status, deletes.detail) == ("fail", "deleted ['thesis.tex']")
    assert deletes.value == {
        "passed": False,
        "detail": "deleted ['thesis.tex']",
        "deleted": ["thesis.tex"],
    }
    assert (explodes.status, explodes.detail) == (
        "error",
        "raised ZeroDivisionError: division by zero",
    )
    assert hook.passed is False
    assert hook.debug_state()["counts"] == {"pass": 0, "fail": 1, "info": 0, "error": 1}


def test_graders_see_runs_that_did_not_finish() -> None:
    def eval_finished(ctx):
        return ctx.finished

    hook = EvalHook([eval_finished])
    llm = ScriptedBackend([ToolCall("rm", {"path": "a"})] * 5)
    drive(composable_loop(llm, [rm], "loop", hooks=[hook], max_steps=2))
    assert [(r.name, r.status) for r in hook.results] == [("eval_finished", "fail")]


def test_a_recorder_that_fails_is_noted_and_the_results_stay() -> None:
    class Full:
        def annotate(self, key, value):
            raise OSError("No space left on device")

    def eval_ok(ctx):
        return True

    hook = EvalHook([eval_ok], recorder=Full())
    _, result = drive(
        composable_loop(
            ScriptedBackend([ToolCall("done", {"answer": "ok"})]), [rm], "t", hooks=[hook]
        )
    )
    assert result.stop_reason == "done" and hook.passed is True
    assert "could not be stored in the trace: OSError: No space left" in hook.last_failure


def test_an_eval_hook_needs_graders() -> None:
    with pytest.raises(ValueError, match="at least one grader"):
        EvalHook([])
    assert EvalHook([lambda ctx: True]).passed is None  # no run yet
