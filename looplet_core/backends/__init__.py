"""Model backends: anything with `generate(prompt) -> LLMResponse`.

See `looplet_core.protocols.LLMBackend` for the contract.  Provider backends
import their SDK only when constructed, so importing looplet_core never loads
openai or anthropic.
"""

from looplet_core.backends.pricing import Price
from looplet_core.backends.retry import LLMCallError, RetryPolicy
from looplet_core.backends.scripted import ScriptedBackend, ScriptExhaustedError

__all__ = [
    "AnthropicBackend",
    "LLMCallError",
    "OpenAIBackend",
    "Price",
    "RetryPolicy",
    "ScriptExhaustedError",
    "ScriptedBackend",
]

_PROVIDERS = {
    "OpenAIBackend": "looplet_core.backends.openai",
    "AnthropicBackend": "looplet_core.backends.anthropic",
}


def __getattr__(name: str) -> object:
    """Provider backends load on first use, keeping `import looplet_core` small."""
    module = _PROVIDERS.get(name)
    if module is None:
        raise AttributeError(f"module 'looplet_core.backends' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
