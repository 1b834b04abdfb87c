"""Progressive reading of mini-swe-agent trajectories.

`open_trace(path, progressive=True)` returns with the first steps of a long
trajectory, `index_more` reads on a slice at a time, and whatever the slices,
the trace ends exactly as a full open reads it: steps, details, prompts,
meta and problems, damaged files included.
"""

from __future__ import annotations

import json

import pytest

from looplet_core.provenance import Trace, open_trace
from looplet_core.provenance.formats.minisweagent import FIRST_STEPS
from tests.trace.foreign import LOOPLET04, MINISWEAGENT, use_everything
from tests.trace.minisweagent_long import long_document, write_long

FIXTURES = sorted(MINISWEAGENT.glob("*.traj.json"))


def assert_same(trace: Trace, full: Trace) -> None:
    """Everything the reader API answers is the same for both traces."""
    assert list(trace.steps) == list(full.steps)
    assert trace.problems == full.problems
    assert trace.meta == full.meta
    for index in range(len(full)):
        assert trace.step(index) == full.step(index)
        assert trace.detail(index) == full.detail(index)
    assert trace.conversation() == full.conversation()


def read_in_slices(trace: Trace, full: Trace) -> int:
    """Index `trace` to its end in the smallest slices; every slice must only add
    steps, as the full read has them.  Returns how many slices it took."""
    slices = 0
    progress = trace.progress
    while not trace.complete:
        before = len(trace)
        added = trace.index_more(0)
        slices += 1
        assert added == len(trace) - before >= 0
        assert list(trace.steps) == list(full.steps[: len(trace)])
        assert trace.progress >= progress
        progress = trace.progress
    return slices


@pytest.fixture
def long_path(tmp_path):
    return write_long(tmp_path / "long.traj.json")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_a_short_trajectory_is_complete_at_once(path) -> None:
    trace = open_trace(path, progressive=True)
    assert trace.complete and trace.progress == 1.0 and trace.meta.complete
    assert trace.index_more(0) == 0
    assert_same(trace, open_trace(path))


def test_a_long_trajectory_opens_with_its_first_steps(long_path) -> None:
    full = open_trace(long_path)
    trace = open_trace(long_path, progressive=True)
    assert FIRST_STEPS <= len(trace) < len(full)
    assert not trace.complete and 0 < trace.progress < 1
    meta = trace.meta
    assert not meta.complete and meta.steps == len(trace)
    assert meta.usage.total_tokens < full.meta.usage.total_tokens
    assert trace.conversation() is None  # the exit message is not read yet
    assert list(trace.steps) == list(full.steps[: len(trace)])
    last = len(trace) - 1
    assert trace.detail(last) == full.detail(last)  # details of what is indexed are whole


def test_reading_on_in_many_slices_ends_as_a_full_read(long_path) -> None:
    full = open_trace(long_path)
    trace = open_trace(long_path, progressive=True)
    assert read_in_slices(trace, full) > 10
    assert trace.complete and trace.progress == 1.0 and trace.meta.complete
    assert trace.index_more(0) == 0
    assert_same(trace, full)
    use_everything(trace)


def test_index_more_without_a_budget_reads_to_the_end(long_path) -> None:
    trace = open_trace(long_path, progressive=True)
    before = len(trace)
    added = trace.index_more(None)
    assert trace.complete and added == len(trace) - before > 0
    assert_same(trace, open_trace(long_path))


def test_a_long_prompt_is_read_when_asked_for_and_equals_the_messages(long_path) -> None:
    trace = open_trace(long_path)
    prompt = trace.detail(len(trace) - 1).prompt
    whole = tuple(prompt)
    assert prompt == whole and prompt == list(whole) and len(prompt) == len(whole) > 300
    assert prompt[-100:] == whole[-100:] and prompt[:2] == whole[:2]
    assert prompt[-1] == whole[-1] and prompt[0].role == "system"
    assert prompt != whole[:-1]


def cut_at(path, share: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * share)])


def garbage_at(path, share: float) -> None:
    text = path.read_text()
    at = text.index('"role": "tool"', int(len(text) * share))
    path.write_text(text[:at] + "\x00garbage}}]]" + text[at + 20 :])


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: cut_at(p, 0.9),
        lambda p: cut_at(p, 0.3),
        lambda p: garbage_at(p, 0.8),
        lambda p: p.write_text(p.read_text() + '{"extra": "data"}'),
        lambda p: p.write_bytes(p.read_bytes().replace(b"# 70", b"# \xff70")),
        lambda p: p.write_text(p.read_text().replace('"trajectory_format"', '"info"')),
    ],
    ids=["cut-late", "cut-early", "garbage-late", "trailing-data", "bad-utf8", "repeated-key"],
)
def test_damage_past_the_first_slice_ends_as_a_full_read(long_path, damage) -> None:
    damage(long_path)
    full = open_trace(long_path)
    assert full.problems
    trace = open_trace(long_path, progressive=True)
    first = list(trace.steps)
    while not trace.complete:
        trace.index_more(0)
    assert list(trace.steps[: len(first)]) == first  # what was shown stays as it was
    assert_same(trace, full)
    use_everything(trace)


def test_refresh_while_reading_reads_a_rewritten_file_whole(long_path) -> None:
    trace = open_trace(long_path, progressive=True)
    before = len(trace)
    assert trace.refresh() == 0 and not trace.complete and len(trace) == before
    write_long(long_path, blocks=100)
    full = open_trace(long_path)
    assert trace.refresh() == len(full) - before
    assert trace.complete
    assert_same(trace, full)


def test_other_formats_are_complete_at_once() -> None:
    trace = open_trace(LOOPLET04 / "ok_run", progressive=True)
    assert trace.complete and trace.progress == 1.0 and trace.index_more(0) == 0
    assert trace.meta.complete


def test_a_repeated_key_is_named_in_the_problems_and_its_last_value_shown(tmp_path) -> None:
    """As json.loads would, the later `messages` wins; a reader must say why the
    run has fewer steps than its first copy held."""
    document = long_document(80)
    short = document["messages"][:12]
    path = tmp_path / "twice.traj.json"
    path.write_text(f'{json.dumps(document)[:-1]}, "messages": {json.dumps(short)}}}')
    once = tmp_path / "once.traj.json"
    once.write_text(json.dumps({**document, "messages": short}))
    expected = "twice.traj.json: 'messages' appears more than once; the last one is shown"
    for trace in (open_trace(path), open_trace(path, progressive=True)):
        trace.index_more(None)
        assert expected in trace.problems
        assert list(trace.steps) == list(open_trace(once).steps)
