"""The agent tests/trace/test_crash.py kills: a recorded scripted run that reports each step.

    python -m tests.trace.crash_agent DIR SEED

It records into DIR with a ProvenanceSink and prints, flushed, one JSON line
per Step as the consumer receives it (so only after the sink has written it):
`{"n": ..., "tool": ..., "args": ..., "digest": <sha256 of the Step's JSON>}`.
It prints `{"start": true}` just before the loop starts and `{"end": ...}`
once the run has returned.  The script, derived from SEED, mixes small calls,
multi-megabyte results (so one record takes many pages to write), slow tools,
failing tools and turns with several calls.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
from typing import Any

from looplet_core import ScriptedBackend, Step, ToolCall, composable_loop, tool
from looplet_core.provenance import ProvenanceSink

MAX_STRING = 20_000_000
"""Larger than any payload here, so the trace holds every result uncut."""


@tool
def blob(n: int, size: int) -> str:
    """A result of about `size` characters (multi-line, so JSON escapes make it longer)."""
    row = f"blob {n} row " + "0123456789" * 8 + "\n"
    return row * (size // len(row) + 1)


@tool
def nap(ms: int) -> str:
    """A slow tool: sleeps `ms` milliseconds."""
    time.sleep(ms / 1000)
    return f"slept {ms} ms"


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
def fail(why: str) -> str:
    """Always raises, so the step records a tool error."""
    raise RuntimeError(why)


TOOLS = [blob, nap, add, fail]


def script(seed: int) -> list[list[ToolCall]]:
    """The calls of each turn; the last turn calls done."""
    rng = random.Random(seed)
    turns: list[list[ToolCall]] = []
    for i in range(rng.randint(6, 10)):
        calls = []
        for j in range(rng.choice([1, 1, 1, 2, 3])):
            kind = rng.choice(["blob", "blob", "nap", "add", "fail"])
            if kind == "blob":
                size = rng.choice([100_000, 500_000, 2_000_000])
                calls.append(ToolCall("blob", {"n": i * 10 + j, "size": size}))
            elif kind == "nap":
                calls.append(ToolCall("nap", {"ms": rng.choice([2, 10, 30])}))
            elif kind == "add":
                calls.append(ToolCall("add", {"a": i, "b": j}))
            else:
                calls.append(ToolCall("fail", {"why": f"turn {i} call {j} fails"}))
        turns.append(calls)
    turns.append([ToolCall("done", {"answer": "all done"})])
    return turns


def digest(step: Step) -> str:
    """A fingerprint of everything the Step holds, to compare with what the trace reads back."""
    text = json.dumps(step.to_dict(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def report(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def main(directory: str, seed: int) -> None:
    llm = ScriptedBackend(script(seed))
    sink = ProvenanceSink(directory, max_string=MAX_STRING)
    loop = composable_loop(llm, TOOLS, f"crash run {seed}", hooks=[sink], max_steps=100)
    report({"start": True})
    while True:
        try:
            step = next(loop)
        except StopIteration as stop:
            report({"end": str(stop.value.stop_reason)})
            return
        call = step.tool_call
        report({"n": step.number, "tool": call.name, "args": call.args, "digest": digest(step)})


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
