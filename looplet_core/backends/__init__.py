"""Model backends: anything with `generate(prompt) -> LLMResponse`.

Provider backends import their SDK only when constructed, so importing
looplet_core never loads openai or anthropic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from looplet_core.backends.scripted import ScriptedBackend, ScriptExhaustedError

if TYPE_CHECKING:
    from looplet_core.loop import Prompt
    from looplet_core.types import LLMResponse

__all__ = ["LLMBackend", "ScriptExhaustedError", "ScriptedBackend"]


class LLMBackend(Protocol):
    """The one method the loop needs from a model.

    Raising from `generate` ends the run with stop reason `llm_error`; the
    exception's message is kept on the RunResult.
    """

    def generate(self, prompt: Prompt) -> LLMResponse: ...
