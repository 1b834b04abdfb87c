"""A backend that replays a fixed script: deterministic runs for tests, demos and benches."""

from __future__ import annotations

from looplet_core.types import LLMResponse, ToolCall

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, TypeAlias

    from looplet_core.loop import Prompt

    ScriptItem: TypeAlias = (
        ToolCall | list[ToolCall] | tuple[ToolCall, ...] | str | LLMResponse | Callable[..., Any]
    )

__all__ = ["ScriptExhaustedError", "ScriptedBackend"]


class ScriptExhaustedError(RuntimeError):
    """The loop asked for more turns than the script has. Never cycles back silently."""


class ScriptedBackend:
    """Answers each model call with the next scripted item.

    Items may be a ToolCall, a list of ToolCalls (one turn proposing several),
    a str (a text reply), an LLMResponse, or a callable taking the Prompt and
    returning one of those.  Static items are converted once, up front, so a
    long scripted run measures the loop rather than this backend.
    """

    name = "scripted"

    def __init__(self, responses: Iterable[ScriptItem]) -> None:
        self._script: list[LLMResponse | Callable[..., Any]] = [
            item if callable(item) and not isinstance(item, ToolCall) else _as_response(item, index)
            for index, item in enumerate(responses)
        ]
        self.calls = 0
        """How many responses have been consumed so far."""

    def __len__(self) -> int:
        return len(self._script)

    @property
    def remaining(self) -> int:
        return len(self._script) - self.calls

    def generate(self, prompt: Prompt) -> LLMResponse:
        if self.calls >= len(self._script):
            raise ScriptExhaustedError(
                f"ScriptedBackend ran out after {len(self._script)} responses: the loop asked "
                f"for turn {self.calls + 1}; add responses or end the script with a done call"
            )
        item = self._script[self.calls]
        self.calls += 1
        if isinstance(item, LLMResponse):
            return item
        return _as_response(item(prompt), self.calls - 1)


def _as_response(item: Any, index: int) -> LLMResponse:
    if isinstance(item, LLMResponse):
        return item
    if isinstance(item, ToolCall):
        return LLMResponse(tool_calls=(item,))
    if isinstance(item, str):
        return LLMResponse(text=item)
    if isinstance(item, list | tuple) and item and all(isinstance(c, ToolCall) for c in item):
        return LLMResponse(tool_calls=tuple(item))
    raise TypeError(
        f"ScriptedBackend item {index} is {type(item).__name__}; expected a ToolCall, a "
        "non-empty list of ToolCalls, a str, an LLMResponse or a callable returning one"
    )
