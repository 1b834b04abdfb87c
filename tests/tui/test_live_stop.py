"""Pause, stop and quit while the model is answering (a backend blocked on an event)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from looplet_core import ToolCall
from looplet_core.provenance import open_trace
from looplet_tui.screens.breakpoint_dialog import BreakpointDialog
from looplet_tui.screens.debugger import DebuggerScreen
from tests.tui.live_agents import (
    BlockingBackend,
    app_for,
    notes_spec,
    reply,
    started,
    stop_run,
    wait_for_pause,
    wait_until,
)

REPO = Path(__file__).resolve().parents[2]


def blocking() -> BlockingBackend:
    return BlockingBackend(
        [
            reply("a note first", ToolCall("write_note", {"path": "n.txt", "text": "hi"})),
            reply("finished", ToolCall("done", {"answer": "ok"})),
        ]
    )


@contextlib.asynccontextmanager
async def in_the_first_model_call(
    llm: BlockingBackend,
) -> AsyncIterator[tuple[Pilot[Any], DebuggerScreen]]:
    """A run of `llm` continued (`c`) until its first model call blocks."""
    async with started(app_for(lambda: notes_spec(llm))) as (pilot, screen):
        await pilot.press("c")
        await wait_until(pilot, llm.waiting.is_set, "the model call")
        yield pilot, screen


async def test_pause_during_a_model_call_pauses_at_the_next_boundary() -> None:
    llm = blocking()
    async with in_the_first_model_call(llm) as (pilot, screen):
        app = pilot.app
        await wait_until(pilot, lambda: screen.phase_bar.phase == "model", "the model phase")
        frame = screen.phase_bar._frame
        await pilot.press("b")  # the UI answers keys while the loop thread is blocked
        await wait_until(pilot, lambda: isinstance(app.screen, BreakpointDialog), "the editor")
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.phase_bar._frame > frame, "the spinner to turn")
        assert "waiting for the model" in str(screen.phase_bar.render())
        await pilot.press("p")
        assert screen.pause is None and llm.waiting.is_set()
        llm.release.set()
        await wait_for_pause(pilot, "approval")  # before dispatching the call the model made
        assert screen.pause.why == ("paused",)
        assert screen.pause.call is not None and screen.pause.call.name == "write_note"
        await stop_run(pilot)
        result = screen.session.result
    assert result is not None and str(result.stop_reason) == "cancelled"
    assert result.reason.startswith("stopped by user at keyboard ")
    assert result.steps[0].tool_result.error_kind == "denied"  # the call never ran
    assert "stopped by user at keyboard" in (result.steps[0].tool_result.error or "")


async def test_stop_during_a_model_call_ends_the_run_without_waiting_for_the_model() -> None:
    llm = blocking()
    async with in_the_first_model_call(llm) as (pilot, screen):
        await stop_run(pilot)
        assert llm.waiting.is_set()  # the model never answered
        assert "cancelled" in str(screen.phase_bar.render())
        run_dir = screen.session.run_dir
    llm.release.set()
    meta = open_trace(run_dir).meta
    assert meta.finished and meta.stop_reason == "cancelled"
    assert meta.reason == "stopped by user at keyboard during the model call"
    summary = json.loads((Path(run_dir) / "summary.json").read_text())
    assert summary["human_decisions"] == 1  # the stop, by the user at the keyboard
    events = (Path(run_dir) / "events.jsonl").read_text().splitlines()
    stops = [json.loads(line) for line in events if '"kind":"human"' in line]
    assert [(e["action"], e["who"]) for e in stops] == [("stop", "user at keyboard")]


async def test_stop_at_the_pause_before_the_model_call_never_calls_the_model() -> None:
    llm = blocking()
    app = app_for(lambda: notes_spec(llm))
    async with started(app) as (pilot, screen):
        await stop_run(pilot)
        result = screen.session.result
    assert not llm.waiting.is_set() and llm.prompts == []
    assert result is not None and str(result.stop_reason) == "cancelled"
    assert result.reason == "stopped by user at keyboard before the next model call"


QUIT_WHILE_WAITING = """
import asyncio, threading, time
from looplet_core import ToolCall
from tests.tui.live_agents import BlockingBackend, app_for, notes_spec, reply, wait_until

llm = BlockingBackend([reply("x", ToolCall("write_note", {"path": "a", "text": "b"}))])

async def main():
    app = app_for(lambda: notes_spec(llm))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.pause is not None, "the first pause")
        await pilot.press("c")
        await wait_until(pilot, llm.waiting.is_set, "the model call")
        global quit_at
        quit_at = time.monotonic()
        await pilot.press("q")

asyncio.run(main())
print(f"EXIT_AFTER {time.monotonic() - quit_at:.3f}")
"""


def test_quitting_during_a_model_call_exits_promptly_and_closes_the_trace(tmp_path: Path) -> None:
    """The model call never returns: quitting must not wait for it (no hang, no traceback)."""
    script = tmp_path / "quit_while_waiting.py"
    script.write_text(textwrap.dedent(QUIT_WHILE_WAITING))
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "EXIT_AFTER" in done.stdout
    (run_dir,) = (tmp_path / ".looplet" / "runs").iterdir()
    meta = open_trace(str(run_dir)).meta
    assert meta.finished and meta.stop_reason == "cancelled"
