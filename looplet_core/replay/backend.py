"""The model and the tools of a replay: answers served from the recording, and
stand-in tools that describe the recorded tools without being able to run.
"""

from __future__ import annotations

from looplet_core.tools import DONE_TOOL_NAME, Tool, ToolRegistry
from looplet_core.tools import _finish as finish_with_arguments  # the done tool's own body

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from looplet_core.loop import Prompt
    from looplet_core.protocols import LLMBackend
    from looplet_core.replay.recording import Recording
    from looplet_core.types import LLMResponse

__all__ = ["RecordedModelError", "ReplayBackend", "StandInToolError", "stand_in_tools"]


class RecordedModelError(RuntimeError):
    """The recorded run's model call failed at this turn, so the replay's does too."""


class StandInToolError(RuntimeError):
    """A stand-in tool was asked to run a call the recording has no result for."""


class ReplayBackend:
    """Answers the first `len(responses)` turns from the recording, then hands over.

    After the recorded answers, `live` (a fork's backend) answers; without one,
    the turn fails with the recorded model error, if the recorded run ended
    with one (the replay's guard stops every other run before it gets here).
    """

    name = "replay"

    def __init__(
        self,
        responses: Sequence[LLMResponse],
        *,
        live: LLMBackend | None = None,
        failure: str | None = None,
        model: str | None = None,
    ) -> None:
        self.responses = responses
        self.live = live
        self.failure = failure
        live_model = getattr(live, "model", None)
        self.model = live_model if isinstance(live_model, str) else model
        """The live model's name after a fork, else the recorded one (for the new trace)."""
        self.calls = 0

    def generate(self, prompt: Prompt) -> LLMResponse:
        turn = self.calls
        self.calls += 1
        if turn < len(self.responses):
            return self.responses[turn]
        if self.live is not None:
            return self.live.generate(prompt)
        raise RecordedModelError(
            self.failure or f"the recording has no model answer for turn {prompt.turn}"
        )


def stand_in_tools(recording: Recording) -> ToolRegistry:
    """Tools with the recorded names and schemas, for a replay that needs no real tools.

    The model is shown the same tool list as in the recorded run; the replay's
    guard answers every recorded call with its recorded result, so a stand-in
    runs only for a call the recording never saw (after a fork, without real
    tools), and then fails with a message saying so.  The exception is `done`,
    whose whole behaviour is known (its answer is its arguments): a live model
    after a fork can still finish.  A foreign trace that kept no schemas gets
    one permissive stand-in per tool name its steps use.
    """
    schemas = recording.meta.tools or tuple(
        {"name": name, "description": "", "parameters": {"type": "object"}}
        for name in dict.fromkeys(step.tool_call.name for step in recording.steps)
        if name
    )
    names = tuple(str(schema.get("name")) for schema in schemas)
    terminal = recording.terminal_tools(names)
    registry = ToolRegistry()
    for schema in schemas:
        name = str(schema.get("name"))
        try:
            registry.register(
                Tool(
                    name=name,
                    description=str(schema.get("description") or ""),
                    parameters=dict(schema.get("parameters") or {"type": "object"}),
                    func=finish_with_arguments if name == DONE_TOOL_NAME else _cannot_run(name),
                    terminal=name in terminal,
                )
            )
        except ValueError:  # a name or schema our tools cannot take: its calls stay recorded
            continue
    return registry


def _cannot_run(name: str) -> Callable[..., Any]:
    def stand_in(**args: Any) -> Any:
        raise StandInToolError(
            f"{name!r} is a stand-in from the recording and cannot run a new call; "
            "replay with real tools to run it"
        )

    return stand_in
