"""What the OpenAI and Anthropic backends share: retries, timing, usage and cost.

A provider backend only translates: `wire_request(prompt)` builds the keyword
arguments for its SDK call, `send(request)` makes that one call, and
`parse(raw, request)` turns the SDK's response into an LLMResponse.  This
class wraps those three in the retry policy, measures latency, prices the
call, and keeps the raw request and response as JSON data for traces.
"""

from __future__ import annotations

import importlib
from time import perf_counter

from looplet_core.backends.pricing import cost_of
from looplet_core.backends.retry import RetryPolicy, call_with_retries

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from looplet_core.backends.pricing import Price
    from looplet_core.loop import Prompt
    from looplet_core.types import LLMResponse

__all__ = ["ProviderBackend", "import_sdk"]


def import_sdk(module: str, extra: str) -> Any:
    """Import a provider SDK on first use, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"the {module!r} package is needed for this backend: "
            f"pip install 'looplet-tui[{extra}]' (or pip install {module})"
        ) from exc


class ProviderBackend:
    """Base for backends that call a provider SDK over HTTP."""

    provider = ""
    """Shown in error messages, e.g. "OpenAI"."""

    def __init__(
        self,
        model: str,
        *,
        endpoint: str,
        prices: Mapping[str, Price] | None,
        retry: RetryPolicy | None,
        params: Mapping[str, Any],
    ) -> None:
        if params.get("stream"):
            raise ValueError(f"{type(self).__name__} does not stream: leave out stream=True")
        self.model = model
        self.endpoint = endpoint
        """The base URL requests go to, named in every error message."""
        self.prices = prices
        self.retry = retry or RetryPolicy()
        self.params = dict(params)
        """Extra request fields (temperature, top_p, ...) sent with every call."""

    def generate(self, prompt: Prompt) -> LLMResponse:
        request = self.wire_request(prompt)
        started = perf_counter()
        raw, _attempts = call_with_retries(
            lambda: self.send(request),
            self.retry,
            f"{self.provider} {self.endpoint} (model {self.model})",
        )
        latency_ms = (perf_counter() - started) * 1000
        response = self.parse(raw, request)
        return response.replace(
            latency_ms=latency_ms,
            cost=cost_of(response.usage, (self.model, response.model), self.prices),
        )

    def wire_request(self, prompt: Prompt) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, request: dict[str, Any]) -> Any:
        raise NotImplementedError

    def parse(self, raw: Any, request: dict[str, Any]) -> LLMResponse:
        raise NotImplementedError
