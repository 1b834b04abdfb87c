"""`looplet replay`: full, captured and forked replays from the command line, the
backend and tools specs, and one-line errors with exit 2 for bad arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from looplet_core.cli import main
from looplet_core.examples.demo import build_demo
from looplet_core.provenance import open_trace
from tests.replay.cli_specs import WORKSPACE
from tests.replay.demo_run import files_under, record_demo

LOOPLET = str(Path(sys.executable).parent / "looplet")
ROOT = Path(__file__).parent.parent.parent


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def step_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


CAPTURED = ("--mode", "captured", "--tools", "tests.replay.cli_specs:demo_tools")
"""A captured replay with the demo's real tools, working on the $LOOPLET_TEST_WORKSPACE."""


def demo_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    workspace = tmp_path / "w"
    build_demo(workspace)
    monkeypatch.setenv(WORKSPACE, str(workspace))
    return workspace


def test_a_full_replay_prints_the_steps_and_writes_a_trace(tmp_path, capsys) -> None:
    trace, steps, _ = record_demo(tmp_path)
    out_dir = tmp_path / "again"
    code, out, err = run_main(capsys, "replay", str(trace), "--out", str(out_dir))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"replaying {trace} (full)"
    assert step_lines(out) == [step.pretty() for step in steps]  # recorded results, same timings
    assert "\nstopped: done (done was called) after 9 steps\n" in out
    assert out.splitlines()[-1] == f"trace: {out_dir}"
    header = json.loads((out_dir / "header.json").read_text())
    assert header["forked_from"] == {"path": str(trace), "step": None, "mode": "full"}
    assert len(open_trace(out_dir)) == 9


def test_a_captured_replay_runs_the_tools_it_is_given(tmp_path, capsys, monkeypatch) -> None:
    trace, _, _ = record_demo(tmp_path)
    workspace = demo_workspace(tmp_path, monkeypatch)
    code, out, _ = run_main(capsys, "replay", str(trace), *CAPTURED, "--out", str(tmp_path / "a"))
    assert code == 0
    assert len(step_lines(out)) == 9 and "stopped: done" in out
    assert files_under(workspace) == files_under(tmp_path / "recorded-workspace")


def test_a_diverging_replay_says_where_and_exits_1(tmp_path, capsys, monkeypatch) -> None:
    trace, _, _ = record_demo(tmp_path)
    workspace = demo_workspace(tmp_path, monkeypatch)
    (workspace / "notes.txt").unlink()  # a different result at step 1 is not a divergence...
    events = trace / "events.jsonl"  # ...a call that differs from the recording is
    lines = events.read_bytes().splitlines(keepends=True)
    turn_2 = next(i for i, line in enumerate(lines) if b'"turn":2,' in line and b'"call"' in line)
    lines[turn_2] = lines[turn_2].replace(b'"path":"notes.txt"', b'"path":"nopes.txt"')
    events.write_bytes(b"".join(lines))
    code, out, _ = run_main(capsys, "replay", str(trace), *CAPTURED, "--out", str(tmp_path / "a"))
    assert code == 1
    assert len(step_lines(out)) == 1
    assert (
        "stopped: diverged (step 2: expected read_file(path='notes.txt'), "
        "got read_file(path='nopes.txt')) after 1 steps"
    ) in out


def test_a_fork_continues_with_a_scripted_backend_file(tmp_path, capsys) -> None:
    trace, steps, _ = record_demo(tmp_path)
    script = tmp_path / "live.json"
    script.write_text(json.dumps([{"name": "done", "args": {"answer": "left the draft"}}]))
    code, out, _ = run_main(
        capsys,
        "replay",
        str(trace),
        "--fork-at",
        "7",
        "--backend",
        f"scripted:{script}",
        "--out",
        str(tmp_path / "fork"),
    )
    assert code == 0
    assert out.splitlines()[0] == f"replaying {trace} (full, live from step 7)"
    lines = step_lines(out)
    assert lines[:6] == [step.pretty() for step in steps[:6]]
    assert lines[6].startswith("#7 ✓ done(answer='left the draft') → {answer}")
    header = json.loads((tmp_path / "fork" / "header.json").read_text())
    assert header["forked_from"]["step"] == 7


def test_a_backend_factory_can_be_named_by_module(tmp_path, capsys) -> None:
    trace, _, _ = record_demo(tmp_path)
    code, out, _ = run_main(
        capsys,
        "replay",
        str(trace),
        "--fork-at",
        "2",
        "--backend",
        "tests.replay.cli_specs:finishing_backend",
        "--out",
        str(tmp_path / "fork"),
    )
    assert code == 0
    assert step_lines(out)[-1].startswith("#2 ✓ done(answer='from a factory')")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fork-at", "3"], "--fork-at K and --backend SPEC go together"),
        (["--backend", "scripted:x.json"], "--fork-at K and --backend SPEC go together"),
        (["--mode", "captured"], "--mode captured runs the tools again: give --tools MODULE:ATTR"),
        (
            ["--fork-at", "99", "--backend", "tests.replay.cli_specs:finishing_backend"],
            "fork_at must be a step from 1 to 10, not 99",
        ),
        (
            ["--fork-at", "2", "--backend", "scripted:/no/such/script.json"],
            "/no/such/script.json: cannot be read (No such file or directory)",
        ),
        (
            ["--fork-at", "2", "--backend", "nonsense"],
            "--backend nonsense: expected scripted:FILE, openai:MODEL, anthropic:MODEL "
            "or MODULE:FACTORY",
        ),
        (
            ["--fork-at", "2", "--backend", "no_such_module_x:make"],
            "--backend no_such_module_x:make: cannot import no_such_module_x "
            "(ModuleNotFoundError: No module named 'no_such_module_x')",
        ),
        (
            ["--tools", "tests.replay.cli_specs:nothing_here"],
            "--tools tests.replay.cli_specs:nothing_here: "
            "tests.replay.cli_specs has no nothing_here",
        ),
        (
            ["--tools", "tests.replay.cli_specs:broken_factory"],
            "--tools tests.replay.cli_specs:broken_factory: the factory failed "
            "(RuntimeError: no workspace configured)",
        ),
        (
            ["--tools", "tests.replay.cli_specs:not_tools"],
            "--tools tests.replay.cli_specs:not_tools: not a ToolRegistry or a list of tools",
        ),
    ],
)
def test_bad_replay_arguments_are_one_line_and_exit_2(tmp_path, capsys, extra, message) -> None:
    trace, _, _ = record_demo(tmp_path)
    code, out, err = run_main(capsys, "replay", str(trace), "--out", str(tmp_path / "o"), *extra)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("looplet replay: ")
    assert message in err
    assert not (tmp_path / "o").exists()  # nothing was recorded


def test_a_bad_scripted_backend_file_names_the_turn(tmp_path, capsys) -> None:
    trace, _, _ = record_demo(tmp_path)
    script = tmp_path / "live.json"
    script.write_text(json.dumps(["fine", {"args": {}}]))
    code, _, err = run_main(
        capsys, "replay", str(trace), "--fork-at", "2", "--backend", f"scripted:{script}"
    )
    assert code == 2
    assert err.startswith(f"looplet replay: {script}: turn 2: ValueError: expected a string")
    script.write_text("[{")
    code, _, err = run_main(
        capsys, "replay", str(trace), "--fork-at", "2", "--backend", f"scripted:{script}"
    )
    assert code == 2 and err.startswith(f"looplet replay: {script}: not a JSON script (")


def test_replaying_an_unreadable_path_exits_2(tmp_path, capsys) -> None:
    code, out, err = run_main(capsys, "replay", str(tmp_path / "nothing"))
    assert (code, out) == (2, "")
    assert err.startswith(f"looplet replay: {tmp_path / 'nothing'}") and err.count("\n") == 1


def test_the_installed_command_replays_a_trace(tmp_path, monkeypatch) -> None:
    trace, _, _ = record_demo(tmp_path)
    workspace = demo_workspace(tmp_path, monkeypatch)  # the subprocess inherits the variable
    out = subprocess.run(
        [LOOPLET, "replay", str(trace), *CAPTURED, "--out", str(tmp_path / "again")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,  # MODULE:ATTR specs import from the current directory
    )
    assert (out.returncode, out.stderr) == (0, "")
    assert len(step_lines(out.stdout)) == 9
    assert files_under(workspace) == files_under(tmp_path / "recorded-workspace")
