"""A FIFO (or other non-regular file) where a trace file should be must not hang the reader.

Opening a FIFO for reading blocks until a writer appears, so a reader that
just calls `open()` would wait forever.  Each case runs the reader in a child
process with a timeout, so a regression fails the test instead of hanging the
suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.trace.foreign import LOOPLET04, MINISWEAGENT, copy_fixture
from tests.trace.scenarios import mixed_script, record

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")

_READ_EVERYTHING = """
import sys
from looplet_core.provenance import TraceError, open_trace
from tests.trace.foreign import use_everything
try:
    trace = open_trace(sys.argv[1])
except TraceError as exc:
    print("ERROR", exc)
else:
    print("ERRORS", use_everything(trace))
    print("PROBLEMS", trace.problems)
"""


def read_in_child(path: Path) -> str:
    """What the child printed after walking the whole reader API over `path`."""
    done = subprocess.run(
        [sys.executable, "-c", _READ_EVERYTHING, str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def replace_with_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


@pytest.mark.parametrize("name", ["events.jsonl", "index.jsonl", "summary.json"])
def test_a_fifo_in_our_trace_is_reported_not_waited_on(tmp_path, name) -> None:
    record(tmp_path / "run", mixed_script())
    replace_with_fifo(tmp_path / "run" / name)
    output = read_in_child(tmp_path / "run")
    assert "not a regular file" in output


def test_a_fifo_header_in_our_trace(tmp_path) -> None:
    record(tmp_path / "run", mixed_script())
    replace_with_fifo(tmp_path / "run" / "header.json")
    assert "not a regular file" in read_in_child(tmp_path / "run")


def test_a_fifo_step_file_in_a_looplet04_run(tmp_path) -> None:
    run = copy_fixture(LOOPLET04 / "ok_run", tmp_path / "ok_run")
    replace_with_fifo(run / "steps" / "step_02.json")
    output = read_in_child(run)
    assert "not a regular file" in output
    assert "PROBLEMS" in output  # the other steps still load


def test_a_fifo_named_like_a_trajectory_raises_one_line(tmp_path) -> None:
    fifo = tmp_path / "run.traj.json"
    os.mkfifo(fifo)
    output = read_in_child(fifo)
    assert output.startswith("ERROR ")
    assert output.count("\n") == 1


def test_a_fifo_beside_a_real_trajectory_is_not_read(tmp_path) -> None:
    copy_fixture(MINISWEAGENT / "toolcall_submitted.traj.json", tmp_path / "a.traj.json")
    os.mkfifo(tmp_path / "b.json")
    assert "PROBLEMS" in read_in_child(tmp_path / "a.traj.json")
