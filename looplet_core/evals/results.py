"""Running graders and judging their answers.

- `bool`: `pass` or `fail`.
- a number: `pass` if it is at least the mark's `threshold`, else `fail`;
  without a threshold it is a metric, `info`.
- `str` (a label): `pass` if it is one of the mark's `passing` labels, else
  `fail`; without any, `info`.
- `dict`: its `"passed"` entry (a bool) decides if there is one (with
  `"detail"` or `"reason"` saying why), else `info`; the dict is the value.
- anything else, or an exception: `error`, with the reason.

`info` answers are reported and stored but never fail a run, so graders can
surface cost or step counts next to the verdicts.  `error` counts as a
failure: a grader that cannot judge must not look like a pass.
"""

from __future__ import annotations

import math

from looplet_core._record import Record, set_field
from looplet_core.evals.marks import EvalSpec, spec_of
from looplet_core.jsonable import to_jsonable
from looplet_core.provenance.trace import one_line

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

    from looplet_core.evals.context import EvalContext

__all__ = [
    "ERROR",
    "FAIL",
    "INFO",
    "PASS",
    "EvalResult",
    "grade",
    "results_from_annotations",
    "run_evals",
    "summarise",
]

PASS, FAIL, INFO, ERROR = "pass", "fail", "info", "error"
_STATUSES = (PASS, FAIL, INFO, ERROR)


class EvalResult(Record):
    """One grader's verdict on one run."""

    __slots__ = ("name", "status", "value", "score", "detail", "tags", "threshold")
    name: str
    status: str
    """"pass", "fail", "info" (a metric or label that does not judge) or "error"."""
    value: Any
    """What the grader returned, as JSON data (None when it raised)."""
    score: float | None
    """The number, for a numeric answer."""
    detail: str
    """Why, in a few words: the threshold missed, the label expected, the error."""
    tags: tuple[str, ...]
    threshold: float | None

    def __init__(
        self,
        name: str,
        status: str,
        value: Any = None,
        score: float | None = None,
        detail: str = "",
        tags: tuple[str, ...] = (),
        threshold: float | None = None,
    ) -> None:
        set_field(self, "name", name)
        set_field(self, "status", status)
        set_field(self, "value", value)
        set_field(self, "score", score)
        set_field(self, "detail", detail)
        set_field(self, "tags", tags)
        set_field(self, "threshold", threshold)

    @property
    def passed(self) -> bool:
        """True unless the verdict is a failure or an error."""
        return self.status in (PASS, INFO)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "value": self.value,
            "score": self.score,
            "detail": self.detail,
            "tags": list(self.tags),
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvalResult:
        status = data.get("status")
        score = data.get("score")
        threshold = data.get("threshold")
        return cls(
            name=str(data.get("name") or "?"),
            status=status if status in _STATUSES else ERROR,
            value=data.get("value"),
            score=float(score) if _is_number(score) else None,
            detail=str(data.get("detail") or ""),
            tags=tuple(str(tag) for tag in data.get("tags") or ()),
            threshold=float(threshold) if _is_number(threshold) else None,
        )


def grade(grader: Any, context: EvalContext) -> EvalResult:
    """Run one grader (a function or an EvalSpec) on `context`; never raises."""
    spec = grader if isinstance(grader, EvalSpec) else spec_of(grader)
    try:
        answer = spec.func(context)
    except Exception as exc:
        return _result(spec, ERROR, None, detail=f"raised {one_line(exc)}")
    return judge(spec, answer)


def judge(spec: EvalSpec, answer: Any) -> EvalResult:
    """The verdict on a grader's answer, by the rules in the module docstring."""
    if isinstance(answer, bool):
        return _result(spec, PASS if answer else FAIL, answer)
    if isinstance(answer, int | float):
        score = float(answer)
        if math.isnan(score):
            return _result(spec, ERROR, None, detail="returned NaN")
        if spec.threshold is None:
            return _result(spec, INFO, answer, score)
        if score >= spec.threshold:
            return _result(spec, PASS, answer, score, f"{score:g} ≥ {spec.threshold:g}")
        return _result(spec, FAIL, answer, score, f"{score:g} < {spec.threshold:g}")
    if isinstance(answer, str):
        if not spec.passing:
            return _result(spec, INFO, answer)
        if answer in spec.passing:
            return _result(spec, PASS, answer)
        expected = " or ".join(map(repr, spec.passing))
        return _result(spec, FAIL, answer, detail=f"got {answer!r}, expected {expected}")
    if isinstance(answer, dict):
        verdict = answer.get("passed")
        value = to_jsonable(answer)
        if isinstance(verdict, bool):
            detail = str(answer.get("detail") or answer.get("reason") or "")
            return _result(spec, PASS if verdict else FAIL, value, detail=detail)
        return _result(spec, INFO, value)
    kind = "None (no return?)" if answer is None else type(answer).__name__
    return _result(spec, ERROR, None, detail=f"returned {kind}; expected bool, number, str or dict")


def run_evals(graders: Iterable[Any], context: EvalContext) -> list[EvalResult]:
    """Every grader's verdict on one run, in order."""
    return [grade(grader, context) for grader in graders]


def summarise(results: Sequence[EvalResult]) -> dict[str, Any]:
    """Counts and results as JSON data: what EvalHook stores in the trace."""
    counts = dict.fromkeys(_STATUSES, 0)
    for result in results:
        counts[result.status] += 1
    return {
        "passed": counts[PASS] + counts[INFO],
        "failed": counts[FAIL] + counts[ERROR],
        "counts": counts,
        "results": [result.to_dict() for result in results],
    }


def results_from_annotations(annotations: Mapping[str, Any]) -> tuple[EvalResult, ...]:
    """The eval results a trace holds (`TraceMeta.annotations`), for viewers; () if none.

    Tolerant: a damaged entry becomes an `error` result rather than raising.
    """
    stored = annotations.get("evals") if isinstance(annotations, dict) else None
    entries = stored.get("results") if isinstance(stored, dict) else None
    if not isinstance(entries, list):
        return ()
    return tuple(
        EvalResult.from_dict(entry)
        if isinstance(entry, dict)
        else EvalResult("?", ERROR, detail="a damaged result")
        for entry in entries
    )


def _result(
    spec: EvalSpec,
    status: str,
    value: Any,
    score: float | None = None,
    detail: str = "",
) -> EvalResult:
    return EvalResult(spec.name, status, value, score, detail, spec.tags, spec.threshold)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
