"""What replaying and showing a trace cost, against recording the same run.

    python bench/replay.py [STEPS]      # default 10 000, about 15 s; writes to a temp dir

The run is bench/trace_io.py's: STEPS turns of one `read_file` call each, so
the conversation grows by two messages a turn.  Recording it with a
ProvenanceSink is the baseline.  Then the trace is replayed in full mode
(recorded results, no tool runs) and in captured mode (the tool runs again),
each writing its own trace, and `looplet show` prints it to nowhere.  Each
figure is the median of three runs, printed with its ratio to the recording
measured in this run, because the machines here are noisy.  The issues set no
goal.  A replay reads every step and every turn's reply before it starts (so a
damaged trace is refused up front), then runs the loop and records a new
trace, so it cannot cost less than the recording; `looplet show` reads every
step record but no prompt.
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

from trace_io import read_file, run, script  # bench/ is this script's folder

from looplet_core.cli import main as looplet
from looplet_core.replay import replay

REPEATS = 3


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
    responses = script(steps)
    trace = scratch / "recorded"
    try:

        def record() -> None:
            directory = scratch / f"r{next(runs)}"
            run(responses, directory)
            if not trace.exists():
                directory.rename(trace)

        def full() -> None:
            assert len(replay(trace, out=scratch / f"f{next(runs)}").run().steps) == steps

        def captured() -> None:
            again = replay(
                trace, mode="captured", tools=[read_file], out=scratch / f"c{next(runs)}"
            )
            assert len(again.run().steps) == steps

        def show() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                assert looplet(["show", str(trace)]) == 0

        baseline = timed(record)
        print(f"{steps:,} steps with a growing conversation, median of {REPEATS} (no goal set)")
        print(f"  record (baseline)  {baseline:7.2f} s")
        for name, work in (("full replay", full), ("captured replay", captured), ("show", show)):
            seconds = timed(work)
            print(f"  {name:<18} {seconds:7.2f} s  {seconds / baseline:5.2f}x the recording")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
