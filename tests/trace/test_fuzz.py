"""Hypothesis fuzzing of the trace reader on damaged copies of real traces.

The traces are recorded here from real runs of several shapes (tool errors and
denials, history rewrites, wire requests stored as deltas, human decisions, a
run still in progress), plus the committed foreign fixtures (looplet 0.4.1
directories and mini-swe-agent trajectories).  Each example copies one of
them, damages it (flipped bits, cuts, inserted garbage and invalid UTF-8,
deleted ranges, duplicated or swapped lines, huge lines, valid JSON of the
wrong shape, files removed, emptied, replaced by a directory or a symlink
loop), then uses every part of the reader's API.  Only TraceError may come
out, with a one-line message.

The number of examples is bounded for CI, and derandomized when CI=true so a
failure there reproduces.  Locally, `HYPOTHESIS_FUZZ_EXAMPLES=2000` digs deeper.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from looplet_core import Message
from looplet_core.provenance import Trace, TraceError, open_trace
from tests.trace.minisweagent_long import write_long
from tests.trace.native_runs import NATIVE, smallest_slices

FIXTURES = Path(__file__).parent / "fixtures"
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
"""Where each example's copy goes: memory-backed when possible, since every example
rewrites files (some of 5 MB) and a shared disk makes that the slowest part."""
IN_CI = os.environ.get("CI") == "true"
FUZZ = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_FUZZ_EXAMPLES", "100")),
    deadline=None,
    derandomize=IN_CI,
    database=None if IN_CI else settings.default.database,
    suppress_health_check=[HealthCheck.too_slow],
)

# -- the traces to damage -----------------------------------------------------------

FOREIGN = sorted(
    [f"looplet04/{p.name}" for p in (FIXTURES / "looplet04").iterdir() if p.is_dir()]
    + [f"minisweagent/{p.name}" for p in (FIXTURES / "minisweagent").glob("*.traj.json")]
)


LONG_TRAJECTORY = "minisweagent/long.traj.json"
"""Generated: long enough (240 steps) that a progressive open stops before its end."""
PROGRESSIVE = [name for name in FOREIGN if name.startswith("minisweagent/")] + [LONG_TRAJECTORY]


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, Path]:
    """Every trace to damage, by name: what `open_trace` is given (a directory or a file)."""
    root = tmp_path_factory.mktemp("originals")
    traces = {}
    for name, make in NATIVE.items():
        make(root / name)
        traces[name] = root / name
    for name in FOREIGN:
        traces[name] = FIXTURES / name
    traces[LONG_TRAJECTORY] = write_long(root / "long.traj.json", blocks=60)
    return traces


# -- damage ------------------------------------------------------------------------

HUGE_LINES = {
    "string": lambda size: b'"' + b"x" * size + b'"\n',
    "nesting": lambda size: b"[" * size + b"\n",
    "record": lambda size: (
        b'{"kind":"step","seq":1,"call":0,"step":{"number":1,"turn":1,"tool_call":'
        b'{"name":"echo","args":{"text":"' + b"y" * size + b'"}}}}\n'
    ),
}
HUGE_SIZES = (70_000, 5_000_000)


def _at(position: int, data: bytes, end_ok: bool = True) -> int:
    return position % (len(data) + 1 if end_ok else max(len(data), 1))


def flip(data: bytes, position: int, bit: int) -> bytes:
    if not data:
        return data
    i = _at(position, data, end_ok=False)
    return data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]


def truncate(data: bytes, position: int) -> bytes:
    return data[: _at(position, data)]


def insert(data: bytes, position: int, junk: bytes) -> bytes:
    i = _at(position, data)
    return data[:i] + junk + data[i:]


def delete(data: bytes, position: int, length: int) -> bytes:
    i = _at(position, data)
    return data[:i] + data[i + length :]


def duplicate_line(data: bytes, position: int) -> bytes:
    lines = data.splitlines(keepends=True)
    if not lines:
        return data
    i = position % len(lines)
    return b"".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])


def swap_lines(data: bytes, position: int, other: int) -> bytes:
    lines = data.splitlines(keepends=True)
    if not lines:
        return data
    i, j = position % len(lines), other % len(lines)
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def huge_line(data: bytes, position: int, kind: str, size: int) -> bytes:
    lines = data.splitlines(keepends=True)
    i = position % (len(lines) + 1)
    return b"".join([*lines[:i], HUGE_LINES[kind](size), *lines[i:]])


class Removed:
    """Stands for "delete this node" in a reshape."""

    def __repr__(self) -> str:
        return "REMOVED"


REMOVED = Removed()


def _slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON value, depth first."""
    found: list[tuple[Any, Any]] = []
    stack = [value]
    while stack:
        container = stack.pop()
        keys = container.keys() if isinstance(container, dict) else range(len(container))
        for key in keys:
            found.append((container, key))
            if isinstance(container[key], dict | list):
                stack.append(container[key])
    return found


def reshape(data: bytes, position: int, node: int, value: Any) -> bytes:
    """Valid JSON of the wrong shape: one node of the file (or of one of its lines, for
    JSON Lines) replaced by another value or removed; other input is left alone."""
    try:
        return _reshaped(json.loads(data), node, value) or data
    except (ValueError, RecursionError):
        pass
    lines = data.splitlines(keepends=True)
    if not lines:
        return data
    i = position % len(lines)
    try:
        changed = _reshaped(json.loads(lines[i]), node, value)
    except (ValueError, RecursionError):
        return data
    return b"".join([*lines[:i], changed + b"\n", *lines[i + 1 :]]) if changed else data


def _reshaped(document: Any, node: int, value: Any) -> bytes | None:
    slots = _slots(document) if isinstance(document, dict | list) else []
    if not slots:
        return None
    container, key = slots[node % len(slots)]
    if value is REMOVED:
        del container[key]
    else:
        container[key] = value
    return json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")


BYTE_DAMAGE: dict[str, Callable[..., bytes]] = {
    "flip": flip,
    "truncate": truncate,
    "insert": insert,
    "delete": delete,
    "duplicate line": duplicate_line,
    "swap lines": swap_lines,
    "huge line": huge_line,
    "reshape": reshape,
}


def remove(path: Path) -> None:
    path.unlink()


def empty(path: Path) -> None:
    path.write_bytes(b"")


def directory_instead(path: Path) -> None:
    path.unlink()
    path.mkdir()


def symlink_loop(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.name)


FILE_DAMAGE: dict[str, Callable[[Path], None]] = {
    "remove": remove,
    "empty": empty,
    "directory": directory_instead,
    "symlink loop": symlink_loop,
}

positions = st.integers(0, 1 << 40)
garbage = st.one_of(
    st.binary(min_size=1, max_size=80),
    st.sampled_from(
        [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\n", b"\r\n", b"{", b'"', b"\xe2\x80\xa8"]
    ),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 1 << 70)
    | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
damage = st.one_of(
    st.tuples(st.just("reshape"), positions, positions, json_values | st.just(REMOVED)),
    st.tuples(st.just("flip"), positions, st.integers(0, 7)),
    st.tuples(st.just("truncate"), positions),
    st.tuples(st.just("insert"), positions, garbage),
    st.tuples(st.just("delete"), positions, st.integers(1, 500)),
    st.tuples(st.just("duplicate line"), positions),
    st.tuples(st.just("swap lines"), positions, positions),
    st.tuples(
        st.just("huge line"),
        positions,
        st.sampled_from(sorted(HUGE_LINES)),
        st.sampled_from(HUGE_SIZES),
    ),
    st.tuples(st.sampled_from(sorted(FILE_DAMAGE))),
)
damages = st.lists(st.tuples(st.integers(0, 1000), damage), min_size=1, max_size=4)
"""(which file, what to do to it), applied in order."""


def files_in(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*") if path.is_file() and not path.is_symlink())


def damaged_copy(original: Path, work: Path, plan: list[tuple[int, tuple[Any, ...]]]) -> Path:
    """Copy `original` into `work`, apply `plan`, and return what to open."""
    if original.is_dir():
        target = work / original.name
        shutil.copytree(original, target)
        root = target
    else:
        target = work / original.name
        shutil.copyfile(original, target)
        root = work
    for which, (kind, *args) in plan:
        files = files_in(root)
        if not files:
            break
        path = files[which % len(files)]
        if kind in FILE_DAMAGE:
            FILE_DAMAGE[kind](path)
        else:
            path.write_bytes(BYTE_DAMAGE[kind](path.read_bytes(), *args))
    return target


# -- the whole API -----------------------------------------------------------------


def one_line(error: TraceError) -> None:
    message = str(error)
    assert message and "\n" not in message, repr(message)


def exercise(path: Path) -> None:
    """Use every entry point of the reader; only TraceError may escape any of them."""
    try:
        trace = open_trace(path)
    except TraceError as error:
        one_line(error)
        event("open_trace raised TraceError")
        return
    event("opened with problems" if trace.problems else "opened clean")
    problems = trace.problems
    assert all(isinstance(p, str) and p and "\n" not in p for p in problems), problems
    count = len(trace)
    summaries = [trace.steps[i] for i in range(count)]
    assert list(trace.steps) == summaries
    for i, summary in enumerate(summaries):
        try:
            detail = trace.detail(i)
        except TraceError as error:
            one_line(error)
            event("a detail raised TraceError")
            continue
        assert detail.step.number == summary.number
        assert all(isinstance(p, str) for p in detail.problems)
        assert trace.step(i) == detail.step
        if detail.prompt is not None:  # read lazily: damage found now must not raise either
            assert all(isinstance(message, Message) for message in detail.prompt)
        try:
            trace.response(i, raw_request=False)
        except TraceError as error:
            one_line(error)
    try:
        meta = trace.meta
    except TraceError as error:
        one_line(error)
    else:
        assert meta.steps == count
    try:
        conversation = trace.conversation()
    except TraceError as error:
        one_line(error)
    else:
        assert conversation is None or all(isinstance(m, Message) for m in conversation)
    try:
        assert trace.refresh() == 0  # nothing was appended since it was opened
    except TraceError as error:
        one_line(error)
    assert len(trace) == count
    repr(trace)


@pytest.mark.parametrize("name", [*NATIVE, *FOREIGN])
@FUZZ
@given(plan=damages)
def test_only_trace_error_escapes_from_damaged_traces(originals, name, plan) -> None:
    with tempfile.TemporaryDirectory(dir=SCRATCH) as work:
        exercise(damaged_copy(originals[name], Path(work), plan))


def answer(call: Callable[[], Any]) -> Any:
    """What a reader call gives: its value, or its TraceError's message."""
    try:
        return call()
    except TraceError as error:
        one_line(error)
        return str(error)


def rebuilt(trace: Trace) -> bool:
    """Whether our trace's index was found unusable and its steps read from events.jsonl."""
    return any(problem.startswith("index.jsonl not used") for problem in trace.problems)


@pytest.mark.parametrize("name", [*NATIVE, *PROGRESSIVE])
@FUZZ
@given(plan=damages)
def test_a_progressive_open_of_a_damaged_trace_ends_as_a_full_one(originals, name, plan) -> None:
    """Read in the smallest slices, a damaged trace ends as a full open reads it, and
    what the first slice showed is still there (unless our index turned out to be
    unusable: the steps then come from events.jsonl).  A trace in which nothing
    turns out to be readable raises the full open's error from its last slice."""
    with tempfile.TemporaryDirectory(dir=SCRATCH) as work, smallest_slices():
        path = damaged_copy(originals[name], Path(work), plan)
        full = answer(lambda: open_trace(path))
        trace = answer(lambda: open_trace(path, progressive=True))
        if isinstance(trace, str):
            assert trace == full  # both raise, with the same message
            return
        first = list(trace.steps)
        failure = answer(lambda: index_to_end(trace))
        if isinstance(full, str):
            assert failure == full
            return
        assert failure is None
        assert list(trace.steps) == list(full.steps)
        if not rebuilt(full):
            assert list(trace.steps[: len(first)]) == first
        assert trace.problems == full.problems
        assert trace.human_steps() == full.human_steps()
        assert answer(lambda: trace.meta) == answer(lambda: full.meta)
        for index in {0, len(full) // 2, len(full) - 1} if len(full) else ():
            assert answer(lambda i=index: trace.detail(i)) == answer(lambda i=index: full.detail(i))


def index_to_end(trace: Trace) -> None:
    while not trace.complete:
        trace.index_more(0)


@pytest.mark.parametrize("name", [*NATIVE, *FOREIGN, LONG_TRAJECTORY])
def test_the_undamaged_traces_open_cleanly(originals, name) -> None:
    """Undamaged, every step reads back: the fuzzing starts from sound traces."""
    trace = open_trace(originals[name])
    assert len(trace) > 0
    assert all(trace.detail(i).step.number == trace.steps[i].number for i in range(len(trace)))
    assert name == "running" or trace.meta.finished


# -- follow mode ---------------------------------------------------------------------


def index_prefix_limit(index: bytes, events_written: int) -> int:
    """Bytes of index.jsonl a live run can have written when events.jsonl has this many.

    The sink writes a record to events.jsonl before its index line, so every
    index line on disk points at a whole record.
    """
    limit = 0
    for line in index.splitlines(keepends=True):
        entry = json.loads(line)
        offset, length = (entry["off"], entry["len"]) if isinstance(entry, dict) else entry[10:12]
        if offset + length > events_written:
            break
        limit += len(line)
    return limit


def grow_to(live: Path, original: Path, events_written: int, index_written: int) -> None:
    """Make `live` hold the first bytes of `original`'s events.jsonl and index.jsonl."""
    for name, length in (("events.jsonl", events_written), ("index.jsonl", index_written)):
        (live / name).write_bytes((original / name).read_bytes()[:length])


@pytest.mark.parametrize("progressive", [False, True], ids=["full", "progressive"])
@pytest.mark.parametrize("name", [*NATIVE])
@FUZZ
@given(stages=st.lists(st.tuples(positions, positions, st.integers(0, 3)), min_size=1, max_size=3))
def test_refresh_follows_a_growing_trace_to_the_same_end(
    originals, name, progressive, stages
) -> None:
    """Open a trace as a live run leaves it at some instant, refresh as it grows, and
    end with what opening the finished trace gives.  Opened progressively (a line
    at a time), a few slices are read at each instant, and the rest at the end."""
    original = originals[name]
    events_size = (original / "events.jsonl").stat().st_size
    index = (original / "index.jsonl").read_bytes()
    with tempfile.TemporaryDirectory(dir=SCRATCH) as work, smallest_slices():
        live = Path(work) / "live"
        live.mkdir()
        shutil.copyfile(original / "header.json", live / "header.json")
        trace = None
        index_written = 0
        for events_written, index_cut, slices in sorted(
            (e % (events_size + 1), i, n) for e, i, n in stages
        ):
            room = index_prefix_limit(index, events_written) - index_written  # both only grow
            index_written += index_cut % (room + 1)
            grow_to(live, original, events_written, index_written)
            if trace is None:
                trace = open_trace(live, progressive=progressive)
            else:
                trace.refresh()
            for _ in range(slices):
                trace.index_more(0)
        grow_to(live, original, events_size, len(index))
        if (original / "summary.json").exists():
            shutil.copyfile(original / "summary.json", live / "summary.json")
        index_to_end(trace)
        trace.refresh()
        fresh = open_trace(original)
        assert list(trace.steps) == list(fresh.steps)
        assert trace.problems == fresh.problems
        assert trace.meta == fresh.meta
        assert trace.conversation() == fresh.conversation()
        for i in range(len(fresh)):
            assert trace.detail(i) == fresh.detail(i)
