"""safe_text: untrusted strings become visible, literal Content."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from looplet_tui.safe_text import ESCAPE_STYLE, escape_line, escape_text, literal

UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")


def test_every_control_format_and_separator_character_gets_a_stand_in() -> None:
    """Checked against this Python's Unicode database, so a gap in the pattern fails here."""
    missed = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in UNSAFE_CATEGORIES
        and chr(code) not in "\n\t"
        and escape_text(chr(code))[0] == chr(code)
    ]
    assert missed == []


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred", "␛[31mred"),
        ("a\x00b", "a␀b"),
        ("\x07\x08\x7f", "␇␈␡"),
        ("c1\x9b", "c1\\x9b"),
        ("x\u202ey", "x\\u202ey"),
        ("\u2066i\u2069", "\\u2066i\\u2069"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("lone\udcff", "lone\\udcff"),
        ("line\u2028sep", "line\\u2028sep"),
    ],
)
def test_unsafe_characters_have_visible_stand_ins(raw: str, shown: str) -> None:
    assert escape_text(raw)[0] == shown
    assert escape_line(raw)[0] == shown


def test_stand_ins_are_marked_so_they_differ_from_the_same_characters_typed() -> None:
    text, spans = escape_line("␛ is not \x1b")
    assert text == "␛ is not ␛"
    assert spans == [(9, 10)]
    content = literal("␛ is not \x1b")
    assert [(s.start, s.end, s.style) for s in content.spans] == [(9, 10, ESCAPE_STYLE)]


def test_multiline_text_keeps_newlines_and_expands_tabs_to_tab_stops() -> None:
    text, spans = escape_text("a\tb\r\nab\tc\rd\n\tx")
    assert text == "a   b\nab  c␍d\n    x"
    assert text[spans[0][0] : spans[0][1]] == "␍"


def test_one_line_text_shows_newlines_and_tabs() -> None:
    assert escape_line("a\nb\tc")[0] == "a⏎b⇥c"


def test_printable_text_is_returned_as_is() -> None:
    text = "plain [bold]not markup[/bold] — ünïcode 漢字 🙂"
    assert escape_text(text) == (text, [])
    assert literal(text).plain == text


def test_markup_is_never_parsed() -> None:
    for text in ("[bold]x[/bold]", "[/", "[@click=app.quit]q[/]", "[$accent]v", "[link=http://e]l"):
        content = literal(text, "bold")
        assert content.plain == text
        assert {span.style for span in content.spans} == {"bold"}
