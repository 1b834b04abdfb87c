"""Runs recorded for the viewer's tests, through the real loop and ProvenanceSink.

`record(directory, script)` runs a scripted agent over a few small tools and
returns the trace directory.  The tools echo what they are given, so a test
puts hostile strings into a trace simply by scripting a call with them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from looplet_core import (
    Deny,
    LLMResponse,
    ScriptedBackend,
    ToolCall,
    Usage,
    composable_loop,
    tool,
)
from looplet_core.examples.demo import build_demo
from looplet_core.provenance import ProvenanceSink


@tool
def echo(text: str) -> str:
    """Say it back."""
    return text


@tool
def lookup(key: str) -> dict:
    """Return a record whose fields hold the key."""
    return {"key": key, "value": f"value of {key}", "tags": [key, key.upper()]}


@tool
def explode(reason: str) -> str:
    """Always fails with the reason as its message."""
    raise RuntimeError(reason)


TOOLS = [echo, lookup, explode]


def record(directory: Path, script: Iterable[Any], *, hooks: Iterable[object] = ()) -> Path:
    """Run `script` (ScriptedBackend items) with a ProvenanceSink writing `directory`."""
    sink = ProvenanceSink(directory)
    llm = ScriptedBackend(list(script))
    for _ in composable_loop(
        llm, TOOLS, "do the things", hooks=[*hooks, sink], max_steps=1_000_000
    ):
        pass
    return directory


def reply(*calls: ToolCall, text: str = "", tokens: int = 100) -> LLMResponse:
    """One model turn proposing `calls`, with usage so the sparkline has data."""
    return LLMResponse(
        text=text, tool_calls=calls, usage=Usage(tokens, tokens // 10), model="scripted-1"
    )


def small_script() -> list[Any]:
    """Six steps over five turns: two failures, a multi-call turn, then done."""
    return [
        reply(ToolCall("echo", {"text": "hello"}), text="Start by saying hello."),
        reply(
            ToolCall("lookup", {"key": "alpha"}), ToolCall("lookup", {"key": "beta"}), tokens=180
        ),
        reply(ToolCall("explode", {"reason": "disk on fire"}), text="Risky.", tokens=260),
        reply(ToolCall("lookup", {"key": 42}), tokens=300),
        reply(ToolCall("done", {"answer": "all done"}), text="Finished.", tokens=340),
    ]


def record_demo(directory: Path, hooks: Iterable[object] = ()) -> Path:
    """The file-tidying demo agent, recorded."""
    with tempfile.TemporaryDirectory(prefix="looplet-demo-") as scratch:
        agent = build_demo(Path(scratch))
        sink = ProvenanceSink(directory)
        for _ in composable_loop(
            agent.llm, agent.tools, agent.task, hooks=[*hooks, sink], config=agent.config
        ):
            pass
    return directory


class NoDeletes:
    """A guard hook for the demo: denies `delete_file` and counts what it denied."""

    name = "no-deletes"

    def __init__(self) -> None:
        self.denied: list[str] = []

    def pre_dispatch(self, state: object, call: ToolCall) -> Deny | None:
        if call.name != "delete_file":
            return None
        self.denied.append(str(call.args.get("path")))
        return Deny("deleting files is not allowed in this workspace")

    def debug_state(self) -> dict[str, object]:
        return {"denied": list(self.denied)}
