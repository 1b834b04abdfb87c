"""Printing untrusted text to a terminal, and failing with one line instead of a traceback.

Traces hold model output, tool results and file contents, any of which may
carry ANSI or OSC escape sequences that would recolour, retitle or rewrite
the user's terminal.  Everything the CLI prints from a trace goes through
`visible()`, which shows such characters as Python escapes instead.
"""

from __future__ import annotations

import sys

__all__ = ["CommandError", "complain", "visible"]


class CommandError(Exception):
    """Bad input or arguments: printed as one line, and the command exits with 2."""


def visible(text: str) -> str:
    """`text` with every non-printable character (ESC, newlines, bidi controls,
    lone surrogates, ...) shown as its escape, e.g. `\\x1b`, so the terminal only
    ever receives printable characters."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def complain(prefix: str, message: str) -> None:
    """Print one error line to stderr, whatever the message holds."""
    print(f"{prefix}: {visible(message)}", file=sys.stderr)
