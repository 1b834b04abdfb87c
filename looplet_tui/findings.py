"""What hooks left in a trace for its viewers: eval verdicts and compactions.

`EvalHook` and `ThresholdCompactHook` annotate the trace
(`TraceMeta.annotations["evals"]` and `["compactions"]`).  Annotations come
from a file, so everything here is tolerant: a damaged entry is shown as
damaged or left out, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from looplet_core.evals import EvalResult, results_from_annotations
from looplet_core.hooks_lib.compaction import Compaction, StageReport

__all__ = ["compacted_steps", "compactions", "eval_results"]


def eval_results(annotations: Mapping[str, Any]) -> tuple[EvalResult, ...]:
    """The run's eval verdicts, in the order the graders ran; () if it was not graded."""
    return results_from_annotations(dict(annotations))


def compactions(annotations: Mapping[str, Any]) -> tuple[Compaction, ...]:
    """The run's compactions, oldest first; damaged entries are left out."""
    entries = annotations.get("compactions")
    if not isinstance(entries, list):
        return ()
    return tuple(found for entry in entries if (found := _compaction(entry)) is not None)


def compacted_steps(annotations: Mapping[str, Any]) -> frozenset[int]:
    """Numbers of the steps whose model call came right after a compaction."""
    return frozenset(compaction.step for compaction in compactions(annotations))


_NUMBERS = ("turn", "step", "tokens_before", "tokens_after", "messages_before", "messages_after")


def _compaction(entry: object) -> Compaction | None:
    if not isinstance(entry, dict):
        return None
    numbers = [entry.get(key) for key in _NUMBERS]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        return None
    stages = entry.get("stages")
    reports = tuple(
        StageReport(
            str(stage.get("stage") or "?"),
            str(stage.get("removed") or ""),
            error=str(stage["error"]) if stage.get("error") else None,
        )
        for stage in (stages if isinstance(stages, list) else ())
        if isinstance(stage, dict)
    )
    return Compaction(*numbers, reports)  # type: ignore[arg-type]  # ints, checked above
