"""The looplet-tui application and `build_app`, the factory shared by the CLI and the tests."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen

from looplet_tui.screens.viewer import ViewerScreen
from looplet_tui.source import StepSource
from looplet_tui.widgets.timeline import Timeline

if TYPE_CHECKING:
    from looplet_tui.live.spec import LiveTarget
    from looplet_tui.run_list import RunRow

__all__ = ["LoopletApp", "build_app", "build_browser_app", "build_live_app"]


class LoopletApp(App[None]):
    """Shows one run in the viewer screen, the runs under a directory in the run
    browser (`runs_root`, `runs`), or debugs a live run (`live`)."""

    CSS_PATH = "app.tcss"
    TITLE = "looplet"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit", id="app.quit")]

    def __init__(
        self,
        source: StepSource | None,
        *,
        follow: bool = False,
        live: LiveTarget | None = None,
        runs_root: str | None = None,
        runs: Sequence[RunRow] = (),
    ) -> None:
        super().__init__()
        self.source = source
        self.follow = follow
        self.live = live
        self.runs_root = runs_root
        self.runs = runs

    def on_mount(self) -> None:
        self.call_after_refresh(gc.enable)  # `looplet-tui open` starts with it off

    def get_default_screen(self) -> Screen[None]:
        if self.live is not None:
            from looplet_tui.screens.debugger import DebuggerScreen

            return DebuggerScreen(self.live)
        if self.runs_root is not None:
            from looplet_tui.screens.browser import BrowserScreen

            return BrowserScreen(self.runs_root, self.runs, follow=self.follow)
        assert self.source is not None
        return ViewerScreen(self.source, follow=self.follow)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette offers every viewer and browser action, and the
        debugger's that apply where the run is (approve only at an approval),
        named as in the help screen and the footer."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, ViewerScreen):
            timeline = screen.query_one(Timeline)
            yield from _binding_commands(timeline, Timeline.BINDINGS)
            yield from _binding_commands(screen, type(screen).BINDINGS)
        elif self.live is not None:
            from looplet_tui.screens.debugger import DebuggerScreen

            if isinstance(screen, DebuggerScreen):
                yield from _binding_commands(screen.timeline, Timeline.BINDINGS)
                applicable = [
                    binding
                    for binding in screen.BINDINGS
                    if isinstance(binding, Binding) and screen.check_action(binding.action, ())
                ]
                yield from _binding_commands(screen, applicable)
        elif self.runs_root is not None:
            from looplet_tui.screens.browser import BrowserScreen

            if isinstance(screen, BrowserScreen):
                yield from _binding_commands(screen, screen.BINDINGS)
                yield from screen.sort_commands()


def _binding_commands(owner: DOMNode, bindings: Iterable[BindingType]) -> Iterable[SystemCommand]:
    """A palette command for each binding of `owner` that runs an action without arguments."""
    for binding in bindings:
        if isinstance(binding, Binding) and binding.action.isidentifier():
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


def build_browser_app(root: str, runs: Sequence[RunRow], *, follow: bool = False) -> LoopletApp:
    """The run browser over the runs found under `root` (see `run_list.find_runs`);
    with `follow`, the runs it opens are tailed."""
    return LoopletApp(None, follow=follow, runs_root=root, runs=runs)


def build_live_app(target: LiveTarget) -> LoopletApp:
    """The live debugger `looplet-tui run` and `demo` run; the agent starts on mount."""
    return LoopletApp(None, live=target)
