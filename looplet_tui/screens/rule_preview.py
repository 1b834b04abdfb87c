"""What the approval dialog and the rule editor show before a rule is added.

Both add an `ApprovalHook` rule, and both may save it to the hook's rules file
("always allow": kept for later runs).  The person sees the rule exactly as
the hook will hold it (a saved rule's source is "file"), and where it is saved.
"""

from __future__ import annotations

import os

from textual.content import Content
from textual.widgets import Checkbox

from looplet_core.hooks_lib import Rule
from looplet_tui.safe_text import literal

__all__ = ["PERSIST_ID", "persist_checkbox", "rule_preview", "saved_rule"]

PERSIST_ID = "rule-persist"


def saved_rule(rule: Rule, persist: bool) -> Rule:
    """The rule as the hook will hold it: one saved to the rules file has source "file"."""
    return rule.replace(source="file") if persist else rule


def rule_preview(rule: Rule, persist: bool, rules_file: str | os.PathLike[str] | None) -> Content:
    """`Adds the rule  allow delete_file [file]`, and where it is saved."""
    shown = Content.assemble(
        Content("Adds the rule  "), literal(saved_rule(rule, persist).describe(), "bold")
    )
    if persist and rules_file is not None:
        shown = Content.assemble(
            shown, Content("\nand saves it to "), literal(os.fspath(rules_file), "bold")
        )
    return shown


def persist_checkbox() -> Checkbox:
    """The "always" choice: save the rule to the rules file, for later runs too
    (`rule_preview` names the file once it is chosen)."""
    return Checkbox("always: save the rule for later runs too", compact=True, id=PERSIST_ID)
