"""How graders' answers are judged, how @eval_mark is written, and how results
travel through the trace."""

from __future__ import annotations

import math

import pytest

from looplet_core.evals import EvalResult, eval_mark, grade, results_from_annotations, summarise
from looplet_core.evals.marks import spec_of


def answering(value, *tags, **mark):
    def eval_answer(ctx):
        return value

    return eval_mark(*tags, **mark)(eval_answer) if tags or mark else eval_answer


@pytest.mark.parametrize(
    ("answer", "mark", "status"),
    [
        (True, {}, "pass"),
        (False, {}, "fail"),
        (0.8, {"threshold": 0.75}, "pass"),
        (0.75, {"threshold": 0.75}, "pass"),
        (0.7, {"threshold": 0.75}, "fail"),
        (3, {"threshold": 4}, "fail"),
        (0.1, {}, "info"),
        ("correct", {"passing": ("correct", "close")}, "pass"),
        ("wrong", {"passing": ("correct", "close")}, "fail"),
        ("a label", {}, "info"),
        ({"passed": True, "detail": "fine"}, {}, "pass"),
        ({"passed": False, "reason": "too slow"}, {}, "fail"),
        ({"steps": 3}, {}, "info"),
        ({"passed": "yes"}, {}, "info"),  # only a bool decides
        (None, {}, "error"),
        ([1, 2], {}, "error"),
        (math.nan, {"threshold": 0.5}, "error"),
    ],
)
def test_each_kind_of_answer_is_judged_by_its_rule(answer, mark, status) -> None:
    result = grade(answering(answer, **mark), context=None)
    assert result.status == status
    assert result.passed is (status in ("pass", "info"))


def test_the_result_says_why() -> None:
    assert grade(answering(0.7, threshold=0.75), None).detail == "0.7 < 0.75"
    assert grade(answering(0.7, threshold=0.75), None).score == 0.7
    assert grade(answering("x", passing=("a", "b")), None).detail == "got 'x', expected 'a' or 'b'"
    assert grade(answering({"passed": False, "reason": "slow"}), None).detail == "slow"
    assert "returned None (no return?)" in grade(answering(None), None).detail
    assert grade(answering({"when": {1, 2}}), None).value == {"when": [1, 2]}  # made JSON


def test_a_grader_that_raises_is_an_error_not_a_pass() -> None:
    def eval_broken(ctx):
        raise KeyError("answer")

    result = grade(eval_broken, None)
    assert (result.status, result.detail) == ("error", "raised KeyError: 'answer'")
    assert result.value is None and not result.passed


def test_eval_mark_forms_and_what_they_record() -> None:
    @eval_mark
    def eval_bare(ctx):
        """First line.

        More text."""
        return True

    @eval_mark()
    def eval_empty(ctx):
        return True

    @eval_mark("smoke", "fast", threshold=1, name="renamed")
    def eval_full(ctx):
        return 1

    assert spec_of(eval_bare).description == "First line." and spec_of(eval_bare).tags == ()
    assert spec_of(eval_empty).name == "eval_empty"
    full = spec_of(eval_full)
    assert (full.name, full.tags, full.threshold) == ("renamed", ("smoke", "fast"), 1.0)
    assert grade(eval_full, None).name == "renamed"
    assert eval_full(None) == 1  # the function itself is unchanged


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("",), {}, "tags must be non-empty strings"),
        ((3,), {}, "tags must be non-empty strings"),
        ((), {"threshold": "high"}, "threshold must be a number"),
        ((), {"threshold": True}, "threshold must be a number"),
        ((), {"passing": [1]}, "passing must be strings"),
    ],
)
def test_eval_mark_refuses_what_it_cannot_use(args, kwargs, message) -> None:
    with pytest.raises(TypeError, match=message):
        eval_mark(*args, **kwargs)


def test_results_round_trip_through_the_trace_annotation() -> None:
    results = [
        grade(answering(True, "smoke"), None),
        grade(answering(0.5, threshold=0.9), None),
        grade(answering({"n": 1}), None),
    ]
    stored = summarise(results)
    assert (stored["passed"], stored["failed"]) == (2, 1)
    assert stored["counts"] == {"pass": 1, "fail": 1, "info": 1, "error": 0}
    assert results_from_annotations({"evals": stored}) == tuple(results)


def test_damaged_annotations_give_error_results_or_nothing() -> None:
    assert results_from_annotations({}) == ()
    assert results_from_annotations({"evals": "nonsense"}) == ()
    damaged = results_from_annotations(
        {"evals": {"results": [7, {"name": "x", "status": "weird", "score": "high"}]}}
    )
    assert [(r.name, r.status, r.score) for r in damaged] == [
        ("?", "error", None),
        ("x", "error", None),
    ]
    assert EvalResult.from_dict({"name": "y", "status": "pass"}).passed
