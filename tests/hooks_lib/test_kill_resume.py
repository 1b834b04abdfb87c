"""Kill a checkpointed run with SIGKILL at seeded random moments and resume each one.

Each kill lands at a random Python or C function call of the run (see
kill_agent), so kills hit tool bodies, journal writes and everything between.
The test reconciles a pending call the way a person would, from the evidence:
the side-effect log says whether the tool ran.  Every resumed run must end with
the uninterrupted run's exact message list, and every tool must have run once.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from looplet_core.hooks_lib import (
    CheckpointError,
    PendingCallError,
    load_checkpoint,
)
from tests.helpers import drive
from tests.hooks_lib.kill_agent import (
    TAGS,
    ran_tags,
    resume_agent,
    start,
)

ROOT = Path(__file__).resolve().parents[2]
KILLS = 24
SEED = 20240607


def start_agent(folder: Path, log: Path, kill_at: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.hooks_lib.kill_agent", str(folder), str(log), str(kill_at)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(folder: Path, log: Path) -> tuple[tuple, str]:
    """Resume (or restart) a killed run to its end; return its messages and what was done."""
    try:
        checkpoint = load_checkpoint(folder)
    except CheckpointError:  # killed before the first record was committed: nothing ran
        _, result = drive(start(folder, log)[0])
        return result.messages, "restarted"
    if checkpoint.finished:
        return checkpoint.final_messages, "already finished"
    options: dict = {}
    action = "resumed"
    if checkpoint.pending is not None:
        call = checkpoint.pending.call
        with pytest.raises(PendingCallError, match=call.id):
            resume_agent(folder, log)
        if call.args.get("tag") in ran_tags(log):
            options = {"pending": "done", "result": REFERENCE.results[call.id]}
            action = "resumed, pending call marked done"
        else:
            options = {"pending": "not_done"}
            action = "resumed, pending call marked not done"
    run, tools = resume_agent(folder, log, **options)
    if options.get("pending") == "done" and call.name == "note":
        tools.notes.append(call.args["text"])  # the note it made, which the log proves
    _, result = drive(run)
    return result.messages, action


class _Reference:
    """The uninterrupted run, in a subprocess like the killed ones."""

    messages: tuple
    results: dict
    calls: int


REFERENCE = _Reference()


def test_sigkill_at_random_moments_then_resume(tmp_path):
    agent = start_agent(tmp_path / "whole", tmp_path / "whole.log", 0)
    out, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err
    REFERENCE.calls = int(out)
    whole = load_checkpoint(tmp_path / "whole")
    REFERENCE.messages = whole.final_messages
    REFERENCE.results = {step.tool_call.id: step.tool_result for step in whole.steps}
    assert ran_tags(tmp_path / "whole.log") == TAGS

    chooser = random.Random(SEED)
    points = sorted(chooser.sample(range(1, REFERENCE.calls + 1), KILLS))
    actions = []
    for point in points:
        folder, log = tmp_path / f"kill{point}", tmp_path / f"kill{point}.log"
        agent = start_agent(folder, log, point)
        _, err = agent.communicate(timeout=60)
        assert agent.returncode == -signal.SIGKILL, err
        messages, action = finish(folder, log)
        actions.append(action)
        assert messages == REFERENCE.messages, (point, action)
        assert sorted(ran_tags(log)) == sorted(TAGS), (point, action)  # each tool ran exactly once
    print(f"\n{REFERENCE.calls} calls; kills at {points}:")
    for action in sorted(set(actions)):
        print(f"  {actions.count(action)} x {action}")
