"""The pytest helper: one test per (saved trace, grader), as a user's suite would use it."""

from __future__ import annotations

import pytest

from looplet_core.evals import EvalFileError
from looplet_core.evals.testing import eval_cases, parametrize_evals
from looplet_core.provenance import TraceError
from tests.evals.runs import FIXTURES, SAMPLE_EVALS

FINISHED = [
    FIXTURES / "looplet04" / "ok_run",
    FIXTURES / "looplet04" / "text_protocol_run",
    FIXTURES / "minisweagent" / "textbased_submitted.traj.json",
    FIXTURES / "minisweagent" / "toolcall_submitted.traj.json",
]


@parametrize_evals(FINISHED, SAMPLE_EVALS)
def test_finished_fixture_runs_pass_the_sample_evals(case) -> None:
    assert case.check().passed


def test_cases_are_named_trace_and_grader_and_cover_every_pair() -> None:
    cases = eval_cases(FIXTURES / "looplet04", SAMPLE_EVALS, tags=["smoke"])
    assert [str(case) for case in cases[:2]] == [
        "max_steps_run::eval_finished",
        "max_steps_run::eval_stop_reason",
    ]
    assert len(cases) == 4 * 2


def test_check_fails_with_the_verdict() -> None:
    (case,) = [
        c
        for c in eval_cases(FIXTURES / "looplet04", SAMPLE_EVALS)
        if str(c) == "max_steps_run::eval_stop_reason"
    ]
    with pytest.raises(
        AssertionError, match=r"max_steps_run::eval_stop_reason fail: got 'max_steps'"
    ):
        case.check()
    (finished,) = [
        c
        for c in eval_cases(FIXTURES / "looplet04" / "max_steps_run", SAMPLE_EVALS)
        if c.spec.name == "eval_finished"
    ]
    with pytest.raises(AssertionError, match=r"eval_finished fail \(returned False\)"):
        finished.check()


def test_bad_input_fails_at_collection_naming_the_file(tmp_path) -> None:
    with pytest.raises(TraceError, match="missing"):
        eval_cases(tmp_path / "missing", SAMPLE_EVALS)
    with pytest.raises(EvalFileError, match="no such evals file"):
        eval_cases(FINISHED, tmp_path / "none.py")
