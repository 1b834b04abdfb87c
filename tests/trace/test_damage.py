"""Damaged traces open with what is readable, and say what is not.

The writer is replayed up to every write (and into the middle of each), which
is exactly what `kill -9` can leave behind; then each kind of damage a disk or
a person can do is tried on its own.  Nothing but TraceError may escape.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from looplet_core.provenance import TraceError, open_trace
from looplet_core.provenance import sink as sink_module
from tests.trace.scenarios import DenyText, RewriteAt, mixed_script, record

# -- a killed process ---------------------------------------------------------------


@pytest.fixture
def write_log(monkeypatch):
    """Every write the sink makes, in order: (file name, bytes, whole-file?)."""
    log: list[tuple[str, bytes, bool]] = []
    real_append, real_atomic = sink_module._write_all, sink_module.write_atomic

    def append(file, data):
        log.append((os.path.basename(file.name), bytes(data), False))
        real_append(file, data)

    def atomic(path, data):
        log.append((os.path.basename(path), bytes(data), True))
        real_atomic(path, data)

    monkeypatch.setattr(sink_module, "_write_all", append)
    monkeypatch.setattr(sink_module, "write_atomic", atomic)
    return log


def replay(log, writes: int, partial: int, directory) -> None:
    """The directory as it is after `writes` whole writes and `partial` bytes of the next."""
    directory.mkdir()
    files: dict[str, bytes] = {}
    for name, data, whole in log[:writes]:
        files[name] = data if whole else files.get(name, b"") + data
    if writes < len(log) and partial:
        name, data, whole = log[writes]
        if not whole:  # a whole-file write is all or nothing: temp file, fsync, rename
            files[name] = files.get(name, b"") + data[:partial]
    for name, data in files.items():
        (directory / name).write_bytes(data)
    if writes >= 1:
        for name in ("events.jsonl", "index.jsonl"):  # opened right after the header is written
            (directory / name).touch()


def kill_points(log) -> list[tuple[int, int]]:
    """(whole writes done, bytes of the next one): every write boundary and three cuts inside."""
    points = []
    for writes in range(len(log) + 1):
        length = len(log[writes][1]) if writes < len(log) else 1
        points += [(writes, partial) for partial in sorted({0, 1, length // 2, length - 1})]
    return [(writes, partial) for writes, partial in points if partial == 0 or writes < len(log)]


def test_a_process_killed_at_any_instant_leaves_every_completed_step(tmp_path, write_log):
    steps, _, seen, _ = record(tmp_path / "run", mixed_script(), hooks=[RewriteAt(4), DenyText()])
    step_writes = [
        i for i, (_, data, _) in enumerate(write_log) if data.startswith(b'{"kind":"step"')
    ]
    for writes, partial in kill_points(write_log):
        state = tmp_path / f"state-{writes}-{partial}"
        replay(write_log, writes, partial, state)
        if writes == 0:  # killed while writing the header: nothing is there yet
            with pytest.raises(TraceError, match="empty directory"):
                open_trace(state)
            continue
        trace = open_trace(state)
        completed = sum(1 for i in step_writes if i < writes)
        assert len(trace) == completed, (writes, partial, trace.problems)
        for i in range(completed):
            detail = trace.detail(i)
            assert detail.step == steps[i]
            assert detail.prompt == seen.prompts[steps[i].turn - 1]
        torn = partial > 0 and not write_log[writes][2]
        assert any("torn record" in p for p in trace.problems) == torn, trace.problems
        ended = any(data.startswith(b'{"kind":"end"') for _, data, _ in write_log[:writes])
        assert trace.meta.finished == ended
        shutil.rmtree(state)


def test_a_torn_last_line_names_its_line(tmp_path) -> None:
    steps, _, _, _ = record(tmp_path, mixed_script())
    (tmp_path / "summary.json").unlink()
    events = tmp_path / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    events.write_bytes(b"".join(lines[:-1]) + lines[-1][:40])  # the end record, cut
    trace = open_trace(tmp_path)
    assert len(trace) == len(steps)
    assert sorted(trace.problems) == [
        "summary.json missing: the run did not finish",
        f"torn record at events.jsonl line {len(lines)}",
    ]
    meta = trace.meta
    assert not meta.finished and meta.stop_reason is None
    assert meta.steps == len(steps) and meta.turns == steps[-1].turn


# -- damage of each kind ------------------------------------------------------------------


@pytest.fixture
def run(tmp_path):
    steps, _, seen, _ = record(tmp_path / "run", mixed_script(), hooks=[RewriteAt(4)])
    return tmp_path / "run", steps, seen


def lines_of(path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_garbage_in_the_middle_of_events_costs_only_that_record(run) -> None:
    """Disks lose or garble blocks in place; offsets of the other records stay right."""
    directory, steps, seen = run
    events = directory / "events.jsonl"
    lines = lines_of(events)
    assert lines[3].startswith(b'{"kind":"step"')  # step 2's record
    lines[3] = (b"\x00\xffgarbage\xfe" * 1000)[: len(lines[3]) - 1] + b"\n"
    events.write_bytes(b"".join(lines))
    trace = open_trace(directory)  # the index still lists step 2...
    assert len(trace) == len(steps)
    with pytest.raises(TraceError, match=r"step 2's record .*invalid UTF-8"):
        trace.detail(1)  # ...but its record is gone
    others = [i for i in range(len(steps)) if i != 1]
    assert all(trace.detail(i).step == steps[i] for i in others)
    assert all(trace.detail(i).prompt == seen.prompts[steps[i].turn - 1] for i in others)

    (directory / "index.jsonl").unlink()  # now the reader goes through every line
    trace = open_trace(events)  # a file inside the directory will do
    assert "events.jsonl line 4: invalid UTF-8" in trace.problems
    assert "index.jsonl missing" in trace.problems
    assert [s.number for s in trace.steps] == [s.number for s in steps if s.number != 2]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b"not json at all\n", "invalid JSON"),
        (b"[1, 2, 3]\n", "not a trace record (a JSON object with a kind)"),
        (b'{"kind": 5}\n', "not a trace record (a JSON object with a kind)"),
        (b'{"kind": "step", "step": "nope"}\n', "a step record of the wrong shape"),
        (b'{"kind": "human", "step": "one"}\n', "a human-decision record of the wrong shape"),
        (b"[" * 100_000 + b"\n", "JSON nested too deeply"),
        (b'"' + b"x" * 5_000_000 + b'"\n', "not a trace record (a JSON object with a kind)"),
    ],
    ids=["not-json", "array", "kind-not-str", "step-shape", "human-shape", "deep", "5MB-string"],
)
def test_lines_of_the_wrong_shape_are_reported(run, line, problem) -> None:
    directory, steps, _ = run
    (directory / "index.jsonl").unlink()
    events = directory / "events.jsonl"
    lines = lines_of(events)
    events.write_bytes(b"".join([*lines[:5], line, *lines[5:]]))
    trace = open_trace(directory)
    assert f"events.jsonl line 6: {problem}" in trace.problems
    assert len(trace) == len(steps)
    assert trace.detail(len(steps) - 1).step == steps[-1]


@pytest.mark.parametrize(
    "damage",
    [
        b"{not json\n",
        b"[]\n",
        b'[1, "one"]\n',
        b'{"n": 1}\n',
        b'"' + b"y" * 5_000_000 + b'"\n',
        b"\xff\xfe\n",
    ],
    ids=["not-json", "empty", "short", "object", "5MB-string", "not-utf8"],
)
def test_a_damaged_index_is_rebuilt_from_events(run, damage) -> None:
    directory, steps, _ = run
    index = directory / "index.jsonl"
    lines = lines_of(index)
    index.write_bytes(b"".join([*lines[:2], damage, *lines[2:]]))
    trace = open_trace(directory)
    assert len(trace) == len(steps)
    assert trace.problems[0].startswith("index.jsonl line 3: ")
    assert "index.jsonl not used: the step list was rebuilt from events.jsonl" in trace.problems
    assert [s.number for s in trace.steps] == [s.number for s in steps]
    assert trace.detail(4).step == steps[4]


def test_an_index_pointing_past_the_end_of_events_is_not_trusted(run) -> None:
    directory, _, _ = run
    events = directory / "events.jsonl"
    lines = lines_of(events)
    events.write_bytes(b"".join(lines[:6]))  # events lost its tail; the index did not
    trace = open_trace(directory)
    assert any("points past the end of events.jsonl" in p for p in trace.problems)
    assert len(trace) == sum(line.startswith(b'{"kind":"step"') for line in lines[:6])


def test_an_index_that_does_not_match_events_raises_trace_error_on_detail(run) -> None:
    directory, steps, _ = run
    index = directory / "index.jsonl"
    entries = [json.loads(line) for line in lines_of(index)]
    offset, length = 10, 11  # positions in an index line
    entries[1][offset] = entries[0][offset]
    entries[2][offset] += 3
    entries[3][length] -= 1
    index.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    trace = open_trace(directory)
    assert trace.detail(0).step == steps[0]
    for i in (1, 2, 3):
        with pytest.raises(TraceError, match=r"events\.jsonl: step \d+'s record"):
            trace.detail(i)
    with pytest.raises(IndexError):
        trace.detail(len(steps))


def test_a_damaged_call_record_costs_only_the_prompts_that_need_it(run) -> None:
    directory, steps, seen = run
    events = directory / "events.jsonl"
    lines = lines_of(events)
    second_call = [i for i, line in enumerate(lines) if line.startswith(b'{"kind":"call"')][1]
    lines[second_call] = lines[second_call][:30] + b"#" + lines[second_call][31:]
    events.write_bytes(b"".join(lines))
    trace = open_trace(directory)
    assert trace.detail(0).prompt == seen.prompts[0]
    broken = trace.detail(1)
    assert broken.step == steps[1] and broken.prompt is None and broken.response is None
    assert "damaged" in broken.problems[0]
    after_rewrite = next(i for i, s in enumerate(steps) if s.turn == 4)
    assert trace.detail(after_rewrite).prompt == seen.prompts[3]  # a new snapshot: unaffected
    assert trace.detail(after_rewrite + 1).prompt == seen.prompts[steps[after_rewrite + 1].turn - 1]


@pytest.mark.parametrize("name", ["header.json", "summary.json"])
@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (b"{oops", ": invalid JSON"),
        (b"[1]", ": expected a JSON object, found an array"),
        (b"\xff\xfe{}", ": invalid UTF-8"),
    ],
)
def test_damaged_whole_files_are_reported(run, name, content, problem) -> None:
    directory, steps, _ = run
    (directory / name).write_bytes(content)
    trace = open_trace(directory)
    assert f"{name}{' ' if problem == 'is empty' else ''}{problem}" in trace.problems
    assert len(trace) == len(steps)
    meta = trace.meta
    assert meta.steps == len(steps)
    if name == "summary.json":  # the end record in events.jsonl still knows how it ended
        assert meta.stop_reason == "done"
    else:
        assert meta.task is None and meta.tools == ()


def test_missing_files(run) -> None:
    directory, steps, _ = run
    (directory / "summary.json").unlink()
    (directory / "header.json").unlink()
    trace = open_trace(directory)
    assert "header.json missing" in trace.problems
    assert any(p.startswith("summary.json missing: the run ended") for p in trace.problems)
    assert trace.meta.stop_reason == "done"  # from the end record
    (directory / "events.jsonl").unlink()
    trace = open_trace(directory)  # the index still lists the steps
    assert len(trace) == len(steps)
    with pytest.raises(TraceError, match=r"events\.jsonl"):
        trace.detail(0)


def test_nothing_readable_raises(tmp_path) -> None:
    with pytest.raises(TraceError, match="no such trace directory"):
        open_trace(tmp_path / "nowhere")
    with pytest.raises(TraceError, match="empty directory"):
        open_trace(tmp_path)
    (tmp_path / "trajectory.json").write_text("{}")
    with pytest.raises(TraceError, match=r"not a looplet trace \(no header\.json, events"):
        open_trace(tmp_path)
    for name in ("header.json", "events.jsonl", "index.jsonl", "summary.json"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(TraceError, match=r"nothing readable \(header\.json is empty") as caught:
        open_trace(tmp_path)
    assert "\n" not in str(caught.value)
    (tmp_path / "header.json").write_text('{"format": "looplet-trace", "version": 1}')
    trace = open_trace(tmp_path)  # a run that has not made its first call yet
    assert len(trace) == 0 and trace.meta.steps == 0


def test_a_newer_version_or_another_format_is_reported(run) -> None:
    directory, _, _ = run
    header = json.loads((directory / "header.json").read_text())
    (directory / "header.json").write_text(json.dumps({**header, "version": 2}))
    assert any("version 2" in p for p in open_trace(directory).problems)
    (directory / "header.json").write_text(json.dumps({**header, "format": "other"}))
    assert any("format is 'other'" in p for p in open_trace(directory).problems)


def test_a_five_megabyte_string_round_trips(tmp_path) -> None:
    from looplet_core import ToolCall
    from looplet_core.provenance import ProvenanceSink

    big = "z" * 5_000_000
    sink = ProvenanceSink(tmp_path, max_string=6_000_000)
    steps, _, _, _ = record(
        tmp_path, [ToolCall("echo", {"text": big}), ToolCall("done", {})], sink=sink
    )
    trace = open_trace(tmp_path)
    assert trace.detail(0).step == steps[0]
    assert trace.steps[0].args_preview == "text='zzzzzzzzzzzzzzzzzzzzzz…"
