"""Objects that `looplet replay --tools/--backend MODULE:ATTR` tests name."""

from __future__ import annotations

import os
from pathlib import Path

from looplet_core import ScriptedBackend, ToolCall
from looplet_core.examples.demo import sandbox_tools
from looplet_core.tools import ToolRegistry

WORKSPACE = "LOOPLET_TEST_WORKSPACE"
"""The demo workspace the tools work on (an environment variable, so a subprocess sees it too)."""


def demo_tools() -> ToolRegistry:
    return sandbox_tools(Path(os.environ[WORKSPACE]))


def finishing_backend() -> ScriptedBackend:
    return ScriptedBackend([ToolCall("done", {"answer": "from a factory"})])


def broken_factory() -> ToolRegistry:
    raise RuntimeError("no workspace configured\nsecond line")


not_tools = 42
