"""Running evals as pytest tests: one test per (saved trace, grader).

    from looplet_core.evals.testing import parametrize_evals

    @parametrize_evals("tests/golden_runs/", "evals/tidy.py")
    def test_golden_runs(case):
        case.check()          # fails with the grader's verdict and why

Each case's id is `<trace>::<grader>`, so `pytest -k eval_finished` picks
one grader across all traces.  A trace is read once however many graders
use it.  Bad input (an unreadable trace, a broken evals file) raises when
the test module is collected, naming the file, rather than failing quietly.
`eval_cases(...)` gives the same cases without pytest, for other runners.
"""

from __future__ import annotations

import os
from functools import lru_cache

from looplet_core.evals.context import EvalContext
from looplet_core.evals.loader import load_evals
from looplet_core.evals.marks import EvalSpec, spec_of
from looplet_core.evals.results import grade
from looplet_core.provenance import discover_traces, open_trace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from looplet_core.evals.results import EvalResult

__all__ = ["EvalCase", "eval_cases", "parametrize_evals"]


class EvalCase:
    """One grader on one saved trace."""

    __slots__ = ("path", "spec")

    def __init__(self, path: str, spec: EvalSpec) -> None:
        self.path = path
        self.spec = spec

    def __str__(self) -> str:
        return f"{os.path.basename(os.path.normpath(self.path))}::{self.spec.name}"

    __repr__ = __str__

    def run(self) -> EvalResult:
        return grade(self.spec, _context(self.path))

    def check(self) -> EvalResult:
        """Run the grader; AssertionError with its verdict unless it passed (or is info)."""
        result = self.run()
        if not result.passed:
            why = f": {result.detail}" if result.detail else f" (returned {result.value!r})"
            raise AssertionError(f"{self} {result.status}{why}")
        return result


def eval_cases(
    traces: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    evals: str | os.PathLike[str] | Iterable[Any],
    tags: Iterable[str] = (),
) -> list[EvalCase]:
    """Every (trace, grader) pair: `traces` are trace paths or folders of traces,
    `evals` an evals file or graders."""
    if isinstance(evals, str | os.PathLike):
        specs = load_evals(evals, tags)
    else:
        specs = [item if isinstance(item, EvalSpec) else spec_of(item) for item in evals]
    roots = [traces] if isinstance(traces, str | os.PathLike) else list(traces)
    paths = []
    for root in roots:
        shown = os.fspath(root)
        paths += discover_traces(shown) if os.path.isdir(shown) else [shown]
    for path in paths:
        open_trace(path)  # unreadable input fails at collection, naming the file
    return [EvalCase(path, spec) for path in paths for spec in specs]


def parametrize_evals(
    traces: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    evals: str | os.PathLike[str] | Iterable[Any],
    tags: Iterable[str] = (),
    argname: str = "case",
) -> Any:
    """`pytest.mark.parametrize(argname, eval_cases(...), ids=str)`."""
    import pytest

    return pytest.mark.parametrize(argname, eval_cases(traces, evals, tags), ids=str)


@lru_cache(maxsize=8)
def _context(path: str) -> EvalContext:
    return EvalContext.from_trace(path)
