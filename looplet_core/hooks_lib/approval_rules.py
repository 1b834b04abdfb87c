"""Approval rules: which tool calls are allowed, denied or need a person, and the
rules file that keeps "always allow" answers between runs.

A rule names tools with a glob (`read_*`) and may narrow itself to some calls:
a regular expression searched in one argument (`arg="path", pattern=r"^/tmp/"`)
or in the JSON of all arguments (`pattern=...` alone), and/or a `when(call,
state)` callable.  Only rules without `when` can be saved to a file: a callable
has no JSON form.
"""

from __future__ import annotations

import json
import os
import re
from fnmatch import fnmatchcase

from looplet_core._record import Record, set_field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from looplet_core.loop import LoopState
    from looplet_core.types import ToolCall

__all__ = [
    "ACTIONS",
    "ALLOW",
    "ASK",
    "DENY",
    "RULES_FORMAT",
    "Rule",
    "RulesFileError",
    "load_rules",
    "save_rules",
]

ALLOW = "allow"
DENY = "deny"
ASK = "ask"
ACTIONS = (ALLOW, DENY, ASK)

RULES_FORMAT = "looplet-approval-rules"
RULES_VERSION = 1


class Rule(Record):
    """Maps the calls it matches to `allow`, `deny` or `ask`.

    `source` says where the rule came from ("config", "session" for an
    approval given during this run, "file" for one loaded from or saved to the
    rules file), so a debugger can list rules with their origin.
    """

    __slots__ = ("tool", "action", "arg", "pattern", "when", "reason", "source")
    tool: str
    """A glob on the tool name (fnmatch, case-sensitive): `*`, `read_*`, `delete_file`."""
    action: str
    arg: str | None
    """The argument `pattern` is searched in; None searches the JSON of all arguments."""
    pattern: str | None
    """A regular expression, searched (`re.search`): anchor it to match a whole value."""
    when: Callable[[ToolCall, LoopState], bool] | None
    reason: str
    """What the model is told when a deny rule refuses its call."""
    source: str

    def __init__(
        self,
        tool: str,
        action: str,
        *,
        arg: str | None = None,
        pattern: str | None = None,
        when: Callable[[ToolCall, LoopState], bool] | None = None,
        reason: str = "",
        source: str = "config",
    ) -> None:
        if not isinstance(tool, str) or not tool:
            raise ValueError(f"a rule needs a tool name or glob, not {tool!r}")
        if action not in ACTIONS:
            raise ValueError(f"rule action must be allow, deny or ask, not {action!r}")
        if arg is not None and pattern is None:
            raise ValueError(f"rule for {tool!r} names argument {arg!r} but gives no pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"rule for {tool!r}: invalid pattern {pattern!r}: {exc}") from None
        if when is not None and not callable(when):
            raise ValueError(f"rule for {tool!r}: `when` must be callable")
        set_field(self, "tool", tool)
        set_field(self, "action", action)
        set_field(self, "arg", arg)
        set_field(self, "pattern", pattern)
        set_field(self, "when", when)
        set_field(self, "reason", reason)
        set_field(self, "source", source)

    def matches(self, call: ToolCall, state: LoopState) -> bool:
        """Whether this rule applies to `call`; a raising `when` propagates to the caller."""
        if not fnmatchcase(call.name, self.tool):
            return False
        if self.pattern is not None:
            text = argument_text(call.args, self.arg)
            if text is None or re.search(self.pattern, text) is None:
                return False
        return self.when is None or bool(self.when(call, state))

    def describe(self) -> str:
        """One line for lists and traces: `allow delete_file if path ~ /^tmp\\// [session]`."""
        parts = [self.action, self.tool]
        if self.pattern is not None:
            parts.append(f"if {self.arg or 'args'} ~ /{self.pattern}/")
        if self.when is not None:
            parts.append(f"when {getattr(self.when, '__name__', 'callable')}()")
        return " ".join(parts) + f" [{self.source}]"

    def to_dict(self) -> dict[str, Any]:
        """The rule as rules-file JSON; a rule with a `when` callable cannot be saved."""
        if self.when is not None:
            raise ValueError(f"rule {self.describe()!r} has a `when` callable and cannot be saved")
        data: dict[str, Any] = {"tool": self.tool, "action": self.action}
        if self.pattern is not None:
            data["pattern"] = self.pattern
        if self.arg is not None:
            data["arg"] = self.arg
        if self.reason:
            data["reason"] = self.reason
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "file") -> Rule:
        unknown = set(data) - {"tool", "action", "arg", "pattern", "reason"}
        if unknown:
            raise ValueError(f"unknown rule field(s): {', '.join(sorted(unknown))}")
        return cls(
            data.get("tool"),  # type: ignore[arg-type]  # checked by the constructor
            data.get("action"),  # type: ignore[arg-type]
            arg=_optional_str(data, "arg"),
            pattern=_optional_str(data, "pattern"),
            reason=_optional_str(data, "reason") or "",
            source=source,
        )


def argument_text(args: dict[str, Any], arg: str | None) -> str | None:
    """The text a pattern is searched in: a string argument as it is, any other
    value (or all arguments when `arg` is None) as canonical JSON; None when the
    argument is absent."""
    if arg is None:
        value: Any = args
    elif arg in args:
        value = args[arg]
    else:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


class RulesFileError(ValueError):
    """A rules file that cannot be used; the message is one line naming the file."""


def load_rules(path: str | os.PathLike[str]) -> list[Rule]:
    """The rules saved in `path` (source "file"); an absent file holds none."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RulesFileError(f"{name}: cannot read the rules file: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise RulesFileError(f"{name}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != RULES_FORMAT:
        raise RulesFileError(
            f"{name}: not a looplet approval rules file (no format {RULES_FORMAT!r})"
        )
    if data.get("version") != RULES_VERSION:
        raise RulesFileError(f"{name}: rules file version {data.get('version')!r} is not supported")
    entries = data.get("rules")
    if not isinstance(entries, list):
        raise RulesFileError(f"{name}: 'rules' must be a list")
    rules = []
    for index, entry in enumerate(entries):
        try:
            if not isinstance(entry, dict):
                raise ValueError("a rule must be a JSON object")
            rules.append(Rule.from_dict(entry))
        except ValueError as exc:
            raise RulesFileError(f"{name}: rule {index + 1}: {exc}") from None
    return rules


def save_rules(path: str | os.PathLike[str], rules: Iterable[Rule]) -> None:
    """Write `rules` to `path` atomically: a reader sees the old file or the new one."""
    from looplet_core.provenance.sink import write_atomic  # only saving needs it

    data = {
        "format": RULES_FORMAT,
        "version": RULES_VERSION,
        "rules": [rule.to_dict() for rule in rules],
    }
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    write_atomic(os.fspath(path), text.encode("utf-8"))


def _optional_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key!r} must be a string")
    return value
