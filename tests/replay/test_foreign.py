"""Replaying traces other programs wrote (looplet 0.4 directories, mini-swe-agent
trajectories), read through the same `open_trace`: steps are grouped by turn and
the model's calls are rebuilt from them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from looplet_core import StopReason, tool, tools_from
from looplet_core.provenance import open_trace
from looplet_core.replay import replay

FIXTURES = Path(__file__).parent.parent / "trace" / "fixtures"
LOOPLET04 = FIXTURES / "looplet04"
MINI = FIXTURES / "minisweagent"


def calls_and_results(steps) -> list[tuple[object, ...]]:
    return [
        (step.tool_call.name, step.tool_call.args, step.tool_result.replace(duration_ms=0.0))
        for step in steps
    ]


def recorded_steps(path: Path) -> list:
    trace = open_trace(path)
    return [trace.detail(i).step for i in range(len(trace))]


@pytest.mark.parametrize(
    ("path", "ending"),
    [
        (LOOPLET04 / "ok_run", StopReason.DONE),
        (LOOPLET04 / "text_protocol_run", StopReason.DONE),
        (LOOPLET04 / "unknown_tool_run", StopReason.DONE),
        (LOOPLET04 / "max_steps_run", StopReason.HOOK),
        (MINI / "toolcall_submitted.traj.json", StopReason.HOOK),
        (MINI / "textbased_submitted.traj.json", StopReason.HOOK),
        (MINI / "deterministic_limits.traj.json", StopReason.HOOK),
    ],
    ids=lambda value: getattr(value, "name", str(value)),
)
def test_a_full_replay_of_a_foreign_trace_reproduces_its_steps(tmp_path, path, ending) -> None:
    result = replay(path, out=tmp_path / "replayed").run()
    recorded = recorded_steps(path)
    assert calls_and_results(result.steps) == calls_and_results(recorded)
    assert [step.number for step in result.steps] == list(range(1, len(recorded) + 1))
    assert result.stop_reason is ending
    if ending is StopReason.HOOK:  # the other program stopped the run; the recording ends there
        meta = open_trace(path).meta
        assert result.reason == (
            f"the recording ends after step {len(recorded)}: the recorded run stopped with "
            f"{meta.stop_reason} ({meta.reason})"
        )


FILES = {
    "notes/todo.txt": "buy milk\nfix the loop\nwrite tests",
    "notes/readme.md": "# Notes\nA tiny in-memory file tree.",
    "src/main.py": "print('hello')",
}
"""The in-memory tree of tests/trace/fixtures/make_looplet04.py."""


def looplet04_tools():
    @tool
    def list_files(prefix: str = "") -> list:
        """List the paths that start with prefix."""
        return sorted(path for path in FILES if path.startswith(prefix))

    @tool
    def read_file(path: str) -> str:
        """Return the text of one file."""
        if path not in FILES:
            raise FileNotFoundError(f"no such file: {path}")
        return FILES[path]

    @tool
    def word_count(path: str) -> dict:
        """Count lines and words of one file."""
        text = FILES[path]
        return {"path": path, "lines": len(text.splitlines()), "words": len(text.split())}

    return tools_from([list_files, read_file, word_count], done_parameters={"summary": str})


def test_a_captured_replay_of_a_looplet_04_run_reruns_equivalent_tools(tmp_path) -> None:
    result = replay(
        LOOPLET04 / "ok_run", mode="captured", tools=looplet04_tools(), out=tmp_path / "r"
    ).run()
    recorded = recorded_steps(LOOPLET04 / "ok_run")
    assert [(s.tool_call.name, s.tool_call.args) for s in result.steps] == [
        (s.tool_call.name, s.tool_call.args) for s in recorded
    ]
    for ours, theirs in zip(result.steps[:4], recorded[:4], strict=True):
        assert (ours.ok, ours.tool_result.data) == (theirs.ok, theirs.tool_result.data)
    assert result.steps[2].tool_result.error == "FileNotFoundError: no such file: notes/missing.txt"
    assert result.stop_reason is StopReason.DONE


def test_a_captured_replay_of_a_mini_swe_agent_run_runs_the_commands_again(tmp_path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()

    @tool
    def bash(command: str) -> str:
        """Run a shell command in the work directory."""
        done = subprocess.run(
            command, shell=True, cwd=workdir, capture_output=True, text=True, timeout=30
        )
        if done.returncode:
            raise RuntimeError(f"returncode {done.returncode}: {done.stdout}{done.stderr}")
        return done.stdout + done.stderr

    path = MINI / "toolcall_submitted.traj.json"
    result = replay(path, mode="captured", tools=[bash], out=tmp_path / "r").run()
    commands = [step.tool_call.args["command"] for step in result.steps]
    assert commands == [step.tool_call.args["command"] for step in recorded_steps(path)]
    assert (workdir / "f.txt").read_text() == "hi\n"  # the commands really ran
    assert result.steps[2].tool_result.data == "hi\n"
    assert not result.steps[3].ok and "missing.txt" in result.steps[3].tool_result.error
    assert result.stop_reason is StopReason.HOOK
    assert result.reason.startswith("the recording ends after step 5: the recorded run stopped")
