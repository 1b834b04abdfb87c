"""Progressive reading of our own traces.

`open_trace(path, progressive=True)` returns with the first slice of a long
run's index, `index_more` reads the rest of it and then the tail of
events.jsonl, and whatever the slices, the trace ends exactly as a full open
reads it: steps, details, human decisions, meta and problems, for finished
and unfinished runs, damaged indexes and torn tails.  The recorded runs are
short, so most tests read them a line at a time (`smallest_slices`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from looplet_core import ScriptedBackend, composable_loop
from looplet_core.provenance import ProvenanceSink, Trace, TraceError, open_trace
from looplet_core.provenance.native import FIRST_STEPS
from tests.trace.native_runs import (
    HUMAN_ACTIONS,
    echo_script,
    record_human,
    record_mixed,
    record_running,
    record_wire,
    smallest_slices,
)
from tests.trace.scenarios import TOOLS

ANNOTATIONS = {"evals": {"passed": 3, "failed": 1}}


def record_long(directory: Path, steps: int = 40) -> None:
    record_human(directory, steps, ANNOTATIONS)


def index_lines(directory: Path) -> list[bytes]:
    return (directory / "index.jsonl").read_bytes().splitlines(keepends=True)


def write_index(directory: Path, lines: list[bytes]) -> None:
    (directory / "index.jsonl").write_bytes(b"".join(lines))


def garble_index(directory: Path) -> None:
    lines = index_lines(directory)
    lines[len(lines) // 2] = b"[not json\n"
    write_index(directory, lines)


def index_behind(directory: Path) -> None:
    """A run killed long before its index caught up (or an index cut short)."""
    write_index(directory, index_lines(directory)[:10])


def torn_tails(directory: Path) -> None:
    """Both files end in a record still being written."""
    with open(directory / "events.jsonl", "ab") as events:
        events.write(b'{"kind":"step","seq":99,"st')
    with open(directory / "index.jsonl", "ab") as index:
        index.write(b"[99,7,")


def remove(name: str) -> Callable[[Path], None]:
    return lambda directory: (directory / name).unlink()


SHAPES: dict[str, tuple[Callable[[Path], None], Callable[[Path], None] | None]] = {
    "mixed": (record_mixed, None),
    "wire": (record_wire, None),
    "human": (record_human, None),
    "running": (record_running, None),
    "long": (record_long, None),
    "index missing": (record_long, remove("index.jsonl")),
    "index damaged": (record_long, garble_index),
    "index behind events": (record_long, index_behind),
    "torn tails": (record_running, torn_tails),
    "ended without summary": (record_mixed, remove("summary.json")),
    "header missing": (record_long, remove("header.json")),
}


@pytest.fixture(params=sorted(SHAPES))
def shaped(request, tmp_path) -> Path:
    make, damage = SHAPES[request.param]
    directory = tmp_path / "run"
    make(directory)
    if damage is not None:
        damage(directory)
    return directory


@pytest.fixture(scope="module")
def long_run(tmp_path_factory) -> Path:
    """Long enough (about three first slices) that a progressive open stops early."""
    directory = tmp_path_factory.mktemp("long") / "run"
    record_long(directory, steps=1500)
    return directory


def assert_same(trace: Trace, full: Trace) -> None:
    """Everything the reader API answers is the same for both traces."""
    assert list(trace.steps) == list(full.steps)
    assert trace.problems == full.problems
    assert trace.meta == full.meta
    assert trace.human_steps() == full.human_steps()
    for index in range(len(full)):
        assert trace.step(index) == full.step(index)
    for index in spread(len(full)):
        assert trace.detail(index) == full.detail(index)
    assert trace.conversation() == full.conversation()


def spread(length: int, most: int = 60) -> list[int]:
    """Positions to compare details at: all of a short run; of a long one, the first
    and last steps and evenly spread ones between (a detail's prompt holds every
    message before it, so comparing them all costs the square of the length)."""
    if length <= most:
        return list(range(length))
    return sorted({*range(0, length, length // most), length - 1})


def read_in_slices(trace: Trace, full: Trace) -> int:
    """Index `trace` to its end in the smallest slices; each must only add steps, as
    the full open has them, and leave `meta` saying how far it got.  Returns how
    many slices it took."""
    slices = 0
    progress = trace.progress
    while not trace.complete:
        meta = trace.meta
        assert not meta.complete and meta.steps == len(trace)
        before = len(trace)
        added = trace.index_more(0)
        slices += 1
        assert added == len(trace) - before >= 0
        assert list(trace.steps) == list(full.steps[: len(trace)])
        if not trace.complete:  # a decision is marked with its step's row, not before
            last = trace.steps[-1].number if len(trace) else 0
            assert trace.human_steps() == {n for n in full.human_steps() if n <= last}
        assert 0 <= trace.progress <= 1
        if not any(problem.startswith("index.jsonl not used") for problem in full.problems):
            assert trace.progress >= progress
        progress = trace.progress
    return slices


def test_every_shape_read_a_line_at_a_time_ends_as_a_full_open(shaped) -> None:
    full = open_trace(shaped)
    with smallest_slices():
        trace = open_trace(shaped, progressive=True)
        assert read_in_slices(trace, full) >= 2
    assert trace.complete and trace.progress == 1.0 and trace.meta.complete
    assert trace.index_more(0) == 0
    assert_same(trace, full)


def test_a_long_run_opens_with_its_first_slice(long_run) -> None:
    full = open_trace(long_run)
    trace = open_trace(long_run, progressive=True)
    assert FIRST_STEPS <= len(trace) < len(full)
    assert not trace.complete and 0 < trace.progress < 1
    first = list(trace.steps)
    assert first == list(full.steps[: len(trace)])
    assert trace.human_steps() == {n for n in full.human_steps() if n <= len(trace)}
    meta = trace.meta
    assert not meta.complete and meta.steps == len(trace)
    # What summary.json holds is whole at once: the totals, how it ended, annotations.
    assert (meta.turns, meta.usage, meta.stop_reason) == (
        full.meta.turns,
        full.meta.usage,
        full.meta.stop_reason,
    )
    assert meta.finished and meta.annotations == full.meta.annotations == ANNOTATIONS
    assert trace.conversation() is None  # the end record is not read yet
    last = len(trace) - 1
    assert trace.detail(last) == full.detail(last)
    assert trace.index_more(None) == len(full) - len(first) and trace.complete  # to the end
    assert_same(trace, full)


def test_index_more_with_a_budget_reads_in_a_few_slices(long_run) -> None:
    full = open_trace(long_run)
    trace = open_trace(long_run, progressive=True)
    assert read_in_slices(trace, full) >= 2
    assert_same(trace, full)


def test_refresh_while_indexing_leaves_the_steps_to_index_more(long_run) -> None:
    trace = open_trace(long_run, progressive=True)
    before = len(trace)
    assert trace.refresh() == 0 and len(trace) == before and not trace.complete
    trace.index_more(None)
    assert trace.refresh() == 0 and trace.complete


def test_a_run_found_unreadable_late_raises_the_full_open_error_from_index_more(
    tmp_path,
) -> None:
    """Only the index's first lines were sound, and nothing else is left: the first
    slice shows them, the last one finds the index unusable and nothing to rebuild
    it from."""
    directory = tmp_path / "run"
    record_long(directory)
    garble_index(directory)
    for name in ("header.json", "summary.json", "events.jsonl"):
        (directory / name).unlink()
    with pytest.raises(TraceError) as full:
        open_trace(directory)
    with smallest_slices():
        trace = open_trace(directory, progressive=True)
        assert len(trace) == 1
        with pytest.raises(TraceError) as late:
            while not trace.complete:
                trace.index_more(0)
    assert str(late.value) == str(full.value)
    assert "nothing readable" in str(full.value) and trace.complete


def test_following_a_run_opened_while_it_is_written(tmp_path) -> None:
    """Follow mode on a progressive open: the run goes on between slices and
    refreshes, and the trace ends as the finished run opens."""
    directory = tmp_path / "live"
    sink = ProvenanceSink(directory)
    steps = 30
    loop = composable_loop(
        ScriptedBackend(echo_script(steps)), TOOLS, "follow", hooks=[sink], max_steps=steps
    )
    for _ in range(5):
        next(loop)
    with smallest_slices():
        trace = open_trace(directory, progressive=True)
        assert not trace.complete
        for step in loop:
            action, after = HUMAN_ACTIONS[step.number % len(HUMAN_ACTIONS)]
            sink.record_human(step.number + 1, action, {"text": "before"}, after)
            added = trace.refresh()
            assert added == 0 or trace.complete
            trace.index_more(0)
        while not trace.complete:
            trace.index_more(0)
        trace.refresh()
    assert_same(trace, open_trace(directory))
    assert trace.meta.finished and len(trace) == steps
