"""What the ship-ready hooks cost per step, against a bare loop in the same run.

    python bench/hooks_lib.py           # about 10 s; writes to a temp dir, removes it

Runs of STEPS steps (one call per turn, a trivial tool, a growing conversation)
with: no hooks; MetricsHook; ThresholdCompactHook with a limit the run never
reaches (so it only estimates: the cost every run pays); OTelHook exporting to
the SDK's in-memory exporter (skipped without the `otel` extra); an
ApprovalHook deciding every call from ten rules; a CheckpointHook with its
pending marker (five appends a step, one fsynced), with fsync turned off.
Each configuration runs REPEATS times, interleaved; figures are medians.

The checkpoint's cost is mostly fsync, so it depends on the disk: it also runs
with real fsyncs (FSYNC_STEPS steps, since a disk may take milliseconds each),
and the fsync of a one-line append is timed alone.  Then the time
`load_checkpoint` takes to read a finished journal back, and its size.

The compaction hook estimates only the messages a turn added, so its cost per
turn must not grow with the run: the time spent inside it is measured at STEPS
and at 5 x STEPS and the ratio printed (goal: under 1.5).
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from looplet_core import LLMResponse, ScriptedBackend, ToolCall, composable_loop, tool
from looplet_core.hooks_lib import (
    ApprovalHook,
    CheckpointHook,
    MetricsHook,
    Rule,
    ThresholdCompactHook,
    load_checkpoint,
)

STEPS = 2000
FSYNC_STEPS = 200
"""Steps of the runs that fsync for real: a disk may take milliseconds per fsync."""
REPEATS = 5
GROWTH_GOAL = 1.5
REAL_FSYNC = os.fsync
COMPACTION = "ThresholdCompactHook (estimating)"


@tool
def echo(text: str) -> str:
    """Return the text."""
    return text * 4


def script(steps: int) -> list[LLMResponse]:
    calls = [
        LLMResponse(tool_calls=(ToolCall("echo", {"text": f"step {n} " * 10}),))
        for n in range(steps)
    ]
    return [*calls, LLMResponse(tool_calls=(ToolCall("done", {"answer": "ok"}),))]


def otel() -> list[object] | None:
    try:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        from looplet_core.hooks_lib import OTelHook
    except ImportError:
        return None
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    return [OTelHook(provider)]


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
    besides the disk's flush (restored by `seconds_per_step` when the run ends)."""
    os.fsync = lambda descriptor: None
    return checkpoint(folder)


def seconds_per_step(steps: int, hooks: list[object]) -> float:
    llm = ScriptedBackend(script(steps))
    started = perf_counter()
    try:
        for _ in composable_loop(llm, [echo], "bench", hooks=hooks, max_steps=steps + 1):
            pass
    finally:
        os.fsync = REAL_FSYNC
    return (perf_counter() - started) / (steps + 1)


def medians(steps: int, configurations: dict[str, object]) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in configurations}
    for _ in range(REPEATS):
        for name, hooks in configurations.items():
            samples[name].append(seconds_per_step(steps, hooks()))  # type: ignore[operator]
    return {name: statistics.median(values) for name, values in samples.items()}


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


def per_step(folder: str) -> None:
    configurations: dict[str, object] = {
        "bare loop": list,
        "MetricsHook": lambda: [MetricsHook()],
        COMPACTION: lambda: [ThresholdCompactHook(10**12)],
        "ApprovalHook, 10 rules": approval,
        "CheckpointHook + last, fsync off": lambda: without_fsync(folder),
    }
    if otel() is None:
        print("OTelHook: skipped (pip install '.[otel]')")
    else:
        configurations["OTelHook (in-memory exporter)"] = otel
    print(f"{STEPS} steps, median of {REPEATS} interleaved runs, µs per step")
    show(medians(STEPS, configurations))
    print(f"the same with real fsyncs, {FSYNC_STEPS} steps:")
    show(
        medians(
            FSYNC_STEPS, {"bare loop": list, "CheckpointHook + last": lambda: checkpoint(folder)}
        )
    )
    print(f"  fsync of a one-line append alone: {fsync_micros(folder):.1f} µs")
    journal = max(Path(folder).glob("*/checkpoint.jsonl"), key=lambda path: path.stat().st_size)
    started = perf_counter()
    loaded = load_checkpoint(journal.parent)
    took = perf_counter() - started
    print(
        f"  load_checkpoint: {took * 1000:.1f} ms for {len(loaded.steps)} steps, "
        f"{journal.stat().st_size / 1e6:.2f} MB journal"
    )


def show(results: dict[str, float]) -> None:
    base = results["bare loop"]
    for name, seconds in results.items():
        extra = "" if name == "bare loop" else f"  +{(seconds - base) * 1e6:6.1f}"
        print(f"  {name:<34} {seconds * 1e6:7.1f}  {seconds / base:5.2f}x{extra}")


class TimedCompaction(ThresholdCompactHook):
    """ThresholdCompactHook adding up the time its pre_prompt takes: all it does per turn."""

    seconds = 0.0

    def pre_prompt(self, state, prompt):  # type: ignore[no-untyped-def]
        started = perf_counter()
        try:
            return super().pre_prompt(state, prompt)
        finally:
            self.seconds += perf_counter() - started


def compaction_growth() -> bool:
    """The compaction estimate's own time per turn at 5 x STEPS over STEPS steps.

    Timed inside the hook, since the difference of two loop timings is mostly
    noise; with the garbage collector off, since a collection that happens to
    start inside the hook would charge it with a scan of the whole heap, which
    grows with the run whatever the hook does; the fastest of REPEATS
    interleaved runs per size, since other work on the machine only adds.
    """
    samples: dict[int, list[float]] = {STEPS: [], 5 * STEPS: []}
    gc.disable()
    try:
        seconds_per_step(STEPS, [TimedCompaction(10**12)])  # warm-up
        for _ in range(REPEATS):  # interleaved, so both sizes share the machine's moods
            for steps, times in samples.items():
                hook = TimedCompaction(10**12)
                seconds_per_step(steps, [hook])
                times.append(hook.seconds / (steps + 1))
    finally:
        gc.enable()
    per_turn = {steps: min(times) for steps, times in samples.items()}  # noise only adds
    growth = per_turn[5 * STEPS] / per_turn[STEPS]
    ok = growth < GROWTH_GOAL
    print(
        f"compaction estimate, µs per turn inside the hook: {per_turn[STEPS] * 1e6:.1f} at "
        f"{STEPS} steps, {per_turn[5 * STEPS] * 1e6:.1f} at {5 * STEPS}: {growth:.2f}x   "
        f"goal < {GROWTH_GOAL}   {'PASS' if ok else 'FAIL'}"
    )
    return ok


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="looplet-bench-") as folder:
        per_step(folder)
    return 0 if compaction_growth() else 1


if __name__ == "__main__":
    raise SystemExit(main())
