"""Our own traces of several shapes, recorded by real runs, for the tests that
open them many ways (tests/trace/test_fuzz.py, test_native_progressive.py).

Each recorder writes one trace into a directory that does not exist yet.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from looplet_core import ScriptedBackend, ToolCall, composable_loop
from looplet_core.provenance import ProvenanceSink, native, native_loading
from tests.trace.scenarios import (
    TOOLS,
    DenyText,
    InjectAfterExplode,
    RewriteAt,
    WireBackend,
    mixed_script,
    record,
)


def record_mixed(directory: Path) -> None:
    """Tool errors, a denial, an injected message, a text reply, a history rewrite."""
    record(directory, mixed_script(), hooks=[RewriteAt(4), DenyText(), InjectAfterExplode()])


def record_wire(directory: Path) -> None:
    """Raw wire requests stored as deltas across two rewrites."""
    backend = WireBackend(mixed_script(), mark_last=False)
    record(directory, mixed_script(), backend=backend, hooks=[RewriteAt(3, 6)])


def echo_script(steps: int) -> list[Any]:
    """`steps - 1` echoes, then done."""
    return [
        *(ToolCall("echo", {"text": f"line {i}"}) for i in range(steps - 1)),
        ToolCall("done", {"answer": "ok"}),
    ]


HUMAN_ACTIONS = [
    ("approve", None),
    ("edit", {"text": "edited"}),
    ("reject", "not that, try again"),
]


def record_human(
    directory: Path, steps: int = 6, annotations: dict[str, Any] | None = None
) -> None:
    """Every step after the first is preceded by a person's decision about it; the last
    decision is about a step that never ran (the model called done instead).
    `annotations` are left in the trace after the run, as a grader would."""
    sink = ProvenanceSink(directory)
    loop = composable_loop(
        ScriptedBackend(echo_script(steps)), TOOLS, "decide", hooks=[sink], max_steps=steps
    )
    for step in loop:
        action, after = HUMAN_ACTIONS[step.number % len(HUMAN_ACTIONS)]
        sink.record_human(step.number + 1, action, {"text": "before"}, after)
    for key, value in (annotations or {}).items():
        sink.annotate(key, value)


def record_running(directory: Path) -> None:
    """A copy taken while the run is paused after its third step: no end, no summary."""
    live = directory.parent / f"{directory.name}-live"
    loop = composable_loop(
        ScriptedBackend(echo_script(6)), TOOLS, "still going", hooks=[ProvenanceSink(live)]
    )
    for _ in range(3):
        next(loop)
    shutil.copytree(live, directory)
    loop.close()


NATIVE: dict[str, Callable[[Path], None]] = {
    "mixed": record_mixed,
    "wire": record_wire,
    "human": record_human,
    "running": record_running,
}
"""The shapes the fuzz tests damage, by name."""


@contextmanager
def smallest_slices() -> Iterator[None]:
    """Progressive opens of our traces read one line at a time: a progressive open
    holds one step, and each `index_more(0)` reads about one more line (the
    recorded runs are far shorter than a real first slice)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(native, "FIRST_STEPS", 1)
        patch.setattr(native_loading, "SLICE_BYTES", 1)
        patch.setattr(native_loading, "SLICE_LINES", 1)
        yield
