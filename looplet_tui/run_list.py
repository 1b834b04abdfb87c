"""The run browser's rows: one per trace under a directory, described in the background.

Finding the runs reads only names (`discover_traces`), so the list can be
shown at once; describing one means opening it and reading its meta, which
for a long run or a big mini-swe-agent trajectory takes a while, so the
browser calls `describe` for each row on a worker thread and fills the cells
in as rows come back.  A run that cannot be read keeps its row, with the
reason in `problem`.  Nothing here imports textual.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from looplet_core.provenance import TraceError, discover_traces, open_trace

__all__ = ["SORT_KEYS", "RunRow", "describe", "find_runs", "matches", "sort_rows"]

_TRAJECTORY = ".traj.json"


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run in the browser.  Until `described`, only `path` and `name` are known."""

    path: str
    name: str
    """The run's path under the browsed directory (a trajectory without `.traj.json`)."""
    described: bool = False
    task: str | None = None
    model: str | None = None
    steps: int | None = None
    stop_reason: str | None = None
    """How the run ended; "unfinished" for a run without an end (running, or killed)."""
    tokens: int | None = None
    cost: float | None = None
    duration_ms: float | None = None
    errors: int | None = None
    """How many steps failed."""
    problem: str | None = None
    """Why the run cannot be read (one line), or None."""


def find_runs(root: str) -> list[RunRow]:
    """A row for each trace in and under `root` (not yet described), in name order.

    Raises TraceError when `root` is not a readable directory."""
    return [RunRow(path, run_name(root, path)) for path in discover_traces(root)]


def run_name(root: str, path: str) -> str:
    """`path` relative to `root`.  A trajectory in a folder of its own name
    (mini-swe-agent's `<instance>/<instance>.traj.json`) is named by the folder."""
    name = os.path.relpath(path, root)
    if name.endswith(_TRAJECTORY):
        name = name[: -len(_TRAJECTORY)]
        folder, stem = os.path.split(name)
        if folder and os.path.basename(folder) == stem:
            name = folder
    return "." if name == "." else name


def describe(row: RunRow) -> RunRow:
    """`row` with what its trace says about the run, or with `problem` if it cannot be read."""
    try:
        trace = open_trace(row.path)
        meta = trace.meta
        errors = sum(1 for summary in trace.steps if not summary.ok)
    except TraceError as exc:
        return replace(row, described=True, problem=_one_line(str(exc), row.path))
    return replace(
        row,
        described=True,
        task=meta.task,
        model=meta.model,
        steps=meta.steps,
        stop_reason=meta.stop_reason or ("unfinished" if not meta.finished else None),
        tokens=meta.usage.total_tokens,
        cost=meta.cost,
        duration_ms=meta.duration_ms,
        errors=errors,
    )


def _one_line(message: str, path: str) -> str:
    """A reader's error without the path it starts with (the row names the run)."""
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


SORT_KEYS: dict[str, Callable[[RunRow], object]] = {
    "name": lambda row: row.name.casefold(),
    "task": lambda row: row.task.casefold() if row.task is not None else None,
    "model": lambda row: row.model.casefold() if row.model is not None else None,
    "steps": lambda row: row.steps,
    "stop": lambda row: row.stop_reason,
    "tokens": lambda row: row.tokens,
    "cost": lambda row: row.cost,
    "duration": lambda row: row.duration_ms,
    "errors": lambda row: row.errors,
}
"""How each column sorts; None (not known yet, or not recorded) sorts last either way."""


def sort_rows(rows: Iterable[RunRow], column: str, reverse: bool = False) -> list[RunRow]:
    """`rows` ordered by `column` (a SORT_KEYS key), ties by name; unknown values last."""
    key = SORT_KEYS[column]
    by_name = sorted(rows, key=SORT_KEYS["name"])
    known = [row for row in by_name if key(row) is not None]
    unknown = [row for row in by_name if key(row) is None]
    return sorted(known, key=key, reverse=reverse) + unknown  # type: ignore[arg-type]


def matches(row: RunRow, words: Sequence[str]) -> bool:
    """Whether every one of `words` (already case-folded) appears in the row's name,
    task, model, stop reason or problem."""
    text = " ".join(
        part
        for part in (row.name, row.task, row.model, row.stop_reason, row.problem)
        if part is not None
    ).casefold()
    return all(word in text for word in words)
