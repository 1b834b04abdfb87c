"""Reading our own trace directories ("looplet-trace", docs/trace-format.md).

Opening reads header.json, summary.json and the compact index.jsonl, plus the
tail of events.jsonl the index does not cover yet (a run killed between its
two writes, or still running): native_loading.py does that.  This module
answers from what it found: a step's full record, the prompt its model call
saw and the raw request are read only by `detail(i)`, by the offsets the
load found.

Opened progressively (`open_trace(path, progressive=True)`), the trace holds
the first FIRST_STEPS steps or so (the index's first slice) and `index_more`
reads on: the rest of the index, then the tail of events.jsonl.  A load is the
same sequence of reads whether it runs at once or a slice at a time, so it
ends with what a full open finds.  summary.json is read at once, so `meta`
has the run's totals while its steps are still being counted.

Damage is reported, not raised: torn or garbled lines are skipped and named in
`problems`, and a missing or damaged index is rebuilt in memory from
events.jsonl.  Opening raises `TraceError` only when nothing at all is
readable (a progressive open that finds it out past its first slice raises
it from `index_more`).
"""

from __future__ import annotations

import os
from time import perf_counter

from looplet_core.provenance import _format as fmt
from looplet_core.provenance._parse import is_int, is_number, open_regular, parse, str_or_none
from looplet_core.provenance.model import (
    HumanDecision,
    StepDetail,
    StepSummary,
    TraceError,
    TraceMeta,
)
from looplet_core.provenance.native_chains import Broken, RawRequests, record_at
from looplet_core.provenance.native_loading import ALL_STEPS, NativeLoader
from looplet_core.provenance.native_prompts import Conversations
from looplet_core.provenance.trace import Trace
from looplet_core.types import LLMResponse, Step, Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, BinaryIO

    from looplet_core.provenance.native_prompts import StoredMessages

__all__ = ["FIRST_STEPS", "NativeTrace"]

FIRST_STEPS = 200
"""Steps read before a progressive open returns: a few screenfuls of a timeline."""


class NativeTrace(Trace):
    """A looplet-trace directory, read lazily.  An entry is a step's index line
    (INDEX_FIELDS) as a tuple: its first ten fields are the StepSummary."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._events_path = os.path.join(path, fmt.EVENTS)
        self._loader = NativeLoader(path, self._entries, self._note)
        """Fills `_entries` and finds the rest of what the trace reads (native_loading.py)."""
        self._prompts = Conversations(self._events_path, self._note)
        self._raw = RawRequests(self._note)
        self._loader.begin()
        self._load(FIRST_STEPS)
        if not self._loader.readable() and not self._complete:
            self._load(ALL_STEPS)  # nothing to show yet: is there anything at all?
        self._require_readable()

    @property
    def header(self) -> dict[str, Any] | None:
        """header.json as last read, or None if it never was readable."""
        return self._loader.header

    @property
    def summary(self) -> dict[str, Any] | None:
        """summary.json as last read, or None if it is missing or damaged."""
        return self._loader.summary

    def _summary(self, entry: tuple[Any, ...]) -> StepSummary:
        return StepSummary(*entry[:10])

    def _conversation(self) -> StoredMessages | None:
        if self._loader.end is None:
            return None
        offset, record = self._loader.end
        try:
            with open_regular(self._events_path) as events:
                return self._prompts.prompt(events, offset, record, self._loader.calls)
        except (Broken, OSError) as exc:
            self._note(f"the final conversation cannot be rebuilt: {exc}")
            return None

    def _refresh(self) -> None:
        if self._complete:
            self._loader.begin()
            self._load(ALL_STEPS)
        else:  # `index_more` reads the steps on, to wherever the files end by then
            self._loader.reread_small_files()
            self._state = self._loader.state

    def _index_more(self, budget_s: float | None) -> None:
        if budget_s is None:
            self._load(ALL_STEPS)
        else:  # never fewer steps than before, even when the index turns out unusable
            self._load(len(self._entries), perf_counter() + budget_s)
        self._require_readable()  # what the first slice showed turned out to be unusable

    def _progress(self) -> float:
        return self._loader.progress()

    def _human_steps(self) -> frozenset[int]:
        humans = self._loader.humans
        if self._complete:
            return frozenset(humans)
        # A decision is recorded before its step: while indexing, a slice can end
        # between the two, and a mark must not come before its row.
        last = self._entries[-1][0] if self._entries else 0
        return frozenset(step for step in humans if step <= last)

    def _load(self, steps: float, deadline: float = 0.0) -> None:
        """Go on with the load (`NativeLoader.read_on`) and take its state."""
        self._complete = self._loader.read_on(steps, deadline)
        self._state = self._loader.state

    def _require_readable(self) -> None:
        """TraceError once a whole load found nothing at all to show."""
        if self._complete and not self._loader.readable():
            reasons = "; ".join(self._state + self._damage)
            raise TraceError(f"{self.path}: nothing readable ({reasons})")

    # -- details ----------------------------------------------------------------

    def _open_events(self) -> BinaryIO:
        try:
            return open_regular(self._events_path)
        except OSError as exc:
            raise TraceError(
                f"{self._events_path}: cannot be read ({exc.strerror or exc})"
            ) from exc

    def _step(self, entry: tuple[Any, ...]) -> Step:
        with self._open_events() as events:
            return self._step_record(events, entry)[1]

    def _reply(self, entry: tuple[Any, ...], raw_request: bool) -> LLMResponse | None:
        number, call_offset = entry[0], entry[12]
        if call_offset is None:
            self._note(f"step {number} has no model call record")
            return None
        with self._open_events() as events:
            try:
                call = record_at(events, call_offset, "call")
                return self._parse_response(events, call_offset, call, raw_request)
            except Broken as exc:
                self._note(f"step {number}: {exc}")
                return None

    def _step_record(self, events: BinaryIO, entry: tuple[Any, ...]) -> tuple[dict[str, Any], Step]:
        """A step's record and its Step; TraceError if it is not the step the index names."""
        number, offset, length = entry[0], entry[10], entry[11]
        where = f"{self._events_path}: step {number}'s record (byte {offset})"
        events.seek(offset)
        data = events.read(length)
        if len(data) != length or not data.endswith(b"\n"):
            raise TraceError(f"{where} is cut short")
        record, error = parse(data)
        if error:
            raise TraceError(f"{where}: {error}")
        if not isinstance(record, dict) or record.get("kind") != "step":
            raise TraceError(f"{where} is not a step record: the index does not match")
        try:
            step = Step.from_dict(record["step"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TraceError(f"{where} has the wrong shape ({type(exc).__name__})") from exc
        if step.number != number:
            raise TraceError(f"{where} holds step {step.number}: the index does not match")
        return record, step

    def _detail(self, entry: tuple[Any, ...], raw_request: bool) -> StepDetail:
        number, call_offset = entry[0], entry[12]
        with self._open_events() as events:
            record, step = self._step_record(events, entry)
            problems: list[str] = []
            prompt = response = when = None
            if call_offset is None:
                problems.append(f"step {number} has no model call record")
            else:
                try:
                    call = record_at(events, call_offset, "call")
                    when = call.get("time") if is_number(call.get("time")) else None
                    prompt = self._prompts.prompt(events, call_offset, call, self._loader.calls)
                    response = self._parse_response(events, call_offset, call, raw_request)
                except Broken as exc:
                    problems.append(f"step {number}: {exc}")
            human = tuple(self._human_for(events, number, problems))
            hook_states = _hook_states(events, record, number, problems)
        for problem in problems:
            self._note(problem)
        return StepDetail(step, prompt, response, human, when, tuple(problems), hook_states)

    def _parse_response(
        self, events: BinaryIO, offset: int, call: dict[str, Any], raw_request: bool
    ) -> LLMResponse:
        data = call.get("response")
        if not isinstance(data, dict):
            raise Broken(f"the model call record at byte {offset} has no response")
        try:
            raw = self._raw.raw_request(events, offset, call) if raw_request else None
            return LLMResponse.from_dict(data, raw, call.get("raw_response"))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise Broken(
                f"the model call record at byte {offset} has the wrong shape ({exc})"
            ) from exc

    def _human_for(
        self, events: BinaryIO, number: int, problems: list[str]
    ) -> Iterator[HumanDecision]:
        for offset, _length in self._loader.humans.get(number, ()):
            try:
                record = record_at(events, offset, "human")
                yield HumanDecision(
                    number,
                    str(record.get("action")),
                    record.get("before"),
                    record.get("after"),
                    str(record.get("who") or ""),
                    record.get("time"),
                )
            except Broken as exc:
                problems.append(f"step {number}: {exc}")

    # -- meta -------------------------------------------------------------------

    def _meta(self) -> TraceMeta:
        header = self.header or {}
        end = self._loader.end[1] if self._loader.end else {}
        summary = self.summary or end
        tools = header.get("tools")
        settings = header.get("settings")
        usage = None
        if isinstance(summary.get("usage"), dict):
            try:
                usage = Usage.from_dict(summary["usage"])
            except (TypeError, ValueError):
                usage = None
        if usage is None:  # each step repeats its turn's usage: count every turn once
            turns = {entry[1]: (entry[7], entry[8]) for entry in self._entries}
            usage = Usage(sum(i for i, _ in turns.values()), sum(o for _, o in turns.values()))
        last_turn = self._entries[-1][1] if self._entries else 0
        forked_from = header.get("forked_from")
        annotations = summary.get("annotations")
        version = header["version"] if is_int(header.get("version")) else fmt.VERSION
        return TraceMeta(
            format=f"{fmt.FORMAT}/{version}",
            task=str_or_none(header.get("task")),
            model=str_or_none(header.get("model")),
            tools=tuple(t for t in tools if isinstance(t, dict)) if isinstance(tools, list) else (),
            settings=settings if isinstance(settings, dict) else {},
            created=str_or_none(header.get("created")),
            forked_from=forked_from if isinstance(forked_from, dict) else None,
            finished=bool(self.summary or end),
            stop_reason=str_or_none(summary.get("stop_reason")),
            reason=str(summary.get("reason") or ""),
            error=str_or_none(summary.get("error")),
            answer=summary.get("answer"),
            steps=len(self._entries),
            turns=summary["turns"] if is_int(summary.get("turns")) else last_turn,
            usage=usage,
            cost=summary["cost"] if isinstance(summary.get("cost"), int | float) else None,
            duration_ms=summary.get("duration_ms")
            if isinstance(summary.get("duration_ms"), int | float)
            else None,
            annotations=dict(annotations) if isinstance(annotations, dict) else {},
            complete=self._complete,
        )


def _hook_states(
    events: BinaryIO, record: dict[str, Any], number: int, problems: list[str]
) -> dict[str, Any]:
    """Each hook's recorded state at this step: changed ones are in the record itself,
    unchanged ones in the earlier step record it points at."""
    states = record.get("hook_states")
    states = dict(states) if isinstance(states, dict) else {}
    pointers = record.get("hook_states_at")
    if not isinstance(pointers, dict):
        return states
    for name, offset in pointers.items():
        if not is_int(offset):
            problems.append(f"step {number}: hook {name}'s state has a bad offset")
            continue
        try:
            earlier = record_at(events, offset, "step").get("hook_states")
        except Broken as exc:
            problems.append(f"step {number}: hook {name}'s state: {exc}")
            continue
        if isinstance(earlier, dict) and name in earlier:
            states[name] = earlier[name]
        else:
            problems.append(f"step {number}: hook {name}'s state is not at byte {offset}")
    return states
