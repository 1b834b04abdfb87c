"""`PhaseBar`: the line that always says what the live run is doing.

Building the prompt, waiting for the model (with a spinner and the elapsed
time), running a tool, paused (and at what), or finished (and why).  The
spinner is driven by a timer on the UI thread, so it keeps turning while the
loop thread is blocked in a model call.
"""

from __future__ import annotations

import time

from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from looplet_tui.formatting import format_ms
from looplet_tui.live.messages import Pause
from looplet_tui.live.pause_view import pause_title
from looplet_tui.safe_text import literal

__all__ = ["PhaseBar", "phase_content"]

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
TICK_S = 0.1
_BUSY = ("model", "tool")
GOING = {
    "step": "until the next step",
    "run": "until a breakpoint",
    "paused": "pausing at the next boundary",
}
"""What each session mode means while the run is going."""
_LABELS = {
    "starting": "starting",
    "prompt": "building the prompt",
    "model": "waiting for the model",
    "running": "running",
}


def phase_content(
    phase: str, detail: str, turn: int, mode: str, elapsed_s: float, frame: int
) -> Content:
    """The bar's text for a phase that is not a pause or the end."""
    if phase == "tool":
        label = Content.assemble(Content("running "), literal(detail, "bold"))
    else:
        label = Content(_LABELS.get(phase, phase))
        if detail:
            label = Content.assemble(label, Content(" · "), literal(detail))
    if turn and phase in ("prompt", "model"):
        label = Content.assemble(label, Content.styled(f" · turn {turn}", "$text-muted"))
    going = Content.styled(f"   ▸ {GOING[mode]}", "$text-muted") if mode in GOING else Content()
    if phase not in _BUSY:
        return Content.assemble(Content.styled("▶ ", "$text-success"), label, going)
    spinner = Content.styled(SPINNER[frame % len(SPINNER)] + " ", "$text-accent")
    took = Content.styled(f" · {format_ms(elapsed_s * 1000)}", "$text-muted")
    return Content.assemble(spinner, label, took, going)


class PhaseBar(Static):
    """One line at the top of the debugger."""

    DEFAULT_CSS = """
    PhaseBar {
        height: 1;
        padding: 0 1;
        background: $boost;
        &.-paused { background: $warning 30%; }
        &.-ended { background: $panel; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.phase = "starting"
        self.detail = ""
        self.turn = 0
        """The model turn under way (from TurnStarted)."""
        self.mode = ""
        """The session's mode, shown while the run is going."""
        self.since = time.monotonic()
        self._frame = 0
        self._timer: Timer | None = None

    def on_mount(self) -> None:
        self._timer = self.set_interval(TICK_S, self._tick, pause=True)
        self._paint()

    def show_phase(self, phase: str, detail: str, since: float) -> None:
        if phase in ("paused", "ended"):
            return  # PausedAt and RunEnded carry what these show
        self.phase, self.detail, self.since = phase, detail, since
        self.set_classes("")
        if self._timer is not None:
            if phase in _BUSY:
                self._timer.resume()
            else:
                self._timer.pause()
        self._paint()

    def show_mode(self, mode: str) -> None:
        self.mode = mode
        if self.phase not in ("paused", "ended"):
            self._paint()

    def show_pause(self, pause: Pause) -> None:
        self._stop_timer()
        self.phase = "paused"
        self.set_classes("-paused")
        self.update(
            Content.assemble(Content.styled("‖ ", "bold"), literal(pause_title(pause), "bold"))
        )

    def show_end(self, stop_reason: str, reason: str, error: str | None) -> None:
        self._stop_timer()
        self.phase = "ended"
        self.set_classes("-ended")
        style = "$text-error" if stop_reason in ("error", "llm_error") else "$text-success"
        parts = [Content.styled("■ finished: ", "bold"), literal(stop_reason, f"bold {style}")]
        for extra in (reason, error):
            if extra:
                parts += (Content(" · "), literal(extra))
        self.update(Content.assemble(*parts))

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.pause()

    def _tick(self) -> None:
        self._frame += 1
        self._paint()

    def _paint(self) -> None:
        elapsed = time.monotonic() - self.since
        self.update(
            phase_content(self.phase, self.detail, self.turn, self.mode, elapsed, self._frame)
        )
