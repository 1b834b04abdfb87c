"""How numbers look on screen: durations, token counts, costs and times."""

from __future__ import annotations

import time

__all__ = ["format_cost", "format_ms", "format_time", "format_tokens"]


def format_ms(millis: float | None) -> str:
    """`0.4ms`, `182ms`, `3.2s`, `4m05s`: short, and precise where it matters."""
    if millis is None:
        return "–"
    if millis < 10:
        return f"{millis:.1f}ms"
    if millis < 1000:
        return f"{millis:.0f}ms"
    seconds = millis / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s"


def format_tokens(count: int) -> str:
    """`950`, `12.3k`, `4.1M`."""
    if count < 1000:
        return str(count)
    if count < 1_000_000:
        return f"{count / 1000:.1f}k"
    return f"{count / 1_000_000:.1f}M"


def format_cost(cost: float | None) -> str:
    """Dollars, or `–` when the price was unknown (0 would be a lie)."""
    if cost is None:
        return "–"
    return f"${cost:.4f}" if cost < 1 else f"${cost:,.2f}"


def format_time(unix: float | None) -> str:
    """A Unix time as UTC, the way traces record it."""
    if unix is None:
        return "–"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(unix))
