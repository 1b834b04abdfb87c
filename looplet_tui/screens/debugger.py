"""`DebuggerScreen`: a live run, stepped, paused, edited and approved at the keyboard.

The left side is the viewer's timeline and sparkline over the run's trace as
it grows; the right side shows either what the run is paused at (`PauseView`)
or the selected step in the viewer's detail tabs.  The phase bar on top
always says what the run is doing.  Search, the tool filter, error jumps and
copy are the viewer's (`RunScreen`); only some keys differ, because here `n`
steps and `e` edits: matches are `m`/`M`, and `e` jumps to the next failed
step only where there is nothing to edit.

The run itself happens in one thread worker (`Session.run`).  This screen only
reacts to the session's messages and answers its pauses; it never waits for
the loop thread, so keys, the spinner and the elapsed time stay live while a
model call or a tool runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, Footer, Input

from looplet_core.hooks_lib import Edit, Skip
from looplet_tui.live.edits import (
    args_text,
    messages_text,
    parse_args,
    parse_messages,
    parse_result,
    result_text,
)
from looplet_tui.live.messages import (
    APPROVAL,
    POST_DISPATCH,
    PRE_PROMPT,
    HumanRecorded,
    Pause,
    PausedAt,
    PhaseChanged,
    RunEnded,
    RunStarted,
    StepRecorded,
    TurnStarted,
)
from looplet_tui.live.pause_view import PauseView
from looplet_tui.live.phase_bar import PhaseBar
from looplet_tui.live.source import LiveSource
from looplet_tui.live.spec import AgentSpec, LiveTarget, SpecError
from looplet_tui.screens.approve_dialog import ApproveDialog
from looplet_tui.screens.breakpoint_dialog import BreakpointDialog
from looplet_tui.screens.edit_dialog import EditDialog
from looplet_tui.screens.reject_dialog import RejectDialog
from looplet_tui.screens.run_screen import RunScreen
from looplet_tui.session import RESUME, EditPrompt, EditResult, Mode, Session
from looplet_tui.source import DetailError, load_step
from looplet_tui.widgets.detail_panel import DetailPanel
from looplet_tui.widgets.find_bar import FindBar
from looplet_tui.widgets.status_bar import StatusBar
from looplet_tui.widgets.step_pane import note
from looplet_tui.widgets.step_sparkline import StepSparkline
from looplet_tui.widgets.timeline import Timeline

__all__ = ["DebuggerScreen"]

PAUSE_VIEW, STEP_VIEW = "pause", "details"
_AT_APPROVAL = ("approve", "reject", "skip")


class DebuggerScreen(RunScreen):
    """Live runs of `target`: one at a time; a restart starts a fresh run in place."""

    source: LiveSource

    DEFAULT_CSS = """
    DebuggerScreen {
        & #right { width: 3fr; }
        & #right > #details { height: 1fr; }  /* its width: app.tcss, after #details */
        & #pause { height: 1fr; padding: 0 1; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "step", "Step", id="debugger.step"),
        Binding("c", "continue", "Continue", id="debugger.continue"),
        Binding("p", "pause", "Pause", id="debugger.pause"),
        Binding("a", "approve", "Approve", id="debugger.approve"),
        Binding("e", "edit", "Edit", id="debugger.edit"),
        # `e` where nothing can be edited, as in the viewer:
        Binding("e", "next_error", "Next error", show=False, id="debugger.next_error"),
        Binding("E", "previous_error", "Previous error", show=False, id="debugger.previous_error"),
        Binding("x", "reject", "Reject", id="debugger.reject"),
        Binding("x", "toggle_folds", "Expand/fold all", show=False, id="debugger.folds"),
        # priority: `k` also moves the timeline's cursor, except while a call awaits approval
        Binding("k", "skip", "Skip", priority=True, id="debugger.skip"),
        Binding("s", "stop", "Stop", id="debugger.stop"),
        # While the run is on, the footer keeps to the keys of a pause (80 columns fit
        # them and Help and Quit): restart and search are in `?` and the palette.
        Binding("r", "run_again", "Run again", id="debugger.run_again"),  # once it ended
        Binding("r", "restart", "Restart", show=False, id="debugger.restart"),
        Binding("b", "breakpoints", "Breakpoints", id="debugger.breakpoints"),
        Binding("v", "toggle_view", "Pause/step view", show=False, id="debugger.view"),
        Binding("t", "cycle_tab", "Next tab", show=False, id="debugger.next_tab"),
        Binding("slash", "search", "Search", show=False, id="debugger.search"),
        Binding("m", "next_match", "Next match", show=False, id="debugger.next_match"),
        Binding("M", "previous_match", "Previous match", show=False, id="debugger.previous_match"),
        Binding("f", "filter", "Filter", show=False, id="debugger.filter"),
        Binding("S", "toggle_series", "Tokens/latency", show=False, id="debugger.series"),
        Binding("y", "copy", "Copy", show=False, id="debugger.copy"),
        Binding("Y", "save", "Save to file", show=False, id="debugger.save"),
        Binding("question_mark", "help", "Help", id="debugger.help"),
    ]

    def __init__(self, target: LiveTarget) -> None:
        super().__init__(LiveSource(target.name))
        self.target = target
        self._new_run(target.spec)

    def _new_run(self, spec: AgentSpec) -> None:
        """Everything that belongs to one run (but its source): its session and pause state."""
        self.session = Session(spec, self.post_message, self.target.breakpoints)
        self.pause: Pause | None = None
        """The pause the run is waiting at, as this screen last heard of it."""
        self.ended = False
        self._auto_selections = 0
        """Cursor moves the screen made itself (following the run) whose
        `Timeline.Selected` has not arrived yet: those are not the user's."""
        self._restarting = False

    def compose(self) -> ComposeResult:
        yield PhaseBar(id="phase")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Timeline(self.source, id="timeline")
                yield StepSparkline(id="sparkline")
            with ContentSwitcher(initial=PAUSE_VIEW, id="right"):
                yield PauseView(id=PAUSE_VIEW)
                yield DetailPanel(id=STEP_VIEW)
        yield FindBar(id="find")
        yield StatusBar(id="status")
        yield Footer(compact=True)

    @property
    def phase_bar(self) -> PhaseBar:
        return self.query_one(PhaseBar)

    @property
    def pause_view(self) -> PauseView:
        return self.query_one(PauseView)

    def on_mount(self) -> None:
        self._start()

    def _start(self) -> None:
        self.pause_view.show([note("starting the run…")])
        self.timeline.focus()
        self._update_status()
        self._drive()

    def on_unmount(self) -> None:
        self.session.stop()  # quitting: the run ends now and its trace is closed

    @work(thread=True, exclusive=True, group="loop", exit_on_error=False)
    def _drive(self) -> None:
        """The loop thread: the whole run happens here, reported by messages."""
        self.session.run()

    # -- what the loop thread reports -------------------------------------------

    def on_run_started(self, message: RunStarted) -> None:
        try:
            self.source.attach(message.run_dir)
        except DetailError as exc:
            self.notify(str(exc), title="cannot read the trace", severity="error", markup=False)
        self._update_status()

    def on_turn_started(self, message: TurnStarted) -> None:
        self.phase_bar.turn = message.turn

    def on_phase_changed(self, message: PhaseChanged) -> None:
        self.phase_bar.show_phase(message.phase, message.detail, message.since)

    def on_paused_at(self, message: PausedAt) -> None:
        pause = message.pause
        again = self.pause is not None and self.pause.id == pause.id
        self.pause = pause
        self.phase_bar.show_pause(pause)
        self.pause_view.show_pause(pause, keep_scroll=again)
        self._show_view(PAUSE_VIEW)
        self._update_status()
        self.refresh_bindings()

    def on_step_recorded(self, message: StepRecorded) -> None:
        self.source.record_hook_states(message.number, message.hook_states)
        if message.compacted:
            self.source.record_compaction(message.number)
        self._refresh_source()

    def on_human_recorded(self, message: HumanRecorded) -> None:
        self._refresh_source()  # the decision is in the trace: its step gets a marker

    async def on_run_ended(self, message: RunEnded) -> None:
        self.ended = True
        self.pause = None
        self.phase_bar.show_end(message.stop_reason, message.reason, message.error)
        self._refresh_source()
        if len(self.source):
            self._show_step(self.timeline.cursor)
            self._show_view(STEP_VIEW)
        else:
            self.pause_view.show([note("the run ended before its first step")])
        self.refresh_bindings()
        if self._restarting:
            await self._restart_now()

    def _refresh_source(self) -> None:
        """Read what the trace gained (steps, decisions, and once the run ended its
        summary with what later hooks added); a cursor on the last step follows."""
        before = len(self.source)
        following = before == 0 or self.timeline.cursor >= before - 1
        try:
            self.source.refresh()
        except DetailError as exc:
            self.notify(str(exc), title="cannot read the trace", severity="error", markup=False)
        self.steps_added()
        last = len(self.source) - 1
        if following and last >= before:
            if self.timeline.cursor != last:
                self._auto_selections += 1
            self.timeline.select(last)
            self._show_step(last)
            if self.pause is None:
                self._show_view(STEP_VIEW)
        self._update_status()

    # -- the timeline and panes ---------------------------------------------------

    @on(Timeline.Selected)
    def _on_selected(self, event: Timeline.Selected) -> None:
        if self._auto_selections:
            self._auto_selections -= 1
            return
        if not len(self.source):
            return
        self._show_step(event.position)
        self._show_view(STEP_VIEW)

    def _show_step(self, position: int) -> None:
        self.show_position(position)
        self.details.show_step(load_step(self.source, position))
        self._update_status()

    def _show_view(self, name: str) -> None:
        self.query_one(ContentSwitcher).current = name

    def action_toggle_view(self) -> None:
        """Switch the right side between the pause and the selected step."""
        current = self.query_one(ContentSwitcher).current
        if current == PAUSE_VIEW and len(self.source):
            self._show_step(self.timeline.cursor)
            self._show_view(STEP_VIEW)
        else:
            self._show_view(PAUSE_VIEW)

    def action_toggle_folds(self) -> None:
        """Expand every folded block on the right, or fold them again."""
        switcher = self.query_one(ContentSwitcher)
        if switcher.current == PAUSE_VIEW:
            self.pause_view.toggle_all()
        else:
            self.details.pane().toggle_all()

    def _update_status(self) -> None:
        self.phase_bar.show_mode(str(self.session.mode))
        self.show_status(read_meta=self.source.attached, activity=self.activity)

    @property
    def activity(self) -> str:
        """What the run is doing, in the word the status bar shows; it agrees with the
        phase bar (which says at what the run is paused, or what it runs)."""
        if self.ended:
            return ""  # the trace's stop reason says how it ended
        if self.session.stopping:
            return "stopping"
        return "paused" if self.pause is not None else "running"

    # -- controls -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        pause = self.pause
        running = not self.ended and not self.session.stopping
        if action in ("step", "continue"):
            return running and (pause is None or pause.kind != APPROVAL)
        if action == "pause":
            return running and pause is None
        if action == "stop":
            return running
        if action == "run_again":
            return self.ended
        at_approval = pause is not None and pause.kind == APPROVAL
        if action == "skip" and isinstance(self.focused, Input):
            return False  # `k` typed into the search bar (the binding has priority)
        if action in _AT_APPROVAL:
            return at_approval
        if action == "toggle_folds":
            return not at_approval
        if action == "edit":
            return pause is not None and pause.kind in (PRE_PROMPT, APPROVAL, POST_DISPATCH)
        return True

    def action_step(self) -> None:
        """Run until the next step is yielded."""
        self._go(Mode.STEP)

    def action_continue(self) -> None:
        """Run until a breakpoint, an approval or the end."""
        self._go(Mode.RUN)

    def _go(self, mode: Mode) -> None:
        if self.pause is None:
            self.session.mode = mode
            self._update_status()
        elif self.session.answer(self.pause.id, RESUME, mode):
            self._resumed()

    def action_pause(self) -> None:
        """Pause at the next phase boundary."""
        self.session.mode = Mode.PAUSED
        self._update_status()
        self.notify("Pausing at the next phase boundary.")

    def action_stop(self) -> None:
        """Stop the run; its trace is closed with the stop reason."""
        self.session.stop()
        self.pause = None
        self._update_status()
        self.refresh_bindings()

    async def action_restart(self) -> None:
        """Stop this run and start the agent again, with a fresh trace."""
        if self.ended:
            await self._restart_now()
        else:
            self._restarting = True
            self.action_stop()

    async def action_run_again(self) -> None:
        """Start the agent again, with a fresh trace."""
        await self._restart_now()

    async def _restart_now(self) -> None:
        self._restarting = False
        try:
            spec = self.target.remake()
        except SpecError as exc:
            self.notify(str(exc), title="cannot restart", severity="error", markup=False)
            return
        self.target.spec = spec
        self.browse(LiveSource(self.target.name))
        self._new_run(spec)
        await self.recompose()  # fresh widgets over the new run's source
        self._start()

    def _resumed(self) -> None:
        self.pause = None
        self.pause_view.show([note("running: nothing to decide until the next pause")])
        if len(self.source):
            self._show_view(STEP_VIEW)
        self._update_status()
        self.refresh_bindings()

    def _answer(self, value: Any, resumes: bool = True) -> None:
        """Give the pause the user's answer (None: the dialog was cancelled)."""
        if value is None or self.pause is None:
            return
        if not self.session.answer(self.pause.id, value):
            self.notify("The run is no longer waiting here.", severity="warning")
            return
        if resumes:
            self._resumed()

    def action_approve(self) -> None:
        """Approve the call: once, for this tool, or for a pattern."""
        assert self.pause is not None and self.pause.request is not None
        dialog = ApproveDialog(self.pause.request, self.session.approval.rules_file)
        self.app.push_screen(dialog, self._answer)

    def action_reject(self) -> None:
        """Refuse the call; the model reads your feedback as its result."""
        assert self.pause is not None and self.pause.request is not None
        self.app.push_screen(RejectDialog(self.pause.request), self._answer)

    def action_skip(self) -> None:
        """Skip the call: its result is the error "skipped by user"."""
        self._answer(Skip())

    def action_edit(self) -> None:
        """Edit what the run is paused at: the prompt, the arguments or the result."""
        pause = self.pause
        assert pause is not None
        if pause.kind == PRE_PROMPT:
            self._edit(
                "Edit the messages the model will receive (JSON)",
                pause.messages,
                messages_text,
                parse_messages,
                lambda messages: EditPrompt(tuple(messages)),
            )
        elif pause.kind == APPROVAL and pause.request is not None:
            request = pause.request
            self._edit(
                f"Edit the arguments of {request.tool} (JSON, checked against its schema)",
                request.args,
                args_text,
                lambda text: parse_args(text, request.check),
                Edit,
                resumes=True,
            )
        elif pause.result is not None and pause.call is not None:
            result = pause.result
            self._edit(
                f"Edit the result of {pause.call.name}",
                result,
                result_text,
                lambda text: parse_result(text, result),
                EditResult,
            )

    def _edit(
        self,
        title: str,
        value: Any,
        render: Callable[[Any], str],
        parse: Callable[[str], Any],
        answer: Callable[[Any], Any],
        resumes: bool = False,
    ) -> None:
        """Edit `value` as the text `render` writes; `answer` the pause with the
        value `parse` reads back, once confirmed."""

        def edited(new: Any) -> None:
            if new is not None:
                self._answer(answer(new), resumes=resumes)

        self.app.push_screen(EditDialog(title, render(value), parse, render), edited)

    def action_breakpoints(self) -> None:
        """Add, enable, disable or delete breakpoints; remove approval rules."""
        self.app.push_screen(BreakpointDialog(self.session))

    def action_help(self) -> None:
        """List every key binding."""
        from looplet_tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.binding_groups()))

    def binding_groups(self) -> list[tuple[str, Iterable[BindingType]]]:
        return [
            ("Run", self.BINDINGS),
            ("Steps (timeline)", Timeline.BINDINGS),
            ("Search and filter bar", FindBar.BINDINGS),
            ("Application", self.app.BINDINGS),
        ]
