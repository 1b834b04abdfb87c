"""The breakpoint editor (`b`): breakpoints and approval rules, changed at run time.

`BreakpointDialog` lists the session's breakpoints (enable, disable, delete,
add) and the ApprovalHook's rules (delete).  It changes them through the
session, which records each change as a human action in the trace and saves
the breakpoints with the run.  `AddBreakpointDialog` builds one breakpoint,
showing why the current choice cannot be set until it can.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from looplet_tui.live.breakpoints import (
    CONDITION_LABELS,
    PHASE_LABELS,
    PHASES,
    Breakpoint,
    BreakpointError,
    Condition,
)
from looplet_tui.safe_text import literal
from looplet_tui.session import Session

__all__ = ["AddBreakpointDialog", "BreakpointDialog"]

_BOX_CSS = """
    align: center middle;
    & > Vertical {
        width: 90;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        background: $surface;
        border: round $accent;
        padding: 0 1;
    }
    & .title { text-style: bold; }
    & .keys { color: $text-muted; margin: 1 0 0 0; }
"""


def breakpoint_row(breakpoint: Breakpoint, hits: int) -> Content:
    mark = Content.styled("● ", "$text-error") if breakpoint.enabled else Content("○ ")
    parts = [mark, Content.styled(f"{breakpoint.id:>2}  ", "$text-muted")]
    parts.append(literal(breakpoint.describe(), "" if breakpoint.enabled else "$text-muted"))
    if not breakpoint.enabled:
        parts.append(Content.styled("  (disabled)", "$text-muted"))
    if hits:
        parts.append(Content.styled(f"  hit {hits}×", "$text-muted"))
    return Content.assemble(*parts)


class BreakpointDialog(ModalScreen[None]):
    """Edits the session's breakpoints and approval rules in place."""

    DEFAULT_CSS = (
        f"BreakpointDialog {{ {_BOX_CSS} & OptionList {{ height: auto; max-height: 24; }} }}"
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add a breakpoint", id="breakpoints.add"),
        Binding("space", "toggle", "Enable/disable", id="breakpoints.toggle"),
        Binding("d,delete", "delete", "Delete", id="breakpoints.delete"),
        Binding("escape,b", "close", "Close", id="breakpoints.close"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Breakpoints and approval rules", classes="title")
            yield OptionList(id="breakpoint-list")
            yield Static(
                "a: add a breakpoint · space: enable/disable · d: delete · esc: close",
                classes="keys",
            )

    def on_mount(self) -> None:
        self._fill()
        self.query_one(OptionList).focus()

    def _fill(self, keep: int | None = None) -> None:
        listing = self.query_one(OptionList)
        highlighted = listing.highlighted if keep is None else keep
        listing.clear_options()
        options: list[Option | None] = [
            Option(Content.styled("breakpoints", "bold $text-accent"), disabled=True)
        ]
        counts = self.session.breakpoints.hit_counts
        options += [
            Option(breakpoint_row(b, counts.get(b.id, 0)), id=f"bp-{b.id}")
            for b in self.session.breakpoints
        ]
        if not len(self.session.breakpoints):
            options.append(
                Option(Content.styled("  none: press a to add one", "$text-muted"), disabled=True)
            )
        options.append(None)
        options.append(Option(Content.styled("approval rules", "bold $text-accent"), disabled=True))
        rules = self.session.approval_rules()
        options += [
            Option(Content.assemble(Content("   "), literal(rule.describe())), id=f"rule-{n}")
            for n, rule in enumerate(rules)
        ]
        if not rules:
            options.append(
                Option(
                    Content.styled(
                        "  none: approving a call for the session adds one", "$text-muted"
                    ),
                    disabled=True,
                )
            )
        listing.add_options(options)
        selectable = [n for n, option in enumerate(listing.options) if not option.disabled]
        if selectable:
            wanted = highlighted if highlighted in selectable else selectable[0]
            listing.highlighted = min(selectable, key=lambda n: abs(n - wanted))

    def _selected(self) -> str | None:
        listing = self.query_one(OptionList)
        option = listing.highlighted_option
        return None if option is None or option.disabled else option.id

    def action_add(self) -> None:
        def added(breakpoint: Breakpoint | None) -> None:
            if breakpoint is not None:
                self.session.add_breakpoint(breakpoint)
                self._fill()

        self.app.push_screen(AddBreakpointDialog(), added)

    def action_toggle(self) -> None:
        selected = self._selected()
        if selected is None or not selected.startswith("bp-"):
            return
        number = int(selected.removeprefix("bp-"))
        current = next(b for b in self.session.breakpoints if b.id == number)
        self.session.set_breakpoint_enabled(number, not current.enabled)
        self._fill()

    def action_delete(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        if selected.startswith("bp-"):
            self.session.remove_breakpoint(int(selected.removeprefix("bp-")))
        else:
            self.session.remove_rule(
                self.session.approval_rules()[int(selected.removeprefix("rule-"))]
            )
        self._fill()

    @on(OptionList.OptionSelected)
    def _on_selected(self) -> None:
        self.action_toggle()

    def action_close(self) -> None:
        self.dismiss(None)


class AddBreakpointDialog(ModalScreen[Breakpoint | None]):
    """Returns a valid new breakpoint, or None when cancelled."""

    DEFAULT_CSS = f"""AddBreakpointDialog {{ {_BOX_CSS}
        & Horizontal {{ height: auto; }}
        & Label {{ width: 12; padding: 1 0 0 0; }}
        & Select, & Input {{ width: 1fr; }}
        & #add-arg-row {{ display: none; }}
        &.-arg #add-arg-row {{ display: block; }}
        & #add-problem {{ color: $text-error; }}
        & #add-problem.-ok {{ color: $text-success; }}
    }}"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="add_breakpoint.cancel"),
        Binding("ctrl+s", "add", "Add", id="add_breakpoint.add"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.breakpoint: Breakpoint | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Add a breakpoint", classes="title")
            with Horizontal():
                yield Label("phase")
                yield Select(
                    [(PHASE_LABELS[p], p) for p in PHASES],
                    value="pre_dispatch",
                    allow_blank=False,
                    id="add-phase",
                )
            with Horizontal():
                yield Label("when")
                yield Select(
                    [(label, str(c)) for c, label in CONDITION_LABELS.items()],
                    value=str(Condition.TOOL),
                    allow_blank=False,
                    id="add-condition",
                )
            with Horizontal():
                yield Label("value")
                yield Input(id="add-value")
            with Horizontal(id="add-arg-row"):
                yield Label("argument")
                yield Input(placeholder="empty: all arguments, as JSON", id="add-arg")
            yield Static(id="add-problem")
            yield Static("enter: add · tab: next field · esc: cancel", classes="keys")

    def on_mount(self) -> None:
        self.query_one("#add-phase", Select).focus()
        self._check()

    @on(Select.Changed)
    @on(Input.Changed)
    def _on_change(self) -> None:
        self._check()

    def _check(self) -> None:
        condition = str(self.query_one("#add-condition", Select).value)
        self.set_class(condition == Condition.ARG, "-arg")
        self.query_one("#add-value", Input).placeholder = _PLACEHOLDERS.get(
            condition, "(not needed)"
        )
        arg = self.query_one("#add-arg", Input).value.strip()
        try:
            self.breakpoint = Breakpoint(
                phase=str(self.query_one("#add-phase", Select).value),
                condition=Condition(condition),
                value=self.query_one("#add-value", Input).value,
                arg=(arg or None) if condition == Condition.ARG else None,
            )
        except BreakpointError as exc:
            self.breakpoint = None
            problem = str(exc)
        shown = self.query_one("#add-problem", Static)
        shown.set_class(self.breakpoint is not None, "-ok")
        if self.breakpoint is not None:
            shown.update(Content.assemble(Content("✓ pause "), literal(self.breakpoint.describe())))
        else:
            shown.update(literal(f"✗ {problem}"))

    @on(Input.Submitted)
    def action_add(self) -> None:
        if self.breakpoint is None:
            self.app.bell()
            return
        self.dismiss(self.breakpoint)

    def action_cancel(self) -> None:
        self.dismiss(None)


_PLACEHOLDERS = {
    Condition.TOOL: "a tool name or glob, e.g. delete_*",
    Condition.ARG: "a regular expression, e.g. ^/etc/",
    Condition.STEP: "a step number, e.g. 12",
    Condition.TOKENS: "a token count, e.g. 20k",
    Condition.COST: "dollars, e.g. 0.50",
}
