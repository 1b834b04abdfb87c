"""A failed step's output is shown beside its error: a shell command that exits 1
usually says why on stderr, and hiding that would hide the cause."""

from __future__ import annotations

from tests.trace.foreign import MINISWEAGENT
from tests.tui.conftest import app_for, settle


async def test_a_failed_command_shows_its_error_and_its_output() -> None:
    app = app_for(MINISWEAGENT / "toolcall_submitted.traj.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")  # the first failed step: cat missing.txt
        app.screen.details.active = "result"
        await settle(pilot)
        document = "\n".join(app.screen.details.pane().rendered_lines())
    assert "failed: execution" in document
    assert "exit code 1" in document
    assert "output" in document
    assert "cat: missing.txt: No such file or directory" in document
