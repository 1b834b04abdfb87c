"""Breakpoints: where a live run pauses, and the pure logic that decides it.

A breakpoint names a phase (before the model call, before a tool call is
dispatched, after it ran) and a condition.  The session describes each
boundary it reaches as a `Moment`; `BreakpointSet.check(moment)` returns the
breakpoints that fire there.  Nothing here blocks or touches the UI, so every
condition is tested as a plain function.

| condition | fires when | phases |
|---|---|---|
| every  | always (every turn, or every call)                          | all |
| tool   | the tool name matches a glob (`delete_*`)                   | dispatch |
| arg    | a regex is found in one argument, or in all of them as JSON | dispatch |
| step   | the step being decided is number N                          | all |
| tokens | cumulative tokens reach N (once per run)                    | all |
| cost   | cumulative cost reaches $N (once per run)                   | all |
| error  | the result is an error (pre_prompt: the last one)           | pre_prompt, post |
| repeat | the same tool and arguments ran at an earlier step          | dispatch |

("dispatch" is pre_dispatch and post_dispatch; "post" is post_dispatch.)
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any

from looplet_core.hooks_lib.approval_rules import argument_text

__all__ = [
    "BREAKPOINTS_FORMAT",
    "PHASES",
    "Breakpoint",
    "BreakpointError",
    "BreakpointSet",
    "Condition",
    "Moment",
    "call_key",
    "parse_count",
]

PRE_PROMPT = "pre_prompt"
PRE_DISPATCH = "pre_dispatch"
POST_DISPATCH = "post_dispatch"
PHASES = (PRE_PROMPT, PRE_DISPATCH, POST_DISPATCH)
PHASE_LABELS = {
    PRE_PROMPT: "before the model call",
    PRE_DISPATCH: "before dispatch",
    POST_DISPATCH: "after dispatch",
}
BREAKPOINTS_FORMAT = "looplet-breakpoints"
"""The `format` of the breakpoints file saved with a run (version 1)."""


class Condition(StrEnum):
    EVERY = "every"
    TOOL = "tool"
    ARG = "arg"
    STEP = "step"
    TOKENS = "tokens"
    COST = "cost"
    ERROR = "error"
    REPEAT = "repeat"


CONDITION_LABELS = {
    Condition.EVERY: "every turn / every call",
    Condition.TOOL: "tool name or glob",
    Condition.ARG: "argument matches a regex",
    Condition.STEP: "at step N",
    Condition.TOKENS: "cumulative tokens reach N",
    Condition.COST: "cumulative cost reaches $N",
    Condition.ERROR: "an error result",
    Condition.REPEAT: "a repeated identical call",
}
_PHASES_OF = {
    Condition.TOOL: (PRE_DISPATCH, POST_DISPATCH),
    Condition.ARG: (PRE_DISPATCH, POST_DISPATCH),
    Condition.REPEAT: (PRE_DISPATCH, POST_DISPATCH),
    Condition.ERROR: (PRE_PROMPT, POST_DISPATCH),
}
_ONCE = (Condition.TOKENS, Condition.COST)
"""Threshold conditions fire when the total first reaches them, not at every boundary after."""


class BreakpointError(ValueError):
    """A breakpoint that cannot be set; the message says why, on one line."""


def parse_count(text: str) -> int:
    """`12000`, `12k`, `1.5M`, `12_000` as an int; raises ValueError."""
    cleaned = text.strip().lower().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(cleaned[-1:], 1)
    number = float(cleaned[:-1] if scale > 1 else cleaned)
    if number < 0 or number != number or number == float("inf"):
        raise ValueError(text)
    return int(number * scale)


def _parse_cost(text: str) -> float:
    number = float(text.strip().removeprefix("$"))
    if number < 0 or number != number or number == float("inf"):
        raise ValueError(text)
    return number


@dataclass(frozen=True, slots=True)
class Moment:
    """One boundary of the run, as breakpoint conditions see it."""

    phase: str
    step: int
    """The step being decided: the call's step, or at pre_prompt the next step."""
    tool: str | None = None
    args: Mapping[str, Any] | str | None = None
    ok: bool | None = None
    """The result's outcome after dispatch; before the model call, the last step's."""
    tokens: int = 0
    cost: float | None = None
    repeated: bool = False


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """Pause at `phase` when `condition` (with `value`) holds.  Invalid ones raise
    `BreakpointError` when built, so a set breakpoint always works."""

    phase: str
    condition: Condition
    value: str = ""
    """The glob, regex, step number, token count or cost the condition needs."""
    arg: str | None = None
    """For `arg`: the argument searched; None searches all arguments as JSON."""
    enabled: bool = True
    id: int = 0
    """Assigned by the BreakpointSet; identifies the breakpoint in the editor."""

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise BreakpointError(f"unknown phase {self.phase!r}: use {', '.join(PHASES)}")
        try:
            condition = Condition(self.condition)
        except ValueError:
            names = ", ".join(c.value for c in Condition)
            raise BreakpointError(f"unknown condition {self.condition!r}: use {names}") from None
        object.__setattr__(self, "condition", condition)
        allowed = _PHASES_OF.get(condition, PHASES)
        if self.phase not in allowed:
            where = " or ".join(PHASE_LABELS[p] for p in allowed)
            raise BreakpointError(f"a {condition} breakpoint can only be set {where}")
        problem = _value_problem(condition, self.value)
        if problem:
            raise BreakpointError(problem)

    def describe(self) -> str:
        """`before dispatch · tool delete_*`: one line for lists and pause reasons."""
        what = {
            Condition.EVERY: "every turn" if self.phase == PRE_PROMPT else "every call",
            Condition.TOOL: f"tool {self.value}",
            Condition.ARG: f"{self.arg or 'args'} ~ /{self.value}/",
            Condition.STEP: f"step {self.value.strip()}",
            Condition.TOKENS: f"tokens ≥ {self.value.strip()}",
            Condition.COST: f"cost ≥ ${self.value.strip().removeprefix('$')}",
            Condition.ERROR: "last result is an error" if self.phase == PRE_PROMPT else "error",
            Condition.REPEAT: "repeated identical call",
        }[self.condition]
        return f"{PHASE_LABELS[self.phase]} · {what}"

    def hits(self, moment: Moment) -> bool:
        """Whether the condition holds at `moment` (enabled or not, and ignoring "once")."""
        if moment.phase != self.phase:
            return False
        condition = self.condition
        if condition is Condition.EVERY:
            return True
        if condition is Condition.TOOL:
            return moment.tool is not None and fnmatchcase(moment.tool, self.value)
        if condition is Condition.ARG:
            if not isinstance(moment.args, Mapping):
                return False
            text = argument_text(dict(moment.args), self.arg)
            return text is not None and re.search(self.value, text) is not None
        if condition is Condition.STEP:
            return moment.step == int(self.value)
        if condition is Condition.TOKENS:
            return moment.tokens >= parse_count(self.value)
        if condition is Condition.COST:
            return moment.cost is not None and moment.cost >= _parse_cost(self.value)
        if condition is Condition.ERROR:
            return moment.ok is False
        return moment.repeated

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"phase": self.phase, "condition": str(self.condition)}
        if self.value:
            data["value"] = self.value
        if self.arg is not None:
            data["arg"] = self.arg
        data["enabled"] = self.enabled
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Breakpoint:
        unknown = set(data) - {"phase", "condition", "value", "arg", "enabled"}
        if unknown:
            raise BreakpointError(f"unknown breakpoint field(s): {', '.join(sorted(unknown))}")
        arg = data.get("arg")
        return cls(
            phase=str(data.get("phase")),
            condition=data.get("condition"),  # type: ignore[arg-type]  # checked when built
            value=str(data.get("value", "")),
            arg=None if arg is None else str(arg),
            enabled=bool(data.get("enabled", True)),
        )


def _value_problem(condition: Condition, value: str) -> str | None:
    """Why `value` does not suit `condition`, or None."""
    try:
        if condition is Condition.TOOL and not value.strip():
            return "give a tool name or glob, e.g. delete_*"
        if condition is Condition.ARG:
            if not value:
                return "give a regular expression to search the arguments for"
            re.compile(value)
        elif condition is Condition.STEP:
            if int(value) < 1:
                return "the step number must be 1 or more"
        elif condition is Condition.TOKENS:
            parse_count(value)
        elif condition is Condition.COST:
            _parse_cost(value)
    except re.error as exc:
        return f"invalid regular expression: {exc}"
    except ValueError:
        wanted = {
            Condition.STEP: "a whole number, e.g. 12",
            Condition.TOKENS: "a token count, e.g. 20000 or 20k",
            Condition.COST: "an amount in dollars, e.g. 0.50",
        }[condition]
        return f"{value.strip()!r} is not {wanted}"
    return None


def call_key(name: str, args: Any) -> str:
    """What makes two calls identical for the `repeat` condition: tool and canonical args."""
    return json.dumps([name, args], sort_keys=True, ensure_ascii=False, default=repr)


class BreakpointSet:
    """The session's breakpoints, shared by the UI (which edits them) and the loop
    thread (which checks them).  Edits swap a whole tuple, so a check sees the set
    before an edit or after it, never half of it."""

    def __init__(self, breakpoints: Iterable[Breakpoint] = ()) -> None:
        self._lock = threading.Lock()
        self._items: tuple[Breakpoint, ...] = ()
        self._next_id = 1
        self.hit_counts: dict[int, int] = {}
        """How often each breakpoint fired in the current run, by id."""
        self._fired: set[int] = set()
        for breakpoint in breakpoints:
            self.add(breakpoint)

    def __iter__(self) -> Any:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> tuple[Breakpoint, ...]:
        return self._items

    def add(self, breakpoint: Breakpoint) -> Breakpoint:
        """Add a copy of `breakpoint` with a fresh id; return it."""
        with self._lock:
            added = replace(breakpoint, id=self._next_id)
            self._next_id += 1
            self._items = (*self._items, added)
        return added

    def remove(self, breakpoint_id: int) -> Breakpoint:
        with self._lock:
            found = self._find(breakpoint_id)
            self._items = tuple(b for b in self._items if b.id != breakpoint_id)
        return found

    def set_enabled(self, breakpoint_id: int, enabled: bool) -> Breakpoint:
        with self._lock:
            changed = replace(self._find(breakpoint_id), enabled=enabled)
            self._items = tuple(changed if b.id == breakpoint_id else b for b in self._items)
        return changed

    def _find(self, breakpoint_id: int) -> Breakpoint:
        for breakpoint in self._items:
            if breakpoint.id == breakpoint_id:
                return breakpoint
        raise KeyError(breakpoint_id)

    def check(self, moment: Moment) -> list[Breakpoint]:
        """The enabled breakpoints that fire at `moment`; counts their hits.

        Called by the loop thread only."""
        fired = []
        for breakpoint in self._items:
            if not breakpoint.enabled or not breakpoint.hits(moment):
                continue
            if breakpoint.condition in _ONCE:
                if breakpoint.id in self._fired:
                    continue
                self._fired.add(breakpoint.id)
            self.hit_counts[breakpoint.id] = self.hit_counts.get(breakpoint.id, 0) + 1
            fired.append(breakpoint)
        return fired

    def new_run(self) -> None:
        """Forget hits and spent thresholds: a restarted run starts from nothing."""
        self.hit_counts = {}
        self._fired = set()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": BREAKPOINTS_FORMAT,
            "version": 1,
            "breakpoints": [breakpoint.to_dict() for breakpoint in self._items],
        }
