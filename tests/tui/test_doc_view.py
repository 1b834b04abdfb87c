"""DocView: wrapping, folding and lazy rendering of untrusted text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.app import App, ComposeResult
from textual.content import Content
from textual.pilot import Pilot

from looplet_tui.widgets.doc_view import Block, DocView

WIDTH = 40


class DocApp(App[None]):
    CSS = "DocView { width: 42; height: 20; padding: 0; }"  # 40 columns + the scrollbar gutter

    def compose(self) -> ComposeResult:
        yield DocView()


@asynccontextmanager
async def showing(blocks: list[Block]) -> AsyncIterator[tuple[Pilot[None], DocView]]:
    """A DocView 40 columns wide showing `blocks`, laid out."""
    app = DocApp()
    async with app.run_test(size=(60, 24)) as pilot:
        view = app.query_one(DocView)
        view.show(blocks)
        await pilot.pause()
        yield pilot, view


async def test_text_is_word_wrapped_to_the_width() -> None:
    words = " ".join(f"word{n}" for n in range(30))
    async with showing([Block(text=words)]) as (_, view):
        rows = view.rendered_lines()
        assert all(len(row) <= WIDTH for row in rows)
        assert " ".join(row.strip() for row in rows) == words  # no word was cut


async def test_a_line_without_spaces_is_cut_at_the_width() -> None:
    async with showing([Block(text="x" * 100)]) as (_, view):
        assert view.rendered_lines() == ["x" * 40, "x" * 40, "x" * 20]


async def test_wide_characters_are_cut_at_cell_boundaries() -> None:
    async with showing([Block(text="漢" * 30)]) as (_, view):
        assert view.rendered_lines() == ["漢" * 20, "漢" * 10]


async def test_a_folded_block_says_how_much_is_hidden_and_expands() -> None:
    text = "\n".join(f"line {n}" for n in range(50))
    async with showing([Block(heading=Content("message"), text=text, fold=3)]) as (_, view):
        assert view.rendered_lines()[:4] == ["▸ message", "line 0", "line 1", "line 2"]
        assert "47 more lines" in view.rendered_lines()[4]
        view.toggle_block(0)
        rows = view.rendered_lines()
        assert rows[0] == "▾ message"
        assert rows[-1] == "line 49"


async def test_a_block_one_row_over_its_fold_is_shown_whole() -> None:
    async with showing([Block(heading=Content("m"), text="a\nb\nc\nd", fold=3)]) as (_, view):
        assert view.rendered_lines() == ["m", "a", "b", "c", "d"]  # no "1 more line" note


async def test_stand_ins_are_styled_in_rendered_rows() -> None:
    async with showing([Block(text="ok \x1b[31m red")]) as (_, view):
        strip = view.render_line(0)
        assert strip.text.startswith("ok ␛[31m red")
        styles = {segment.text: segment.style for segment in strip}
        assert styles["␛"] != styles["ok "]
        assert styles["␛"].italic  # ESCAPE_STYLE


async def test_only_rows_on_screen_are_rendered_for_a_huge_result() -> None:
    text = "\n".join(f"row {n}" for n in range(200_000))
    async with showing([Block(text=text)]) as (pilot, view):
        assert view.virtual_size.height == 200_000
        assert len(view._strips) <= view.size.height
        view.scroll_to(y=150_000, animate=False, immediate=True)
        await pilot.pause()
        assert view.render_line(0).text.rstrip() == "row 150000"
