"""Model backends: anything with `generate(prompt) -> LLMResponse`.

See `looplet_core.protocols.LLMBackend` for the contract.  Provider backends
import their SDK only when constructed, so importing looplet_core never loads
openai or anthropic.
"""

from looplet_core.backends.scripted import ScriptedBackend, ScriptExhaustedError

__all__ = ["ScriptExhaustedError", "ScriptedBackend"]
