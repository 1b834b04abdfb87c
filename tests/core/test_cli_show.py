"""`looplet show`: the header, one pretty() line per step, problems, --json, and exit 2
with one line for anything unreadable.  Run in-process through `main(argv)`, plus
real subprocesses of the installed command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from looplet_core import ScriptedBackend, Step, ToolCall, composable_loop, tool
from looplet_core.cli import main
from looplet_core.examples.demo import TASK
from looplet_core.provenance import ProvenanceSink
from looplet_core.replay import replay
from tests.helpers import drive
from tests.replay.demo_run import record_demo

LOOPLET = str(Path(sys.executable).parent / "looplet")
FIXTURES = Path(__file__).parent.parent / "trace" / "fixtures"


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_prints_the_header_every_step_and_no_problems(tmp_path, capsys) -> None:
    trace, steps, result = record_demo(tmp_path)
    code, out, err = run_main(capsys, "show", str(trace))
    assert (code, err) == (0, "")
    header, body = out.split("\n\n", 1)
    fields = dict(line.split(":", 1) for line in header.splitlines())
    assert fields["trace"].strip() == f"{trace} (looplet-trace/1)"
    assert fields["task"].strip().startswith("Tidy the workspace: move documents")
    assert fields["model"].strip() == "scripted-demo"
    assert fields["stopped"].strip() == "done (done was called)"
    assert fields["steps"].strip() == "9 in 8 turns"
    usage = result.usage
    assert fields["tokens"].strip() == f"{usage.input_tokens:,} in, {usage.output_tokens:,} out"
    assert fields["cost"].strip() == "n/a"
    assert fields["duration"].strip().endswith(" ms")
    assert body.splitlines() == [step.pretty() for step in steps]
    assert "problems" not in out


def test_show_says_which_trace_a_replay_replayed(tmp_path, capsys) -> None:
    trace, _, _ = record_demo(tmp_path)
    live = ScriptedBackend([ToolCall("done", {"answer": "early"})])
    replay(trace, fork_at=9, llm=live, out=tmp_path / "fork").run()
    code, out, _ = run_main(capsys, "show", str(tmp_path / "fork"))
    assert code == 0
    assert f"replay:   of {trace} at step 9 (full)" in out.splitlines()
    _, plain, _ = run_main(capsys, "show", str(trace))
    assert "replay:" not in plain


def test_show_json_is_the_meta_every_step_and_the_problems(tmp_path, capsys) -> None:
    trace, steps, result = record_demo(tmp_path)
    code, out, _ = run_main(capsys, "show", str(trace), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["path"] == str(trace)
    meta = data["meta"]
    assert (meta["task"], meta["model"], meta["stop_reason"]) == (TASK, "scripted-demo", "done")
    assert meta["usage"] == result.usage.to_dict() and meta["steps"] == 9
    assert [Step.from_dict(entry) for entry in data["steps"]] == steps
    assert [entry["pretty"] for entry in data["steps"]] == [step.pretty() for step in steps]
    assert data["problems"] == []


def test_show_lists_the_problems_of_a_damaged_trace(tmp_path, capsys) -> None:
    trace, steps, _ = record_demo(tmp_path)
    (trace / "summary.json").unlink()
    events = trace / "events.jsonl"
    events.write_bytes(events.read_bytes()[:-20])  # tear the end record
    code, out, _ = run_main(capsys, "show", str(trace))
    assert code == 0
    problems = out.split("\nproblems:\n", 1)[1].splitlines()
    assert "  summary.json missing: the run did not finish" in problems
    assert any(line.startswith("  torn record at events.jsonl line") for line in problems)
    assert "stopped:  did not finish" in out
    assert [line for line in out.splitlines() if line.startswith("#")] == [
        s.pretty() for s in steps
    ]


HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\u202eevil\x9b"


def test_show_makes_escape_sequences_from_the_trace_visible(tmp_path, capsys) -> None:
    @tool
    def echo(text: str) -> dict:
        """Return a dict keyed by the text."""
        return {text: 1}

    llm = ScriptedBackend(
        [
            ToolCall("echo", {"text": HOSTILE}),
            ToolCall(f"no{HOSTILE}such", {HOSTILE: HOSTILE}),  # the model may name anything
            ToolCall("done", {"answer": HOSTILE}),
        ]
    )
    drive(composable_loop(llm, [echo], f"task {HOSTILE}", hooks=[ProvenanceSink(tmp_path / "t")]))
    for argv in (["show", str(tmp_path / "t")], ["show", str(tmp_path / "t"), "--json"]):
        code, out, _ = run_main(capsys, *argv)
        assert code == 0
        assert not any((ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0 for c in out), argv
        assert "\u202e" not in out
    code, out, _ = run_main(capsys, "show", str(tmp_path / "t"))
    assert "task:     task \\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred\\u202eevil\\x9b" in out


def file_with(name: str, data: bytes):
    def make(directory: Path) -> Path:
        (directory / name).write_bytes(data)
        return directory / name

    return make


def empty_directory(directory: Path) -> Path:
    (directory / "empty").mkdir()
    return directory / "empty"


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda directory: directory / "missing", "no such"),
        (empty_directory, "empty directory"),
        (file_with("zero.json", b""), "zero.json"),
        (file_with("junk.bin", b"\x00\xff\x1b[31m" * 100), "junk.bin"),
    ],
    ids=["missing", "empty-dir", "zero-bytes", "garbage"],
)
def test_unreadable_input_is_one_line_on_stderr_and_exit_2(tmp_path, capsys, make, problem) -> None:
    path = make(tmp_path)
    code, out, err = run_main(capsys, "show", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"looplet show: {path}")
    assert problem in err and "Traceback" not in err and "\x1b" not in err


def test_bad_arguments_are_one_line_and_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["show"])
    _, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert err == (
        "looplet show: error: the following arguments are required: PATH "
        "(see looplet show --help)\n"
    )
    with pytest.raises(SystemExit):
        main(["show", "x", "--colour"])
    assert capsys.readouterr().err.startswith("looplet: error: unrecognized arguments: --colour")


def test_ctrl_c_and_a_closed_pipe_end_without_a_traceback(tmp_path, capsys, monkeypatch) -> None:
    import looplet_core.commands.show as show_module

    trace, _, _ = record_demo(tmp_path)

    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(show_module, "open_trace", interrupted)
    assert run_main(capsys, "show", str(trace)) == (130, "", "looplet: interrupted\n")
    monkeypatch.undo()

    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["show", str(trace)]) == 141


def test_the_installed_command_shows_a_trace_and_refuses_garbage(tmp_path) -> None:
    trace, steps, _ = record_demo(tmp_path)
    out = subprocess.run([LOOPLET, "show", str(trace)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stderr == ""
    assert [line for line in out.stdout.splitlines() if line.startswith("#")] == [
        step.pretty() for step in steps
    ]
    (tmp_path / "junk").write_bytes(b"\x89PNG\r\n\x1a\n")
    out = subprocess.run([LOOPLET, "show", str(tmp_path / "junk")], capture_output=True, timeout=60)
    assert out.returncode == 2 and out.stdout == b""
    assert out.stderr.count(b"\n") == 1 and b"Traceback" not in out.stderr


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path) -> None:
    """`looplet show BIG | head -1`: the pipe closes while show is still writing."""

    @tool
    def count(n: int) -> int:
        """Return n."""
        return n

    script = [ToolCall("count", {"n": i}) for i in range(3000)]
    drive(
        composable_loop(
            ScriptedBackend(script),
            [count],
            "count",
            hooks=[ProvenanceSink(tmp_path / "big")],
            max_steps=3000,
        )
    )
    process = subprocess.Popen(
        [LOOPLET, "show", str(tmp_path / "big")], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout.readline().startswith(b"trace:")
    process.stdout.close()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 141 and err == b""


def test_show_reads_a_looplet_04_run(capsys) -> None:
    code, out, err = run_main(capsys, "show", str(FIXTURES / "looplet04" / "ok_run"))
    assert (code, err) == (0, "")
    steps = [line for line in out.splitlines() if line.startswith("#")]
    assert len(steps) == 5
    assert steps[0].startswith("#1 ✓ list_files(")
    assert steps[2].startswith("#3 ✗ read_file(") and "ERROR: execution" in steps[2]
    assert steps[4].startswith("#5 ✓ done(")
    assert "(looplet-0.4)" in out.splitlines()[0]
    assert "stopped:  done" in out


def test_show_reads_a_mini_swe_agent_trajectory(capsys) -> None:
    path = FIXTURES / "minisweagent" / "toolcall_submitted.traj.json"
    code, out, err = run_main(capsys, "show", str(path), "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["meta"]["format"] == "mini-swe-agent-1.1"
    commands = [entry["tool_call"]["args"].get("command") for entry in data["steps"]]
    assert commands[:3] == ["ls -la", "echo hi > f.txt", "cat f.txt"]
    assert "cat missing.txt" in commands
    assert data["meta"]["stop_reason"] == "done"
