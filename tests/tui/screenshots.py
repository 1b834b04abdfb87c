"""`make screenshots`: the README's pictures, drawn by the snapshot tests' own set-ups.

    python -m pytest tests/tui/screenshots.py      # writes screenshots/*.svg

Not collected with the suite (the name does not start with test_).  Each
picture is the app of a snapshot test (same recorded runs, pinned clocks and
sizes), driven the same way, saved into screenshots/ instead of compared; so
the pictures change only when the screens do, and `git diff screenshots/`
shows when they did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from textual.pilot import Pilot

from looplet_tui.app import LoopletApp
from tests.tui import test_browser_snapshots, test_debugger_snapshots, test_snapshots
from tests.tui.test_browser_snapshots import browser_app, still
from tests.tui.test_debugger_snapshots import snapshot_app, to_approval
from tests.tui.test_snapshots import at, frozen_app

# The snapshot tests' fixtures, so that pytest finds them here too.
demo_run = test_snapshots.demo_run
runs = test_browser_snapshots.runs
pinned_clocks = test_debugger_snapshots.pinned_clocks

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"

RunBefore = Callable[[Pilot[None]], Awaitable[None]]


async def save(
    app: LoopletApp,
    name: str,
    size: tuple[int, int],
    run_before: RunBefore | None = None,
    press: Iterable[str] = (),
) -> None:
    """Drive `app` like `snap_compare` does, then write screenshots/NAME.svg."""
    async with app.run_test(size=size) as pilot:
        if run_before is not None:
            await run_before(pilot)
        await pilot.pause()
        await pilot.press(*press)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        app.save_screenshot(f"{name}.svg", str(SCREENSHOTS))


async def test_main_screen(demo_run) -> None:
    await save(frozen_app(demo_run, "demo-run"), "main-screen", (120, 40), at(1, "call"))


async def test_error_step(demo_run) -> None:
    await save(frozen_app(demo_run, "demo-run"), "error-step", (120, 40), at(5, "result"))


async def test_hooks_pane(demo_run) -> None:
    states = {6: {"no-deletes": {"denied": ["draft.tmp"]}}}
    app = frozen_app(demo_run, "demo-run", hook_states=states)
    await save(app, "hooks-pane", (120, 40), at(7, "hooks"))


async def test_help(demo_run) -> None:
    await save(frozen_app(demo_run, "demo-run"), "help", (120, 40), press=["question_mark"])


async def test_run_browser(runs) -> None:
    await save(browser_app(runs), "run-browser", (120, 16), still)


async def test_debugger_paused_at_approval() -> None:
    await save(snapshot_app(), "debugger-approval", (120, 40), to_approval)
