"""The embedded demo agent for `looplet-tui demo` (and `make demo`).

It is looplet_core's scripted file-tidying agent, on a fresh scratch
directory each time, with a breakpoint before every call to a dangerous tool
(`delete_file`), so the demo shows an approval without any setup.  No model,
key or network is needed.

    looplet-tui run looplet_tui.demo:demo_agent     # the same thing, as any agent is run
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from looplet_core.examples.demo import DANGEROUS_TOOLS, build_demo
from looplet_tui.live.breakpoints import PRE_DISPATCH, Breakpoint, Condition
from looplet_tui.live.spec import AgentSpec

__all__ = ["demo_agent"]


def demo_agent() -> AgentSpec:
    """The demo on a new scratch workspace, removed when the program exits."""
    workspace = Path(tempfile.mkdtemp(prefix="looplet-demo-"))
    atexit.register(shutil.rmtree, workspace, ignore_errors=True)
    agent = build_demo(workspace)
    return AgentSpec(
        llm=agent.llm,
        tools=agent.tools,
        task=agent.task,
        config=agent.config,
        name="demo: tidy a workspace",
        breakpoints=tuple(
            Breakpoint(PRE_DISPATCH, Condition.TOOL, name) for name in sorted(DANGEROUS_TOOLS)
        ),
    )
