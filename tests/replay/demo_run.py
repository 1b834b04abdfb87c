"""A recorded run of the demo agent, and ways to compare steps, shared by the replay tests."""

from __future__ import annotations

from pathlib import Path

from looplet_core import RunResult, Step, composable_loop
from looplet_core.examples.demo import build_demo, sandbox_tools
from looplet_core.provenance import ProvenanceSink
from looplet_core.tools import ToolRegistry
from tests.helpers import drive


def record_demo(
    tmp_path: Path, hooks: tuple[object, ...] = ()
) -> tuple[Path, list[Step], RunResult]:
    """Run the demo on a fresh workspace with a sink; return the trace dir, steps and result."""
    agent = build_demo(tmp_path / "recorded-workspace")
    trace = tmp_path / "recorded"
    steps, result = drive(
        composable_loop(
            agent.llm,
            agent.tools,
            agent.task,
            hooks=[*hooks, ProvenanceSink(trace)],
            config=agent.config,
        )
    )
    return trace, steps, result


def fresh_tools(root: Path) -> ToolRegistry:
    """The demo's real file tools on a new copy of the demo workspace."""
    build_demo(root)
    return sandbox_tools(root)


def files_under(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def essence(step: Step) -> tuple[object, ...]:
    """What a faithful replay must reproduce: everything but timings and the hook trace."""
    return (
        step.number,
        step.turn,
        step.tool_call,
        step.tool_result.replace(duration_ms=0.0),
        step.usage,
        step.cost,
    )
