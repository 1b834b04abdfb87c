"""Retrying model calls: which failures are worth another attempt, and how long to wait.

The provider SDKs retry on their own, but each in its own way and invisibly.
Our backends turn SDK retries off and use this one policy, so the number of
attempts and the total time are bounded the same way for every provider and
every attempt is visible to the caller.  Both SDKs raise exceptions of the same
shape (`status_code`, `response.headers`, connection and timeout classes), so
one classifier serves both.
"""

from __future__ import annotations

import random
import time

from looplet_core._record import Record, set_field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")

__all__ = ["LLMCallError", "RetryPolicy", "call_with_retries", "classify"]

_NOT_RETRIED = {400: "bad request", 401: "authentication failed", 403: "permission denied"}


class LLMCallError(RuntimeError):
    """A model call failed for good; the message names the endpoint and the model."""


class RetryPolicy(Record):
    """Bounds on retrying one model call."""

    __slots__ = ("max_attempts", "max_total_seconds", "base_delay", "max_delay", "jitter")
    max_attempts: int
    """Attempts in all, the first included."""
    max_total_seconds: float
    """No new attempt starts once this much time has passed since the first."""
    base_delay: float
    """The first backoff; each later one doubles, up to `max_delay`."""
    max_delay: float
    jitter: float
    """Each backoff is scaled by a random factor in [1 - jitter, 1 + jitter]."""

    def __init__(
        self,
        max_attempts: int = 4,
        max_total_seconds: float = 60.0,
        base_delay: float = 0.5,
        max_delay: float = 20.0,
        jitter: float = 0.25,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        set_field(self, "max_attempts", max_attempts)
        set_field(self, "max_total_seconds", max_total_seconds)
        set_field(self, "base_delay", base_delay)
        set_field(self, "max_delay", max_delay)
        set_field(self, "jitter", jitter)

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt `attempt + 1`; a server's Retry-After wins."""
        if retry_after is not None:
            return retry_after
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return delay * random.uniform(1 - self.jitter, 1 + self.jitter)


class Verdict(Record):
    """What one failure means for the next attempt."""

    __slots__ = ("retry", "retry_after", "summary")
    retry: bool
    retry_after: float | None
    summary: str

    def __init__(self, retry: bool, retry_after: float | None, summary: str) -> None:
        set_field(self, "retry", retry)
        set_field(self, "retry_after", retry_after)
        set_field(self, "summary", summary)


def classify(exc: Exception) -> Verdict:
    """Retry rate limits, server errors, dropped connections and timeouts; nothing else."""
    status = getattr(exc, "status_code", None)
    detail = _first_line(getattr(exc, "message", None) or str(exc))
    if isinstance(status, int):
        summary = f"HTTP {status} {_NOT_RETRIED.get(status, '')}".rstrip() + f": {detail}"
        retry = status in (408, 409, 429) or status >= 500
        return Verdict(retry, _retry_after(exc) if retry else None, summary)
    name = type(exc).__name__
    if "Timeout" in name or isinstance(exc, TimeoutError):
        return Verdict(True, None, f"timed out: {detail}")
    if "Connection" in name or isinstance(exc, ConnectionError):
        return Verdict(True, None, f"connection failed: {detail}")
    return Verdict(False, None, f"{name}: {detail}")


def call_with_retries(send: Callable[[], T], policy: RetryPolicy, target: str) -> tuple[T, int]:
    """Call `send` until it succeeds or the policy gives up; return (result, attempts).

    `target` names the endpoint and model for the error message.
    """
    started = time.monotonic()
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return send(), attempt
        except Exception as exc:
            verdict = classify(exc)
            if not verdict.retry:
                raise LLMCallError(f"{target}: {verdict.summary} (not retried)") from exc
            delay = policy.backoff(attempt, verdict.retry_after)
            spent = time.monotonic() - started
            if attempt == policy.max_attempts or spent + delay > policy.max_total_seconds:
                raise LLMCallError(
                    f"{target}: gave up after {attempt} attempt{'s' if attempt > 1 else ''} "
                    f"in {spent:.1f}s: {verdict.summary}"
                ) from exc
            time.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")


def _retry_after(exc: Exception) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds; HTTP dates are ignored)."""
    headers: Any = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue
    return None


def _first_line(text: str, width: int = 200) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= width else line[: width - 1] + "…"
