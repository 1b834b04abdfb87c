"""Evals: graders for agent runs, from saved traces of any format or from a live run.

    # evals/tidy.py
    from looplet_core.evals import eval_mark

    @eval_mark("smoke")
    def eval_finished(ctx):
        "The run ended by calling done."
        return ctx.finished

    @eval_mark(threshold=0.8)
    def eval_mostly_ok(ctx):
        return 1 - len(ctx.errors) / max(len(ctx.steps), 1)

    $ looplet eval runs/ --evals evals/tidy.py        # exit 0 if all pass, 1 if not

`EvalContext.from_trace(path)` / `.from_run(state, result)` build what graders
read; `load_evals(file)` finds the graders; `run_evals(graders, ctx)` grades;
`EvalHook` grades a live run and stores the verdicts in its trace;
`looplet_core.evals.testing.parametrize_evals` runs them under pytest.
Each name loads its module on first use.
"""

from __future__ import annotations

import importlib

__all__ = [
    "EvalContext",
    "EvalFileError",
    "EvalHook",
    "EvalResult",
    "EvalSpec",
    "eval_mark",
    "grade",
    "load_evals",
    "results_from_annotations",
    "run_evals",
    "summarise",
]

_HOME = {
    "EvalContext": "context",
    "EvalFileError": "loader",
    "load_evals": "loader",
    "EvalHook": "hook",
    "EvalResult": "results",
    "grade": "results",
    "results_from_annotations": "results",
    "run_evals": "results",
    "summarise": "results",
    "EvalSpec": "marks",
    "eval_mark": "marks",
}


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'looplet_core.evals' has no attribute {name!r}")
    return getattr(importlib.import_module(f"looplet_core.evals.{module}"), name)
