"""`open_trace` tells the formats apart by itself; `discover_traces` lists the traces
in a tree without opening them."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from looplet_core import ToolCall
from looplet_core.provenance import Trace, TraceError, discover_traces, open_trace
from looplet_core.provenance.formats.looplet04 import Looplet04Trace
from looplet_core.provenance.formats.minisweagent import MiniSweAgentTrace
from looplet_core.provenance.native import NativeTrace
from tests.trace.foreign import LOOPLET04, MINISWEAGENT, copy_fixture
from tests.trace.scenarios import record

TOOLCALL = MINISWEAGENT / "toolcall_submitted.traj.json"


@pytest.fixture
def native(tmp_path):
    record(tmp_path / "native", [ToolCall("add", {"a": 1, "b": 2}), ToolCall("done", {})])
    return tmp_path / "native"


def test_each_format_is_found_from_its_directory_or_a_file_in_it(native, tmp_path) -> None:
    looplet04 = LOOPLET04 / "ok_run"
    cases = [
        (native, NativeTrace, native),
        (native / "events.jsonl", NativeTrace, native),
        (looplet04, Looplet04Trace, looplet04),
        (looplet04 / "trajectory.json", Looplet04Trace, looplet04),
        (looplet04 / "steps" / "step_02.json", Looplet04Trace, looplet04),
        (looplet04 / "call_00_prompt.txt", Looplet04Trace, looplet04),
        (TOOLCALL, MiniSweAgentTrace, TOOLCALL),
    ]
    for path, kind, opened in cases:
        trace = open_trace(path)
        assert type(trace) is kind and isinstance(trace, Trace), path
        assert os.path.samefile(trace.path, opened), path
    assert [open_trace(path).meta.format for path in (native, looplet04, TOOLCALL)] == [
        "looplet-trace/1",
        "looplet-0.4",
        "mini-swe-agent-1.1",
    ]


def test_a_looplet04_directory_holding_only_trajectory_json_is_still_found(tmp_path) -> None:
    run = copy_fixture(LOOPLET04 / "max_steps_run", tmp_path / "run")
    shutil.rmtree(run / "steps")
    for path in run.iterdir():
        if path.name != "trajectory.json":
            path.unlink()
    trace = open_trace(run)
    assert type(trace) is Looplet04Trace and len(trace) == 3


def test_any_json_file_that_says_it_is_a_minisweagent_trajectory(tmp_path) -> None:
    renamed = copy_fixture(TOOLCALL, tmp_path / "instance-7.json")
    assert type(open_trace(renamed)) is MiniSweAgentTrace
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"trajectory_format": "something-else", "messages": []}))
    with pytest.raises(TraceError, match="not a looplet trace"):
        open_trace(other)


def test_a_directory_with_one_trajectory_opens_it_and_with_two_asks(tmp_path) -> None:
    instance = tmp_path / "instance"
    copy_fixture(TOOLCALL, instance / "instance.traj.json")
    (instance / "notes.txt").write_text("not a trace")
    trace = open_trace(instance)
    assert type(trace) is MiniSweAgentTrace and trace.path.endswith("instance.traj.json")
    copy_fixture(TOOLCALL, instance / "second.traj.json")
    with pytest.raises(TraceError, match=r"holds 2 mini-swe-agent trajectories; open one"):
        open_trace(instance)


def test_nothing_recognisable_raises_one_line_naming_the_path_and_the_formats_tried(
    tmp_path,
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "trajectory.json").write_text("{}")  # a common name: its content decides
    with pytest.raises(TraceError) as caught:
        open_trace(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path}: not a looplet trace (no header.json")
    assert "nor a looplet 0.4 run (no artifact.json" in message
    assert "nor a mini-swe-agent trajectory (no *.traj.json)" in message
    assert "\n" not in message


def missing(base):
    return base / "missing"


def empty(base):
    (base / "empty").mkdir()
    return base / "empty"


def symlink_loop(base):
    os.symlink(base / "loop", base / "loop")
    return base / "loop"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (missing, "no such trace directory or file"),
        (empty, "empty directory, not a trace"),
        (symlink_loop, "a symbolic link that leads nowhere (or to itself)"),
    ],
    ids=["missing", "empty", "symlink-loop"],
)
def test_a_path_that_is_not_there_raises_one_line(tmp_path, make, reason) -> None:
    path = make(tmp_path)
    with pytest.raises(TraceError) as caught:
        open_trace(path)
    assert str(caught.value) == f"{path}: {reason}"


def test_a_native_header_names_what_the_trace_was_forked_from(native) -> None:
    header = json.loads((native / "header.json").read_text())
    forked_from = {"path": "/runs/original", "step": 3, "mode": "captured"}
    (native / "header.json").write_text(json.dumps({**header, "forked_from": forked_from}))
    assert open_trace(native).meta.forked_from == forked_from
    (native / "header.json").write_text(json.dumps({**header, "forked_from": "junk"}))
    assert open_trace(native).meta.forked_from is None


# -- discovery --------------------------------------------------------------------------


def test_discover_lists_every_kind_of_trace_in_a_tree_without_opening_them(
    native, tmp_path
) -> None:
    root = tmp_path / "root"
    os.makedirs(root / ".looplet" / "runs")
    os.rename(native, root / ".looplet" / "runs" / "20250601-000000-abc123")
    copy_fixture(LOOPLET04 / "ok_run", root / "old" / "ok_run")
    for instance in ("django-1", "flask-2"):
        copy_fixture(TOOLCALL, root / "batch" / instance / f"{instance}.traj.json")
    (root / "batch" / "preds.json").write_text("{}")
    (root / "batch" / "broken.traj.json").write_bytes(b"\x00 not json")  # listed, not parsed
    copy_fixture(TOOLCALL, root / "a" / "b" / "c" / "d" / "e" / "deep.traj.json")  # too deep
    copy_fixture(TOOLCALL, root / ".git" / "hidden.traj.json")  # hidden
    os.symlink(root, root / "batch" / "loop")  # a loop back to the top
    found = discover_traces(root)
    assert [os.path.relpath(path, root) for path in found] == [
        ".looplet/runs/20250601-000000-abc123",
        "batch/broken.traj.json",
        "batch/django-1/django-1.traj.json",
        "batch/flask-2/flask-2.traj.json",
        "old/ok_run",
    ]


def test_discover_returns_the_root_itself_when_it_is_a_trace(native) -> None:
    assert discover_traces(native) == [str(native)]
    assert discover_traces(LOOPLET04) == [
        str(LOOPLET04 / name) for name in sorted(os.listdir(LOOPLET04))
    ]


def test_discover_needs_a_directory(tmp_path) -> None:
    assert discover_traces(tmp_path) == []
    with pytest.raises(TraceError, match="no such directory"):
        discover_traces(tmp_path / "missing")
