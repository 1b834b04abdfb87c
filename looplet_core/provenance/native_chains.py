"""Reading the records of a native trace's events.jsonl, and rebuilding the raw
wire requests it stores as deltas (see "events.jsonl" in docs/trace-format.md).

A call record holds only the wire messages appended since the previous call,
so a raw request is its epoch's full copy plus every delta after it.
`RawRequests` keeps, per epoch, the longest list rebuilt so far: every earlier
request of that epoch is a slice of it, and a later one reads on from where it
ended.  (Prompts are stored the same way but read lazily: native_prompts.py.)
"""

from __future__ import annotations

from looplet_core.provenance import _format as fmt
from looplet_core.provenance._parse import is_int, parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, BinaryIO

__all__ = [
    "CHAIN_KINDS",
    "Broken",
    "RawRequests",
    "message_part",
    "parse_record",
    "record_at",
    "remember",
]

CACHED_EPOCHS = 4
"""Epochs whose rebuilt lists (or, for prompts, what is known of them) are kept."""
CHAIN_KINDS = ("call", "end")
"""The kinds of record a conversation chain runs through (`llm_error` is a leaf)."""
_SKIP_IN_CHAINS = (b'{"kind":"step"', b'{"kind":"human"')


class Broken(Exception):
    """A record needed for a step's detail is missing or damaged (becomes a problem)."""


class RawRequests:
    """The raw-request chain of one events.jsonl, with its cache."""

    def __init__(self, note: Callable[[str], None]) -> None:
        self._note = note
        """Where damage found on the way is reported (`Trace._note`)."""
        self._lists: dict[int, list[Any]] = {}
        """Epoch → [the longest wire list rebuilt so far, the offset of its record]."""
        self._heads: dict[int, dict[str, Any]] = {}

    def raw_request(self, events: BinaryIO, offset: int, call: dict[str, Any]) -> Any:
        if "raw_request" in call:
            return call["raw_request"]
        delta = call.get("raw_request_delta")
        if delta is None:
            return None
        part = _raw_part(call, offset)
        if part is None:
            raise Broken(f"the raw request delta at byte {offset} has the wrong shape")
        messages = self._rebuild(events, offset, part)
        head = self._heads.get(part[0])
        if head is None:
            head = record_at(events, part[0], "call").get("raw_request")
            if not isinstance(head, dict):
                raise Broken(f"the raw request at byte {part[0]} is missing")
            remember(self._heads, part[0], head)
        same, changed = delta.get("same"), delta.get("set")
        if not isinstance(same, list) or not isinstance(changed, dict):
            raise Broken(f"the raw request delta at byte {offset} has the wrong shape")
        request: dict[str, Any] = {}
        for key, value in head.items():
            if key == "messages":
                request[key] = messages
            elif key in same:
                request[key] = value
        request.update(changed)
        request.setdefault("messages", messages)
        return request

    def _rebuild(
        self, events: BinaryIO, target: int, part: tuple[int, int, list[Any], bool]
    ) -> list[Any]:
        """The wire list stored at `target` as deltas since its epoch's full copy.

        Within an epoch every list is a prefix of the later ones, so the
        longest list rebuilt so far per epoch answers every earlier record by
        slicing, and later records by reading on from where it ended.
        """
        epoch, count, _items, _full = part
        cached = self._lists.get(epoch)
        if cached is not None and len(cached[0]) >= count:
            remember(self._lists, epoch, cached)
            return cached[0][:count]
        resume = cached is not None and cached[1] < target
        base, start = (cached[0], cached[1]) if resume else ([], epoch)  # type: ignore[index]
        added: list[Any] = []
        events.seek(start)
        position = start
        if resume:
            position += len(events.readline())  # the record the cache already holds
        for line in events:
            here = position
            position += len(line)
            if here > target:
                break
            if line.startswith(_SKIP_IN_CHAINS) or not line.endswith(b"\n"):
                continue
            record, error = parse(line)
            if error:  # not necessarily one this list needs: a missing delta shows in the count
                self._note(f"{fmt.EVENTS}: the record at byte {here} is damaged ({error})")
                continue
            found = _raw_part(record, here) if isinstance(record, dict) else None
            if found is None:
                continue
            record_epoch, record_count, items, full = found
            if record_epoch != epoch or full != (here == epoch):
                raise Broken(f"the record at byte {here} does not continue the one at byte {epoch}")
            if record_count - len(items) != len(base) + len(added):
                raise Broken(f"the delta at byte {here} does not follow the records before it")
            added.extend(items)
            if here == target:
                break
        if len(base) + len(added) != count:
            raise Broken(f"the records from byte {epoch} to {target} are incomplete")
        base.extend(added)
        remember(self._lists, epoch, [base, target])
        return base[:count]


def record_at(events: BinaryIO, offset: int, *kinds: str) -> dict[str, Any]:
    """The record at `offset`, which must be of one of `kinds`; Broken if it is not."""
    events.seek(offset)
    return parse_record(events.readline(), offset, kinds)


def parse_record(line: bytes, offset: int, kinds: tuple[str, ...]) -> dict[str, Any]:
    """One whole line of events.jsonl as a record of one of `kinds`; Broken if it is not."""
    what = " or ".join(kinds)
    if not line.endswith(b"\n"):
        raise Broken(f"the {what} record at byte {offset} is missing or cut short")
    record, error = parse(line)
    if error:
        raise Broken(f"the {what} record at byte {offset} is damaged ({error})")
    if not isinstance(record, dict) or record.get("kind") not in kinds:
        raise Broken(f"byte {offset} of {fmt.EVENTS} does not start a {what} record")
    return record


def message_part(record: dict[str, Any], offset: int) -> tuple[int, int, list[Any], bool] | None:
    """A call or end record's place in the conversation chain: (epoch, n, the
    messages it holds, whether they are a full copy)."""
    if record.get("kind") not in CHAIN_KINDS:
        return None
    epoch, count, items = record.get("epoch"), record.get("n"), record.get("messages")
    if not (is_int(epoch) and is_int(count) and isinstance(items, list)):
        raise Broken(f"the record at byte {offset} has a damaged conversation delta")
    return epoch, count, items, bool(record.get("snapshot"))


def _raw_part(record: dict[str, Any], offset: int) -> tuple[int, int, list[Any], bool] | None:
    """A call record's place in the chain of raw request messages."""
    if record.get("kind") != "call":
        return None
    full = record.get("raw_request")
    if isinstance(full, dict) and isinstance(full.get("messages"), list):
        return offset, len(full["messages"]), full["messages"], True
    delta = record.get("raw_request_delta")
    if not isinstance(delta, dict):
        return None
    epoch, count, items = delta.get("epoch"), delta.get("n"), delta.get("messages")
    if not (is_int(epoch) and is_int(count) and isinstance(items, list)):
        raise Broken(f"the raw request delta at byte {offset} has the wrong shape")
    return epoch, count, items, False


def remember(cache: dict[int, Any], key: int, value: Any, limit: int = CACHED_EPOCHS) -> None:
    """Insert or refresh `key` as the most recently used entry; drop the oldest beyond the cap."""
    cache.pop(key, None)
    cache[key] = value
    while len(cache) > limit:
        del cache[next(iter(cache))]
