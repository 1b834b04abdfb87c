"""What the sink and the reader agree on: file names, the JSON encoding, index lines.

The layout itself is documented in docs/trace-format.md.
"""

from __future__ import annotations

import json

from looplet_core.jsonable import to_jsonable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

FORMAT = "looplet-trace"
VERSION = 1
HEADER = "header.json"
EVENTS = "events.jsonl"
INDEX = "index.jsonl"
SUMMARY = "summary.json"

INDEX_FIELDS = (
    "n",
    "turn",
    "tool",
    "args",
    "ok",
    "err",
    "ms",
    "in",
    "out",
    "lat",
    "off",
    "len",
    "call",
)
"""A step's index line is a JSON array of these, in this order (see docs/trace-format.md):
an array is less than half the size of the same object, and faster to parse."""

ARGS_PREVIEW_WIDTH = 60
_VALUE_WIDTH = 24


def _fallback(value: Any) -> Any:
    """Anything json cannot encode goes through the same conversion tool results do."""
    return to_jsonable(value)


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, check_circular=False, separators=(",", ":"), default=_fallback
)
_make_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODER = (
    None
    if _make_c_encoder is None
    else _make_c_encoder(
        None, _fallback, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
)
"""The C encoder `JSONEncoder.encode` builds afresh on every call, built once: this
is the hottest line of the sink (about 1.5 µs of 8 per record saved)."""


def encode(record: Any) -> str:
    """Compact JSON on one line (newlines inside strings are escaped).

    Data json rejects (a tuple as a key, a cycle) is converted first rather
    than failing the run.
    """
    try:
        line = "".join(_C_ENCODER(record, 0)) if _C_ENCODER else _ENCODER.encode(record)
    except (TypeError, ValueError, RecursionError):
        line = _ENCODER.encode(to_jsonable(record))
    if line.isascii():  # O(1) for str
        return line
    return _escape_line_breaks(line)


def _escape_line_breaks(line: str) -> str:
    """Escape the characters `str.splitlines` (and older JavaScript) break lines at but
    JSON leaves alone, so every common line splitter sees one record per line."""
    for char, escaped in _LINE_BREAKS:
        if char in line:
            line = line.replace(char, escaped)
    return line


_LINE_BREAKS = (("\x85", "\\u0085"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def to_bytes(line: str) -> bytes:
    """UTF-8 with a newline.  A lone surrogate (from undecodable bytes) becomes
    its JSON escape `\\udcxx` instead of failing: it is always inside a string."""
    return (line + "\n").encode("utf-8", "backslashreplace")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def preview_args(args: Any) -> str:
    """`path='a.txt', n=3`, at most 60 characters; long values are cut before repr."""
    if isinstance(args, str):
        return _clip(f"<not JSON: {args[:ARGS_PREVIEW_WIDTH]!r}>", ARGS_PREVIEW_WIDTH)
    if not isinstance(args, dict):
        return _clip(repr(args)[: ARGS_PREVIEW_WIDTH + 1], ARGS_PREVIEW_WIDTH)
    parts = []
    size = 0
    for key, value in args.items():
        if isinstance(value, str):
            shown = repr(value[: _VALUE_WIDTH + 1])
        elif value is None or isinstance(value, bool | int | float):
            shown = repr(value)
        else:
            shown = encode(value)
        part = f"{key}={_clip(shown, _VALUE_WIDTH)}"
        parts.append(part)
        size += len(part) + 2
        if size > ARGS_PREVIEW_WIDTH:
            break
    return _clip(", ".join(parts), ARGS_PREVIEW_WIDTH)


def index_line(step: Mapping[str, Any], offset: int, length: int, call: int | None) -> list:
    """A step's index line (INDEX_FIELDS), from its (already cleaned) `Step.to_dict()`."""
    tool_call = step["tool_call"]
    result = step["tool_result"]
    usage = step["usage"]
    return [
        step["number"],
        step["turn"],
        tool_call["name"][:ARGS_PREVIEW_WIDTH],
        preview_args(tool_call["args"]),
        result["error"] is None,
        result["error_kind"],
        round(result["duration_ms"], 3),
        usage["input_tokens"],
        usage["output_tokens"],
        round(step["latency_ms"], 3),
        offset,
        length,
        call,
    ]
