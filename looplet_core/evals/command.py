"""`looplet eval PATH... --evals FILE`: grade saved runs and say whether they pass.

    $ looplet eval runs/ --evals evals/tidy.py
    runs/20250601-142501-a1b2c3  (looplet-trace/1, done, 9 steps)
      PASS  eval_finished
      FAIL  eval_no_denials          2 < 3
      INFO  eval_cost                0.0042

    1 trace, 3 graders: 1 passed, 1 failed, 0 errors, 1 info

A PATH is a trace (any format `open_trace` reads) or a folder, searched with
`discover_traces`.  Exit status: 0 when nothing failed, 1 when a grader failed
or raised, 2 for bad input (the evals file, a path, a trace that cannot be
read), with one line on stderr and nothing graded.  Everything printed from a
trace or a grader is made terminal-safe.
"""

from __future__ import annotations

import json
import os

from looplet_core.commands.terminal import CommandError, visible
from looplet_core.evals.context import EvalContext
from looplet_core.evals.loader import EvalFileError, load_evals
from looplet_core.evals.results import ERROR, FAIL, INFO, PASS, run_evals, summarise
from looplet_core.provenance import TraceError, discover_traces, open_trace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from looplet_core.evals.marks import EvalSpec
    from looplet_core.evals.results import EvalResult
    from looplet_core.provenance import Trace

__all__ = ["eval_command"]

_VALUE_WIDTH = 70


def eval_command(
    paths: Sequence[str], evals_file: str, tags: Sequence[str] = (), as_json: bool = False
) -> int:
    """Grade every trace under `paths`; CommandError (exit 2) for bad input."""
    try:
        specs = load_evals(evals_file, tags)
    except EvalFileError as exc:
        raise CommandError(str(exc)) from exc
    traces = [_open(path) for path in _trace_paths(paths)]
    graded = [(trace, run_evals(specs, _context(trace))) for trace in traces]
    if as_json:
        print(json.dumps(_as_json(specs, graded), indent=2))
    else:
        _print_table(specs, graded)
    return 0 if all(result.passed for _, results in graded for result in results) else 1


def _trace_paths(paths: Sequence[str]) -> list[str]:
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            inside = discover_traces(path)
            if not inside:
                raise CommandError(f"{path}: no traces found in this folder")
            found += inside
        elif os.path.exists(path):
            found.append(path)
        else:
            raise CommandError(f"{path}: no such trace, file or folder")
    return found


def _open(path: str) -> Trace:
    try:
        return open_trace(path)
    except TraceError as exc:
        message = str(exc)
        raise CommandError(message if path in message else f"{path}: {message}") from exc


def _context(trace: Trace) -> EvalContext:
    try:
        return EvalContext.from_trace(trace)
    except TraceError as exc:
        raise CommandError(str(exc)) from exc


def _print_table(specs: Sequence[EvalSpec], graded: list[tuple[Trace, list[EvalResult]]]) -> None:
    width = max(len(spec.name) for spec in specs)
    for trace, results in graded:
        meta = trace.meta
        about = f"{meta.format}, {meta.stop_reason or 'unfinished'}, {meta.steps} steps"
        if trace.problems:
            about += f", {len(trace.problems)} problems"
        print(f"{visible(trace.path)}  ({visible(about)})")
        for result in results:
            shown = visible(_shown(result))
            print(f"  {result.status.upper():<5} {visible(result.name):<{width}}  {shown}".rstrip())
        print()
    counts = dict.fromkeys((PASS, FAIL, ERROR, INFO), 0)
    for _, results in graded:
        for result in results:
            counts[result.status] += 1
    print(
        f"{_plural(len(graded), 'trace')}, {_plural(len(specs), 'grader')}: "
        f"{counts[PASS]} passed, {counts[FAIL]} failed, {_plural(counts[ERROR], 'error')}, "
        f"{counts[INFO]} info"
    )


def _shown(result: EvalResult) -> str:
    """What the row says after the name: why it failed, or the value of a metric."""
    if result.detail and result.status != PASS:
        text = result.detail
    elif result.status == INFO or (result.status == FAIL and result.value is not False):
        text = _compact(result.value)
    else:
        text = result.detail
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)


def _as_json(
    specs: Sequence[EvalSpec], graded: list[tuple[Trace, list[EvalResult]]]
) -> dict[str, Any]:
    runs = [{"path": trace.path, **summarise(results)} for trace, results in graded]
    return {
        "graders": [spec.name for spec in specs],
        "traces": runs,
        "passed": sum(run["passed"] for run in runs),
        "failed": sum(run["failed"] for run in runs),
    }


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
