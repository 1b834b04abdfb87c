"""The `looplet` and `looplet-tui` entry points, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def test_looplet_tui_help_works() -> None:
    out = run(str(BIN / "looplet-tui"), "--help")
    assert out.returncode == 0
    assert out.stdout.startswith("usage: looplet-tui")


def test_looplet_demo_prints_one_pretty_line_per_step() -> None:
    out = run(str(BIN / "looplet"), "demo")
    assert out.returncode == 0, out.stderr
    step_lines = [line for line in out.stdout.splitlines() if line.startswith("#")]
    assert len(step_lines) == 9
    assert step_lines[0].startswith("#1 ✓ list_files(directory='.') → 4 items [")
    assert "stopped: done" in out.stdout
    assert "Traceback" not in out.stderr


def test_unknown_looplet_command_is_a_usage_error() -> None:
    out = run(str(BIN / "looplet"), "frobnicate")
    assert out.returncode == 2
    assert "invalid choice" in out.stderr
