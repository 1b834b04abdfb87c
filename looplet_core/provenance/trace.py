"""`Trace`: one recorded run, read lazily, whatever program wrote it.

Each format (provenance/native.py, provenance/formats/*) is a subclass that
fills a list of per-step entries when it loads and answers `_summary`,
`_step`, `_reply`, `_detail`, `_meta`, `_conversation` and `_refresh`.  This class keeps what
must be the same for all of them: the problem list, the `steps` sequence, and
the promise that nothing but `TraceError` (or IndexError for a step that does
not exist) leaves a public method.

A format that can index its steps a slice at a time (a mini-swe-agent
trajectory, one big JSON document; our own traces' index.jsonl) may return
from its constructor with only the first steps (`complete` False) and answer
`_index_more` and `_progress`; `open_trace` finishes the job unless it was
asked for a progressive open.
Every other format is complete once built.
"""

from __future__ import annotations

from looplet_core.provenance.model import TraceError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any

    from looplet_core.provenance.model import StepDetail, StepSummary, TraceMeta
    from looplet_core.types import LLMResponse, Message, Step

__all__ = ["StepList", "Trace", "one_line"]

MAX_PROBLEMS = 100
"""Problems listed one by one; beyond this they are only counted."""


class StepList:
    """`trace.steps`: a read-only sequence of StepSummary, each built from its
    entry when asked for, so opening a trace builds none."""

    __slots__ = ("_entries", "_summary")

    def __init__(self, entries: list[Any], summary: Callable[[Any], StepSummary]) -> None:
        self._entries = entries
        self._summary = summary

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self._summary(entry) for entry in self._entries[index]]
        return self._summary(self._entries[index])

    def __iter__(self) -> Iterator[StepSummary]:
        for entry in self._entries:
            yield self._summary(entry)

    def __repr__(self) -> str:
        return f"<{len(self._entries)} steps>"


class Trace:
    """A recorded run.  Build it with `open_trace`, which picks the subclass for the format.

    `len(trace)`, `trace.steps[i]` (a StepSummary), `trace.step(i)` (the
    full Step), `trace.response(i)`, `trace.detail(i)` (a StepDetail, read on
    demand), `trace.meta`, `trace.problems`, `trace.conversation()` and
    `trace.refresh()` mean the same for every format.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        """The trace directory, or the trajectory file for a single-file format."""
        self._entries: list[Any] = []
        """One entry per step, in order; only the subclass knows what an entry holds."""
        self.steps = StepList(self._entries, self._summary)
        """One StepSummary per recorded step."""
        self._damage: list[str] = []
        """Problems found once and for all (bad lines, damaged records)."""
        self._state: list[str] = []
        """Problems describing the current state (a missing file, a torn tail); redone each load."""
        self._suppressed = 0
        self._complete = True
        """False while a progressive open has steps left to index."""

    # -- public -----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.path!r}: {len(self._entries)} steps, "
            f"{len(self.problems)} problems>"
        )

    @property
    def problems(self) -> list[str]:
        """Human-readable damage and gaps, e.g. "torn record at events.jsonl line 812"."""
        extra = [f"... and {self._suppressed} more problems"] if self._suppressed else []
        return self._state + self._damage + extra

    @property
    def meta(self) -> TraceMeta:
        """What the run was and how it ended (task, model, tools, stop reason, totals)."""
        return self._guarded(self._meta, "cannot describe the run")

    def step(self, index: int) -> Step:
        """`steps[index]` in full (call, result, hook trace, usage), without the prompt
        and the response: what a listing, a replay or a grader needs, for much less
        than `detail(index)` costs.  Raises like `detail`.
        """
        entry = self._entries[index]
        return self._guarded(lambda: self._step(entry), f"the step at index {index} cannot be read")

    def response(self, index: int, *, raw_request: bool = True) -> LLMResponse | None:
        """The model's reply that proposed `steps[index]` (the same for every step of
        a turn), or None when none was recorded or its record is damaged (`problems`
        then says why).

        `raw_request=False` leaves the wire request out (`raw_request` None): a
        native trace rebuilds it from every call since its last full copy, and a
        replay, which sends no request, does not need it.  Raises IndexError for
        a step that does not exist, TraceError when the trace's files cannot be read.
        """
        entry = self._entries[index]
        return self._guarded(
            lambda: self._reply(entry, raw_request), f"the reply at index {index} cannot be read"
        )

    def detail(self, index: int, *, raw_request: bool = True) -> StepDetail:
        """Everything recorded about `steps[index]`, with its prompt and response.

        `raw_request=False` leaves the response's wire request out, as in
        `response()`: it is the one part whose cost grows with the run (a
        viewer that does not show it should not pay for it).  Raises
        IndexError for a step that does not exist, and TraceError when the
        step's own record cannot be read.
        """
        entry = self._entries[index]
        return self._guarded(
            lambda: self._detail(entry, raw_request), f"the step at index {index} cannot be read"
        )

    def conversation(self) -> Sequence[Message] | None:
        """The run's final conversation, or None if it has not ended or was not recorded.

        Like `detail(i).prompt`, a sequence that may read its messages only when
        they are asked for (our own traces); `tuple(...)` it to hold them all.
        """
        return self._guarded(self._conversation, "cannot be read")

    def human_steps(self) -> frozenset[int]:
        """The numbers of the steps a person decided something about (cheap: no
        record is read), for markers in a step list; `detail(i).human` has the
        decisions themselves."""
        return self._human_steps()

    def refresh(self) -> int:
        """Pick up what was written since the last read (follow mode); return how many
        steps are new (negative if a rewritten file now holds fewer)."""
        before = len(self._entries)
        self._guarded(self._refresh, "cannot be refreshed")
        return len(self._entries) - before

    @property
    def complete(self) -> bool:
        """Whether every step is indexed.  Only a trace opened with
        `open_trace(path, progressive=True)` can be incomplete: it holds the
        first steps, and `index_more` adds the rest."""
        return self._complete

    @property
    def progress(self) -> float:
        """How much of the trace is indexed, from 0 to 1 (1 once `complete`)."""
        return 1.0 if self._complete else self._progress()

    def index_more(self, budget_s: float | None = None) -> int:
        """Index more steps of an incomplete trace, for about `budget_s` seconds (at
        least a little, whatever the budget), or to the end with None; return how
        many steps were added (0 once `complete`).

        Until it is complete, `steps` and `meta` describe the part indexed so far
        (`meta.complete` is False), and `problems` the damage found so far.
        Steps already indexed keep their place and summary (docs/trace-format.md
        names the one odd document where they do not).
        """
        if self._complete:
            return 0
        before = len(self._entries)
        try:
            self._guarded(lambda: self._index_more(budget_s), "cannot be indexed")
        except TraceError as exc:
            self._complete = True  # what is indexed stays; nobody should retry forever
            self._note(str(exc))
            raise
        return len(self._entries) - before

    def _guarded(self, call: Callable[[], Any], failure: str) -> Any:
        """`call()`, with any exception but TraceError turned into one: a reader
        bug or an unforeseen shape of data must not crash a viewer."""
        try:
            return call()
        except TraceError:
            raise
        except Exception as exc:
            raise TraceError(f"{self.path}: {failure} ({one_line(exc)})") from exc

    # -- for subclasses ---------------------------------------------------------

    def _note(self, problem: str) -> None:
        """Add a lasting problem, once; beyond MAX_PROBLEMS only count it."""
        if problem in self._damage:
            return
        if len(self._damage) >= MAX_PROBLEMS:
            self._suppressed += 1
        else:
            self._damage.append(problem)

    def _summary(self, entry: Any) -> StepSummary:
        raise NotImplementedError

    def _step(self, entry: Any) -> Step:
        raise NotImplementedError

    def _reply(self, entry: Any, raw_request: bool) -> LLMResponse | None:
        raise NotImplementedError

    def _detail(self, entry: Any, raw_request: bool) -> StepDetail:
        raise NotImplementedError

    def _meta(self) -> TraceMeta:
        raise NotImplementedError

    def _conversation(self) -> Sequence[Message] | None:
        raise NotImplementedError

    def _human_steps(self) -> frozenset[int]:
        return frozenset()  # formats that record no human decisions

    def _refresh(self) -> None:
        raise NotImplementedError

    def _index_more(self, budget_s: float | None) -> None:
        raise NotImplementedError  # only formats that open incomplete

    def _progress(self) -> float:
        raise NotImplementedError


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
