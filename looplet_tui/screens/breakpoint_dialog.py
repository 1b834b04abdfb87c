"""The breakpoint editor (`b`): breakpoints and approval rules, changed at run time.

`BreakpointDialog` lists the session's breakpoints (enable, disable, delete,
add) and the ApprovalHook's rules (add, delete).  It changes them through the
session, which records each change as a human action in the trace and saves
the breakpoints with the run (and a rule, when asked, to the hook's rules
file).  `AddBreakpointDialog` and `AddRuleDialog` each build one, showing why
the current choice cannot be set until it can, then exactly what will be set.
"""

from __future__ import annotations

import os
from typing import ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from looplet_core.hooks_lib import Rule
from looplet_core.hooks_lib.approval_rules import ACTIONS, ALLOW, ASK, DENY
from looplet_tui.live.breakpoints import (
    CONDITION_LABELS,
    PHASE_LABELS,
    PHASES,
    Breakpoint,
    BreakpointError,
    Condition,
)
from looplet_tui.safe_text import literal
from looplet_tui.screens.rule_preview import PERSIST_ID, persist_checkbox, rule_preview
from looplet_tui.session import Session

__all__ = ["AddBreakpointDialog", "AddRuleDialog", "BreakpointDialog"]

T = TypeVar("T")

FORM_KEYS = "ctrl+s or enter in a text field: add · tab: next field · esc: cancel"

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
        Binding("r", "add_rule", "Add an approval rule", id="breakpoints.add_rule"),
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
                "a: add a breakpoint · r: add an approval rule · space: enable/disable · "
                "d: delete · esc: close",
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
        rules_heading = Content.styled("approval rules", "bold $text-accent")
        rules_file = self.session.approval.rules_file
        if rules_file is not None:
            rules_heading = Content.assemble(
                rules_heading,
                Content.styled("  [file] ones are saved in ", "$text-muted"),
                literal(os.fspath(rules_file), "$text-muted"),
            )
        options.append(Option(rules_heading, disabled=True))
        rules = self.session.approval_rules()
        options += [
            Option(Content.assemble(Content("   "), literal(rule.describe())), id=f"rule-{n}")
            for n, rule in enumerate(rules)
        ]
        if not rules:
            options.append(
                Option(
                    Content.styled(
                        "  none: press r to add one (approving a call for the session adds one)",
                        "$text-muted",
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

    def action_add_rule(self) -> None:
        def added(new: tuple[Rule, bool] | None) -> None:
            if new is None:
                return
            try:
                self.session.add_rule(*new)
            except (OSError, ValueError) as exc:
                self.notify(str(exc), title="rule not added", severity="error", markup=False)
            self._fill()

        self.app.push_screen(AddRuleDialog(self.session.approval.rules_file), added)

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


class FormDialog(ModalScreen[T]):
    """A small form that builds one value, says why it cannot be built yet (or
    what it will be), and returns it on Enter; None on Escape."""

    DEFAULT_CSS = f"""FormDialog {{ {_BOX_CSS}
        & .field {{ height: auto; margin: 1 0 0 0; }}
        & Label {{ width: 12; }}
        & #rule-persist {{ margin: 1 0 0 0; }}
        & Select, & Input {{ width: 1fr; }}
        & #form-problem {{ color: $text-error; margin: 1 0 0 0; }}
        & #form-problem.-ok {{ color: $text-success; }}
    }}"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "add", "Add", id="form.add"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.value: T | None = None

    def build(self) -> tuple[T | None, Content]:
        """The value the fields describe and what to show about it, or None and why not."""
        raise NotImplementedError

    def on_mount(self) -> None:
        self.query(Select).first().focus()
        self._check()

    @on(Select.Changed)
    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _on_change(self) -> None:
        self._check()

    def _check(self) -> None:
        self.value, shown = self.build()
        problem = self.query_one("#form-problem", Static)
        problem.set_class(self.value is not None, "-ok")
        problem.update(shown)

    def field(self, name: str) -> str:
        """What the input or select `#name` holds."""
        widget = self.query_one(f"#{name}")
        if isinstance(widget, Select):
            return str(widget.value)
        assert isinstance(widget, Input)
        return widget.value

    @on(Input.Submitted)
    def action_add(self) -> None:
        if self.value is None:
            self.app.bell()
            return
        self.dismiss(self.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _row(label: str, field: Widget, id: str | None = None) -> Horizontal:
    return Horizontal(Label(label), field, id=id, classes="field")


class AddBreakpointDialog(FormDialog[Breakpoint]):
    """Returns a valid new breakpoint, or None when cancelled."""

    DEFAULT_CSS = """AddBreakpointDialog {
        & #add-arg-row { display: none; }
        &.-arg #add-arg-row { display: block; }
    }"""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Add a breakpoint", classes="title")
            yield _row(
                "phase",
                Select(
                    [(PHASE_LABELS[p], p) for p in PHASES],
                    value="pre_dispatch",
                    allow_blank=False,
                    compact=True,
                    id="add-phase",
                ),
            )
            yield _row(
                "when",
                Select(
                    [(label, str(c)) for c, label in CONDITION_LABELS.items()],
                    value=str(Condition.TOOL),
                    allow_blank=False,
                    compact=True,
                    id="add-condition",
                ),
            )
            yield _row("value", Input(compact=True, id="add-value"))
            yield _row(
                "argument",
                Input(placeholder="empty: all arguments, as JSON", compact=True, id="add-arg"),
                id="add-arg-row",
            )
            yield Static(id="form-problem")
            yield Static(FORM_KEYS, classes="keys")

    def build(self) -> tuple[Breakpoint | None, Content]:
        condition = self.field("add-condition")
        self.set_class(condition == Condition.ARG, "-arg")
        self.query_one("#add-value", Input).placeholder = _PLACEHOLDERS.get(
            condition, "(not needed)"
        )
        arg = self.field("add-arg").strip()
        try:
            breakpoint = Breakpoint(
                phase=self.field("add-phase"),
                condition=Condition(condition),
                value=self.field("add-value"),
                arg=(arg or None) if condition == Condition.ARG else None,
            )
        except BreakpointError as exc:
            return None, literal(f"✗ {exc}")
        return breakpoint, Content.assemble(Content("✓ pause "), literal(breakpoint.describe()))


class AddRuleDialog(FormDialog[tuple[Rule, bool]]):
    """Returns a new approval rule and whether to save it to the rules file, or None."""

    def __init__(self, rules_file: str | os.PathLike[str] | None) -> None:
        """`rules_file`: the ApprovalHook's; with one, the rule can be saved there."""
        super().__init__()
        self.rules_file = rules_file

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Add an approval rule", classes="title")
            yield _row(
                "action",
                Select(
                    [(_ACTION_LABELS[a], a) for a in ACTIONS],
                    value=ALLOW,
                    allow_blank=False,
                    compact=True,
                    id="rule-action",
                ),
            )
            yield _row(
                "tool",
                Input(placeholder="a tool name or glob, e.g. read_*", compact=True, id="rule-tool"),
            )
            yield _row(
                "argument",
                Input(placeholder="empty: all arguments, as JSON", compact=True, id="rule-arg"),
            )
            yield _row(
                "pattern",
                Input(
                    placeholder="optional regular expression, e.g. ^tmp/",
                    compact=True,
                    id="rule-pattern",
                ),
            )
            if self.rules_file is not None:
                yield persist_checkbox()
            yield Static(id="form-problem")
            yield Static(
                f"{FORM_KEYS}  (deny rules always win; otherwise the newest matching rule decides)",
                classes="keys",
            )

    def build(self) -> tuple[tuple[Rule, bool] | None, Content]:
        tool = self.field("rule-tool").strip()
        if not tool:
            return None, Content("✗ give a tool name or glob")
        arg = self.field("rule-arg").strip() or None
        pattern = self.field("rule-pattern") or None
        try:
            rule = Rule(tool, self.field("rule-action"), arg=arg, pattern=pattern, source="session")
        except ValueError as exc:
            return None, literal(f"✗ {exc}")
        persist = self.rules_file is not None and self.query_one(f"#{PERSIST_ID}", Checkbox).value
        return (rule, persist), Content("✓ ") + rule_preview(rule, persist, self.rules_file)


_ACTION_LABELS = {
    ALLOW: "allow: run without asking",
    ASK: "ask: pause for approval",
    DENY: "deny: refuse (the model is told why)",
}


_PLACEHOLDERS = {
    Condition.TOOL: "a tool name or glob, e.g. delete_*",
    Condition.ARG: "a regular expression, e.g. ^/etc/",
    Condition.STEP: "a step number, e.g. 12",
    Condition.TOKENS: "a token count, e.g. 20k",
    Condition.COST: "dollars, e.g. 0.50",
}
