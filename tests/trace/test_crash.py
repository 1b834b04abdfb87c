"""kill -9 at random moments: every step a run reported is in the trace it leaves.

Each trial starts tests/trace/crash_agent.py in a fresh interpreter (about
40 ms), waits for a seeded moment, sends SIGKILL and opens what is left.  The
moments: while it starts or writes its header (before any step), right after
the k-th reported step (so during the next multi-megabyte write, a slow tool
or a model call), and after the run finished.  Where exactly a kill lands
varies from run to run; what is asserted does not depend on it:

- a directory without header.json (killed before the sink wrote it) may not
  open, and then no step was reported;
- every other directory opens, holds every reported step exactly as the agent
  saw it, and at most one more (written, not yet printed);
- its problems only say that the run did not finish and which last line of
  events.jsonl or index.jsonl is torn (and only if it really is);
- a run killed after it reported its end has no problems at all.
"""

from __future__ import annotations

import json
import os
import random
import re
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from looplet_core.provenance import TraceError, open_trace
from tests.trace.crash_agent import digest, script

ROOT = Path(__file__).resolve().parents[2]
SEED = 20250601
PLAN = {"starting": 3, "early": 3, "mid-write": 8, "after step": 10, "finished": 2}
"""How many kills of each kind (see `trials`)."""
WAIT_LIMIT_S = 30.0
"""Only a hung agent reaches this; it fails the test instead of hanging it."""

UNFINISHED = {
    "summary.json missing: the run did not finish",
    "summary.json missing: the run ended but its summary was not written "
    "(totals come from events.jsonl)",
}
BEFORE_FIRST_STEP = {
    "events.jsonl missing: no model call or step was recorded",
    "index.jsonl missing",
    "index.jsonl not used: the step list was rebuilt from events.jsonl",
}
"""Killed between creating the header and opening the two record files."""
TORN = re.compile(r"torn record at (events\.jsonl|index\.jsonl) line (\d+)")


class Agent:
    """One crash_agent process and the lines it has printed so far."""

    def __init__(self, directory: Path, seed: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.trace.crash_agent", str(directory), str(seed)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: list[dict[str, Any]] = []
        self._pending = b""

    def _take(self, data: bytes) -> None:
        *whole, self._pending = (self._pending + data).split(b"\n")
        self.lines.extend(json.loads(line) for line in whole)

    def wait_for(self, done: Any) -> None:
        """Read stdout until `done(lines)` holds (or the agent exits)."""
        deadline = time.monotonic() + WAIT_LIMIT_S
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while not done(self.lines):
                left = deadline - time.monotonic()
                assert left > 0, f"the agent printed nothing new for {WAIT_LIMIT_S} s"
                if selector.select(left):
                    data = os.read(self.process.stdout.fileno(), 1 << 16)
                    if not data:
                        return
                    self._take(data)

    def kill(self) -> tuple[list[dict[str, Any]], bytes]:
        """SIGKILL; return every complete line it printed, and its stderr."""
        self.process.kill()
        rest, errors = self.process.communicate(timeout=WAIT_LIMIT_S)
        self._take(rest)  # a line cut by the kill stays pending: it was not reported
        return self.lines, errors


def started(lines: list[dict[str, Any]]) -> bool:
    return bool(lines)


def reported_steps(k: int) -> Any:
    return lambda lines: sum("n" in line for line in lines) >= k


def ended(lines: list[dict[str, Any]]) -> bool:
    return any("end" in line for line in lines)


def trials() -> list[tuple[str, int, Any, float]]:
    """(kind, script seed, what to wait for, delay in s after it) for every kill, from SEED.

    - starting: a delay from the spawn, so the kill lands in the interpreter's
      start, the imports or the header;
    - early: a few ms after the loop started: the header, the first call;
    - mid-write: after step k, at the first sight of an unfinished line at the
      end of events.jsonl (a delay of None), which catches most multi-megabyte
      writes half done;
    - after step k: a random delay later, wherever the run has got to;
    - finished: after the run reported its end.
    """
    rng = random.Random(SEED)
    planned = []
    seeds = iter(range(sum(PLAN.values())))
    for kind, count in PLAN.items():
        for seed in (next(seeds) for _ in range(count)):
            steps = sum(len(calls) for calls in script(seed))
            k = rng.randint(1, steps - 1)
            if kind == "starting":
                planned.append((kind, seed, None, rng.uniform(0, 0.06)))
            elif kind == "early":
                planned.append((kind, seed, started, rng.uniform(0, 0.008)))
            elif kind == "mid-write":
                planned.append((f"{kind} after step {k}", seed, reported_steps(k), None))
            elif kind == "after step":
                planned.append((f"{kind} {k}", seed, reported_steps(k), rng.uniform(0, 0.02)))
            else:
                planned.append((kind, seed, ended, 0.0))
    return planned


def wait_for_torn_tail(directory: Path, process: subprocess.Popen[bytes]) -> None:
    """Poll the end of events.jsonl until a record is half written (or the run is over).

    A write() of several megabytes lands in the page cache page by page, and
    readers see the file grow as it does.
    """
    deadline = time.monotonic() + WAIT_LIMIT_S
    with open(directory / "events.jsonl", "rb") as events:
        descriptor = events.fileno()
        while process.poll() is None and time.monotonic() < deadline:
            size = os.fstat(descriptor).st_size
            if size and os.pread(descriptor, 1, size - 1) != b"\n":
                return


def complete_lines(path: Path) -> tuple[int, bool]:
    """Lines ending in a newline, and whether something follows the last of them."""
    data = path.read_bytes() if path.exists() else b""
    return data.count(b"\n"), not data.endswith(b"\n") and bool(data)


def check_problems(directory: Path, problems: list[str], steps: int, finished: bool) -> None:
    if finished:
        assert problems == []
        return
    allowed = UNFINISHED | (BEFORE_FIRST_STEP if steps == 0 else set())
    torn_seen = set()
    for problem in problems:
        match = TORN.fullmatch(problem)
        if match:
            name, line = match[1], int(match[2])
            lines, torn = complete_lines(directory / name)
            assert torn and line == lines + 1, (problem, lines, torn)
            torn_seen.add(name)
        else:
            assert problem in allowed, problem
    summary_written = (directory / "summary.json").exists()  # killed after it, before the report
    assert sum(p in UNFINISHED for p in problems) == (0 if summary_written else 1), problems
    for name in ("events.jsonl", "index.jsonl"):
        assert complete_lines(directory / name)[1] == (name in torn_seen), (name, problems)


def check_trial(directory: Path, seed: int, lines: list[dict[str, Any]]) -> None:
    reported = [line for line in lines if "n" in line]
    calls = [call for turn in script(seed) for call in turn]
    assert [(r["tool"], r["args"]) for r in reported] == [
        (c.name, c.args) for c in calls[: len(reported)]
    ]
    if not (directory / "header.json").exists():  # killed before the sink wrote anything
        assert reported == []
        leftovers = os.listdir(directory) if directory.exists() else []
        assert all(name.startswith(".header.json.") for name in leftovers), leftovers
        with pytest.raises(TraceError) as caught:
            open_trace(directory)
        assert "\n" not in str(caught.value)
        return
    trace = open_trace(directory)
    assert len(reported) <= len(trace) <= len(reported) + 1, (len(reported), len(trace))
    for i in range(len(trace)):
        summary, step = trace.steps[i], trace.detail(i).step
        assert (summary.number, summary.tool) == (i + 1, calls[i].name)
        assert (step.number, step.tool_call.name, step.tool_call.args) == (
            i + 1,
            calls[i].name,
            calls[i].args,
        )
        if i < len(reported):
            assert digest(step) == reported[i]["digest"], f"step {i + 1} differs"
    finished = ended(lines)
    check_problems(directory, trace.problems, len(trace), finished)
    meta = trace.meta
    assert meta.steps == len(trace) and meta.task == f"crash run {seed}"
    conversation = trace.conversation()
    if finished:
        assert meta.finished and meta.stop_reason == "done" and conversation is not None
    assert trace.refresh() == 0  # the writer is dead: nothing new can appear


def test_kill_9_at_random_moments_leaves_every_reported_step(tmp_path) -> None:
    outcomes: dict[str, int] = {}
    for number, (kind, seed, wait, delay) in enumerate(trials()):
        directory = tmp_path / f"run-{number}"
        agent = Agent(directory, seed)
        if wait is not None:
            agent.wait_for(wait)
        if delay is None:
            wait_for_torn_tail(directory, agent.process)
        else:
            time.sleep(delay)
        lines, errors = agent.kill()
        assert errors == b"", errors.decode(errors="replace")  # it died of the kill, not a bug
        if wait is not None:
            assert wait(lines)  # what it waited for was reported
        try:
            check_trial(directory, seed, lines)
        except AssertionError as exc:
            raise AssertionError(f"trial {number} ({kind}, seed {seed}): {exc}") from exc
        outcome = describe(directory)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print("where the kills landed:", outcomes)  # pytest -s shows it; timing decides, not asserted


def describe(directory: Path) -> str:
    if not (directory / "header.json").exists():
        return "before the header"
    if (directory / "summary.json").exists():
        return "after the summary"
    if complete_lines(directory / "events.jsonl")[1]:
        return "mid-write in events.jsonl"
    if complete_lines(directory / "index.jsonl")[1]:
        return "mid-write in index.jsonl"
    return "between records"
