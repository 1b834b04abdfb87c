"""The hooks a live run gets besides the agent's own, and where they go.

- A `ProvenanceSink` records every live run: the agent's own, or one added
  first, writing under `./.looplet/runs/`.
- Hooks that leave findings in the trace through a `recorder` (`EvalHook`,
  `MetricsHook`, `ThresholdCompactHook`) and were given none get the sink, so
  the viewer can show their verdicts, totals and compactions.
- An `ApprovalHook` decides pre-dispatch pauses: the agent's own, or one
  added after its hooks (but before a `CheckpointHook`'s `last` marker, which
  must follow every hook that may still refuse or change a call).

The session then makes the approval hook its own (its `ask`, its recorder,
the debugger's rule) and adds its `Breakpoints` hook last.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from looplet_core.evals import EvalHook
from looplet_core.hooks import hook_name
from looplet_core.hooks_lib import ApprovalHook, CheckpointHook, MetricsHook, ThresholdCompactHook
from looplet_core.provenance import ProvenanceSink

__all__ = ["LiveHooks", "compaction_hook_names", "live_hooks"]

_ANNOTATING = (EvalHook, MetricsHook, ThresholdCompactHook)


@dataclass(frozen=True, slots=True)
class LiveHooks:
    """The run's hooks in order, with the two the debugger works through."""

    hooks: list[object]
    sink: ProvenanceSink
    approval: ApprovalHook


def live_hooks(
    hooks: Sequence[object],
    settings: dict[str, Any],
    run_dir: str | os.PathLike[str] | None = None,
) -> LiveHooks:
    """The agent's `hooks` with the sink and approval hook a live run needs.

    `settings` go into the trace's header when the debugger adds the sink."""
    hooks = list(hooks)
    sink = next((hook for hook in hooks if isinstance(hook, ProvenanceSink)), None)
    if sink is None:
        sink = ProvenanceSink(run_dir, settings=settings)
        hooks.insert(0, sink)
    for hook in hooks:
        if isinstance(hook, _ANNOTATING) and hook.recorder is None:
            hook.recorder = sink
    approval = next((hook for hook in hooks if isinstance(hook, ApprovalHook)), None)
    if approval is None:
        approval = ApprovalHook(default="allow")
        hooks.insert(_before_last_words(hooks), approval)
    return LiveHooks(hooks, sink, approval)


def compaction_hook_names(hooks: Sequence[object]) -> frozenset[str]:
    """The names the compaction hooks have in hook traces."""
    return frozenset(hook_name(hook) for hook in hooks if isinstance(hook, ThresholdCompactHook))


def _before_last_words(hooks: list[object]) -> int:
    markers = [hook.last for hook in hooks if isinstance(hook, CheckpointHook)]
    return min((hooks.index(m) for m in markers if m in hooks), default=len(hooks))
