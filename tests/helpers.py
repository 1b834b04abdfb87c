"""Small helpers shared by test modules."""

from __future__ import annotations

from collections.abc import Generator

from looplet_core import RunResult, Step


def drive(gen: Generator[Step, None, RunResult]) -> tuple[list[Step], RunResult]:
    """Pull every Step from a loop and capture its return value."""
    steps = []
    while True:
        try:
            steps.append(next(gen))
        except StopIteration as stop:
            return steps, stop.value
