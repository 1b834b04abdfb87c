"""The viewer over a run opened progressively (a long mini-swe-agent trajectory,
or a long run of ours).

The first steps are painted at once; the rest is read in the background and
added without moving the cursor, with the status bar saying how much is
read.  A test source reads a slice only when the test lets it, so what the
screen does before the end is seen for sure.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from pathlib import Path

import pytest
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from looplet_core import ScriptedBackend, composable_loop
from looplet_core.provenance import ProvenanceSink, open_trace
from looplet_tui.app import build_app
from looplet_tui.screens.viewer import ViewerScreen
from looplet_tui.source import TraceSource
from looplet_tui.widgets.problems_banner import ProblemsBanner
from looplet_tui.widgets.status_bar import StatusBar
from tests.trace.minisweagent_long import long_document, write_long
from tests.trace.native_runs import echo_script, record_human
from tests.trace.scenarios import TOOLS
from tests.tui.conftest import settle
from tests.tui.rendering import drawn_text


class HeldSource(TraceSource):
    """A trace opened progressively that reads on only as far as the test allows:
    `slices_allowed` slices, each of which waits for `go` once it has started."""

    def __init__(self, path: Path) -> None:
        super().__init__(open_trace(path, progressive=True))
        self.slices_allowed = 0
        self.started = threading.Event()
        self.go = threading.Event()
        self.go.set()

    def index_more(self, budget_s: float) -> int:
        if self.slices_allowed <= 0:
            return 0
        self.slices_allowed -= 1
        self.started.set()
        self.go.wait(timeout=10)
        return super().index_more(budget_s)

    def read_all(self) -> None:
        self.go.set()
        self.slices_allowed = 1 << 30


async def settle_loads(pilot: Pilot[None]) -> None:
    """`settle`, but for the background read, which a held source never ends."""
    while running := [w for w in pilot.app.workers if not w.is_finished and w.group != "read"]:
        for worker in running:
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
    await pilot.pause()


async def until_read(pilot: Pilot[None], source: HeldSource) -> None:
    """Let the source read to its end and wait until the screen has shown it all."""
    source.read_all()
    while source.progress() is not None:
        await pilot.pause()
    await settle(pilot)


async def until_followed(pilot: Pilot[None], source: HeldSource, total: int) -> None:
    """Wait until the background read and follow mode have shown `total` steps, and
    check that the cursor stayed on the second one."""
    screen = pilot.app.screen
    assert isinstance(screen, ViewerScreen)
    while source.progress() is not None or screen.timeline.row_count < total:
        await pilot.pause(0.05)
    await settle(pilot)
    assert screen.timeline.row_count == len(screen.index) == total
    assert screen.timeline.cursor == 1
    assert "indexing" not in status_text(screen)


def status_text(screen: ViewerScreen) -> str:
    return drawn_text([screen.query_one(StatusBar)])


def notifications(sink: list[str]):
    """A `message_hook` that keeps the text of every notification."""

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            sink.append(message.notification.message)

    return hook


LONG_STEPS = 3000
"""A run of ours this long takes a few first slices (FIRST_STEPS is a minimum)."""


def write_ours(path: Path) -> Path:
    record_human(path, LONG_STEPS)
    return path


@pytest.mark.parametrize(
    "write", [write_long, write_ours], ids=["mini-swe-agent trajectory", "our trace"]
)
async def test_rows_come_while_the_run_is_read_and_the_cursor_stays_put(tmp_path, write) -> None:
    path = write(tmp_path / "long.traj.json")
    total = len(open_trace(path))
    source = HeldSource(path)
    first = len(source)
    assert first < total
    app = build_app(source)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ViewerScreen)
        await pilot.pause()
        assert screen.timeline.row_count == first
        status = status_text(screen)
        share = re.search(r"indexing (\d+)%", status)
        assert f"step 1/{first:,} " in status and share and 0 < int(share[1]) < 100
        await pilot.press("j", "j", "j")
        scroll = screen.timeline.scroll_offset
        await until_read(pilot, source)
        assert screen.timeline.row_count == len(source) == total
        assert screen.timeline.cursor == 3 and screen.timeline.scroll_offset == scroll
        assert screen.details.pane().data.position == 3
        assert len(screen.index) == total
        status = status_text(screen)
        assert "indexing" not in status and f"step 4/{total:,} " in status


async def test_G_while_the_run_is_read_ends_on_its_last_step(tmp_path) -> None:
    source = HeldSource(write_long(tmp_path / "long.traj.json"))
    app = build_app(source)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("G")
        assert screen.timeline.cursor == len(source) - 1
        await until_read(pilot, source)
        assert screen.timeline.cursor == len(source) - 1 > 300
        assert screen.details.pane().data.position == len(source) - 1


async def test_G_while_a_slice_is_read_still_ends_on_the_last_step(tmp_path) -> None:
    source = HeldSource(write_long(tmp_path / "long.traj.json"))
    source.go.clear()
    source.slices_allowed = 1
    app = build_app(source)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        while not source.started.is_set():
            await pilot.pause()
        await pilot.press("G")  # while the slice is being read
        first = len(source)
        assert screen.timeline.cursor == first - 1
        source.go.set()
        while screen.timeline.virtual_size.height == first:  # until the rows are added
            await pilot.pause()
        assert screen.timeline.cursor == len(source) - 1 > first - 1
        await until_read(pilot, source)
        assert screen.timeline.cursor == len(source) - 1


async def test_an_error_jump_past_what_is_read_says_the_rest_is_coming(tmp_path) -> None:
    said: list[str] = []
    source = HeldSource(write_long(tmp_path / "long.traj.json"))
    app = build_app(source)
    async with app.run_test(size=(120, 40), message_hook=notifications(said)) as pilot:
        screen = app.screen
        await settle_loads(pilot)
        errors = screen.index.errors
        screen.timeline.select(errors[-1])
        await pilot.press("e")
        assert screen.timeline.cursor == errors[-1]
        assert any("read so far; the rest is being read" in text for text in said)
        await until_read(pilot, source)
        await pilot.press("e")
        assert screen.timeline.cursor > errors[-1]


async def test_damage_found_late_shows_in_the_banner_once_read(tmp_path) -> None:
    path = write_long(tmp_path / "long.traj.json")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 9 // 10])
    source = HeldSource(path)
    app = build_app(source)
    async with app.run_test(size=(120, 40)) as pilot:
        banner = app.screen.query_one(ProblemsBanner)
        await pilot.pause()
        assert not banner.has_class("-shown")
        await until_read(pilot, source)
        assert banner.has_class("-shown") and "cut short" in drawn_text([banner])


async def test_a_search_while_the_run_is_read_finds_the_later_steps_too(tmp_path) -> None:
    source = HeldSource(write_long(tmp_path / "long.traj.json"))
    app = build_app(source)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("slash", *"# 70", "enter")
        await settle_loads(pilot)
        assert screen.search is not None and screen.search.matches == []
        await until_read(pilot, source)
        late = [i for i in range(len(source)) if "# 70" in source.summary(i).args_preview]
        assert late and screen.search.matches == late
        assert screen.timeline.cursor == late[0]  # the first match, once found


async def test_follow_mode_rereads_a_trajectory_rewritten_while_it_is_read(tmp_path) -> None:
    path = write_long(tmp_path / "long.traj.json")
    source = HeldSource(path)
    app = build_app(source, follow=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("j")
        write_long(path, blocks=100)  # the agent wrote another step meanwhile
        total = len(open_trace(path))
        await until_followed(pilot, source, total)


async def test_follow_mode_on_a_run_of_ours_written_while_it_is_read(tmp_path) -> None:
    """The run goes on after the viewer opened it with its first slice: the rest of
    what was there and what came since both arrive, and the cursor stays put."""
    directory = tmp_path / "live"
    loop = composable_loop(
        ScriptedBackend(echo_script(LONG_STEPS)),
        TOOLS,
        "follow",
        hooks=[ProvenanceSink(directory)],
        max_steps=LONG_STEPS,
    )
    for _ in range(LONG_STEPS * 2 // 3):
        next(loop)
    source = HeldSource(directory)
    assert len(source) < LONG_STEPS * 2 // 3
    app = build_app(source, follow=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("j")
        for _ in loop:
            pass
        source.read_all()
        await until_followed(pilot, source, LONG_STEPS)
        assert source.meta().finished


async def test_a_run_that_reads_shorter_at_its_end_keeps_the_cursor_on_a_real_step(
    tmp_path,
) -> None:
    """A trajectory with a second, shorter `messages` (the later copy wins, as in
    json.loads) has fewer steps once read than its first slice showed: the cursor
    moves onto the last real step, whose details are shown, and nothing fails."""
    document = long_document(80)
    text = json.dumps(document, indent=1)
    short = document["messages"][:12]
    path = tmp_path / "twice.traj.json"
    path.write_text(f'{text.rstrip()[:-1]}, "messages": {json.dumps(short)}}}')
    total = len(open_trace(path))
    said: list[str] = []
    source = HeldSource(path)
    app = build_app(source)
    async with app.run_test(size=(120, 40), message_hook=notifications(said)) as pilot:
        screen = app.screen
        assert isinstance(screen, ViewerScreen)
        await pilot.press("G")
        first = len(source)
        assert screen.timeline.cursor == first - 1 > total
        await until_read(pilot, source)
        assert len(source) == screen.timeline.row_count == len(screen.index) == total
        assert screen.timeline.cursor == total - 1
        assert screen.details.pane().data.position == total - 1
        assert f"step {total}/{total} " in status_text(screen)
        assert said == []
