"""`looplet show PATH`: a trace's header, one line per step, and its problems.

Text output (every value from the trace made terminal-safe with `visible`):

    trace:    /abs/path (looplet-trace/1)
    task:     Tidy the workspace ...
    model:    scripted-demo
    stopped:  done (done was called)
    steps:    9 in 8 turns
    tokens:   2,760 in, 396 out
    cost:     n/a
    duration: 3.1 ms

    #1 ✓ list_files(directory='.') → 4 items [0ms]
    ...

    problems:
      summary.json missing: the run did not finish

`--json` prints one JSON object (ASCII only, so it is terminal-safe too):
`{"path", "meta": {every TraceMeta field}, "steps": [Step.to_dict() plus
"pretty"], "problems": [str]}`.  A step whose record cannot be read appears
as `{"number", "tool", "unreadable": reason}` and is named in `problems`.
"""

from __future__ import annotations

import json
import os

from looplet_core.commands.terminal import visible
from looplet_core.jsonable import to_jsonable
from looplet_core.provenance import TraceError, open_trace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from looplet_core.provenance import StepSummary, Trace, TraceMeta
    from looplet_core.types import Step

__all__ = ["show"]


def show(path: str, as_json: bool) -> int:
    """Print the trace at `path`; TraceError (exit 2) if it cannot be read at all."""
    trace = open_trace(path)
    meta = trace.meta
    steps = list(_steps(trace))
    problems = list(trace.problems)  # after the steps: reading them may find more
    problems += [problem for _, step, problem in steps if step is None and problem not in problems]
    if as_json:
        print(json.dumps(_as_json(trace, meta, steps, problems), indent=2))
        return 0
    for label, value in _header(trace, meta):
        print(f"{label + ':':<9} {visible(value)}")
    print()
    for summary, step, problem in steps:
        if step is None:
            print(f"#{summary.number} ? {visible(summary.tool)}: unreadable ({visible(problem)})")
        else:
            print(visible(step.pretty()))
    if problems:
        print("\nproblems:")
        for problem in problems:
            print(f"  {visible(problem)}")
    return 0


def _steps(trace: Trace) -> Iterator[tuple[StepSummary, Step | None, str]]:
    """Each step's summary and full record, or why the record cannot be read."""
    for index, summary in enumerate(trace.steps):
        try:
            yield summary, trace.step(index), ""
        except TraceError as exc:
            yield summary, None, str(exc)


def _header(trace: Trace, meta: TraceMeta) -> list[tuple[str, str]]:
    usage = meta.usage
    cached = f" (+{usage.cache_read_tokens:,} cached)" if usage.cache_read_tokens else ""
    stopped = meta.stop_reason or "did not finish"
    if meta.reason or meta.error:
        stopped += f" ({meta.reason or meta.error})"
    rows = [
        ("trace", f"{os.path.abspath(trace.path)} ({getattr(meta, 'format', 'looplet-trace')})"),
        ("task", meta.task or "(none)"),
        ("model", meta.model or "(unknown)"),
        ("stopped", stopped),
        ("steps", f"{meta.steps} in {meta.turns} turns"),
        ("tokens", f"{usage.input_tokens:,} in{cached}, {usage.output_tokens:,} out"),
        ("cost", "n/a" if meta.cost is None else f"${meta.cost:.6f}"),
        ("duration", "n/a" if meta.duration_ms is None else _duration(meta.duration_ms)),
    ]
    forked = getattr(meta, "forked_from", None)
    if isinstance(forked, dict):
        at = f" at step {forked.get('step')}" if forked.get("step") is not None else ""
        rows.append(("replay", f"of {forked.get('path')}{at} ({forked.get('mode')})"))
    return rows


def _duration(millis: float) -> str:
    return f"{millis:.1f} ms" if millis < 1000 else f"{millis / 1000:.2f} s"


def _as_json(
    trace: Trace,
    meta: TraceMeta,
    steps: list[tuple[StepSummary, Step | None, str]],
    problems: list[str],
) -> dict[str, Any]:
    listed: list[dict[str, Any]] = []
    for summary, step, problem in steps:
        if step is None:
            listed.append({"number": summary.number, "tool": summary.tool, "unreadable": problem})
        else:
            listed.append({**step.to_dict(), "pretty": step.pretty()})
    return {
        "path": os.path.abspath(trace.path),
        "meta": {name: to_jsonable(getattr(meta, name)) for name in meta._field_names},
        "steps": listed,
        "problems": problems,
    }
