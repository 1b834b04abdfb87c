"""`looplet eval PATH... --evals FILE`: the table, --json, --tag, and the exit status
(0 all pass, 1 something failed, 2 bad input with one line and nothing graded)."""

from __future__ import annotations

import json

import pytest

from looplet_core.cli import main
from tests.evals.runs import FIXTURES, FOREIGN, SAMPLE_EVALS, record_demo


def run(capsys, *argv):
    status = main(["eval", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_failing_grader_gives_exit_1_and_the_table_says_which(capsys) -> None:
    status, out, err = run(capsys, FIXTURES, "--evals", SAMPLE_EVALS)
    assert (status, err) == (1, "")
    blocks = {block.splitlines()[0].split("  (")[0]: block for block in out.split("\n\n")[:-1]}
    assert set(blocks) == {str(path) for path in FOREIGN}
    capped = blocks[str(FIXTURES / "looplet04" / "max_steps_run")]
    assert "(looplet-0.4, max_steps, 3 steps)" in capped
    assert "  FAIL  eval_finished\n" in capped
    assert "  FAIL  eval_stop_reason                   got 'max_steps', expected 'done'" in capped
    ok = blocks[str(FIXTURES / "looplet04" / "ok_run")]
    assert "  PASS  eval_mostly_ok                     0.8 ≥ 0.75" in ok
    assert '  INFO  eval_size                          {"steps": 5, "tokens": 0}' in ok
    assert out.splitlines()[-1].startswith("7 traces, 5 graders: ")


def test_json_counts_match_the_table(capsys) -> None:
    _, table, _ = run(capsys, FIXTURES, "--evals", SAMPLE_EVALS)
    status, out, _ = run(capsys, FIXTURES, "--evals", SAMPLE_EVALS, "--json")
    report = json.loads(out)
    assert status == 1 and len(report["traces"]) == 7
    assert report["graders"][0] == "eval_finished"
    statuses = [r["status"] for t in report["traces"] for r in t["results"]]
    summary = table.splitlines()[-1]
    assert f"{statuses.count('pass')} passed, {statuses.count('fail')} failed" in summary
    assert report["failed"] == statuses.count("fail") + statuses.count("error") > 0


def test_only_passing_graders_give_exit_0(capsys) -> None:
    runs = [
        FIXTURES / "looplet04" / "ok_run",
        FIXTURES / "minisweagent" / "toolcall_submitted.traj.json",
    ]
    status, out, _ = run(capsys, *runs, "--evals", SAMPLE_EVALS, "--tag", "smoke")
    assert status == 0
    assert out.splitlines()[-1] == "2 traces, 2 graders: 4 passed, 0 failed, 0 errors, 0 info"


def test_a_recorded_demo_run_passes_the_sample_evals(capsys, tmp_path) -> None:
    path, _, _, _ = record_demo(tmp_path)
    status, out, _ = run(capsys, path, "--evals", SAMPLE_EVALS)
    assert status == 0 and "FAIL" not in out and "ERROR" not in out
    assert "(looplet-trace/1, done, 9 steps)" in out


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["{fixtures}", "--evals", "{tmp}/none.py"], "none.py: no such evals file"),
        (["{fixtures}", "--evals", "{tmp}/broken.py"], "broken.py: line 1: syntax error"),
        (["{tmp}/missing", "--evals", "{sample}"], "missing: no such trace, file or folder"),
        (["{tmp}/empty", "--evals", "{sample}"], "empty: no traces found in this folder"),
        (["{tmp}/junk.json", "--evals", "{sample}"], "junk.json: "),
        (["{fixtures}", "--evals", "{sample}", "--tag", "nightly"], "no eval_* function has"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, argv, problem) -> None:
    (tmp_path / "broken.py").write_text("def eval_x(:\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "junk.json").write_text("not a trace")
    values = {"fixtures": FIXTURES, "tmp": tmp_path, "sample": SAMPLE_EVALS}
    status, out, err = run(capsys, *(arg.format(**values) for arg in argv))
    assert (status, out) == (2, "")
    assert err.startswith("looplet eval: ") and problem in err and err.count("\n") == 1


def test_the_evals_option_is_required(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["eval", str(FIXTURES)])
    assert exited.value.code == 2
    assert "--evals" in capsys.readouterr().err


def test_what_graders_and_traces_say_is_made_terminal_safe(capsys, tmp_path) -> None:
    evals = tmp_path / "evals.py"
    evals.write_text("def eval_label(ctx):\n    return '\\x1b[31mred\\x1b]0;title\\x07'\n")
    status, out, _ = run(capsys, FIXTURES / "looplet04" / "ok_run", "--evals", evals)
    assert status == 0 and "\x1b" not in out and "\x07" not in out
    assert "\\x1b[31mred" in out
