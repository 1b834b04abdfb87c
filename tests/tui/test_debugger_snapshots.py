"""Screenshots of the live debugger, compared with the SVGs in __snapshots__/.

The demo agent runs for real, with its clocks pinned (tool durations, model
latency, hook µs and the trace's timestamps read a constant) and its trace in
a fixed directory, so every run of the suite draws the same screen.  Sizes are
pinned, animations are off and text cursors do not blink.  Regenerate with
`pytest tests/tui/test_debugger_snapshots.py --snapshot-update` and look at
every changed SVG before committing it.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.widgets import Input, TextArea

from looplet_core import hooks, loop, tools
from looplet_core.hooks_lib import Rule
from looplet_core.provenance import sink
from looplet_tui import demo
from looplet_tui.app import LoopletApp
from looplet_tui.live.breakpoints import Breakpoint, Condition
from tests.tui.live_agents import demo_app, screen_of, wait_for_pause, wait_until

RUNS = Path("/tmp/looplet-debugger-snapshots")
FIXED_TIME = 1_750_000_000.0


@pytest.fixture(autouse=True)
def pinned_clocks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.rmtree(RUNS, ignore_errors=True)
    monkeypatch.setattr(tools, "perf_counter", lambda: 0.0)
    monkeypatch.setattr(loop, "perf_counter", lambda: 0.0)
    monkeypatch.setattr(hooks, "perf_counter_ns", lambda: 0)
    clock = SimpleNamespace(time=lambda: FIXED_TIME, strftime=time.strftime, gmtime=time.gmtime)
    monkeypatch.setattr(sink, "time", clock)
    monkeypatch.setattr(sink, "default_run_dir", lambda: str(RUNS / "run"))
    monkeypatch.setattr(demo, "_rules_file", lambda: RUNS / "approvals.json")


def still(app: LoopletApp) -> None:
    """No blinking cursors in whatever is on screen."""
    for widget in app.screen.query("TextArea, Input"):
        assert isinstance(widget, TextArea | Input)
        widget.cursor_blink = False


def snapshot_app() -> LoopletApp:
    app = demo_app()
    app.animation_level = "none"
    return app


async def to_approval(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_for_pause(pilot, "pre_prompt")
    await pilot.press("c")
    await wait_for_pause(pilot, "approval")
    await pilot.pause()


def test_paused_at_approval(snap_compare) -> None:
    """Six demo steps in the timeline (#6 marked ✂: compacted before its model call)
    over the token sparkline; the phase bar and the pause view say the run awaits
    approval of delete_file(path="draft.tmp") because of breakpoint 1, with the
    model's reason, the keys a/e/x/k/s, the hooks' calls so far for step 7 and each
    hook's state folded; the status bar says paused; the footer offers Approve,
    Edit, Reject, Skip and Search."""
    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=to_approval)


def test_paused_at_approval_small_terminal(snap_compare) -> None:
    """The same pause at 80×24: timeline and pause view side by side, nothing cut
    but long rows; the footer has every key of the approval, Help and Quit."""
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=to_approval)


def test_argument_editor_with_a_validation_error(snap_compare) -> None:
    """The argument editor over the approval: the arguments as JSON with
    "path" set to a number, and under it the schema's complaint in red; the
    keys line says the problems must be fixed to submit."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await to_approval(pilot)
        await pilot.press("e")
        await wait_until(pilot, lambda: pilot.app.screen.query(TextArea), "the editor")
        editor = pilot.app.screen.query_one(TextArea)
        editor.clear()
        editor.insert('{\n  "path": 7\n}')
        still(pilot.app)
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=run_before)


def test_breakpoint_editor(snap_compare) -> None:
    """The breakpoint editor: three breakpoints (the demo's delete_file one, a
    disabled error one, a token threshold), then the approval rules (the heading
    names the demo's rules file) with one session rule; the keys line below, with
    r to add a rule."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await wait_for_pause(pilot, "pre_prompt")
        session = screen_of(pilot.app).session
        error = session.add_breakpoint(Breakpoint("post_dispatch", Condition.ERROR))
        session.set_breakpoint_enabled(error.id, False)
        session.add_breakpoint(Breakpoint("pre_prompt", Condition.TOKENS, "20k"))
        session.approval.add_rule(Rule("read_*", "allow", source="session"))
        await pilot.press("b")
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=run_before)


def test_pre_prompt_editor(snap_compare) -> None:
    """The prompt editor at the first pause: the system and user messages as
    JSON with line numbers, "✓ valid (unchanged)" under them, and the keys."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await wait_for_pause(pilot, "pre_prompt")
        await pilot.press("e")
        await wait_until(pilot, lambda: pilot.app.screen.query(TextArea), "the editor")
        still(pilot.app)
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=run_before)


def test_finished_demo_shows_what_its_hooks_found(snap_compare) -> None:
    """The demo after approving the delete once, ended: the timeline with ✂ on
    steps 6 and 8 (compacted before their model calls) and ✎ on 7, the status
    bar's "done" and "evals ✓4", and the Usage tab of step 9 with the run totals,
    the four eval verdicts and the two compactions."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await to_approval(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: len(pilot.app.screen_stack) > 1, "the approval dialog")
        await pilot.press("enter")
        screen = screen_of(pilot.app)
        await wait_until(pilot, lambda: screen.ended, "the end of the run")
        screen.details.active = "usage"
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=run_before)
