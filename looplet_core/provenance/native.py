"""Reading our own trace directories ("looplet-trace", docs/trace-format.md).

Opening reads header.json, summary.json and the compact index.jsonl, plus the
tail of events.jsonl the index does not cover yet (a run killed between its
two writes, or still running).  A step's full record, the prompt its model
call saw and the raw request are read only by `detail(i)`.

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
from looplet_core.provenance._parse import (
    is_int,
    is_number,
    open_regular,
    parse,
    read_json,
    str_or_none,
)
from looplet_core.provenance.model import (
    HumanDecision,
    StepDetail,
    StepSummary,
    TraceError,
    TraceMeta,
)
from looplet_core.provenance.native_chains import Broken, RawRequests, record_at
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
SLICE_BYTES = 1 << 16
"""How much of index.jsonl is read at a time (about 400 steps) before a progressive
load looks at its budget."""
SLICE_LINES = 256
"""How many lines of events.jsonl are read at a time before it looks at its budget."""
_CALL_PREFIX = b'{"kind":"call"'
_ALL = float("inf")
"""As a number of steps: load to the end."""
_INDEX = "index"
_EVENTS = "events"


class NativeTrace(Trace):
    """A looplet-trace directory, read lazily.  An entry is a step's index line
    (INDEX_FIELDS) as a tuple: its first ten fields are the StepSummary."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.header: dict[str, Any] | None = None
        self.summary: dict[str, Any] | None = None
        self._building = self._entries
        """Where the load adds steps: `_entries`, or a new list while the steps are rebuilt."""
        self._humans: dict[int, list[tuple[int, int]]] = {}
        self._human_offsets: set[int] = set()
        self._end: tuple[int, dict[str, Any]] | None = None
        self._use_index = True
        self._index_pos = 0
        """Where the index's first line not read yet starts."""
        self._index_line = 0
        self._index_size = 0
        self._events_pos = 0
        """Where reading events.jsonl goes on: the end of the last step record indexed,
        then of the last line read."""
        self._events_size = 0
        self._events_exist = False
        self._phase: str | None = None
        """What a load reads next (_INDEX or _EVENTS), or None once it has ended."""
        self._head_state: list[str] = []
        self._read_state: list[str] = []
        self._summary_state: list[str] = []
        """The three parts of the state problems, in this order whenever each was found."""
        self._summary_seen: tuple[int, int, int] | None = None
        """summary.json's (inode, size, mtime) when last read: a rewrite (a late
        annotation, written atomically) changes it, and only then is it read again."""
        self._calls: list[int] = []
        """Offsets of the call records the steps name, ascending (how prompts find their parts)."""
        self._prompts = Conversations(self._file(fmt.EVENTS), self._note)
        self._raw = RawRequests(self._note)
        self._begin_load()
        self._load_on(FIRST_STEPS, 0.0)
        if not self._readable() and not self._complete:
            self._load_on(_ALL, 0.0)  # nothing to show yet: is there anything at all?
        self._require_readable()

    def _summary(self, entry: tuple[Any, ...]) -> StepSummary:
        return StepSummary(*entry[:10])

    def _conversation(self) -> StoredMessages | None:
        if self._end is None:
            return None
        offset, record = self._end
        try:
            with open_regular(self._file(fmt.EVENTS)) as events:
                return self._prompts.prompt(events, offset, record, self._calls)
        except (Broken, OSError) as exc:
            self._note(f"the final conversation cannot be rebuilt: {exc}")
            return None

    def _refresh(self) -> None:
        if self._complete:
            self._begin_load()
            self._load_on(_ALL, 0.0)
        else:  # `index_more` reads the steps on, to wherever the files end by then
            self._read_head()
            self._read_summary()
            self._settle_state()

    def _index_more(self, budget_s: float | None) -> None:
        if budget_s is None:
            self._load_on(_ALL, 0.0)
        else:  # never fewer steps than before, even when the index turns out unusable
            self._load_on(len(self._entries), perf_counter() + budget_s)
        self._require_readable()  # what the first slice showed turned out to be unusable

    def _progress(self) -> float:
        """The share of the bytes to read that are read: the index and the part of
        events.jsonl its steps cover, then the rest of events.jsonl."""
        read, total = self._events_pos, self._events_size
        if self._use_index:
            read, total = read + self._index_pos, total + self._index_size
        return min(read / total, 1.0) if total else 0.0

    def _human_steps(self) -> frozenset[int]:
        if self._complete:
            return frozenset(self._humans)
        # A decision is recorded before its step: while indexing, a slice can end
        # between the two, and a mark must not come before its row.
        last = self._entries[-1][0] if self._entries else 0
        return frozenset(step for step in self._humans if step <= last)

    # -- loading ----------------------------------------------------------------

    def _file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def _require_readable(self) -> None:
        """TraceError once a whole load found nothing at all to show."""
        if self._complete and not self._readable():
            reasons = "; ".join(self._state + self._damage)
            raise TraceError(f"{self.path}: nothing readable ({reasons})")

    def _readable(self) -> bool:
        known = (self.header, self.summary, self._end)
        return bool(self._entries) or any(part is not None for part in known)

    def _begin_load(self) -> None:
        """Start a load: the index (unless it was found unusable) on from its last
        whole line, then events.jsonl on from what the steps so far cover."""
        self._read_head()
        self._read_state = []
        self._phase = _INDEX if self._use_index else _EVENTS

    def _load_on(self, steps: float, deadline: float) -> None:
        """Go on with the load to its end, or until it holds `steps` steps and the
        `deadline` (a perf_counter time) has passed, whichever comes first."""
        while self._phase is _INDEX:
            if self._read_index(-1 if steps == _ALL else SLICE_BYTES):
                self._phase = _EVENTS
            elif self._enough(steps, deadline):
                break
        if self._phase is _EVENTS and (
            not self._events_exist or self._scan_events(steps, deadline)
        ):
            self._phase = None
        if self._building is not self._entries:  # rebuilt from events.jsonl: show it
            self._entries[:] = self._building  # in one step (a viewer reads on another thread)
            self._building = self._entries
        self._complete = self._phase is None
        self._read_summary()
        self._settle_state()

    def _enough(self, steps: float, deadline: float) -> bool:
        return len(self._building) >= steps and perf_counter() >= deadline

    def _settle_state(self) -> None:
        self._state = [*self._head_state, *self._read_state, *self._summary_state]

    def _read_head(self) -> None:
        """header.json (small, and rewritten once the tools are known), and whether
        events.jsonl exists."""
        self._head_state = []
        header = read_json(self._file(fmt.HEADER), fmt.HEADER, self._head_state)
        if header is not None:
            self.header = header
            self._check_header(header)
        self._events_exist = os.path.exists(self._file(fmt.EVENTS))
        if not self._events_exist:
            self._head_state.append(f"{fmt.EVENTS} missing: no model call or step was recorded")

    def _read_summary(self) -> None:
        """summary.json, read again only when it was rewritten (or is damaged)."""
        self._summary_state = []
        summary_seen = _identity(self._file(fmt.SUMMARY))
        damaged = self.summary is None and summary_seen is not None  # its problem is state
        if summary_seen != self._summary_seen or damaged:
            self._summary_seen = summary_seen
            self.summary = read_json(
                self._file(fmt.SUMMARY), fmt.SUMMARY, self._summary_state, report_missing=False
            )
        if self.summary is None and summary_seen is None:
            if self._end is None:
                self._summary_state.append(f"{fmt.SUMMARY} missing: the run did not finish")
            else:
                self._summary_state.append(
                    f"{fmt.SUMMARY} missing: the run ended but its summary was not written "
                    f"(totals come from {fmt.EVENTS})"
                )

    def _check_header(self, header: dict[str, Any]) -> None:
        if header.get("format") != fmt.FORMAT:
            self._note(f"{fmt.HEADER}: format is {header.get('format')!r}, not {fmt.FORMAT!r}")
        elif header.get("version") != fmt.VERSION:
            self._note(
                f"{fmt.HEADER}: version {header.get('version')!r}; this reader knows version "
                f"{fmt.VERSION}, so some data may be missing"
            )

    def _read_index(self, size: int) -> bool:
        """Read index.jsonl on from its last whole line read: `size` bytes and the
        rest of the line they end in, or all of it (-1).  True once its end is
        reached, or it turned out unusable."""
        try:
            with open_regular(self._file(fmt.INDEX)) as file:
                file.seek(self._index_pos)
                data = file.read(size)
                at_end = not 0 < size == len(data)
                if not at_end:  # stop at the end of a line, or of the file
                    data += file.readline()
                    at_end = not data.endswith(b"\n")
                self._index_size = os.fstat(file.fileno()).st_size
        except FileNotFoundError:
            self._index_unusable(f"{fmt.INDEX} missing")
            return True
        except OSError as exc:
            self._index_unusable(f"{fmt.INDEX}: cannot be read ({exc.strerror or exc})")
            return True
        events_size = _size(self._file(fmt.EVENTS)) if self._events_exist else None
        self._events_size = events_size or 0
        lines = data.split(b"\n")
        torn = lines.pop()  # the part after the last newline: empty, or a record being written
        position = self._index_pos
        for line in lines:  # the hot loop of opening a trace: about 2 µs a line
            self._index_line += 1
            value, problem = parse(line)
            problem = problem or self._take_index_line(value, events_size)
            if problem:
                self._index_unusable(f"{fmt.INDEX} line {self._index_line}: {problem}")
                return True
            position += len(line) + 1
        self._index_pos = position
        if torn:
            self._read_state.append(f"torn record at {fmt.INDEX} line {self._index_line + 1}")
        return at_end

    def _take_index_line(self, value: Any, events_size: int | None) -> str | None:
        """Add one index line's entry; return what is wrong with it instead, if anything."""
        entry = _entry(value)
        if entry is None:
            if isinstance(value, dict) and "human" in value:
                step, offset, length = value.get("human"), value.get("off"), value.get("len")
                if not (is_int(step) and is_int(offset) and is_int(length)):
                    return "a human-decision line of the wrong shape"
                self._add_human(step, offset, length)
                return None
            return "a step line of the wrong shape"
        entries = self._building
        if entries and entry[0] <= entries[-1][0]:
            if entry[10] < self._events_pos:
                return None  # already found in events.jsonl, ahead of the index
            return f"step {entry[0]} follows step {entries[-1][0]}"
        end = entry[10] + entry[11]
        if events_size is not None and end > events_size:
            return f"step {entry[0]} points past the end of {fmt.EVENTS}"
        self._add_entry(entry)
        self._events_pos = max(self._events_pos, end)
        return None

    def _index_unusable(self, problem: str) -> None:
        """Forget the index and rebuild the step list from events.jsonl."""
        self._note(problem)
        self._note(f"{fmt.INDEX} not used: the step list was rebuilt from {fmt.EVENTS}")
        self._use_index = False
        self._building = []  # the steps shown stay until the load ends or has as many
        self._calls = []  # a new list: prompts already handed out keep the old one
        self._humans.clear()
        self._human_offsets.clear()
        self._events_pos = 0

    def _add_entry(self, entry: tuple[Any, ...]) -> None:
        self._building.append(entry)
        call = entry[12]
        if call is not None and (not self._calls or call > self._calls[-1]):
            self._calls.append(call)

    def _add_human(self, step: int, offset: int, length: int) -> None:
        if offset not in self._human_offsets:
            self._human_offsets.add(offset)
            self._humans.setdefault(step, []).append((offset, length))

    def _scan_events(self, steps: float, deadline: float) -> bool:
        """Read events.jsonl on from `_events_pos`: steps the index lacks, human
        decisions, the end.  True once its end is reached; False when stopped
        early (see `_load_on`)."""
        try:
            events = open_regular(self._file(fmt.EVENTS))
        except OSError as exc:
            self._read_state.append(f"{fmt.EVENTS}: cannot be read ({exc.strerror or exc})")
            return True
        with events:
            self._events_size = os.fstat(events.fileno()).st_size
            start = self._events_pos
            events.seek(start)
            position = start
            line_number = 1 if start == 0 else None  # counted only once a problem needs it
            for count, line in enumerate(events, 1):
                if not line.endswith(b"\n"):
                    if line_number is None:
                        line_number = _line_number(events, position)
                    self._read_state.append(f"torn record at {fmt.EVENTS} line {line_number}")
                    break
                problem = (
                    None if line.startswith(_CALL_PREFIX) else self._take_event(line, position)
                )
                if problem:
                    if line_number is None:
                        line_number = _line_number(events, position)
                    self._note(f"{fmt.EVENTS} line {line_number}: {problem}")
                position += len(line)
                if line_number is not None:
                    line_number += 1
                if count % SLICE_LINES == 0 and self._enough(steps, deadline):
                    self._events_pos = position
                    return False
            self._events_pos = position
        return True

    def _take_event(self, line: bytes, offset: int) -> str | None:
        value, error = parse(line)
        if error:
            return error
        kind = value.get("kind") if isinstance(value, dict) else None
        if not isinstance(kind, str):
            return "not a trace record (a JSON object with a kind)"
        if kind == "step":
            step = value.get("step")
            call = value.get("call")
            try:
                entry = _entry(fmt.index_line(step, offset, len(line), call))  # type: ignore[arg-type]
            except (KeyError, TypeError, AttributeError, ValueError):
                entry = None
            if entry is None or not (call is None or is_int(call)):
                return "a step record of the wrong shape"
            if not self._building or entry[0] > self._building[-1][0]:
                self._add_entry(entry)
        elif kind == "human":
            if not is_int(value.get("step")):
                return "a human-decision record of the wrong shape"
            self._add_human(value["step"], offset, len(line))
        elif kind == "end":
            self._end = (offset, value)
        return None

    # -- details ----------------------------------------------------------------

    def _open_events(self) -> BinaryIO:
        path = self._file(fmt.EVENTS)
        try:
            return open_regular(path)
        except OSError as exc:
            raise TraceError(f"{path}: cannot be read ({exc.strerror or exc})") from exc

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
        where = f"{self._file(fmt.EVENTS)}: step {number}'s record (byte {offset})"
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
                    prompt = self._prompts.prompt(events, call_offset, call, self._calls)
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
        for offset, _length in self._humans.get(number, ()):
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
        end = self._end[1] if self._end else {}
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


_NONE = type(None)
_ENTRY_TYPES = frozenset(
    (int, int, str, str, bool, error, ms, int, int, latency, int, int, call)
    for error in (_NONE, str)
    for ms in (int, float)
    for latency in (int, float)
    for call in (_NONE, int)
)
"""The types an index line (INDEX_FIELDS) may hold, as tuples: one set lookup checks a line."""


def _entry(line: Any) -> tuple[Any, ...] | None:
    """A step's index line as a tuple (INDEX_FIELDS), or None if it has the wrong shape."""
    if type(line) is not list or tuple(map(type, line)) not in _ENTRY_TYPES:
        return None
    if line[10] < 0 or line[11] <= 0 or (line[12] is not None and line[12] < 0):
        return None
    return tuple(line)


def _identity(path: str) -> tuple[int, int, int] | None:
    """A file's (inode, size, mtime in ns), or None if it cannot be stat'ed."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


def _size(path: str) -> int | None:
    """A file's size, or None if it cannot be stat'ed."""
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def _line_number(file: BinaryIO, offset: int) -> int:
    """The 1-based number of the line starting at `offset` (reads the file up to it)."""
    here = file.tell()
    file.seek(0)
    count = 1
    remaining = offset
    while remaining > 0:
        chunk = file.read(min(remaining, 1 << 20))
        if not chunk:
            break
        count += chunk.count(b"\n")
        remaining -= len(chunk)
    file.seek(here)
    return count


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
