"""Printing a run to a terminal: what the example agents share."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Generator

    from looplet_core.types import RunResult, Step


def print_run(run: Generator[Step, None, RunResult]) -> int:
    """Print one `pretty()` line per step as it happens, then a summary.

    Returns the exit code: 1 when the run ended on an error, else 0.
    """
    while True:
        try:
            print(next(run).pretty(), flush=True)
        except StopIteration as stop:
            result: RunResult = stop.value
            break
    print(f"\nstopped: {result.stop_reason} ({result.reason}) after {len(result.steps)} steps")
    answer = result.answer
    if isinstance(answer, dict) and set(answer) == {"answer"}:
        answer = answer["answer"]
    if answer is not None:
        print(f"answer: {answer}")
    usage = result.usage
    cached = f", {usage.cache_read_tokens} cached" if usage.cache_read_tokens else ""
    print(f"tokens: {usage.input_tokens} in{cached}, {usage.output_tokens} out")
    if result.cost is not None:
        print(f"cost: ${result.cost:.6f}")
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)
        return 1
    return 0
