"""Screenshots of the run browser, compared with the SVGs in __snapshots__/.

The runs are real (see test_browser.make_runs_dir) and described by the real
`describe`; only the wall-clock durations of the two runs recorded during the
test are pinned, and the title names the directory as `./runs`, so every run of
the suite draws the same screen.  Regenerate with
`pytest tests/tui/test_browser_snapshots.py --snapshot-update` and look at every
changed SVG before committing it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Input

from looplet_tui.app import LoopletApp, build_browser_app
from looplet_tui.run_list import describe, find_runs
from tests.tui.test_browser import make_runs_dir

PINNED_MS = {"20250601-small": 2900.0, "20250602-hostile": 1250.0}
"""Durations of the runs recorded by the fixture (they depend on the machine)."""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_runs_dir(tmp_path_factory.mktemp("browser") / "runs")


def browser_app(root: Path) -> LoopletApp:
    rows = [describe(row) for row in find_runs(str(root))]
    rows = [replace(row, duration_ms=PINNED_MS.get(row.name, row.duration_ms)) for row in rows]
    app = build_browser_app("./runs", rows)
    app.animation_level = "none"
    return app


async def still(pilot) -> None:  # type: ignore[no-untyped-def]
    """The filter's cursor does not blink."""
    await pilot.pause()
    pilot.app.screen.query_one(Input).cursor_blink = False


def test_run_browser(snap_compare, runs) -> None:
    """Six runs sorted by name (▲ on the name header), the cursor on the first: our
    small run (6 steps, done, 1.3k tokens, 2 errors in red), the run whose task and
    model are hostile (markup shown as typed, ␛ ␇ and \\u202e stand-ins in the warning
    colour), two mini-swe-agent trajectories named by their folders (one stopped by
    its step limit), the looplet 0.4 run, and the broken run with its reason in red
    in the task column and – elsewhere; the filter line empty; the footer keys."""
    assert snap_compare(browser_app(runs), terminal_size=(120, 16), run_before=still)


def test_run_browser_filtered_small_terminal(snap_compare, runs) -> None:
    """At 80x24 with "batch" typed: the two mini-swe-agent rows, "2 of 6 match" in the
    status line; names cut at the front to keep their ends (…erministic_limits),
    the model cut at its end, the columns after tokens
    beyond the right edge (a horizontal scrollbar above the status line)."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await still(pilot)
        await pilot.press(*"batch")

    assert snap_compare(browser_app(runs), terminal_size=(80, 24), run_before=run_before)
