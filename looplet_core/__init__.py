"""looplet_core: a steppable tool-calling loop for LLM agents (stdlib only).

from looplet_core import ScriptedBackend, ToolCall, composable_loop, tool

@tool
def add(a: int, b: int) -> int:
    "Add two numbers."
    return a + b

llm = ScriptedBackend([ToolCall("add", {"a": 2, "b": 3}), ToolCall("done", {"answer": "5"})])
for step in composable_loop(llm, [add], "What is 2 + 3?"):
    print(step.pretty())
"""

from looplet_core.backends import (
    LLMCallError,
    Price,
    RetryPolicy,
    ScriptedBackend,
    ScriptExhaustedError,
)
from looplet_core.hooks import Allow, Block, Deny, Diverged, Inject, Replace, Rewrite, Stop
from looplet_core.loop import LoopConfig, LoopState, Prompt, composable_loop
from looplet_core.textcalls import ToolCallParseError, parse_tool_calls
from looplet_core.tools import Tool, ToolRegistry, tool, tools_from
from looplet_core.types import (
    ErrorKind,
    HookTrace,
    LLMResponse,
    Message,
    RunResult,
    Step,
    StopReason,
    ToolCall,
    ToolResult,
    Usage,
)

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """Names whose modules cost import time load on first use: `LLMBackend` (from
    `protocols`, which imports `typing`), the provider backends and the
    provenance trace (`ProvenanceSink`, `open_trace`, `Trace`, `TraceError`)."""
    if name == "LLMBackend":
        from looplet_core.protocols import LLMBackend

        return LLMBackend
    if name in ("OpenAIBackend", "AnthropicBackend"):
        from looplet_core import backends

        return getattr(backends, name)
    if name in ("ProvenanceSink", "Trace", "TraceError", "open_trace"):
        from looplet_core import provenance

        return getattr(provenance, name)
    raise AttributeError(f"module 'looplet_core' has no attribute {name!r}")


__all__ = [
    "Allow",
    "AnthropicBackend",
    "Block",
    "Deny",
    "Diverged",
    "ErrorKind",
    "HookTrace",
    "Inject",
    "LLMBackend",
    "LLMCallError",
    "LLMResponse",
    "LoopConfig",
    "LoopState",
    "Message",
    "OpenAIBackend",
    "Price",
    "Prompt",
    "ProvenanceSink",
    "Replace",
    "RetryPolicy",
    "Rewrite",
    "RunResult",
    "ScriptExhaustedError",
    "ScriptedBackend",
    "Step",
    "Stop",
    "StopReason",
    "Tool",
    "ToolCall",
    "ToolCallParseError",
    "ToolRegistry",
    "ToolResult",
    "Trace",
    "TraceError",
    "Usage",
    "composable_loop",
    "open_trace",
    "parse_tool_calls",
    "tool",
    "tools_from",
]
