"""What replaying and showing a trace cost, against recording the same run.

    python bench/replay.py [STEPS]      # default 10 000; writes to a temp dir, removes it

One scripted run of STEPS tool calls (a trivial `add` tool, one call per
turn) is recorded with a ProvenanceSink; that recording is the baseline.
Then the same trace is replayed in full mode (recorded results, no tool runs)
and in captured mode (the tool runs again), each writing its own trace, and
`looplet show` prints it to nowhere.  Each figure is the median of three runs,
printed with its ratio to the recording measured in this run, because the
machines here are noisy.  There is no goal: a replay reads every step's
detail before it starts (so a damaged trace is refused up front), and that
read is most of the difference.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from looplet_core import ScriptedBackend, ToolCall, composable_loop, tool
from looplet_core.cli import main as looplet
from looplet_core.provenance import ProvenanceSink
from looplet_core.replay import replay

REPEATS = 3


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def timed(work) -> float:
    times = []
    for _ in range(REPEATS):
        started = perf_counter()
        work()
        times.append(perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    scratch = Path(tempfile.mkdtemp(prefix="looplet-bench-replay-"))
    runs = iter(range(10**6))
    try:
        script = [ToolCall("add", {"a": i, "b": 1}) for i in range(steps - 1)]
        script.append(ToolCall("done", {"answer": "counted"}))
        trace = scratch / "recorded"

        def record() -> None:
            directory = scratch / f"r{next(runs)}"
            loop = composable_loop(
                ScriptedBackend(script),
                [add],
                "count",
                hooks=[ProvenanceSink(directory)],
                max_steps=steps,
            )
            for _ in loop:
                pass
            if not trace.exists():
                directory.rename(trace)

        def full() -> None:
            assert len(replay(trace, out=scratch / f"f{next(runs)}").run().steps) == steps

        def captured() -> None:
            run = replay(trace, mode="captured", tools=[add], out=scratch / f"c{next(runs)}")
            assert len(run.run().steps) == steps

        def show() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                assert looplet(["show", str(trace)]) == 0

        baseline = timed(record)
        print(f"{steps} steps, median of {REPEATS}")
        print(f"  record (baseline)  {baseline:7.2f} s")
        for name, work in (("full replay", full), ("captured replay", captured), ("show", show)):
            seconds = timed(work)
            print(f"  {name:<18} {seconds:7.2f} s  {seconds / baseline:5.2f}x the recording")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
