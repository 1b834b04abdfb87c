"""The looplet-tui application and `build_app`, the factory shared by the CLI and the tests."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from looplet_tui.live.spec import LiveTarget
from looplet_tui.screens.viewer import ViewerScreen
from looplet_tui.source import StepSource
from looplet_tui.widgets.timeline import Timeline

__all__ = ["LoopletApp", "build_app", "build_live_app"]


class LoopletApp(App[None]):
    """Shows one run in the viewer screen, or debugs a live one (`live`)."""

    CSS_PATH = "app.tcss"
    TITLE = "looplet"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit", id="app.quit")]

    def __init__(
        self, source: StepSource | None, *, follow: bool = False, live: LiveTarget | None = None
    ) -> None:
        super().__init__()
        self.source = source
        self.follow = follow
        self.live = live

    def get_default_screen(self) -> Screen[None]:
        if self.live is not None:
            from looplet_tui.screens.debugger import DebuggerScreen

            return DebuggerScreen(self.live)
        assert self.source is not None
        return ViewerScreen(self.source, follow=self.follow)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette offers every viewer action, named as in the help screen."""
        yield from super().get_system_commands(screen)
        if not isinstance(screen, ViewerScreen):
            return
        timeline = screen.query_one(Timeline)
        for owner, bindings in ((timeline, Timeline.BINDINGS), (screen, ViewerScreen.BINDINGS)):
            for binding in bindings:
                if isinstance(binding, Binding):
                    action = getattr(owner, f"action_{binding.action}")
                    keys = binding.key.replace(",", " or ")
                    yield SystemCommand(
                        binding.description,
                        f"{(action.__doc__ or '').strip()} (key: {keys})",
                        partial(owner.run_action, binding.action),
                    )


def build_app(source: StepSource, *, follow: bool = False) -> LoopletApp:
    """The app the CLI runs, with nothing started yet (tests pass it to `run_test`)."""
    return LoopletApp(source, follow=follow)


def build_live_app(target: LiveTarget) -> LoopletApp:
    """The live debugger `looplet-tui run` and `demo` run; the agent starts on mount."""
    return LoopletApp(None, live=target)
