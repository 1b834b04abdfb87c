"""Loading a native trace directory's step list, at once or a slice at a time.

A load reads header.json and summary.json, then index.jsonl in slices, then
the tail of events.jsonl the index does not cover yet (a run killed between
its two writes, or still running): the steps, the human decisions, the end
record.  An index found missing or damaged is dropped, and the step list is
rebuilt from events.jsonl.  A load is the same sequence of reads whether it
runs at once or a slice at a time, so a progressive open ends with what a
full open finds.

This is apart from native.py because it is one job with state of its own:
file positions, the phase of the load, the parts of the state problems.
`NativeTrace` holds a `NativeLoader` and reads what it found (the entries,
calls, human decisions, end record, header and summary); reading a step's
details needs none of the positions, and the load needs none of the details.
"""

from __future__ import annotations

import os
from time import perf_counter

from looplet_core.provenance import _format as fmt
from looplet_core.provenance._parse import is_int, open_regular, parse, read_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, BinaryIO

__all__ = ["ALL_STEPS", "SLICE_BYTES", "SLICE_LINES", "NativeLoader"]

SLICE_BYTES = 1 << 16
"""How much of index.jsonl is read at a time (about 400 steps) before a progressive
load looks at its budget."""
SLICE_LINES = 256
"""How many lines of events.jsonl are read at a time before it looks at its budget."""
ALL_STEPS = float("inf")
"""As a number of steps: load to the end."""
_CALL_PREFIX = b'{"kind":"call"'
_INDEX = "index"
_EVENTS = "events"


class NativeLoader:
    """The load of one trace directory: what it found so far, and where it goes on.

    `entries` is the trace's own step list (each entry a step's index line,
    INDEX_FIELDS, as a tuple): it grows as the load goes on, and is replaced
    in one step when the steps are rebuilt from events.jsonl.  `calls`,
    `humans`, `end`, `header` and `summary` are what the trace reads its
    details and meta from; `state` lists the problems describing the files as
    they are now, and lasting damage goes to `note`.
    """

    def __init__(self, path: str, entries: list[Any], note: Callable[[str], None]) -> None:
        self.path = path
        self.header: dict[str, Any] | None = None
        self.summary: dict[str, Any] | None = None
        self.humans: dict[int, list[tuple[int, int]]] = {}
        """Per step number, the (offset, length) of each human decision about it."""
        self.end: tuple[int, dict[str, Any]] | None = None
        """The end record and its offset in events.jsonl, once found."""
        self.calls: list[int] = []
        """Offsets of the call records the steps name, ascending (how prompts find their parts)."""
        self.state: list[str] = []
        """The state problems as of the last read."""
        self._note = note
        self._entries = entries
        self._building = entries
        """Where the load adds steps: `entries`, or a new list while the steps are rebuilt."""
        self._human_offsets: set[int] = set()
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
        """The three parts of `state`, in this order whenever each was found."""
        self._summary_seen: tuple[int, int, int] | None = None
        """summary.json's (inode, size, mtime) when last read: a rewrite (a late
        annotation, written atomically) changes it, and only then is it read again."""

    def begin(self) -> None:
        """Start a load: the index (unless it was found unusable) on from its last
        whole line, then events.jsonl on from what the steps so far cover."""
        self._read_head()
        self._read_state = []
        self._phase = _INDEX if self._use_index else _EVENTS

    def read_on(self, steps: float, deadline: float = 0.0) -> bool:
        """Go on with the load to its end, or until it holds `steps` steps (ALL_STEPS:
        to the end) and the `deadline` (a perf_counter time) has passed, whichever
        comes first.  True once the load has ended."""
        while self._phase is _INDEX:
            if self._read_index(-1 if steps == ALL_STEPS else SLICE_BYTES):
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
        self._read_summary()
        self._settle_state()
        return self._phase is None

    def reread_small_files(self) -> None:
        """header.json and summary.json as they are now (follow mode, between
        slices of a load), and `state` with them."""
        self._read_head()
        self._read_summary()
        self._settle_state()

    def readable(self) -> bool:
        """Whether anything at all was found to show."""
        known = (self.header, self.summary, self.end)
        return bool(self._entries) or any(part is not None for part in known)

    def progress(self) -> float:
        """The share of the bytes to read that are read: the index and the part of
        events.jsonl its steps cover, then the rest of events.jsonl."""
        read, total = self._events_pos, self._events_size
        if self._use_index:
            read, total = read + self._index_pos, total + self._index_size
        return min(read / total, 1.0) if total else 0.0

    def _file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def _enough(self, steps: float, deadline: float) -> bool:
        return len(self._building) >= steps and perf_counter() >= deadline

    def _settle_state(self) -> None:
        self.state = [*self._head_state, *self._read_state, *self._summary_state]

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
            if self.end is None:
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
        self.calls = []  # a new list: prompts already handed out keep the old one
        self.humans.clear()
        self._human_offsets.clear()
        self._events_pos = 0

    def _add_entry(self, entry: tuple[Any, ...]) -> None:
        self._building.append(entry)
        call = entry[12]
        if call is not None and (not self.calls or call > self.calls[-1]):
            self.calls.append(call)

    def _add_human(self, step: int, offset: int, length: int) -> None:
        if offset not in self._human_offsets:
            self._human_offsets.add(offset)
            self.humans.setdefault(step, []).append((offset, length))

    def _scan_events(self, steps: float, deadline: float) -> bool:
        """Read events.jsonl on from `_events_pos`: steps the index lacks, human
        decisions, the end.  True once its end is reached; False when stopped
        early (see `read_on`)."""
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
            self.end = (offset, value)
        return None


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
