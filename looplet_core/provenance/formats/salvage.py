"""Reading what is left of a JSON document that is cut short or damaged.

mini-swe-agent rewrites its whole trajectory file after every step, without a
temp file, so a reader can catch it half written, and a killed run leaves it
so.  `json.loads` then gives nothing; `salvage_object` gives every member and
every array item that is whole.  Past a damaged item it skips to the next one
at the same indentation (`json.dumps(indent=...)` puts each item on its own
line), so damage in the middle costs only the items it touches.
"""

from __future__ import annotations

import json
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["salvage_object"]

_decode = json.JSONDecoder().raw_decode
_SPACE = re.compile(r"[ \t\n\r]*")


def salvage_object(text: str) -> tuple[dict[str, Any], list[str]]:
    """The readable members of a damaged JSON object, and notes on what was lost.

    A member whose value is an array that breaks keeps the items read so far
    (and those found past the damage); other broken members are dropped.
    """
    found: dict[str, Any] = {}
    notes: list[str] = []
    position = _skip(text, 0)
    if not text.startswith("{", position):
        return found, ["not a JSON object"]
    first = _skip(text, position + 1)
    next_member = _resync_pattern(text[position + 1 : first], '"')
    position = first
    while position < len(text):
        if text[position] == "}":
            return found, notes
        key, value_at = _member_key(text, position)
        end = None
        if key is not None:
            value, end = _value(text, value_at, key, notes)
            if value is not _BROKEN:
                found[key] = value
        after = None if end is None else _after_value(text, end)
        if after is not None:
            position = after
            continue
        resync = next_member.search(text, position + 1) if next_member else None
        if resync is None:
            break
        position = resync.end() - 1  # at the next key's opening quote
    notes.append("the document is cut short")
    return found, notes


_BROKEN = object()


def _value(text: str, position: int, key: str, notes: list[str]) -> tuple[Any, int | None]:
    """(value, end) of a member's value; an array that breaks is read item by item."""
    try:
        return _decode(text, position)
    except (ValueError, RecursionError):
        pass
    if not text.startswith("[", position):
        notes.append(f"{key}: damaged")
        return _BROKEN, None
    items, end, lost = _salvage_array(text, position)
    if lost:
        notes.append(f"{key}: {lost} damaged stretch(es) skipped")
    if end is None:
        notes.append(f"{key}: cut short after {len(items)} items")
    return items, end


def _salvage_array(text: str, position: int) -> tuple[list[Any], int | None, int]:
    """(whole items, the end of the array or None if it never ends, damaged stretches)."""
    items: list[Any] = []
    lost = 0
    position += 1
    start = _skip(text, position)
    next_item = _resync_pattern(text[position:start], "")
    position = start
    while position < len(text):
        if text[position] == "]":
            return items, position + 1, lost
        try:
            item, end = _decode(text, position)
        except (ValueError, RecursionError):
            end = None
        if end is not None:
            after = _skip(text, end)
            if text.startswith(",", after):
                items.append(item)
                position = _skip(text, after + 1)
                continue
            if text.startswith("]", after):
                items.append(item)
                return items, after + 1, lost
            if after >= len(text):
                break  # a number or literal right at the cut may itself be cut: drop it
        resync = next_item.search(text, position + 1) if next_item else None
        if resync is None:
            break
        lost += 1
        position = resync.end()
    return items, None, lost


def _member_key(text: str, position: int) -> tuple[str | None, int]:
    """(key, the start of its value) of the member at `position`, or (None, position)."""
    try:
        key, end = _decode(text, position)
    except (ValueError, RecursionError):
        return None, position
    colon = _skip(text, end)
    if not isinstance(key, str) or not text.startswith(":", colon):
        return None, position
    return key, _skip(text, colon + 1)


def _after_value(text: str, end: int) -> int | None:
    """Where the next member starts after a value ending at `end`, the closing brace's
    position if none follows, or None if the separator is damaged."""
    after = _skip(text, end)
    if text.startswith(",", after):
        return _skip(text, after + 1)
    if text.startswith("}", after):
        return after
    return None


def _resync_pattern(indent: str, first: str) -> re.Pattern[str] | None:
    """A pattern for `,` + newline + exactly this indentation + the next item's first
    character; None for compact JSON, where no such landmark exists."""
    if "\n" not in indent:
        return None
    return re.compile(re.escape("," + indent) + (re.escape(first) if first else r"(?=\S)"))


def _skip(text: str, position: int) -> int:
    return _SPACE.match(text, position).end()  # type: ignore[union-attr]
