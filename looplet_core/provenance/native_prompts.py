"""The prompts of a native trace, read from events.jsonl one message at a time.

A call record holds only the messages appended since the previous call
(docs/trace-format.md), so the prompt of a late call is spread over every call
record since its epoch's full copy: 100,000 records for the last step of a
100k-step run.  Decoding all of that takes seconds and hundreds of MB, while a
viewer shows a few dozen of its messages.  So `detail(i).prompt` is a
`StoredMessages`: a sequence that knows its length (the call's `n`) and finds
and decodes a message only when it is asked for.

Finding message j: the records of an epoch are, in file order, its full copy,
the call records the index names (each step names the call of its turn) and
the prompt's own record, and each record's messages follow the previous
one's.  A binary search over them, reading O(log N) records, finds the record
holding j.  What each record read holds is remembered for the epoch, and the
last records read are kept, so scrolling through the tail reads each record
once.  A record the index does not name (a call whose turn made no step)
shows up as a gap between its neighbours' messages; the bytes between them
are then scanned, once.

The prompt's own record and its epoch's full copy are read when the prompt is
made: if either is damaged there is no prompt (None, and a problem), as
before.  Damage found later, while reading a message, must not make the
sequence fail (a viewer may be drawing it): the message reads as a placeholder
with role "unreadable" saying why, and the damage is reported in
`trace.problems`.
"""

from __future__ import annotations

from _thread import allocate_lock
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from looplet_core.provenance import _format as fmt
from looplet_core.provenance._parse import open_regular
from looplet_core.provenance.native_chains import (
    CHAIN_KINDS,
    Broken,
    message_part,
    parse_record,
    remember,
)
from looplet_core.types import Message

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any, BinaryIO

__all__ = ["UNREADABLE", "Conversations", "StoredMessages"]

UNREADABLE = "unreadable"
"""The role of a placeholder for a message whose record turned out damaged."""
_KEPT_RECORDS = 64
"""Records kept per epoch: a viewer's tail of 100 messages spans about 50 of them."""
_CHAIN_PREFIXES = tuple(f'{{"kind":"{kind}"'.encode() for kind in CHAIN_KINDS)
_UNKNOWN = object()


class Conversations:
    """The prompts of one trace, with what is known about each epoch kept for the next."""

    def __init__(self, path: str, note: Callable[[str], None]) -> None:
        self._path = path
        self._note = note
        self._epochs: dict[int, Epoch] = {}

    def prompt(
        self, events: BinaryIO, offset: int, record: dict[str, Any], listed: list[int]
    ) -> StoredMessages:
        """The conversation stored at `offset` (a call or end record, already parsed).

        `listed` holds the offsets of the call records the index names, ascending.
        Broken if the record or its epoch's full copy is damaged.
        """
        part = message_part(record, offset)
        if part is None:
            raise Broken(f"the record at byte {offset} holds no conversation")
        start = part[0]
        epoch = self._epochs.get(start)
        if epoch is None:
            epoch = Epoch(self._path, start, self._note)
        remember(self._epochs, start, epoch)
        count = epoch.check(events, offset, part)
        return StoredMessages(epoch, _Records(start, listed, offset), 0, count)


class _Records:
    """The offsets of the records one prompt is stored in, in file order: the epoch's
    full copy, the calls the index names in between, and the prompt's own record.
    (A view of the trace's list of call offsets, which only ever grows at its end.)"""

    __slots__ = ("_count", "_epoch", "_listed", "_low", "_target")

    def __init__(self, epoch: int, listed: list[int], target: int) -> None:
        self._epoch, self._listed, self._target = epoch, listed, target
        self._low = bisect_right(listed, epoch)
        between = max(0, bisect_left(listed, target) - self._low)
        self._count = 1 if target == epoch else between + 2

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, position: int) -> int:
        if position == 0:
            return self._epoch
        if position == self._count - 1:
            return self._target
        return self._listed[self._low + position - 1]


class Epoch:
    """The records of one epoch of the conversation chain, read as they are needed.

    Shared by every prompt of the epoch, and by the viewer's threads: a lock
    guards what is remembered.
    """

    def __init__(self, path: str, offset: int, note: Callable[[str], None]) -> None:
        self.path = path
        self.offset = offset
        """Where the epoch's full copy is."""
        self._note = note
        self._lock = allocate_lock()
        self._ranges: dict[int, tuple[int, int] | None] = {}
        """Record offset → the messages it holds as (first, end), or None if it is damaged."""
        self._kept: dict[int, list[Any]] = {}
        """The last records read: their items, each replaced by its Message once decoded."""
        self._scanned: dict[tuple[int, int], list[int]] = {}
        """Byte ranges searched for records the index does not name → the records found."""

    # -- used by Conversations and StoredMessages -------------------------------

    def check(self, events: BinaryIO, offset: int, part: tuple[int, int, list[Any], bool]) -> int:
        """Take the prompt's own record (parsed) and read the epoch's full copy; return
        the prompt's length.  Broken if either is damaged."""
        with self._lock:
            self._take(offset, part)
            if self._range(events, self.offset) is None:
                raise Broken(f"the full conversation at byte {self.offset} cannot be read")
            return part[1]

    def open(self) -> BinaryIO | None:
        """events.jsonl, or None (noted) if it cannot be opened any more."""
        try:
            return open_regular(self.path)
        except OSError as exc:
            self._note(f"{self.path}: cannot be read ({exc.strerror or exc})")
            return None

    def message(
        self, events: BinaryIO | None, records: _Records, index: int, hint: int
    ) -> tuple[Message, int]:
        """Message `index`, and the position of its record (the next call's `hint`)."""
        with self._lock:
            position, offset, first, end = self._locate(events, records, index, hint)
            if offset is None:
                return _placeholder(index, self._gap_reason(first, end)), hint
            return _decoded(self._kept_items(events, offset), index - first, index), position

    def messages(self, records: _Records, start: int, stop: int) -> Iterator[Message]:
        """Messages `start` to `stop` in order, each record read once."""
        events = self.open()
        try:
            index, hint = start, -1
            while index < stop:
                with self._lock:
                    position, offset, first, end = self._locate(events, records, index, hint)
                    items = None if offset is None else self._kept_items(events, offset)
                    reason = self._gap_reason(first, end) if offset is None else ""
                hint = max(hint, position)
                for at in range(index, min(end, stop)):
                    yield _placeholder(at, reason) if reason else _decoded(items, at - first, at)
                index = end
        finally:
            if events is not None:
                events.close()

    # -- finding a message ------------------------------------------------------

    def _locate(
        self, events: BinaryIO | None, records: _Records, index: int, hint: int
    ) -> tuple[int, int | None, int, int]:
        """(position in `records`, offset, first, end) of the record holding message
        `index`; the position is -1 for a record the index does not name, and the
        offset None for a run of messages (first to end) that no readable record holds."""
        for position in (hint, hint + 1):  # reading on: the same record, or the next
            if 0 <= position < len(records):
                bounds = self._range(events, records[position])
                if bounds is not None and bounds[0] <= index < bounds[1]:
                    return position, records[position], bounds[0], bounds[1]
        low = self._search(events, records, index)
        after = next((p for p in range(low, len(records)) if self._range(events, records[p])), None)
        before = next((p for p in range(low - 1, -1, -1) if self._range(events, records[p])), None)
        after_bounds = None if after is None else self._ranges[records[after]]
        if after is not None and after_bounds is not None and after_bounds[0] <= index:
            return after, records[after], after_bounds[0], after_bounds[1]
        # Between two readable records: in records the index does not name, or damaged ones.
        before_bounds = None if before is None else self._ranges[records[before]]
        first = 0 if before_bounds is None else before_bounds[1]
        end = index + 1 if after_bounds is None else after_bounds[0]
        start = self.offset if before is None else records[before]
        for offset in self._scan(events, start, records[-1] if after is None else records[after]):
            found = self._ranges[offset]
            if found is None:
                continue
            if found[0] <= index < found[1]:
                return -1, offset, found[0], found[1]
            if found[1] <= index:
                first = max(first, found[1])
            else:
                end = min(end, found[0])
        return -1, None, first, end

    def _search(self, events: BinaryIO | None, records: _Records, index: int) -> int:
        """The position of the first readable record whose messages end after `index`
        (damaged records are stepped over: they hold no known range)."""
        low, high = 0, len(records)
        while low < high:
            middle = (low + high) // 2
            probe = middle
            bounds = self._range(events, records[probe])
            while bounds is None and probe + 1 < high:
                probe += 1
                bounds = self._range(events, records[probe])
            if bounds is None:
                high = middle
            elif bounds[1] <= index:
                low = probe + 1
            else:
                high = probe
        return low

    def _gap_reason(self, first: int, end: int) -> str:
        problem = (
            f"{fmt.EVENTS}: messages {first + 1} to {end} of the conversation from byte "
            f"{self.offset} are in no readable record"
        )
        self._note(problem)
        return problem

    # -- reading records --------------------------------------------------------

    def _range(self, events: BinaryIO | None, offset: int) -> tuple[int, int] | None:
        """The messages the record at `offset` holds, reading it if it was not yet."""
        bounds = self._ranges.get(offset, _UNKNOWN)
        if bounds is _UNKNOWN:
            self._read(events, offset)
            bounds = self._ranges[offset]
        return bounds  # type: ignore[return-value]

    def _kept_items(self, events: BinaryIO | None, offset: int) -> list[Any] | None:
        items = self._kept.get(offset)
        if items is None:
            return self._read(events, offset)
        remember(self._kept, offset, items, _KEPT_RECORDS)
        return items

    def _read(self, events: BinaryIO | None, offset: int) -> list[Any] | None:
        if events is None:
            self._ranges[offset] = None
            return None
        try:
            events.seek(offset)
            line = events.readline()
        except OSError as exc:
            line = b""
            self._note(f"{fmt.EVENTS}: byte {offset} cannot be read ({exc.strerror or exc})")
        return self._take_line(offset, line)

    def _take_line(self, offset: int, line: bytes) -> list[Any] | None:
        try:
            record = parse_record(line, offset, CHAIN_KINDS)
            part = message_part(record, offset)
            assert part is not None
            return self._take(offset, part)
        except Broken as exc:
            self._ranges[offset] = None
            self._note(f"{fmt.EVENTS}: {exc}")
            return None

    def _take(self, offset: int, part: tuple[int, int, list[Any], bool]) -> list[Any]:
        """Remember a record's range and keep its items; Broken if it does not belong."""
        epoch, count, items, full = part
        if epoch != self.offset or full != (offset == epoch):
            raise Broken(f"the record at byte {offset} does not continue the one at byte {epoch}")
        if len(items) > count or (full and len(items) != count):
            raise Broken(f"the record at byte {offset} holds more messages than it counts")
        self._ranges[offset] = (count - len(items), count)
        remember(self._kept, offset, items, _KEPT_RECORDS)
        return items

    def _scan(self, events: BinaryIO | None, start: int, stop: int) -> list[int]:
        """The chain records of this epoch strictly between the records at `start`
        and `stop` (byte offsets), read and remembered; each range is scanned once."""
        found = self._scanned.get((start, stop))
        if found is not None or events is None:
            return found or []
        found = []
        try:
            events.seek(start)
            position = start + len(events.readline())
            for line in events:
                here = position
                position += len(line)
                if here >= stop:
                    break
                if line.startswith(_CHAIN_PREFIXES) and self._take_line(here, line) is not None:
                    found.append(here)
        except OSError as exc:  # what was found before stays found; the rest is a gap
            self._note(f"{fmt.EVENTS}: bytes {start} to {stop} cannot be read ({exc})")
        self._scanned[(start, stop)] = found
        return found


class StoredMessages(Sequence):
    """A prompt (or a slice of one) read from the trace as its messages are asked for.

    It behaves like a tuple of Messages: len, indexing, slicing (another
    StoredMessages), iteration, and `==` with a tuple or list of Messages.
    `tuple(prompt)` reads every message.  A message whose record is damaged
    reads as `Message("unreadable", "[why]")` and is reported in the trace's
    problems.
    """

    __slots__ = ("_epoch", "_hint", "_records", "_start", "_stop")

    def __init__(self, epoch: Epoch, records: _Records, start: int, stop: int) -> None:
        self._epoch = epoch
        self._records = records
        self._start = start
        self._stop = stop
        self._hint = -1
        """Where the last message asked for was found: the next one is usually there too."""

    def __len__(self) -> int:
        return self._stop - self._start

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return tuple(self[position] for position in range(start, stop, step))
            stop = max(start, stop)
            return StoredMessages(
                self._epoch, self._records, self._start + start, self._start + stop
            )
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError("prompt index out of range")
        events = self._epoch.open()
        try:
            message, self._hint = self._epoch.message(
                events, self._records, self._start + position, self._hint
            )
            return message
        finally:
            if events is not None:
                events.close()

    def __iter__(self) -> Iterator[Message]:
        return self._epoch.messages(self._records, self._start, self._stop)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StoredMessages | tuple | list):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __repr__(self) -> str:
        return f"<{len(self)} messages stored in {self._epoch.path}>"


def _decoded(items: list[Any] | None, position: int, index: int) -> Message:
    """Item `position` of a record as a Message, decoded once and kept in its place."""
    if items is None:
        return _placeholder(index, "its record cannot be read")
    item = items[position]
    if type(item) is not Message:
        try:
            item = items[position] = Message.from_dict(item)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return _placeholder(index, f"it has the wrong shape ({type(exc).__name__})")
    return item


def _placeholder(index: int, reason: str) -> Message:
    return Message(UNREADABLE, f"[message {index + 1} cannot be read: {reason}]")
