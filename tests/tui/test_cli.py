"""`looplet-tui open`: exit codes and one-line errors."""

from __future__ import annotations

import gc
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from looplet_tui import cli
from looplet_tui.app import LoopletApp
from tests.tui.traces import record, small_script


@pytest.fixture(autouse=True)
def collections_restored():  # type: ignore[no-untyped-def]
    """`main` turns the garbage collector off and freezes what it read; undo both."""
    yield
    gc.enable()
    gc.unfreeze()


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
        cli.main(["open", "one", "two"])
    assert exit_info.value.code == 2


def test_open_runs_the_app_on_the_trace(small_run: Path, monkeypatch) -> None:
    ran = _ran(monkeypatch)
    assert cli.main(["open", str(small_run), "--follow"]) == 0
    (app,) = ran
    assert len(app.source) == 6
    assert app.source.name == "small-run"
    assert app.follow is True


def test_a_file_inside_a_trace_opens_its_trace(small_run: Path, monkeypatch) -> None:
    ran = _ran(monkeypatch)
    assert cli.main(["open", str(small_run / "index.jsonl")]) == 0
    assert len(ran[0].source) == 6


def _ran(monkeypatch) -> list[LoopletApp]:
    """Collect the apps `main` would run, instead of running them."""
    ran: list[LoopletApp] = []
    monkeypatch.setattr(LoopletApp, "run", lambda self: ran.append(self))
    return ran


def test_a_directory_of_runs_opens_the_browser(tmp_path, small_run, monkeypatch) -> None:
    ran = _ran(monkeypatch)
    record(tmp_path / "runs" / "second", small_script())
    shutil.move(small_run, tmp_path / "runs" / "first")
    assert cli.main(["open", str(tmp_path / "runs"), "--follow"]) == 0
    (app,) = ran
    assert app.source is None
    assert app.follow is True  # for the runs it opens
    assert app.runs_root == str(tmp_path / "runs")
    assert [run.name for run in app.runs] == ["first", "second"]


def test_without_a_path_it_browses_the_default_runs_directory(
    tmp_path, small_run, monkeypatch
) -> None:
    ran = _ran(monkeypatch)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".looplet").mkdir()
    shutil.move(small_run, tmp_path / ".looplet" / "runs" / "only")
    assert cli.main(["open"]) == 0
    assert ran[0].runs_root == cli.DEFAULT_RUNS
    assert [run.name for run in ran[0].runs] == ["only"]


def test_without_a_path_or_default_runs_it_exits_2(tmp_path, monkeypatch, capsys) -> None:
    ran = _ran(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["open"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and cli.DEFAULT_RUNS in err
    assert ran == []


def test_a_directory_without_runs_exits_2_saying_so(tmp_path, monkeypatch, capsys) -> None:
    ran = _ran(monkeypatch)
    (tmp_path / "empty" / "deeper").mkdir(parents=True)
    (tmp_path / "empty" / "notes.txt").write_text("no runs here")
    assert cli.main(["open", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no runs" in err and str(tmp_path / "empty") in err
    assert ran == []


async def test_collections_off_while_starting_come_back_after_the_first_paint(
    small_run, monkeypatch
) -> None:
    started = _ran(monkeypatch)
    assert cli.main(["open", str(small_run)]) == 0
    assert not gc.isenabled()  # the CLI starts the app with collections off
    async with started[0].run_test() as pilot:
        await pilot.pause()
        await pilot.pause()
        assert gc.isenabled()
