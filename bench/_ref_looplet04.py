"""Reference baseline: per-step overhead of looplet 0.4.1's agent loop.

Usage:  $LOOPLET_REF_PYTHON bench/_ref_looplet04.py N
Prints: {"steps": N, "us_per_step": X}

Run by bench/loop_overhead.py in a separate interpreter (the one named by
LOOPLET_REF_PYTHON) so that looplet 0.4.1 never becomes a dependency of, or
shares a process with, looplet_core. Only looplet + stdlib are imported here.
"""

import json
import sys
import time
import warnings

from looplet import LoopConfig, MockLLMBackend, composable_loop, tools_from


def echo(n: int) -> int:
    """Return n."""
    return n


# One canned turn, cycled forever by MockLLMBackend: every model turn proposes
# exactly one echo call, so the run only ends when the step budget runs out.
TURN = json.dumps({"tool": "echo", "args": {"n": 1}, "reasoning": "r"})


def run(n: int) -> int:
    llm = MockLLMBackend([TURN])
    # include_done only registers the terminal tool (never called) so the
    # loop doesn't warn about a missing one; it mirrors a realistic setup.
    tools = tools_from([echo], include_done=True)
    # Defaults otherwise (no hooks, native-tools path since the mock offers
    # generate_with_tools): we measure the loop as shipped, not a tuned one.
    steps = list(
        composable_loop(
            llm, task={"description": "echo"}, tools=tools, config=LoopConfig(max_steps=n)
        )
    )
    assert len(steps) == n and llm.calls == n, (len(steps), llm.calls)
    return len(steps)


def main() -> None:
    n = int(sys.argv[1])
    warnings.simplefilter("ignore")  # keep stdout a single JSON line
    run(3)  # warm-up: pay one-off lazy imports/caches outside the timed run
    t0 = time.perf_counter()
    run(n)
    # Whole-run wall time / N, per-run setup included: looplet's per-step cost
    # grows with history (prompt/session-log rebuilt from all steps), so the
    # figure is only meaningful together with N.
    us = (time.perf_counter() - t0) * 1e6 / n
    print(json.dumps({"steps": n, "us_per_step": round(us, 1)}))


if __name__ == "__main__":
    main()
