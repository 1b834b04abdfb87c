"""`looplet-tui open`: exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from looplet_tui import cli
from looplet_tui.app import LoopletApp


def _missing(tmp: Path) -> tuple[Path, Path]:
    return tmp / "no-such-run", tmp / "no-such-run"


def _empty_directory(tmp: Path) -> tuple[Path, Path]:
    return tmp, tmp


def _plain_file(tmp: Path) -> tuple[Path, Path]:
    (tmp / "notes.txt").write_text("hello")
    return tmp / "notes.txt", tmp  # a file stands for the directory holding it


def _garbage_trace(tmp: Path) -> tuple[Path, Path]:
    (tmp / "events.jsonl").write_bytes(b"\x00\xff garbage")
    return tmp, tmp


@pytest.mark.parametrize("make", [_missing, _empty_directory, _plain_file, _garbage_trace])
def test_an_unreadable_path_exits_2_with_one_line_naming_it(tmp_path, capsys, make) -> None:
    path, named = make(tmp_path)
    assert cli.main(["open", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("looplet-tui: ")
    assert str(named) in err


def test_the_real_command_prints_no_traceback(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "looplet_tui.cli", "open", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_bad_usage_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["open"])
    assert exit_info.value.code == 2


def test_open_runs_the_app_on_the_trace(small_run: Path, monkeypatch) -> None:
    ran: list[LoopletApp] = []
    monkeypatch.setattr(LoopletApp, "run", lambda self: ran.append(self))
    assert cli.main(["open", str(small_run), "--follow"]) == 0
    (app,) = ran
    assert len(app.source) == 6
    assert app.source.name == "small-run"
    assert app.follow is True


def test_a_file_inside_a_trace_opens_its_trace(small_run: Path, monkeypatch) -> None:
    ran: list[LoopletApp] = []
    monkeypatch.setattr(LoopletApp, "run", lambda self: ran.append(self))
    assert cli.main(["open", str(small_run / "index.jsonl")]) == 0
    assert len(ran[0].source) == 6
