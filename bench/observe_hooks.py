"""What the observing hooks cost per step, against a bare loop in the same run.

    python bench/observe_hooks.py        # a few seconds

Runs of STEPS steps (one call per turn, a trivial tool, a growing conversation)
with: no hooks; MetricsHook; ThresholdCompactHook with a limit the run never
reaches (so it only estimates: the cost every run pays); OTelHook exporting
to the SDK's in-memory exporter (skipped without the `otel` extra).  Each
configuration runs REPEATS times, interleaved; figures are medians.

The compaction hook estimates only the messages a turn added, so its cost per
step must not grow with the run: it is measured at STEPS and at 5 × STEPS and
the ratio printed (goal: under 1.5).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from looplet_core import LLMResponse, ScriptedBackend, ToolCall, composable_loop, tool
from looplet_core.hooks_lib import MetricsHook, ThresholdCompactHook

STEPS = 2000
REPEATS = 5
GROWTH_GOAL = 1.5


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


def otel_hooks() -> list[object] | None:
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


def run_once(steps: int, hooks: list[object]) -> float:
    """Seconds per step for one run."""
    llm = ScriptedBackend(script(steps))
    started = perf_counter()
    for _ in composable_loop(llm, [echo], "echo", hooks=hooks, max_steps=steps + 1):
        pass
    return (perf_counter() - started) / (steps + 1)


def medians(steps: int, configs: dict[str, object]) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(REPEATS):
        for name, make in configs.items():
            samples[name].append(run_once(steps, make()))  # type: ignore[operator]
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    configs: dict[str, object] = {
        "bare loop": list,
        "MetricsHook": lambda: [MetricsHook()],
        "ThresholdCompactHook (estimating)": lambda: [ThresholdCompactHook(10**12)],
    }
    if otel_hooks() is not None:
        configs["OTelHook (in-memory exporter)"] = otel_hooks
    else:
        print("OTelHook: skipped (pip install '.[otel]')")
    results = medians(STEPS, configs)
    base = results["bare loop"]
    print(f"{STEPS} steps, median of {REPEATS} runs, µs per step (and extra over the bare loop)")
    for name, seconds in results.items():
        extra = "" if name == "bare loop" else f"  (+{(seconds - base) * 1e6:.1f} µs)"
        print(f"  {name:<36} {seconds * 1e6:8.1f}{extra}")

    compaction = {"ThresholdCompactHook (estimating)": configs["ThresholdCompactHook (estimating)"]}
    short = medians(STEPS, {"bare": list, **compaction})
    long = medians(5 * STEPS, {"bare": list, **compaction})
    name = "ThresholdCompactHook (estimating)"
    growth = (long[name] - long["bare"]) / max(short[name] - short["bare"], 1e-9)
    verdict = "PASS" if growth < GROWTH_GOAL else "FAIL"
    print(
        f"compaction estimate per step at {5 * STEPS} vs {STEPS} steps: "
        f"{growth:.2f}x (goal < {GROWTH_GOAL}) {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
