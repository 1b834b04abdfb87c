"""Helpers for the foreign-format reader tests: fixture copies to damage, and a
walk through the whole reader API that lets only TraceError out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from looplet_core.provenance import Trace, TraceError

FIXTURES = Path(__file__).parent / "fixtures"
LOOPLET04 = FIXTURES / "looplet04"
MINISWEAGENT = FIXTURES / "minisweagent"
FIVE_MB = 5 * 1024 * 1024


def copy_fixture(source: Path, destination: Path) -> Path:
    """A writable copy of a fixture directory or file, at `destination`."""
    if source.is_dir():
        shutil.copytree(source, destination)
    else:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    return destination


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def use_everything(trace: Trace) -> list[str]:
    """Every public call of the reader API; returns the TraceError messages met.

    Anything but TraceError propagates (and fails the test), and every problem
    and error message must be one line.
    """
    errors: list[str] = []

    def attempt(call: Any) -> None:
        try:
            call()
        except TraceError as exc:
            errors.append(str(exc))

    assert len(trace) == len(trace.steps) == len(list(trace.steps))
    attempt(lambda: trace.meta)
    for index in range(len(trace)):
        attempt(lambda index=index: tuple(trace.detail(index).prompt or ()))
        attempt(lambda index=index: trace.step(index))
        attempt(lambda index=index: trace.response(index))
    attempt(trace.conversation)
    attempt(trace.refresh)
    for message in [*trace.problems, *errors]:
        assert "\n" not in message, message
    return errors
