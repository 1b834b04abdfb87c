"""Showing Python values to the model: as JSON data, or as short text in a message.

Runs on every dispatch, so it imports nothing heavy: dataclasses, pathlib and
datetime are looked up only when a value could belong to them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from enum import Enum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["preview", "safe_repr", "to_jsonable"]

_PREVIEW_WIDTH = 60
_MAX_DEPTH = 100
"""How deep `to_jsonable` descends before giving up with a repr; far below the
interpreter's recursion limit even from inside a deep call stack."""
_INFINITY = float("inf")


def to_jsonable(value: Any) -> Any:
    """Convert a tool's return value to data `json.dumps` accepts; never raises.

    Tools return whatever is convenient (sets, dataclasses, paths, bytes), but a
    result must survive a trace file and a round trip to the model.  Containers
    convert recursively; objects with a `to_dict()` use it; anything without an
    obvious JSON form becomes its repr, which at least shows the model what
    happened.  Cycles and absurd nesting become repr strings too, never a
    RecursionError.
    """
    return _convert(value, set(), 0)


def safe_repr(value: Any) -> str:
    """`repr`, or a placeholder when the object's own `__repr__` fails."""
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__name__}>"


def preview(value: Any) -> str:
    """A short, escaped rendering of a value for an error message."""
    text = safe_repr(value)
    return text if len(text) <= _PREVIEW_WIDTH else text[: _PREVIEW_WIDTH - 1] + "…"


def _convert(value: Any, active: set[int], depth: int) -> Any:
    """`to_jsonable` for one value; `active` holds the ids of containers being
    converted further up, so meeting one again means a cycle."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is float:
        return value if _is_finite(value) else repr(value)
    if isinstance(value, Enum):
        return _convert(value.value, active, depth + 1)
    if isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return float(value) if _is_finite(value) else repr(float(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    text = _path_or_time_text(value)
    if text is not None:
        return text
    if depth >= _MAX_DEPTH or id(value) in active:
        return safe_repr(value)
    active.add(id(value))
    try:
        return _convert_composite(value, active, depth + 1)
    except Exception:
        return safe_repr(value)
    finally:
        active.discard(id(value))


def _is_finite(number: float) -> bool:
    """`math.isfinite` without importing math: NaN fails every comparison."""
    return -_INFINITY < number < _INFINITY


def _path_or_time_text(value: Any) -> str | None:
    """A path's text or a date's or time's ISO form; None for anything else.

    Looked up in `sys.modules` rather than imported: if pathlib or datetime was
    never loaded, no value can be one of their types.
    """
    pathlib = sys.modules.get("pathlib")
    if pathlib is not None and isinstance(value, pathlib.PurePath):
        return str(value)
    datetime = sys.modules.get("datetime")
    if datetime is not None and isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return None


def _convert_composite(value: Any, active: set[int], depth: int) -> Any:
    if isinstance(value, Mapping):
        return {
            _key_text(key, active, depth): _convert(item, active, depth)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_convert(item, active, depth) for item in value]
    if isinstance(value, set | frozenset):
        # Sorted so the same set always produces the same trace.
        return sorted((_convert(item, active, depth) for item in value), key=repr)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return _convert(to_dict(), active, depth)
    if hasattr(type(value), "__dataclass_fields__"):
        # A dataclass instance: something already imported dataclasses.
        import dataclasses

        return {
            field.name: _convert(getattr(value, field.name), active, depth)
            for field in dataclasses.fields(value)
        }
    return safe_repr(value)


def _key_text(key: Any, active: set[int], depth: int) -> str:
    """JSON object keys are strings; other keys take the text `json.dumps` would give them."""
    if isinstance(key, str):
        return key
    converted = _convert(key, active, depth)
    return converted if isinstance(converted, str) else json.dumps(converted)
