"""Hostile strings, and a recorded run that carries them into every field a pane shows.

Each piece is something a terminal UI could get wrong: text that looks like
Textual/Rich markup (including an action link that would quit the app),
ANSI and OSC escape sequences (a colour, a clipboard write, a hyperlink),
C0 and C1 control characters, bidi overrides and isolates, invisible format
characters and a lone surrogate.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from looplet_core import Deny, Inject, LLMResponse, ToolCall, Usage
from tests.tui.traces import record

MARKUP = (
    "[bold]bold?[/bold]",
    "[/",
    "[@click=app.quit]click me[/]",
    "[link=https://evil.example]link[/link]",
    "[$accent]var[/]",
    "[ERROR]",
)
ESCAPES = {
    "\x1b[31mred\x1b[0m": "␛[31mred␛[0m",
    "\x1b]52;c;aGVsbG8=\x07": "␛]52;c;aGVsbG8=␇",
    "\x1b]8;;https://evil.example\x1b\\site\x1b]8;;\x1b\\": "␛]8;;https://evil.example␛\\site␛]8;;␛\\",
    "nul\x00byte": "nul␀byte",
    "bell\x07back\x08": "bell␇back␈",
    "c1\x9bcsi": "c1\\x9bcsi",
    "abc\u202edcba\u202c": "abc\\u202edcba\\u202c",
    "\u2066iso\u2069": "\\u2066iso\\u2069",
    "zero\u200bwidth": "zero\\u200bwidth",
    "tag\U000e0041": "tag\\U000e0041",
    "lone\udcffsurrogate": "lone\\udcffsurrogate",
}
"""Each unsafe piece and how the viewer must show it."""

HOSTILE = " ".join((*MARKUP, *ESCAPES))
"""Every piece at once, space-separated (so wrapping never splits one)."""
HOSTILE_NAME = "[@click=app.quit]evil\x1b]52;c;eA==\x07tool"
HOSTILE_NAME_SHOWN = "[@click=app.quit]evil␛]52;c;eA==␇tool"


def expected_pieces() -> list[str]:
    """What must appear, literally, wherever HOSTILE is shown in full."""
    return [*MARKUP, *ESCAPES.values()]


def is_unsafe(char: str) -> bool:
    """A character no rendered row may contain: it would reach the terminal as is."""
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")


class HostileHook:
    """A hook whose name, decision reason and injected message are hostile."""

    name = HOSTILE_NAME

    def pre_dispatch(self, state: object, call: ToolCall) -> Deny | None:
        if call.name == "echo" and call.args.get("text") == "deny me":
            return Deny(HOSTILE)
        return None

    def post_dispatch(self, state: object, call: ToolCall, result: object) -> Inject | None:
        if call.name == "explode":
            return Inject(HOSTILE)
        return None


def record_hostile(directory: Path) -> Path:
    """Steps: 1 echo(HOSTILE) with hostile model text, reasoning and model name;
    2 explode(HOSTILE), a failure (then a hostile user message is injected);
    3 an unknown tool with a hostile name and argument key; 4 lookup(HOSTILE),
    a JSON result; 5 an echo the hostile hook denies; 6 done."""
    first = LLMResponse(
        text=HOSTILE,
        reasoning=HOSTILE,
        tool_calls=(ToolCall("echo", {"text": HOSTILE}),),
        usage=Usage(120, 30),
        model=HOSTILE_NAME,
    )
    script = [
        first,
        ToolCall("explode", {"reason": HOSTILE}),
        ToolCall(HOSTILE_NAME, {HOSTILE_NAME: HOSTILE}),
        ToolCall("lookup", {"key": HOSTILE}),
        ToolCall("echo", {"text": "deny me"}),
        ToolCall("done", {"answer": HOSTILE}),
    ]
    return record(directory, script, hooks=[HostileHook()])
