"""Search, the background index and the sparkline's bucketing, without an app."""

from __future__ import annotations

from looplet_core.provenance import StepSummary
from looplet_tui.cli import open_source
from looplet_tui.run_index import RunIndex, fuzzy_match
from looplet_tui.search import Search
from looplet_tui.widgets.step_sparkline import bucket_maxima


def summary(number: int, tool: str, ok: bool = True, tokens: int = 10) -> StepSummary:
    return StepSummary(
        number, number, tool, "", ok, None if ok else "execution", 1.0, tokens, 1, 5.0
    )


def test_search_scans_a_bounded_amount_per_call_and_resumes(small_run) -> None:
    source = open_source(str(small_run))
    search = Search("LOOKUP")
    calls = 0
    while not search.scan(source, budget_s=0):  # a zero budget: one step per call
        calls += 1
        assert search.scanned == calls
    assert search.scanned == len(source) == 6
    assert search.matches == [1, 2, 4]


def test_next_and_previous_match_wrap_around() -> None:
    search = Search("x")
    search.matches = [2, 5, 9]
    assert [search.next_match(n) for n in (0, 2, 5, 9)] == [2, 5, 9, 2]
    assert [search.previous_match(n) for n in (9, 5, 2, 0)] == [5, 2, 9, 9]
    assert Search("y").next_match(0) is None


def test_index_finds_errors_either_way_and_steps_by_tool() -> None:
    index = RunIndex()
    index.add(
        summary(n, tool, ok)
        for n, (tool, ok) in enumerate(
            [("read", True), ("write", False), ("read", True), ("grep", False), ("read", True)]
        )
    )
    assert len(index) == 5
    assert index.errors == [1, 3]
    assert [index.next_error(n) for n in (0, 1, 3)] == [1, 3, None]
    assert [index.previous_error(n) for n in (4, 3, 1)] == [3, 1, None]
    assert index.tools == ["read", "write", "grep"]
    assert index.steps_using({"read", "grep"}) == [0, 2, 3, 4]
    assert index.steps_using({"unknown"}) == []


def test_index_grows_in_chunks_like_one_pass() -> None:
    steps = [summary(n, f"tool{n % 3}", n % 4 == 0, tokens=n) for n in range(10)]
    whole, parts = RunIndex(), RunIndex()
    whole.add(steps)
    parts.add(steps[:4])
    parts.add(steps[4:])
    assert (parts.errors, parts.tools, list(parts.tokens)) == (
        whole.errors,
        whole.tools,
        list(whole.tokens),
    )


def test_fuzzy_match_takes_letters_in_order() -> None:
    assert fuzzy_match("rf", "read_file")
    assert fuzzy_match("MVF", "move_file")
    assert fuzzy_match("", "anything")
    assert not fuzzy_match("fr", "read_file")
    assert not fuzzy_match("xyz", "read_file")


def test_bucket_maxima_keeps_peaks_when_squeezing_a_series() -> None:
    values = [1, 9, 2, 2, 3, 8, 1, 1]
    assert bucket_maxima(values, 4) == [9, 2, 8, 1]
    assert bucket_maxima(values, 100) == values
    assert bucket_maxima(list(range(100_000)), 40)[-1] == 99_999
