"""`ApprovalHook`: rules decide which tool calls run; a front-end asks a person
about the rest.

    approval = ApprovalHook(
        [Rule("read_*", "allow"), Rule("delete_*", "deny", arg="path", pattern=r"^/")],
        ask=ConsoleApproval(),          # or the TUI's front-end, or none at all
        rules_file="approvals.json",    # "always allow" answers, kept between runs
        recorder=sink,                  # a ProvenanceSink: human decisions go in the trace
    )

With no `ask`, the hook is a plain permission list: a call that needs asking
is denied, because nobody is there to approve it.  Every failure (a rule's
matcher raising, the front-end raising or answering nonsense, a decision that
cannot be recorded) denies the call and says why in the hook trace.

**Front-end contract.** `ask(request)` runs in the loop's thread and may block
until a person answers.  It receives an `ApprovalRequest` and returns one of
`Approve`, `Edit`, `Reject` or `Skip`.  To approve beyond this call it first
builds the rule with `request.tool_rule()` or `request.pattern_rule(...)`, shows
it, and returns `Approve(rule=..., persist=...)`; the hook adds exactly that
rule.  `request.check(args)` validates edited arguments against the tool's
schema so a front-end can refuse invalid ones before answering.
"""

from __future__ import annotations

import re
from _thread import allocate_lock

from looplet_core._record import Record, set_field
from looplet_core.hooks import Allow, Deny, Replace, Rewrite
from looplet_core.hooks_lib.approval_rules import (
    ACTIONS,
    ALLOW,
    ASK,
    DENY,
    Rule,
    argument_text,
    load_rules,
    save_rules,
)
from looplet_core.jsonable import to_jsonable
from looplet_core.types import ErrorKind, ToolResult
from looplet_core.validation import compile_members

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable
    from typing import Any, TypeAlias

    from looplet_core.loop import LoopState
    from looplet_core.types import ToolCall

    Answer: TypeAlias = "Approve | Edit | Reject | Skip"

__all__ = [
    "SKIPPED_BY_USER",
    "USER_AT_KEYBOARD",
    "ApprovalHook",
    "ApprovalRequest",
    "Approve",
    "Edit",
    "Reject",
    "Skip",
]

USER_AT_KEYBOARD = "user at keyboard"
"""Who made a decision, as traces record it, when a person at a terminal did."""

SKIPPED_BY_USER = "skipped by user"


# -- the front-end's answers --------------------------------------------------


class Approve(Record):
    """Run the call.  With `rule`, also add it so matching calls run without asking;
    with `persist`, save that rule to the hook's rules file as well."""

    __slots__ = ("rule", "persist", "who")
    rule: Rule | None
    persist: bool
    who: str

    def __init__(
        self, rule: Rule | None = None, persist: bool = False, who: str = USER_AT_KEYBOARD
    ) -> None:
        if persist and rule is None:
            raise ValueError("Approve(persist=True) needs the rule to save")
        set_field(self, "rule", rule)
        set_field(self, "persist", persist)
        set_field(self, "who", who)


class Edit(Record):
    """Run the call with these arguments instead (they must pass the tool's schema)."""

    __slots__ = ("args", "who")
    args: dict[str, Any]
    who: str

    def __init__(self, args: dict[str, Any], who: str = USER_AT_KEYBOARD) -> None:
        set_field(self, "args", args)
        set_field(self, "who", who)


class Reject(Record):
    """Do not run the call; the model reads `feedback` as the call's result."""

    __slots__ = ("feedback", "who")
    feedback: str
    who: str

    def __init__(self, feedback: str = "", who: str = USER_AT_KEYBOARD) -> None:
        set_field(self, "feedback", feedback)
        set_field(self, "who", who)


class Skip(Record):
    """Do not run the call; its result is the error "skipped by user"."""

    __slots__ = ("who",)
    who: str

    def __init__(self, who: str = USER_AT_KEYBOARD) -> None:
        set_field(self, "who", who)


# -- the question -------------------------------------------------------------


class ApprovalRequest(Record):
    """What a front-end is asked about one call, with the helpers it needs to answer."""

    __slots__ = ("call", "schema", "step", "turn", "rule", "reason", "can_persist")
    call: ToolCall
    """The call as proposed (after earlier hooks' rewrites): name, args, and the
    model's `text`/`reasoning` explaining it."""
    schema: dict[str, Any] | None
    """The tool's parameters (a JSON Schema), or None for a tool the run lacks."""
    step: int
    """The number the call's Step will have."""
    turn: int
    rule: Rule | None
    """The `ask` rule that matched, or None when no rule matched and the default asks."""
    reason: str
    """Why a person is asked, in words."""
    can_persist: bool
    """Whether `Approve(persist=True)` is possible (the hook has a rules file)."""

    def __init__(
        self,
        call: ToolCall,
        schema: dict[str, Any] | None,
        step: int,
        turn: int,
        rule: Rule | None,
        reason: str,
        can_persist: bool,
    ) -> None:
        set_field(self, "call", call)
        set_field(self, "schema", schema)
        set_field(self, "step", step)
        set_field(self, "turn", turn)
        set_field(self, "rule", rule)
        set_field(self, "reason", reason)
        set_field(self, "can_persist", can_persist)

    @property
    def tool(self) -> str:
        return self.call.name

    @property
    def args(self) -> dict[str, Any]:
        return self.call.args

    def check(self, args: Any) -> tuple[str, ...]:
        """Why `args` cannot replace the call's arguments; empty when they can."""
        if not isinstance(args, dict):
            return ("the arguments must be a JSON object",)
        if self.schema is None:
            return ()
        problems = compile_members(self.schema)(args)
        return tuple(problem.render() for problem in problems)

    def tool_rule(self) -> Rule:
        """The rule "allow this tool for the rest of the session"."""
        return Rule(self.call.name, ALLOW, source="session")

    @property
    def suggested_arg(self) -> str | None:
        """The argument a pattern rule most likely means: the first string one."""
        return next((k for k, v in self.call.args.items() if isinstance(v, str)), None)

    def pattern_rule(self, arg: str | None, pattern: str | None = None) -> Rule:
        """The rule "allow this tool when argument `arg` (None: all arguments as
        JSON) matches `pattern`".

        The default pattern matches exactly the current value, for the person
        to widen.  Raises ValueError for an invalid pattern.
        """
        if pattern is None:
            pattern = "^" + re.escape(argument_text(self.call.args, arg) or "") + "$"
        return Rule(self.call.name, ALLOW, arg=arg, pattern=pattern, source="session")


# -- the hook -----------------------------------------------------------------


class ApprovalHook:
    """Decides each tool call by rules, asking the `ask` front-end when they say so.

    Precedence: a matching `deny` rule always wins; otherwise the first
    matching rule decides; otherwise `default`.  Rules added while running (by
    approvals, or by `add_rule`) and rules from the rules file come before the
    configured ones, so "always allow X" overrides a configured "ask X" but
    never a deny.
    """

    def __init__(
        self,
        rules: Iterable[Rule] = (),
        ask: Callable[[ApprovalRequest], Answer] | None = None,
        *,
        default: str = ASK,
        rules_file: str | os.PathLike[str] | None = None,
        recorder: Any = None,
        name: str = "approval",
    ) -> None:
        if default not in ACTIONS:
            raise ValueError(f"default must be allow, deny or ask, not {default!r}")
        self.name = name
        self.ask = ask
        """The front-end; None makes every `ask` a denial."""
        self.default = default
        self.rules_file = rules_file
        self.recorder = recorder
        """Where human decisions are recorded: anything with ProvenanceSink's
        `record_human(step, action, before, after, who)`."""
        self._lock = allocate_lock()
        self._rules: tuple[Rule, ...] = ()
        self._in_precedence: tuple[Rule, ...] = ()
        """The same rules, deny rules first: matching takes the first that applies."""
        self._state: LoopState | None = None
        self.counts: dict[str, int] = dict.fromkeys(
            ("allow", "deny", "approve", "edit", "reject", "skip", "failed"), 0
        )
        self.last_failure: str | None = None
        saved = load_rules(rules_file) if rules_file is not None else []
        self._set_rules((*saved, *rules))

    # -- rules, for front-ends and debuggers --------------------------------

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule, learned ones first; deny rules win wherever they are."""
        return self._rules

    def add_rule(self, rule: Rule, *, persist: bool = False, who: str | None = None) -> Rule:
        """Put `rule` ahead of the others; `persist` also saves it to the rules file
        (its source becomes "file").  Returns the rule as added.

        With `who`, the change is recorded as a human decision while a run is on.
        """
        if persist:
            if self.rules_file is None:
                raise ValueError("this ApprovalHook has no rules_file to save the rule to")
            rule = rule.replace(source="file")
        with self._lock:
            rules = (rule, *self._rules)
            if persist:
                self._save(rules)
            self._set_rules(rules)
        if who is not None:
            self._record(self._state, "add_rule", None, rule.describe(), who)
        return rule

    def remove_rule(self, rule: Rule, *, who: str | None = None) -> None:
        """Drop `rule` (one equal to it); a rule from the rules file leaves the file too."""
        with self._lock:
            rules = list(self._rules)
            if rule not in rules:
                raise ValueError(f"no such rule: {rule.describe()}")
            rules.remove(rule)
            if rule.source == "file":
                self._save(rules)
            self._set_rules(tuple(rules))
        if who is not None:
            self._record(self._state, "remove_rule", rule.describe(), None, who)

    def debug_state(self) -> dict[str, Any]:
        return {
            "rules": [rule.describe() for rule in self._rules],
            "default": self.default,
            "front_end": None if self.ask is None else _callable_name(self.ask),
            "rules_file": None if self.rules_file is None else str(self.rules_file),
            "decisions": dict(self.counts),
            "last_failure": self.last_failure,
        }

    # -- hook phases --------------------------------------------------------

    def pre_loop(self, state: LoopState) -> None:
        self._state = state

    def on_loop_end(self, state: LoopState, result: Any) -> None:
        self._state = None

    def pre_dispatch(self, state: LoopState, call: ToolCall) -> Allow | Deny | Rewrite | Replace:
        try:
            rule = self._match(call, state)
        except _MatcherFailed as failed:
            return self._fail(failed.reason)
        action = self.default if rule is None else rule.action
        if action == ALLOW:
            self.counts["allow"] += 1
            return Allow("default: allow" if rule is None else f"rule: {rule.describe()}")
        if action == DENY:
            self.counts["deny"] += 1
            if rule is None:
                return Deny(f"{call.name} is not allowed here (no rule allows it)")
            return Deny(rule.reason or f"{call.name} is not allowed here ({rule.describe()})")
        return self._ask(state, call, rule)

    # -- internals ----------------------------------------------------------

    def _set_rules(self, rules: Iterable[Rule]) -> None:
        """Swap in a new rule set; a call being judged sees the old one or the new."""
        rules = tuple(rules)
        denies = tuple(rule for rule in rules if rule.action == DENY)
        self._in_precedence = denies + tuple(rule for rule in rules if rule.action != DENY)
        self._rules = rules

    def _save(self, rules: Iterable[Rule]) -> None:
        assert self.rules_file is not None
        save_rules(self.rules_file, [rule for rule in rules if rule.source == "file"])

    def _match(self, call: ToolCall, state: LoopState) -> Rule | None:
        for rule in self._in_precedence:
            try:
                if rule.matches(call, state):
                    return rule
            except Exception as exc:
                raise _MatcherFailed(
                    f"rule {rule.describe()!r} could not be checked "
                    f"({_describe(exc)}), so the call was not run"
                ) from exc
        return None

    def _ask(self, state: LoopState, call: ToolCall, rule: Rule | None) -> Any:
        if self.ask is None:
            self.counts["deny"] += 1
            return Deny(f"{call.name} needs a person's approval and no one can approve it here")
        tools = state.tools
        tool = tools.get(call.name) if tools is not None else None
        why = f"no rule matched; the default is {ASK}" if rule is None else rule.describe()
        request = ApprovalRequest(
            call=call,
            schema=None if tool is None else tool.parameters,
            step=len(state.steps) + 1,
            turn=state.turn,
            rule=rule,
            reason=why,
            can_persist=self.rules_file is not None,
        )
        try:
            return self._apply(state, request, self.ask(request))
        except Exception as exc:
            return self._fail(f"approval failed ({_describe(exc)}), so the call was not run")

    def _apply(self, state: LoopState, request: ApprovalRequest, answer: Any) -> Any:
        """Turn the front-end's answer into the hook's decision.

        The decision is recorded before it takes effect, so the trace never
        lacks a decision that was acted on; if recording fails, the call is denied.
        """
        args = request.args
        if isinstance(answer, Approve):
            rule = answer.rule
            if rule is not None and rule.action != ALLOW:
                return self._fail(f"an approval can only add an allow rule, not {rule.action}")
            self._record(state, "approve", args, args, answer.who)
            if rule is not None:
                rule = self.add_rule(rule, persist=answer.persist)
                self._record(state, "add_rule", None, rule.describe(), answer.who)
            self.counts["approve"] += 1
            scope = "once" if rule is None else rule.describe()
            return Allow(f"approved by {answer.who} ({scope})")
        if isinstance(answer, Edit):
            problems = request.check(answer.args)
            if problems:
                listed = "".join(f"\n- {problem}" for problem in problems)
                return self._fail(
                    f"the edited arguments were refused, so the call was not run:{listed}"
                )
            self._record(state, "edit", args, answer.args, answer.who)
            self.counts["edit"] += 1
            return Rewrite(dict(answer.args), f"arguments edited by {answer.who}")
        if isinstance(answer, Reject):
            self._record(state, "reject", args, answer.feedback, answer.who)
            self.counts["reject"] += 1
            feedback = answer.feedback.strip()
            return Deny(
                f"The user rejected this call: {feedback}"
                if feedback
                else "The user rejected this call."
            )
        if isinstance(answer, Skip):
            self._record(state, "skip", args, SKIPPED_BY_USER, answer.who)
            self.counts["skip"] += 1
            return Replace(ToolResult.failure(ErrorKind.SKIPPED, SKIPPED_BY_USER), SKIPPED_BY_USER)
        return self._fail(
            f"the approval front-end answered {type(answer).__name__}, not Approve, Edit, "
            "Reject or Skip, so the call was not run"
        )

    def _record(
        self, state: LoopState | None, action: str, before: Any, after: Any, who: str
    ) -> None:
        """Write a human decision to the recorder, about the step being decided."""
        if self.recorder is not None and state is not None:
            step = len(state.steps) + 1
            self.recorder.record_human(step, action, to_jsonable(before), to_jsonable(after), who)

    def _fail(self, reason: str) -> Deny:
        self.counts["failed"] += 1
        self.last_failure = reason
        return Deny(reason)


class _MatcherFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _callable_name(func: Any) -> str:
    return getattr(func, "__name__", None) or type(func).__name__
