"""A reopened run shows each hook's recorded `debug_state()` in the Hooks pane,
as it was at the selected step, with hostile values shown literally."""

from __future__ import annotations

from pathlib import Path

from tests.tui.conftest import app_for, settle
from tests.tui.hostile import HOSTILE, expected_pieces
from tests.tui.traces import record, small_script


class StepCounter:
    """Counts steps and carries a hostile string in its state."""

    def __init__(self) -> None:
        self.steps = 0

    def on_step(self, state, step) -> None:
        self.steps += 1

    def debug_state(self) -> dict[str, object]:
        return {"steps_seen": self.steps, "note": HOSTILE}


async def test_the_hooks_pane_shows_the_state_recorded_at_each_step(tmp_path: Path) -> None:
    run = record(tmp_path / "run", small_script(), hooks=[StepCounter()])
    app = app_for(run)
    async with app.run_test(size=(160, 50)) as pilot:
        app.screen.details.active = "hooks"
        documents = []
        for _ in range(3):
            await settle(pilot)
            documents.append("".join(app.screen.details.pane().rendered_lines()))
            await pilot.press("j")
    for seen, document in enumerate(documents):
        assert "debug_state · StepCounter" in document
        # the counter's on_step runs before the sink's (list order), so step n sees n
        assert f'"steps_seen": {seen + 1}' in document
    assert all(piece in documents[0] for piece in expected_pieces()[:6])
