"""`EvalHook`: grade a live run the moment it ends, and keep the verdicts in its trace.

    sink = ProvenanceSink()
    evals = EvalHook("evals/tidy.py", recorder=sink)     # or a list of eval_* functions
    for step in composable_loop(llm, tools, task, hooks=[sink, evals]):
        ...
    evals.results                                # [EvalResult, ...]
    open_trace(sink.dir).meta.annotations["evals"]

The graders run in `on_loop_end`, however the run ended, on an
`EvalContext.from_run`.  A grader that raises becomes an `error` result; it
never ends the run with an exception.  With `recorder` (a ProvenanceSink),
`summarise(results)` is annotated in the trace under "evals", which viewers
read back with `results_from_annotations(meta.annotations)`.
"""

from __future__ import annotations

import os

from looplet_core.evals.context import EvalContext
from looplet_core.evals.loader import load_evals
from looplet_core.evals.marks import EvalSpec, spec_of
from looplet_core.evals.results import run_evals, summarise
from looplet_core.provenance.trace import one_line

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from looplet_core.evals.results import EvalResult
    from looplet_core.loop import LoopState
    from looplet_core.types import RunResult

__all__ = ["EvalHook"]


class EvalHook:
    """Runs graders on the run when it ends; `results` and `debug_state()` show the verdicts.

    `evals` is an evals file's path or an iterable of graders (functions or
    EvalSpecs); a file is loaded when the hook is built, so a bad one fails
    before the run starts.
    """

    def __init__(
        self,
        evals: str | os.PathLike[str] | Iterable[Any],
        *,
        recorder: Any = None,
        name: str = "evals",
    ) -> None:
        if isinstance(evals, str | os.PathLike):
            specs = load_evals(evals)
        else:
            specs = [item if isinstance(item, EvalSpec) else spec_of(item) for item in evals]
        if not specs:
            raise ValueError("EvalHook needs at least one grader")
        self.name = name
        self.specs = specs
        self.recorder = recorder
        self.results: list[EvalResult] | None = None
        """The latest run's verdicts; None until a run has ended."""
        self.last_failure: str | None = None

    def pre_loop(self, state: LoopState) -> None:
        self.results = None

    def on_loop_end(self, state: LoopState, result: RunResult) -> None:
        self.results = run_evals(self.specs, EvalContext.from_run(state, result))
        if self.recorder is None:
            return
        try:
            self.recorder.annotate("evals", summarise(self.results))
        except Exception as exc:  # the verdicts stay readable here; the run is over anyway
            self.last_failure = f"the results could not be stored in the trace: {one_line(exc)}"

    @property
    def passed(self) -> bool | None:
        """Whether every grader passed; None before a run has ended."""
        return None if self.results is None else all(r.passed for r in self.results)

    def debug_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"graders": [spec.name for spec in self.specs]}
        if self.results is not None:
            state.update(summarise(self.results))
        state["last_failure"] = self.last_failure
        return state
