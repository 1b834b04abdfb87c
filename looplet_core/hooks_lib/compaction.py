"""Context compaction: `ThresholdCompactHook` runs a `compact_chain` when the
conversation outgrows a token limit.

    compaction = ThresholdCompactHook(
        100_000,
        chain=compact_chain(Prune(), Summarize(llm), Truncate()),
        recorder=sink,                        # optional: the compactions as data in the trace
    )
    for step in composable_loop(llm, tools, task, hooks=[compaction, sink]):
        ...

Before each model call the hook estimates the conversation's tokens (with
`estimator`, one message at a time, counting only new messages between
compactions).  Over `limit`, it runs the chain's stages in order until the
estimate is at most `target`, and returns the result as a pre_prompt edit
whose trace entry says what happened: sizes before and after, in tokens and
messages, and what each stage removed.  A stage that raises, or whose output
would separate a tool call from its result, is skipped and named in that
entry; the next stage carries on.
"""

from __future__ import annotations

from looplet_core._record import Record, set_field
from looplet_core.hooks import Replace
from looplet_core.hooks_lib.compaction_stages import Budget, Prune, Truncate
from looplet_core.hooks_lib.compaction_units import estimate_tokens, pairing_problems
from looplet_core.provenance.trace import one_line
from looplet_core.types import Message

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from looplet_core.loop import LoopState, Prompt

__all__ = ["Compaction", "CompactionChain", "StageReport", "ThresholdCompactHook", "compact_chain"]


class StageReport(Record):
    """What one stage did in one compaction: `removed` (in words) and `detail`, or `error`."""

    __slots__ = ("stage", "removed", "detail", "error")
    stage: str
    removed: str
    detail: dict[str, Any]
    error: str | None

    def __init__(
        self, stage: str, removed: str = "", detail: Any = None, error: str | None = None
    ) -> None:
        set_field(self, "stage", stage)
        set_field(self, "removed", removed)
        set_field(self, "detail", dict(detail or {}))
        set_field(self, "error", error)

    def describe(self) -> str:
        return f"{self.stage} failed ({self.error})" if self.error else self.removed

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "removed": self.removed,
            "detail": self.detail,
            "error": self.error,
        }


class CompactionChain:
    """Stages run in order until the conversation fits the budget (see `compact_chain`)."""

    def __init__(self, stages: Sequence[Any]) -> None:
        for stage in stages:
            if not callable(getattr(stage, "compact", None)):
                raise TypeError(
                    f"{type(stage).__name__} is not a compaction stage: it has no "
                    "compact(messages, budget) method"
                )
        self.stages = tuple(stages)

    @property
    def names(self) -> list[str]:
        return [_stage_name(stage) for stage in self.stages]

    def run(
        self, messages: Sequence[Message], budget: Budget
    ) -> tuple[list[Message], tuple[StageReport, ...]]:
        """The compacted conversation, and a report for every stage that acted or failed."""
        current = list(messages)
        given = pairing_problems(current)
        reports = []
        size = budget.tokens(current)
        for stage in self.stages:
            if size <= budget.target:
                break
            name = _stage_name(stage)
            try:
                result = stage.compact(current, budget)
            except Exception as exc:
                reports.append(StageReport(name, error=one_line(exc)))
                continue
            if result is None:
                continue
            problem = _refusal(result.messages, given)
            smaller = size if problem else budget.tokens(result.messages)
            if not problem and smaller >= size:
                problem = f"its result was not smaller ({size:,} → {smaller:,} tokens)"
            if problem:
                reports.append(StageReport(name, error=problem))
                continue
            current, size = list(result.messages), smaller
            reports.append(StageReport(name, result.removed, result.detail))
        return current, tuple(reports)


def compact_chain(*stages: Any) -> CompactionChain:
    """The stages to try, in order: `compact_chain(Prune(), Summarize(llm), Truncate())`."""
    if not stages:
        raise ValueError("compact_chain needs at least one stage")
    return CompactionChain(stages)


class Compaction(Record):
    """One compaction, as the trace and `debug_state()` keep it."""

    __slots__ = (
        "turn",
        "step",
        "tokens_before",
        "tokens_after",
        "messages_before",
        "messages_after",
        "stages",
    )
    turn: int
    step: int
    """The number of the step whose hook trace holds the compaction (the turn's first)."""
    tokens_before: int
    tokens_after: int
    messages_before: int
    messages_after: int
    stages: tuple[StageReport, ...]

    def __init__(
        self,
        turn: int,
        step: int,
        tokens_before: int,
        tokens_after: int,
        messages_before: int,
        messages_after: int,
        stages: tuple[StageReport, ...],
    ) -> None:
        set_field(self, "turn", turn)
        set_field(self, "step", step)
        set_field(self, "tokens_before", tokens_before)
        set_field(self, "tokens_after", tokens_after)
        set_field(self, "messages_before", messages_before)
        set_field(self, "messages_after", messages_after)
        set_field(self, "stages", stages)

    def describe(self) -> str:
        """One line: "compacted 12,400 → 5,100 tokens, 40 → 9 messages: pruned ...; dropped ..."."""
        done = "; ".join(f"{report.stage}: {report.describe()}" for report in self.stages)
        return (
            f"compacted {self.tokens_before:,} → {self.tokens_after:,} tokens, "
            f"{self.messages_before:,} → {self.messages_after:,} messages: {done}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "step": self.step,
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "messages_before": self.messages_before,
            "messages_after": self.messages_after,
            "stages": [report.to_dict() for report in self.stages],
        }


class ThresholdCompactHook:
    """Compacts the conversation before a model call when it is over `limit` tokens.

    `target` (default 60% of `limit`) is what a compaction aims for, so the
    next one is not due at once.  `estimator` gives one message's tokens
    (default: `estimate_tokens`, about four characters a token).  `chain`
    defaults to `compact_chain(Prune(), Truncate())`, which needs no model.
    With `recorder` (a ProvenanceSink), the compactions are also annotated in
    the trace as data, under "compactions".
    """

    def __init__(
        self,
        limit: int,
        *,
        chain: CompactionChain | None = None,
        estimator: Callable[[Message], int] = estimate_tokens,
        target: int | None = None,
        recorder: Any = None,
        name: str = "compaction",
    ) -> None:
        if type(limit) is not int or limit <= 0:
            raise ValueError(f"limit must be a positive int of tokens, not {limit!r}")
        target = limit * 6 // 10 if target is None else target
        if type(target) is not int or not 0 < target <= limit:
            raise ValueError(f"target must be an int between 1 and limit ({limit}), not {target!r}")
        self.name = name
        self.limit = limit
        self.target = target
        self.chain = chain if chain is not None else compact_chain(Prune(), Truncate())
        self.estimator = estimator
        self.recorder = recorder
        self.compactions: list[Compaction] = []
        self.last_tokens = 0
        """The estimate before the latest model call."""
        self.last_failure: str | None = None
        self._counted = _Counted()

    def pre_prompt(self, state: LoopState, prompt: Prompt) -> Replace | None:
        messages = prompt.messages
        tokens = self.last_tokens = self._counted.tokens(
            messages, state.history_version, self.estimator
        )
        if tokens <= self.limit:
            return None
        budget = Budget(self.target, self.estimator, state)
        compacted, reports = self.chain.run(messages, budget)
        if not any(report.error is None for report in reports):
            failures = "; ".join(report.describe() for report in reports)
            self.last_failure = (
                f"turn {state.turn}: {tokens:,} tokens is over the limit of {self.limit:,} "
                f"and nothing could be removed" + (f" ({failures})" if failures else "")
            )
            return None
        compaction = Compaction(
            state.turn,
            len(state.steps) + 1,
            tokens,
            budget.tokens(compacted),
            len(messages),
            len(compacted),
            reports,
        )
        self.compactions.append(compaction)
        if self.recorder is not None:
            self.recorder.annotate("compactions", [c.to_dict() for c in self.compactions])
        return Replace(compacted, compaction.describe())

    def debug_state(self) -> dict[str, Any]:
        last = self.compactions[-1] if self.compactions else None
        return {
            "limit": self.limit,
            "target": self.target,
            "estimated_tokens": self.last_tokens,
            "chain": self.chain.names,
            "compactions": len(self.compactions),
            "tokens_removed": sum(c.tokens_before - c.tokens_after for c in self.compactions),
            "last": None if last is None else last.to_dict(),
            "last_failure": self.last_failure,
        }


class _Counted:
    """The running token count of the conversation, so a turn estimates only new messages.

    The count carries over while the run's list only grew (same list object,
    same `history_version`, the last counted message still in place); any
    rewrite means one full recount.
    """

    __slots__ = ("last", "messages", "n", "total", "version")

    def __init__(self) -> None:
        self.messages: Sequence[Message] | None = None
        self.version = -1
        self.n = 0
        self.last: Message | None = None
        self.total = 0

    def tokens(
        self, messages: Sequence[Message], version: int, estimator: Callable[[Message], int]
    ) -> int:
        n = self.n
        grew = (
            messages is self.messages
            and version == self.version
            and len(messages) >= n
            and (n == 0 or messages[n - 1] is self.last)
        )
        start, total = (n, self.total) if grew else (0, 0)
        total += sum(estimator(message) for message in messages[start:])
        self.messages, self.version, self.n, self.total = messages, version, len(messages), total
        self.last = messages[-1] if messages else None
        return total


def _refusal(messages: Any, given: frozenset[str]) -> str | None:
    """Why a stage's output cannot be used, or None."""
    if not isinstance(messages, list | tuple) or not all(
        isinstance(message, Message) for message in messages
    ):
        return "it returned something other than a list of Messages"
    broken = pairing_problems(messages) - given
    if broken:
        return "its result would break tool call pairing: " + "; ".join(sorted(broken)[:3])
    return None


def _stage_name(stage: Any) -> str:
    name = getattr(stage, "name", None)
    return name if isinstance(name, str) and name else type(stage).__name__
