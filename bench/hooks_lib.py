"""What the ship-ready hooks cost per step, against a bare loop in the same run.

    python bench/hooks_lib.py           # a few seconds; writes to a temp dir, removes it

Runs of STEPS steps (one call per turn, a trivial tool, a growing conversation)
with: no hooks; an ApprovalHook deciding every call from ten rules; a
CheckpointHook with its pending marker (five appends a step, one fsynced).  Each
configuration runs REPEATS times, interleaved; figures are medians.  The
checkpoint's cost is mostly fsync, so it depends on the disk: the fsync of a
one-line append is timed alone, and the checkpoint runs once more with fsync
turned off, to separate the hook's own work from the disk's.  Then the time `load_checkpoint`
takes to read the finished journal back, and its size on disk.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from looplet_core import LLMResponse, ScriptedBackend, ToolCall, composable_loop, tool
from looplet_core.hooks_lib import ApprovalHook, CheckpointHook, Rule, load_checkpoint

STEPS = 2000
REPEATS = 5
REAL_FSYNC = os.fsync


@tool
def echo(text: str) -> str:
    """Return the text."""
    return text * 4


def script() -> list[LLMResponse]:
    calls = [
        LLMResponse(tool_calls=(ToolCall("echo", {"text": f"step {n} " * 10}),))
        for n in range(STEPS)
    ]
    return [*calls, LLMResponse(tool_calls=(ToolCall("done", {"answer": "ok"}),))]


def approval() -> list[object]:
    rules = [Rule(f"tool_{n}", "deny") for n in range(4)]
    rules += [Rule("echo", "deny", arg="text", pattern=r"^/etc"), Rule("read_*", "allow")]
    rules += [Rule(f"other_{n}", "ask") for n in range(2)]
    rules += [Rule("echo", "allow", arg="text", pattern=r"^step"), Rule("done", "allow")]
    return [ApprovalHook(rules, default="deny")]


def checkpoint(folder: str) -> list[object]:
    hook = CheckpointHook(tempfile.mkdtemp(dir=folder))
    return [hook, hook.last]


def without_fsync(folder: str) -> list[object]:
    """The checkpoint hooks, in a run where fsync does nothing: what the hook costs
    besides the disk's flush (restored by `seconds` when the run ends)."""
    os.fsync = lambda descriptor: None
    return checkpoint(folder)


def seconds(hooks: list[object]) -> float:
    started = perf_counter()
    for _ in composable_loop(
        ScriptedBackend(script()), [echo], "bench", hooks=hooks, max_steps=STEPS + 1
    ):
        pass
    return perf_counter() - started


def fsync_micros(folder: str) -> float:
    descriptor = os.open(
        os.path.join(folder, "fsync-probe"), os.O_WRONLY | os.O_CREAT | os.O_APPEND
    )
    try:
        started = perf_counter()
        for _ in range(200):
            os.write(descriptor, b"x" * 200 + b"\n")
            os.fsync(descriptor)
        return (perf_counter() - started) / 200 * 1e6
    finally:
        os.close(descriptor)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="looplet-bench-") as folder:
        configurations = {
            "no hooks": lambda: [],
            "ApprovalHook, 10 rules": approval,
            "CheckpointHook + last": lambda: checkpoint(folder),
            "  the same, fsync off": lambda: without_fsync(folder),
        }
        times: dict[str, list[float]] = {name: [] for name in configurations}
        for _ in range(REPEATS):
            for name, hooks in configurations.items():
                times[name].append(seconds(hooks()))
        base = statistics.median(times["no hooks"])
        print(f"{STEPS} steps, median of {REPEATS} interleaved runs")
        for name, samples in times.items():
            median = statistics.median(samples)
            extra = (median - base) / STEPS * 1e6
            print(
                f"  {name:24} {median * 1000:8.1f} ms  {median / base:5.2f}x  +{extra:7.1f} µs/step"
            )
        print(f"  fsync of a one-line append alone: {fsync_micros(folder):.1f} µs")
        journal = next(Path(folder).glob("*/checkpoint.jsonl"))
        started = perf_counter()
        loaded = load_checkpoint(journal.parent)
        took = perf_counter() - started
        print(
            f"  load_checkpoint: {took * 1000:.1f} ms for {len(loaded.steps)} steps, "
            f"{journal.stat().st_size / 1e6:.2f} MB journal"
        )


if __name__ == "__main__":
    main()
