"""Every widget that shows trace text shows hostile strings literally.

The run from `record_hostile` puts markup look-alikes, escape sequences,
control, bidi and invisible characters into tool names, arguments, results,
errors, model text, reasoning, the model name, injected messages, hook names
and reasons; the run's directory name is hostile too.  For each pane the
tests check that the pieces appear in their visible form, that nothing drawn
contains a character a terminal would act on, that no action link was
created, and that clicking the `[@click=app.quit]` text does not quit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.messages import ExitApp
from textual.widget import Widget

from looplet_core.provenance import open_trace
from looplet_tui.app import build_app
from looplet_tui.cli import open_source
from looplet_tui.source import TraceSource
from looplet_tui.widgets.doc_view import DocView
from looplet_tui.widgets.problems_banner import ProblemsBanner
from looplet_tui.widgets.status_bar import StatusBar
from looplet_tui.widgets.timeline import Timeline
from tests.tui.conftest import settle
from tests.tui.frozen import FrozenSource
from tests.tui.hostile import (
    ESCAPES,
    HOSTILE,
    HOSTILE_NAME,
    HOSTILE_NAME_SHOWN,
    expected_pieces,
    is_unsafe,
    record_hostile,
)
from tests.tui.rendering import action_links, drawn_text

SIZE = (200, 50)
RUN_NAME = "[@click=app.quit]run\x1b[31m"


@pytest.fixture
def hostile_run(tmp_path: Path) -> Path:
    return record_hostile(tmp_path / RUN_NAME)


def assert_safe(text: str) -> None:
    unsafe = sorted({f"U+{ord(c):04X}" for c in text if is_unsafe(c) and c != "\n"})
    assert not unsafe, f"drawn text holds characters a terminal would act on: {unsafe}"


def assert_literal(text: str, pieces: list[str]) -> None:
    missing = [piece for piece in pieces if piece not in text]
    assert not missing, f"not shown literally: {missing!r}"


# (step number, tab, what must appear in the pane's document)
PANE_CASES = [
    (1, "call", expected_pieces()),  # the model's text and reasoning, raw
    (1, "result", expected_pieces()),  # echo's string result
    (1, "usage", [HOSTILE_NAME_SHOWN]),  # the model name
    (2, "result", expected_pieces()),  # the error message
    (3, "prompt", expected_pieces()),  # assistant text and the injected user message
    (3, "call", [HOSTILE_NAME_SHOWN, "[@click=app.quit]"]),  # tool name and argument key
    (3, "result", ["'[@click=app.quit]evil\\x1b]52;c;eA==\\x07tool'"]),  # the core's repr of it
    (4, "result", [*HOSTILE.split("\x1b")[0].split()]),  # JSON: markup pieces, verbatim
    (5, "hooks", [HOSTILE_NAME_SHOWN[:23], *expected_pieces()]),  # hook name (cut) and reason
    (6, "call", expected_pieces()[:6]),  # done's answer as pretty JSON: markup verbatim
]


@pytest.mark.parametrize(("number", "tab", "pieces"), PANE_CASES)
async def test_pane_shows_hostile_text_literally(hostile_run, number, tab, pieces) -> None:
    app = build_app(open_source(str(hostile_run)))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        screen.details.active = tab
        screen.timeline.select(number - 1)
        await settle(pilot)
        pane = screen.details.pane()
        pane.toggle_all()  # expanded: every folded line is in the document
        document = "".join(pane.rendered_lines())
        assert_literal(document, pieces)
        assert_safe(document)
        shown = list(app.screen.query(Widget))
        assert_safe(drawn_text(shown))
        assert action_links(shown) == []


async def test_json_views_show_control_characters_as_json_escapes(hostile_run) -> None:
    """Arguments are pretty JSON: control characters come out as JSON escapes
    (visible), and what JSON leaves raw gets the viewer's stand-ins."""
    app = build_app(open_source(str(hostile_run)))
    async with app.run_test(size=SIZE) as pilot:
        app.screen.details.active = "call"
        app.screen.timeline.select(3)  # lookup(key=HOSTILE)
        await settle(pilot)
        document = "".join(app.screen.details.pane().rendered_lines())
        assert "\\u001b[31mred\\u001b[0m" in document
        assert "\\u0000" in document
        assert ESCAPES["c1\x9bcsi"] in document
        assert ESCAPES["abc\u202edcba\u202c"] in document
        assert_safe(document)


async def test_timeline_and_status_bar_show_hostile_names_literally(hostile_run) -> None:
    app = build_app(open_source(str(hostile_run)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        row = timeline.row_content(2, 190).plain
        assert HOSTILE_NAME_SHOWN in row
        assert_safe(row)
        status = drawn_text([app.screen.query_one(StatusBar)])
        assert "[@click=app.quit]run␛[31m" in status
        assert_safe(status)
        assert action_links([timeline, app.screen.query_one(StatusBar)]) == []


async def test_clicking_action_markup_in_a_pane_does_not_quit(hostile_run) -> None:
    exits: list[ExitApp] = []
    app = build_app(open_source(str(hostile_run)))

    def hook(message: object) -> None:
        if isinstance(message, ExitApp):
            exits.append(message)

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        app.screen.details.active = "call"
        await settle(pilot)
        pane = app.screen.details.pane()
        rows = pane.rendered_lines()
        row = next(n for n, text in enumerate(rows) if "[@click=app.quit]" in text)
        column = rows[row].index("[@click=app.quit]") + 3
        await pilot.click(pane, offset=(column + 1, row))  # +1: the pane's left padding
        await pilot.click(app.screen.query_one(StatusBar), offset=(3, 0))
        await pilot.pause()
        assert exits == []
        assert app.return_code is None


class _BannerApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ProblemsBanner()


async def test_problems_banner_shows_hostile_problems_literally() -> None:
    problems = [f"events.jsonl line 3: {HOSTILE}", HOSTILE_NAME]
    app = _BannerApp()
    async with app.run_test(size=SIZE) as pilot:
        banner = app.query_one(ProblemsBanner)
        banner.show(problems)
        await pilot.pause()
        text = drawn_text([banner])
        assert_literal(text, [*expected_pieces()[:6], HOSTILE_NAME_SHOWN])
        assert_safe(text)
        assert action_links([banner]) == []


async def test_hook_debug_state_is_shown_literally(hostile_run) -> None:
    """debug_state() values come from hooks: the Hooks pane shows them as JSON text."""
    states = {0: {HOSTILE_NAME: {"last": HOSTILE, HOSTILE: 1}}}
    source = FrozenSource(TraceSource(open_trace(hostile_run)), "run", hook_states=states)
    app = build_app(source)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.details.active = "hooks"
        await settle(pilot)
        document = "".join(app.screen.details.pane().rendered_lines())
        assert "debug_state · " + HOSTILE_NAME_SHOWN in document
        assert_literal(document, list(expected_pieces()[:6]))
        assert_safe(document)
        assert action_links(app.screen.query(DocView)) == []
