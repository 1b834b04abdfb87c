"""Untrusted text, made safe to show: every string from a trace goes through here.

Model output, tool results and file contents may hold anything: text that
looks like Textual/Rich markup (`[@click=app.quit]`), ANSI and OSC escape
sequences (an OSC 52 clipboard write, an OSC 8 hyperlink), NUL and other
control characters, or bidi overrides that make a terminal show text in an
order other than the one it has.  The viewer must show all of it literally:

- nothing here ever parses markup; the result is a `Content` built from plain
  text, so brackets are just brackets;
- every character a terminal would act on, or that is invisible, is replaced
  by a visible stand-in and marked with `ESCAPE_STYLE`: C0 controls become
  control pictures (ESC is `␛`, NUL is `␀`), DEL is `␡`, and C1 controls,
  format characters (bidi overrides and isolates, zero-width characters, tag
  characters), line/paragraph separators and lone surrogates become
  `\\x9b`/`\\u202e`/`\\U000e0041` escapes.

Python's `str.isprintable()` is False for every character that needs a
stand-in, so text that is printable is returned as is, at C speed.
"""

from __future__ import annotations

import re

from textual.content import Content, Span

__all__ = [
    "ESCAPE_STYLE",
    "escape_line",
    "escape_text",
    "literal",
]

ESCAPE_STYLE = "$text-warning italic"
"""How stand-ins are drawn, so `␛` from an escape differs from a literal `␛`."""

_TAB_SIZE = 4

# Cc, Cf, Cs, Zl and Zp (Unicode 14): controls, format characters (bidi
# controls, zero-width characters, tags), surrogates and line separators.
# tests/tui/test_safe_text.py checks this class against unicodedata.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
_UNSAFE_OR_CRLF = re.compile(f"\r\n|{_UNSAFE.pattern}")
_IN_LINE = {"\n": "⏎", "\t": "⇥"}
"""Stand-ins for layout characters when the text must stay on one line."""


def _stand_in(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the control picture: ␀ … ␟
    if code == 0x7F:
        return "␡"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escape(
    text: str, pattern: re.Pattern[str], multiline: bool
) -> tuple[str, list[tuple[int, int]]]:
    """Replace what `pattern` finds with stand-ins; return the text and the stand-ins' spans.

    In `multiline` mode newlines stay, CRLF becomes LF and tabs become spaces
    up to the next tab stop; otherwise both get a stand-in of their own.
    """
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    start = length = 0
    line_start = 0
    """Where the current output line begins: tab stops count from there."""
    for match in pattern.finditer(text):
        found = match.group()
        if multiline and found == "\n":
            continue
        plain = text[start : match.start()]
        parts.append(plain)
        length += len(plain)
        if multiline and (newline := plain.rfind("\n")) >= 0:
            line_start = length - len(plain) + newline + 1
        start = match.end()
        if multiline and found == "\r\n":
            shown = "\n"
            line_start = length + 1
        elif multiline and found == "\t":
            shown = " " * (_TAB_SIZE - (length - line_start) % _TAB_SIZE)
        else:
            shown = _IN_LINE.get(found) or _stand_in(found)
            spans.append((length, length + len(shown)))
        parts.append(shown)
        length += len(shown)
    if not parts:
        return text, []
    parts.append(text[start:])
    return "".join(parts), spans


def escape_text(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Multi-line text made visible: newlines stay (CRLF becomes LF), tabs are expanded
    to spaces, everything else that is unsafe gets a stand-in."""
    if text.isprintable():
        return text, []
    return _escape(text, _UNSAFE_OR_CRLF, multiline=True)


def escape_line(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Text that must stay on one line: newlines show as `⏎` and tabs as `⇥`."""
    if text.isprintable():
        return text, []
    return _escape(text, _UNSAFE, multiline=False)


def literal(text: str, style: str = "") -> Content:
    """One line of untrusted text as Content, shown literally, in `style`."""
    shown, escapes = escape_line(text)
    spans = [Span(0, len(shown), style)] if style and shown else []
    spans.extend(Span(start, end, ESCAPE_STYLE) for start, end in escapes)
    # strip_control_codes=False: nothing is left to strip, and stripping would
    # shift the spans computed above.
    return Content(shown, spans, strip_control_codes=False)
