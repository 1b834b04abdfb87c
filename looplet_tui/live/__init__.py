"""The live debugger's parts that are not screens: what an agent factory returns
(`AgentSpec`), breakpoints, the pause gate, and the messages the loop thread
posts to the UI.

    from looplet_tui.live import AgentSpec, Breakpoint, Condition

    def make_agent(argv: list[str]) -> AgentSpec:
        return AgentSpec(llm=..., tools=[...], task="...",
                         breakpoints=[Breakpoint("pre_dispatch", Condition.TOOL, "delete_*")])
"""

from looplet_tui.live.breakpoints import Breakpoint, BreakpointError, Condition
from looplet_tui.live.spec import AgentSpec, LiveTarget, SpecError

__all__ = ["AgentSpec", "Breakpoint", "BreakpointError", "Condition", "LiveTarget", "SpecError"]
