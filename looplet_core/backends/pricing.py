"""What a model call cost, from an optional per-model price table.

No prices ship with looplet: they change often and a stale table would print
confident wrong numbers.  Give a backend `prices={"model": Price(...)}` and
each response carries its cost; for a model missing from the table the cost is
None, because 0 would claim the call was free.
"""

from __future__ import annotations

from looplet_core._record import Record, set_field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from looplet_core.types import Usage

__all__ = ["Price", "cost_of"]


class Price(Record):
    """US dollars per million tokens. Cache prices default to the input price."""

    __slots__ = ("input", "output", "cache_read", "cache_write")
    input: float
    output: float
    cache_read: float | None
    cache_write: float | None

    def __init__(
        self,
        input: float,
        output: float,
        cache_read: float | None = None,
        cache_write: float | None = None,
    ) -> None:
        set_field(self, "input", input)
        set_field(self, "output", output)
        set_field(self, "cache_read", cache_read)
        set_field(self, "cache_write", cache_write)


def cost_of(
    usage: Usage, models: tuple[str | None, ...], prices: Mapping[str, Price] | None
) -> float | None:
    """The call's cost in dollars, or None when none of the model's names has a price.

    `models` lists the names to try in order: the model asked for, then the
    one the provider reported (often a dated variant of it).
    """
    price = next((prices[m] for m in models if prices and m in prices), None)
    if price is None:
        return None
    read = price.input if price.cache_read is None else price.cache_read
    write = price.input if price.cache_write is None else price.cache_write
    return (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_read_tokens * read
        + usage.cache_write_tokens * write
    ) / 1_000_000
