"""`ApproveDialog`: approve a call once, for the session, or by a pattern.

The scopes are the ApprovalHook's: "once" adds nothing, the other two add the
rule built by `ApprovalRequest.tool_rule()` or `.pattern_rule(arg, regex)`.
When the hook has a rules file (`ApprovalRequest.can_persist`), the rule can
also be saved there ("always": later runs load it).  The rule is shown,
exactly as it will be added, before the user confirms.
"""

from __future__ import annotations

import os
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from looplet_core.hooks_lib import ApprovalRequest, Approve, Rule
from looplet_core.hooks_lib.approval_rules import argument_text
from looplet_tui.safe_text import literal
from looplet_tui.screens.rule_preview import PERSIST_ID, persist_checkbox, rule_preview

__all__ = ["SCOPES", "ApproveDialog"]

ONCE, TOOL, PATTERN = "once", "tool", "pattern"
SCOPES = (ONCE, TOOL, PATTERN)


class ApproveDialog(ModalScreen[Approve | None]):
    """Returns the approval as chosen (with its rule), or None when cancelled."""

    DEFAULT_CSS = """
    ApproveDialog {
        align: center middle;
        & > #approve-box {
            width: 84;
            max-width: 95%;
            height: auto;
            max-height: 95%;
            background: $surface;
            border: round $success;
            padding: 0 1;
        }
        & #approve-scopes { height: auto; margin: 1 0; }
        & #approve-pattern { height: auto; display: none; }
        &.-pattern #approve-pattern { display: block; }
        & #approve-pattern Horizontal { height: auto; margin: 0 0 1 0; }
        & #approve-pattern Label { width: 10; }
        & #approve-pattern Input { width: 1fr; }
        & #rule-persist { margin: 0; }
        &.-once #rule-persist { display: none; }
        & #approve-rule { margin: 1 0 0 0; }
        & #approve-error { color: $text-error; }
        & #approve-keys { color: $text-muted; margin: 1 0 0 0; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="approve.cancel"),
        Binding("1", "scope('once')", "Once", show=False, id="approve.once"),
        Binding("2", "scope('tool')", "This tool", show=False, id="approve.tool"),
        Binding("3", "scope('pattern')", "A pattern", show=False, id="approve.pattern"),
        Binding("s", "toggle_persist", "Always", show=False, id="approve.persist"),
    ]

    def __init__(
        self, request: ApprovalRequest, rules_file: str | os.PathLike[str] | None = None
    ) -> None:
        """`rules_file`: where the hook saves rules (named in the "always" choice,
        offered only when `request.can_persist`)."""
        super().__init__()
        self.request = request
        self.rules_file = rules_file if request.can_persist else None
        self.scope = ONCE
        self.rule: Rule | None = None
        self.error = ""

    def compose(self) -> ComposeResult:
        request = self.request
        with Vertical(id="approve-box"):
            yield Static(
                Content.assemble(Content.styled("Approve ", "bold"), literal(request.tool, "bold")),
                id="approve-title",
            )
            yield OptionList(
                Option(Content("1  once: run this call"), id=ONCE),
                Option(
                    Content.assemble(
                        Content("2  this tool for the rest of the session: every "),
                        literal(request.tool),
                        Content(" call"),
                    ),
                    id=TOOL,
                ),
                Option(Content("3  calls whose argument matches a pattern"), id=PATTERN),
                id="approve-scopes",
            )
            with Vertical(id="approve-pattern"):
                with Horizontal():
                    yield Label("argument")
                    yield Input(
                        request.suggested_arg or "",
                        placeholder="empty: all arguments, as JSON",
                        compact=True,
                        id="approve-arg",
                    )
                with Horizontal():
                    yield Label("regex")
                    yield Input(
                        self._exact_pattern(request.suggested_arg),
                        compact=True,
                        id="approve-regex",
                    )
            if self.rules_file is not None:
                yield persist_checkbox()
            yield Static(id="approve-rule")
            yield Static(id="approve-error")
            yield Static(id="approve-keys")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._update()

    def _exact_pattern(self, arg: str | None) -> str:
        """The pattern the hook suggests: exactly the current value of `arg`."""
        return self.request.pattern_rule(arg).pattern or ""

    @on(OptionList.OptionHighlighted, "#approve-scopes")
    def _on_scope(self, event: OptionList.OptionHighlighted) -> None:
        self.scope = event.option.id or ONCE
        self._update()

    @on(OptionList.OptionSelected, "#approve-scopes")
    def _on_chosen(self, event: OptionList.OptionSelected) -> None:
        self.scope = event.option.id or ONCE
        self._update()
        if self.scope == PATTERN and self.rule is not None:
            self.query_one("#approve-regex", Input).focus()
            return
        self._approve()

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _on_input(self) -> None:
        self._update()

    @property
    def persist(self) -> bool:
        """Whether the rule is also saved to the rules file."""
        if self.rules_file is None or self.scope == ONCE:
            return False
        return self.query_one(f"#{PERSIST_ID}", Checkbox).value

    def action_toggle_persist(self) -> None:
        """Save the rule to the rules file too (or not)."""
        if self.rules_file is not None and self.scope != ONCE:
            self.query_one(f"#{PERSIST_ID}", Checkbox).toggle()

    @on(Input.Submitted)
    def _on_submitted(self) -> None:
        self._approve()

    def action_scope(self, scope: str) -> None:
        self.query_one(OptionList).highlighted = SCOPES.index(scope)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _update(self) -> None:
        self.set_class(self.scope == PATTERN, "-pattern")
        self.set_class(self.scope == ONCE, "-once")
        self.rule, self.error = self._build_rule()
        shown = self.query_one("#approve-rule", Static)
        if self.scope == ONCE:
            shown.update(Content.styled("No rule is added: only this call runs.", "$text-muted"))
        elif self.rule is not None:
            shown.update(rule_preview(self.rule, self.persist, self.rules_file))
        else:
            shown.update("")
        self.query_one("#approve-error", Static).update(literal(self.error))
        self.query_one("#approve-keys", Static).update(self._keys())

    def _keys(self) -> str:
        """The keys line; in the pattern scope, enter in the list goes to the regex first."""
        always = " · s: always (save)" if self.rules_file is not None else ""
        if self.scope == PATTERN:
            return f"enter: to the regex, then approve · 1/2/3: scope{always} · esc: back"
        return f"enter: approve · 1/2/3: scope{always} · tab: next field · esc: back"

    def _build_rule(self) -> tuple[Rule | None, str]:
        request = self.request
        if self.scope == ONCE:
            return None, ""
        if self.scope == TOOL:
            return request.tool_rule(), ""
        arg = self.query_one("#approve-arg", Input).value.strip() or None
        if arg is not None and arg not in request.args:
            return None, f"{request.tool} has no argument {arg!r} in this call"
        pattern = self.query_one("#approve-regex", Input).value
        if not pattern:
            return None, "give a regular expression"
        try:
            rule = request.pattern_rule(arg, pattern)
        except ValueError as exc:
            return None, str(exc)
        text = argument_text(request.args, arg)
        if text is None or not rule.matches(request.call, None):  # type: ignore[arg-type]
            return rule, "note: this rule does not match the call being approved"
        return rule, ""

    def _approve(self) -> None:
        if self.scope != ONCE and self.rule is None:
            self.app.bell()
            return
        self.dismiss(Approve(self.rule, persist=self.persist))
