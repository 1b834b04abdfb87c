"""The embedded demo agent for `looplet-tui demo` (and `make demo`).

It is looplet_core's scripted file-tidying agent, on a fresh scratch
directory each time, with a breakpoint before every call to a dangerous tool
(`delete_file`), so the demo shows an approval without any setup.  No model,
key or network is needed.

It also wears the ship-ready hooks, so the debugger shows what each does:

- an `ApprovalHook` with a rules file, so "always allow" can be saved (the
  file lives as long as the program, so a restart, `r`, loads it);
- a `ThresholdCompactHook` with a small limit, so the conversation is
  compacted twice (the timeline marks the steps after it with ✂);
- a `MetricsHook` (its totals are in the Hooks pane's states);
- an `EvalHook` grading the run when it ends: did it finish, is the workspace
  tidy (approve the delete to pass, reject it to see a failure), how many
  steps failed, and the tokens spent (the Usage pane and the status bar).

    looplet-tui run looplet_tui.demo:demo_agent     # the same thing, as any agent is run
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from looplet_core.evals import EvalContext, EvalHook, eval_mark
from looplet_core.examples.demo import DANGEROUS_TOOLS, build_demo
from looplet_core.hooks_lib import (
    ApprovalHook,
    MetricsHook,
    Prune,
    ThresholdCompactHook,
    Truncate,
    compact_chain,
)
from looplet_tui.live.breakpoints import PRE_DISPATCH, Breakpoint, Condition
from looplet_tui.live.spec import AgentSpec

__all__ = ["COMPACT_AT_TOKENS", "demo_agent", "demo_graders"]

COMPACT_AT_TOKENS = 320
"""The demo's conversation (estimated) passes this at turns 5 and 7: it is compacted there."""


def demo_agent() -> AgentSpec:
    """The demo on a new scratch workspace, removed when the program exits."""
    workspace = _scratch("looplet-demo-")
    agent = build_demo(workspace)
    compaction = ThresholdCompactHook(
        COMPACT_AT_TOKENS, chain=compact_chain(Prune(keep_recent=2, min_chars=60), Truncate())
    )
    return AgentSpec(
        llm=agent.llm,
        tools=agent.tools,
        task=agent.task,
        config=agent.config,
        hooks=[
            compaction,
            MetricsHook(),
            ApprovalHook(default="allow", rules_file=_rules_file()),
            EvalHook(demo_graders(workspace)),
        ],
        name="demo: tidy a workspace",
        breakpoints=tuple(
            Breakpoint(PRE_DISPATCH, Condition.TOOL, name) for name in sorted(DANGEROUS_TOOLS)
        ),
    )


def demo_graders(workspace: Path) -> list[Callable[[EvalContext], Any]]:
    """What the demo's EvalHook asks of a run in `workspace`."""

    @eval_mark("smoke")
    def eval_finished(ctx: EvalContext) -> bool:
        """The run ended by calling done."""
        return ctx.finished

    def eval_workspace_tidy(ctx: EvalContext) -> dict[str, Any]:
        """Documents in docs/, the image in images/, no temporary file left."""
        wanted = ("docs/notes.txt", "docs/todo.md", "images/photo.jpg")
        missing = [name for name in wanted if not (workspace / name).is_file()]
        leftover = sorted(p.name for p in workspace.rglob("*.tmp"))
        problems = [f"missing {name}" for name in missing] + [
            f"{n} is still there" for n in leftover
        ]
        return {"passed": not problems, "detail": "; ".join(problems) or "tidy"}

    @eval_mark(threshold=0.8)
    def eval_steps_ok(ctx: EvalContext) -> float:
        """The share of steps that did not fail."""
        return round(1 - len(ctx.errors) / max(len(ctx.steps), 1), 2)

    def eval_tokens(ctx: EvalContext) -> int:
        """Tokens spent (a metric: it never fails the run)."""
        return ctx.total_tokens

    return [eval_finished, eval_workspace_tidy, eval_steps_ok, eval_tokens]


def _scratch(prefix: str) -> Path:
    """A new temporary directory, removed when the program exits."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@functools.cache
def _rules_file() -> Path:
    """The demo's approval rules file: one per program, so restarts share it."""
    return _scratch("looplet-demo-rules-") / "approvals.json"
