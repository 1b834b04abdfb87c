"""`ConsoleApproval`: an ApprovalHook front-end on plain stdin/stdout.

It needs nothing but a line-based terminal, so it works over ssh, in a pipe and
under CI.  Everything the model wrote (arguments, its explanation) is printed
with control characters made visible, so a tool call cannot move the cursor,
recolour the screen or hide text from the person deciding.

    hook = ApprovalHook([Rule("read_*", "allow")], ask=ConsoleApproval())
"""

from __future__ import annotations

import json
import sys

from looplet_core.hooks_lib.approval import USER_AT_KEYBOARD, Approve, Edit, Reject, Skip

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

    from looplet_core.hooks_lib.approval import ApprovalRequest
    from looplet_core.hooks_lib.approval_rules import Rule

__all__ = ["ConsoleApproval", "visible"]

_MENU = (
    "[a] approve once   [t] approve {tool} for this session   [p] approve a pattern\n"
    "[e] edit the arguments   [r] reject with feedback   [s] skip"
)


def visible(text: str) -> str:
    """`text` with every control or format character shown as an escape (`\\x1b`),
    except newlines."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _pretty(args: Any) -> str:
    return json.dumps(args, indent=2, ensure_ascii=False, sort_keys=True, default=repr)


class ConsoleApproval:
    """Asks at the terminal: approve (once, for the tool, or for a pattern), edit
    the arguments as JSON, reject with feedback, or skip.

    `input`/`output` default to sys.stdin/sys.stdout at the time of asking.
    End of input raises EOFError, which ApprovalHook turns into a denial.
    """

    def __init__(
        self, input: TextIO | None = None, output: TextIO | None = None, who: str = USER_AT_KEYBOARD
    ) -> None:
        self.input = input
        self.output = output
        self.who = who

    def __call__(self, request: ApprovalRequest) -> Approve | Edit | Reject | Skip:
        self._show(request)
        while True:
            menu = _MENU.format(tool=visible(request.tool))
            choice = self._ask(f"\n{menu}\nchoice> ").strip().lower()
            answer = self._choose(choice, request)
            if answer is not None:
                return answer

    # -- the choices --------------------------------------------------------

    def _choose(
        self, choice: str, request: ApprovalRequest
    ) -> Approve | Edit | Reject | Skip | None:
        if choice == "a":
            return Approve(who=self.who)
        if choice == "t":
            return self._confirm_rule(request.tool_rule(), request)
        if choice == "p":
            return self._confirm_rule(self._pattern_rule(request), request)
        if choice == "e":
            return self._edit(request)
        if choice == "r":
            return Reject(self._ask("feedback for the model> "), who=self.who)
        if choice == "s":
            return Skip(who=self.who)
        self._say(f"unknown choice '{visible(choice)}'")
        return None

    def _confirm_rule(self, rule: Rule, request: ApprovalRequest) -> Approve | None:
        """Show the rule before it is added; the person may add it, save it too, or go back."""
        self._say(f"rule to add: {visible(rule.describe())}")
        options = "[y] add it   [f] add it and save it to the rules file   [n] back"
        if not request.can_persist:
            options = "[y] add it   [n] back"
        while True:
            choice = self._ask(f"{options}\n> ").strip().lower()
            if choice == "y":
                return Approve(rule, who=self.who)
            if choice == "f" and request.can_persist:
                return Approve(rule, persist=True, who=self.who)
            if choice == "n":
                return None

    def _pattern_rule(self, request: ApprovalRequest) -> Rule:
        """Ask which argument to match and the expression, offering the current value."""
        suggested = request.suggested_arg
        while True:
            shown = visible(suggested or "-")
            answer = self._ask(
                f"argument to match (- for all arguments as JSON) [{shown}]> "
            ).strip()
            arg = suggested if not answer else None if answer == "-" else answer
            if arg is not None and arg not in request.args:
                self._say(f"the call has no argument '{visible(arg)}'")
                continue
            exact = request.pattern_rule(arg).pattern or ""
            pattern = self._ask(f"regular expression [{visible(exact)}]> ") or exact
            try:
                return request.pattern_rule(arg, pattern)
            except ValueError as exc:
                self._say(visible(str(exc)))

    def _edit(self, request: ApprovalRequest) -> Edit | None:
        """Read new arguments until they parse and pass the schema, then confirm the diff."""
        old = _pretty(request.args)
        while True:
            self._say(
                "new arguments as JSON, ended by an empty line (an empty first line goes back):"
            )
            text = self._read_block()
            if not text.strip():
                return None
            try:
                args = json.loads(text)
            except ValueError as exc:
                self._say(f"not valid JSON: {exc}")
                continue
            problems = request.check(args)
            if problems:
                self._say(
                    "\n".join(
                        ["the tool would refuse these arguments:"]
                        + [f"- {visible(p)}" for p in problems]
                    )
                )
                continue
            self._say(_diff(old, _pretty(args)))
            if self._ask("run with these arguments? [y/N]> ").strip().lower() == "y":
                return Edit(args, who=self.who)

    # -- terminal I/O -------------------------------------------------------

    def _show(self, request: ApprovalRequest) -> None:
        lines = [
            f"\napproval needed: step {request.step}, {visible(request.tool)}",
            f"  why: {visible(request.reason)}",
        ]
        if request.call.text:
            lines.append(f"  the model said: {visible(request.call.text)}")
        lines.append("  arguments:")
        lines += ["    " + visible(line) for line in _pretty(request.args).splitlines()]
        self._say("\n".join(lines))

    def _say(self, text: str) -> None:
        out = self.output or sys.stdout
        out.write(text + "\n")
        out.flush()

    def _ask(self, prompt: str) -> str:
        out = self.output or sys.stdout
        out.write(prompt)
        out.flush()
        line = (self.input or sys.stdin).readline()
        if not line:
            raise EOFError("input ended before an approval answer")
        return line.rstrip("\r\n")

    def _read_block(self) -> str:
        lines = []
        while True:
            line = (self.input or sys.stdin).readline()
            if not line:
                raise EOFError("input ended inside the edited arguments")
            if not line.strip():
                return "\n".join(lines)
            lines.append(line.rstrip("\n"))


def _diff(old: str, new: str) -> str:
    """A unified diff of the old and new arguments, as the person confirms it."""
    import difflib  # costs import time; only an edit needs it

    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), "old arguments", "new arguments", lineterm=""
    )
    return "\n".join(visible(line) for line in lines) or "(no change)"
