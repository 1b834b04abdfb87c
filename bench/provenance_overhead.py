"""What recording a trace costs: per step, on disk, and to read back.

    python bench/provenance_overhead.py [steps]     # default 10 000

Per-step time uses ScriptedBackend and a trivial tool (one call per turn, so
every step also pays for one model-call record), with and without a
ProvenanceSink, interleaved and repeated; each figure is the median. Machines
here are noisy, so compare the two figures of one run, not figures across runs.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from looplet_core import (  # noqa: E402
    ScriptedBackend,
    ToolCall,
    composable_loop,
    tool,
    tools_from,
)
from looplet_core.provenance import ProvenanceSink, open_trace  # noqa: E402

REPEATS = 5


@tool
def echo(n: int) -> int:
    """Return n."""
    return n


def run(steps: int, directory: str | None, **sink_options: object) -> tuple[float, list, object]:
    registry = tools_from([echo])
    llm = ScriptedBackend(
        [ToolCall("echo", {"n": i}) for i in range(steps - 1)] + [ToolCall("done", {})]
    )
    hooks = [] if directory is None else [ProvenanceSink(directory, **sink_options)]
    loop = composable_loop(llm, registry, "echo", hooks=hooks, max_steps=steps)
    started = perf_counter()
    recorded = []
    while True:
        try:
            recorded.append(next(loop))
        except StopIteration as stop:
            result = stop.value
            break
    return (perf_counter() - started) * 1e6 / steps, recorded, result


def payload_bytes(steps: list, result: object) -> int:
    def size(data: object) -> int:
        return len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())

    responses = [
        {
            "text": "",
            "tool_calls": [{**step.tool_call.to_dict(), "id": ""}],
            "reasoning": "",
            "finish_reason": None,
            "model": None,
            "usage": step.usage.to_dict(),
            "latency_ms": 0.0,
            "cost": None,
        }
        for step in steps
    ]
    return (
        sum(size(m.to_dict()) for m in result.messages)  # type: ignore[attr-defined]
        + sum(size(step.to_dict()) for step in steps)
        + sum(size(r) for r in responses)
    )


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    work = Path(tempfile.mkdtemp(prefix="looplet-bench-"))
    try:
        variants = {"no sink": None, "sink": {}, "sink, redact=False": {"redact": False}}
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for repeat in range(REPEATS):
            for name, options in variants.items():
                directory = None if options is None else str(work / f"{repeat}-{len(samples)}")
                if directory is not None and os.path.exists(directory):
                    shutil.rmtree(directory)
                per_step, recorded, result = run(steps, directory, **(options or {}))
                samples[name].append(per_step)
                if directory is not None and repeat < REPEATS - 1:
                    shutil.rmtree(directory)
        base = statistics.median(samples["no sink"])
        print(f"{steps} steps, median of {REPEATS}:")
        for name, values in samples.items():
            median = statistics.median(values)
            extra = "" if name == "no sink" else f"  (+{median - base:.1f} µs/step)"
            print(f"  {name:<20} {median:6.1f} µs/step{extra}")

        directory = work / "last"
        _, recorded, result = run(steps, str(directory))
        on_disk = sum(path.stat().st_size for path in directory.iterdir())
        payload = payload_bytes(recorded, result)
        print(
            f"  on disk {on_disk / 1e6:.2f} MB, payload {payload / 1e6:.2f} MB, "
            f"ratio {on_disk / payload:.3f}"
        )
        started = perf_counter()
        trace = open_trace(directory)
        opened = perf_counter() - started
        started = perf_counter()
        trace.detail(len(trace) - 1)
        last = perf_counter() - started
        started = perf_counter()
        for i in range(len(trace) - 2, len(trace) - 102, -1):
            trace.detail(i)
        back = (perf_counter() - started) / 100
        print(
            f"  open {opened * 1e3:.0f} ms, detail(last) cold {last * 1e3:.0f} ms, "
            f"then {back * 1e6:.0f} µs per step going back"
        )
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
