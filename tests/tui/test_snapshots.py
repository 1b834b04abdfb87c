"""Screenshots of the viewer, compared with the SVGs in __snapshots__/.

Runs are recorded for real, then read through `FrozenSource`, which pins the
clock readings (durations, latencies, hook µs, times) so that every run of
the suite draws the same screen.  Sizes are pinned; animations are off.
Regenerate with `pytest tests/tui/test_snapshots.py --snapshot-update` and look
at every changed SVG before committing it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from looplet_core.provenance import open_trace
from looplet_tui.app import LoopletApp, build_app
from looplet_tui.source import TraceSource
from tests.tui.conftest import settle
from tests.tui.frozen import FrozenSource
from tests.tui.hostile import record_hostile
from tests.tui.traces import NoDeletes, record_demo


def frozen_app(path: Path, name: str, **states: object) -> LoopletApp:
    source = FrozenSource(TraceSource(open_trace(path)), name, **states)  # type: ignore[arg-type]
    app = build_app(source)
    app.animation_level = "none"
    return app


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_demo(tmp_path_factory.mktemp("demo") / "run", hooks=[NoDeletes()])


def at(step: int, tab: str):
    """A `run_before` that selects a step and a tab once the index is built."""

    async def run_before(pilot) -> None:
        await pilot.pause()  # the viewer screen is composed
        screen = pilot.app.screen
        screen.details.active = tab
        screen.timeline.select(step - 1)
        await settle(pilot)

    return run_before


def test_main_screen(snap_compare, demo_run) -> None:
    """The demo run at 120x40, on step 1 with the Call tab open: the timeline of nine
    steps (#5 and #7 red with ✗), the token sparkline under it, the call of
    list_files with its JSON arguments and the model's sentence, the status bar
    (demo-run, step 1/9, done, 9.0k tok) and the footer keys."""
    app = frozen_app(demo_run, "demo-run")
    assert snap_compare(app, terminal_size=(120, 40), run_before=at(1, "call"))


def test_main_screen_small_terminal(snap_compare, demo_run) -> None:
    """The same at 80x24: rows and panes cut to fit, nothing overlapping; the
    status bar and footer still readable."""
    app = frozen_app(demo_run, "demo-run")
    assert snap_compare(app, terminal_size=(80, 24), run_before=at(3, "call"))


def test_error_step(snap_compare, demo_run) -> None:
    """Step 5, the failed move of photo.jpeg, on the Result tab: the heading
    "✗ failed: execution" and the FileNotFoundError message in the error colour;
    the cursor row is the highlighted red #5."""
    app = frozen_app(demo_run, "demo-run")
    assert snap_compare(app, terminal_size=(120, 40), run_before=at(5, "result"))


def test_hooks_pane(snap_compare, demo_run) -> None:
    """Step 7, delete_file denied by the no-deletes hook, on the Hooks tab: the
    hook trace table (phase, hook, decision, µs) with the deny reason under its
    row, then the hook's debug_state as JSON."""
    states = {6: {"no-deletes": {"denied": ["draft.tmp"]}}}
    app = frozen_app(demo_run, "demo-run", hook_states=states)
    assert snap_compare(app, terminal_size=(120, 40), run_before=at(7, "hooks"))


def test_prompt_pane(snap_compare, demo_run) -> None:
    """Step 8's prompt, scrolled to its newest messages: assistant messages with
    their calls, tool results with role labels, the failed move and the denied
    delete_file in the error colour at the bottom; the scrollbar shows more above."""
    app = frozen_app(demo_run, "demo-run")
    assert snap_compare(app, terminal_size=(120, 40), run_before=at(8, "prompt"))


def test_help_screen(snap_compare, demo_run) -> None:
    """The help modal over the viewer: every binding grouped by where it applies
    (timeline, run, search bar, application), then the command palette and
    mouse actions."""
    app = frozen_app(demo_run, "demo-run")
    assert snap_compare(app, terminal_size=(120, 40), press=["question_mark"])


def test_hostile_content(snap_compare, tmp_path) -> None:
    """Step 1 of the hostile run, Call tab: markup look-alikes shown as typed
    ([bold], [@click=app.quit], [link=…], [$accent]), escape sequences and
    control characters as ␛ ␇ ␀ and \\x/\\u stand-ins in the warning colour, in
    the timeline, the model text and reasoning, and the status bar's run name."""
    run = record_hostile(tmp_path / "run")
    app = frozen_app(run, "[@click=app.quit]run\x1b[31m")
    assert snap_compare(app, terminal_size=(120, 40), run_before=at(1, "call"))
