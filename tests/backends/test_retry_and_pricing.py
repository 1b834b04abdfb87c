"""The retry policy and the price table, on their own (the SDK tests cover them over HTTP)."""

from __future__ import annotations

import time

import pytest

from looplet_core import Usage
from looplet_core.backends.pricing import Price, cost_of
from looplet_core.backends.retry import LLMCallError, RetryPolicy, call_with_retries, classify


class Headers(dict):
    """Header lookup as the SDK responses offer it."""


class StatusError(Exception):
    """Shaped like the SDKs' APIStatusError: a status code and a response with headers."""

    def __init__(self, status: int, message: str = "boom", headers: dict | None = None) -> None:
        super().__init__(message)
        self.status_code = status
        self.message = message
        self.response = type("Response", (), {"headers": Headers(headers or {})})()


class APITimeoutError(Exception):
    pass


class APIConnectionError(Exception):
    pass


@pytest.mark.parametrize(
    ("exc", "retry"),
    [
        (StatusError(429), True),
        (StatusError(500), True),
        (StatusError(503), True),
        (StatusError(529), True),
        (StatusError(400), False),
        (StatusError(401), False),
        (StatusError(403), False),
        (StatusError(404), False),
        (APITimeoutError("slow"), True),
        (APIConnectionError("reset"), True),
        (ConnectionResetError("reset"), True),
        (ValueError("bug"), False),
    ],
)
def test_what_is_retried(exc: Exception, retry: bool) -> None:
    assert classify(exc).retry is retry


def test_retry_after_headers_are_read_in_seconds() -> None:
    assert classify(StatusError(429, headers={"retry-after": "2"})).retry_after == 2.0
    assert classify(StatusError(429, headers={"retry-after-ms": "150"})).retry_after == 0.15
    assert (
        classify(StatusError(429, headers={"retry-after": "Wed, 21 Oct 2015"})).retry_after is None
    )


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=3.0, jitter=0.25)
    for attempt, centre in [(1, 1.0), (2, 2.0), (3, 3.0), (6, 3.0)]:
        delay = policy.backoff(attempt, None)
        assert centre * 0.75 <= delay <= centre * 1.25
    assert policy.backoff(1, 7.5) == 7.5, "the server's Retry-After wins"


def test_retries_until_success_and_counts_attempts() -> None:
    failures = [StatusError(503), APIConnectionError("reset")]

    def send() -> str:
        if failures:
            raise failures.pop(0)
        return "ok"

    policy = RetryPolicy(max_attempts=3, base_delay=0.001)
    assert call_with_retries(send, policy, "Test http://x (model m)") == ("ok", 3)


def test_gives_up_after_max_attempts_naming_the_target() -> None:
    calls = []

    def send() -> str:
        calls.append(1)
        raise StatusError(503, "overloaded")

    with pytest.raises(LLMCallError, match=r"^Test http://x \(model m\): gave up after 2 attempts"):
        call_with_retries(
            send, RetryPolicy(max_attempts=2, base_delay=0.001), "Test http://x (model m)"
        )
    assert len(calls) == 2


def test_fatal_errors_fail_at_once() -> None:
    calls = []

    def send() -> str:
        calls.append(1)
        raise StatusError(401, "invalid x-api-key")

    with pytest.raises(LLMCallError) as caught:
        call_with_retries(send, RetryPolicy(), "Test http://x (model m)")
    assert str(caught.value) == (
        "Test http://x (model m): HTTP 401 authentication failed: invalid x-api-key (not retried)"
    )
    assert calls == [1]


def test_total_time_bound_stops_before_a_long_wait() -> None:
    def send() -> str:
        raise StatusError(429, headers={"retry-after": "30"})

    started = time.monotonic()
    with pytest.raises(LLMCallError, match="gave up after 1 attempt in"):
        call_with_retries(send, RetryPolicy(max_total_seconds=5), "t")
    assert time.monotonic() - started < 1


def test_policy_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(max_attempts=0)


def test_cost_uses_the_first_priced_name_and_cache_prices() -> None:
    prices = {"m": Price(input=2.0, output=10.0, cache_read=0.5, cache_write=2.5)}
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=100_000,
        cache_read_tokens=2_000_000,
        cache_write_tokens=0,
    )
    assert cost_of(usage, ("m", "m-2026-01-01"), prices) == pytest.approx(2.0 + 1.0 + 1.0)
    assert cost_of(usage, ("alias", "m"), prices) == pytest.approx(4.0)


def test_cache_prices_default_to_the_input_price() -> None:
    assert cost_of(
        Usage(0, 0, 1_000_000, 1_000_000), ("m",), {"m": Price(3.0, 15.0)}
    ) == pytest.approx(6.0)


def test_unknown_model_or_no_table_costs_none_not_zero() -> None:
    assert cost_of(Usage(10, 10), ("other",), {"m": Price(1, 1)}) is None
    assert cost_of(Usage(10, 10), ("m",), None) is None
