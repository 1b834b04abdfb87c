"""How much the loop itself costs per step, and how long `import looplet_core` takes.

    python bench/loop_overhead.py            # our numbers
    LOOPLET_REF_PYTHON=/path/to/python ...   # plus looplet 0.4.1, measured in the same run

Per-step time uses ScriptedBackend and a trivial tool, so nearly all of it is
the loop's own work. It must stay flat as the run grows: the 10k figure at most
1.5x the 100 figure. Machines here are shared and noisy, and other work only
ever adds time, so each figure is the fastest of several runs, and the
verdicts are ratios taken within this one run.
"""

from __future__ import annotations

import compileall
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from looplet_core import ScriptedBackend, ToolCall, composable_loop, tool, tools_from  # noqa: E402

SIZES = (100, 1_000, 10_000)
REF_SIZES = (100, 1_000, 3_000)
PER_STEP_BUDGET_US = 20.0
FLATNESS_LIMIT = 1.5
IMPORT_BUDGET_MS = 15.0
IMPORT_SAMPLES = 15


@tool
def echo(n: int) -> int:
    """Return n."""
    return n


def us_per_step(steps: int) -> float:
    """Fastest µs per step of enough repeats to reach ~20k steps in total."""
    registry = tools_from([echo])
    repeats = max(3, 20_000 // steps)
    samples = []
    for _ in range(repeats):
        llm = ScriptedBackend([ToolCall("echo", {"n": 1})] * steps)
        started = perf_counter()
        count = sum(1 for _ in composable_loop(llm, registry, "echo", max_steps=steps))
        samples.append((perf_counter() - started) * 1e6 / steps)
        assert count == steps, (count, steps)
    return min(samples)


def plain_call_us(calls: int = 100_000) -> float:
    """The floor: calling the tool function directly, no loop at all."""
    func = echo.func
    started = perf_counter()
    for _ in range(calls):
        func(n=1)
    return (perf_counter() - started) * 1e6 / calls


def reference_us(python: str, steps: int) -> float:
    script = Path(__file__).with_name("_ref_looplet04.py")
    out = subprocess.run(
        [python, str(script), str(steps)], capture_output=True, text=True, check=True
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["us_per_step"])


def cold_import_ms(python: str, module: str, *flags: str) -> tuple[float, float]:
    """(fastest wall ms of `import module` in fresh processes minus the fastest
    empty one, fastest of the module's own cumulative times from -X importtime).

    Run the caller's bytecode compilation first, as pip does on install: an
    editable checkout run with PYTHONDONTWRITEBYTECODE would time the compiler.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    walls, empties, own = [], [], []
    for _ in range(IMPORT_SAMPLES):
        empties.append(_wall_ms([python, *flags, "-c", "pass"], env))
        walls.append(_wall_ms([python, *flags, "-c", f"import {module}"], env))
        trace = subprocess.run(
            [python, *flags, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            env=env,
        ).stderr
        match = re.search(rf"\|\s*(\d+) \| {re.escape(module)}$", trace, re.MULTILINE)
        own.append(int(match.group(1)) / 1000 if match else float("nan"))
    return min(walls) - min(empties), min(own)


def _wall_ms(argv: list[str], env: dict[str, str]) -> float:
    started = perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return (perf_counter() - started) * 1000


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    print("loop overhead: ScriptedBackend + trivial tool, fastest µs per step of several runs")
    ours = {n: us_per_step(n) for n in SIZES}
    for n, us in ours.items():
        print(f"  {n:>6} steps: {us:6.2f} µs/step")
    floor = plain_call_us()
    flatness = ours[SIZES[-1]] / ours[SIZES[0]]
    worst = max(ours.values())
    flat_ok, step_ok = flatness <= FLATNESS_LIMIT, worst <= PER_STEP_BUDGET_US
    ratio = ours[10_000] / floor
    print(f"  direct call of the tool (floor): {floor:.2f} µs; loop/floor at 10k: {ratio:.0f}x")
    print(f"  flatness 10k/100: {flatness:.2f}x   goal <= {FLATNESS_LIMIT}x   {verdict(flat_ok)}")
    print(f"  worst: {worst:.2f} µs/step   goal <= {PER_STEP_BUDGET_US} µs   {verdict(step_ok)}")

    ref_python = os.environ.get("LOOPLET_REF_PYTHON")
    if ref_python:
        print("\nlooplet 0.4.1 (LOOPLET_REF_PYTHON), same run:")
        for n in REF_SIZES:
            ref = reference_us(ref_python, n)
            mine = ours.get(n) or us_per_step(n)
            speedup = ref / mine
            print(
                f"  {n:>6} steps: {ref:8.1f} µs/step vs ours {mine:5.2f} → {speedup:4.0f}x faster"
            )
    else:
        print("\n(set LOOPLET_REF_PYTHON to a python with looplet==0.4.1 for a side-by-side)")

    compileall.compile_dir(ROOT / "looplet_core", quiet=1)
    # -S: no site-packages, so nothing (an editable-install finder, say) has
    # already imported re/enum/json for us. looplet_core needs only the stdlib.
    wall, own = cold_import_ms(sys.executable, "looplet_core", "-S")
    import_ok = own <= IMPORT_BUDGET_MS
    print(
        f"\ncold import of looplet_core (python -S), fastest of {IMPORT_SAMPLES} fresh processes:"
    )
    print(
        f"  -X importtime cumulative: {own:.1f} ms   goal <= {IMPORT_BUDGET_MS} ms   "
        f"{verdict(import_ok)}   (wall minus an empty interpreter: {wall:.1f} ms)"
    )
    if ref_python:
        ref_wall, ref_own = cold_import_ms(ref_python, "looplet")
        print(f"  looplet 0.4.1: wall minus empty {ref_wall:.1f} ms; importtime {ref_own:.1f} ms")

    ok = flat_ok and step_ok and import_ok
    print("\nverdict:", "within targets" if ok else "MISSED a target")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
