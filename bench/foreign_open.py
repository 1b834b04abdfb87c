"""How long opening a large mini-swe-agent trajectory takes.

Writes a synthetic trajectory of N steps (default 10 000, about 21 MB) shaped
like the tool-call fixture in tests/trace/fixtures/minisweagent (one command
per reply, the litellm response dump, an observation of a few hundred
characters), then times `open_trace`, opening and reading every step summary
(what a timeline may do first), and opening and reading the detail of the
last step (whose prompt is the whole conversation).  The baseline is
`json.loads` of the same file: the least any reader of a JSON document pays.

    .venv/bin/python bench/foreign_open.py [STEPS]

`write_trajectory` is importable, for other benches (the TUI's) that need the
same file.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from looplet_core.provenance import open_trace

REPEATS = 5
OUTPUT = "src/m.py:12: found it\n"


def _step(i: int) -> list[dict]:
    command = f"grep -n p{i} src/m{i % 50}.py"
    text = f"Look for p{i}."
    call = {
        "function": {"arguments": json.dumps({"command": command}), "name": "bash"},
        "id": f"call_{i:06d}",
        "type": "function",
    }
    assistant = {
        "content": text,
        "role": "assistant",
        "tool_calls": [call],
        "function_call": None,
        "provider_specific_fields": None,
        "extra": {
            "actions": [{"command": command, "tool_call_id": call["id"]}],
            "response": {
                "id": f"chatcmpl-{i:032x}",
                "created": 1795242654 + i,
                "model": "gpt-4o-mini",
                "object": "chat.completion",
                "system_fingerprint": None,
                "choices": [
                    {
                        "finish_reason": "tool_calls",
                        "index": 0,
                        "message": {
                            "content": text,
                            "role": "assistant",
                            "tool_calls": [call],
                            "function_call": None,
                        },
                    }
                ],
                "usage": {
                    "completion_tokens": 40,
                    "prompt_tokens": 1000 + 60 * i,
                    "total_tokens": 1040 + 60 * i,
                    "completion_tokens_details": None,
                    "prompt_tokens_details": None,
                },
            },
            "cost": 0.0001,
            "timestamp": 1795242654.0 + i,
        },
    }
    code = 1 if i % 7 == 0 else 0
    observation = {
        "content": json.dumps({"returncode": code, "output": OUTPUT}, indent=2),
        "extra": {
            "raw_output": OUTPUT,
            "returncode": code,
            "timestamp": 1795242654.5 + i,
            "exception_info": "",
        },
        "tool_call_id": call["id"],
        "role": "tool",
    }
    return [assistant, observation]


def write_trajectory(path: Path, steps: int) -> None:
    """A mini-swe-agent-1.1 trajectory of `steps` commands, written as mini-swe-agent does."""
    messages: list[dict] = [
        {
            "role": "system",
            "content": "You are a helpful assistant that can interact with a computer.",
        },
        {"role": "user", "content": "Please solve this issue: make the tests pass.\n" * 40},
    ]
    for i in range(steps):
        messages.extend(_step(i))
    messages.append(
        {"role": "exit", "content": "", "extra": {"exit_status": "Submitted", "submission": ""}}
    )
    document = {
        "info": {
            "model_stats": {"instance_cost": 0.0001 * steps, "api_calls": steps},
            "config": {"model": {"model_name": "gpt-4o-mini"}, "agent": {"step_limit": 0}},
            "mini_version": "2.4.6",
            "exit_status": "Submitted",
            "submission": "",
        },
        "messages": messages,
        "trajectory_format": "mini-swe-agent-1.1",
    }
    path.write_text(json.dumps(document, indent=2))


def best_of(work) -> float:
    """The fastest of REPEATS runs.  What `work` returns is kept until the clock has
    stopped, so freeing the previous result (a million objects) is not counted."""
    times = []
    for _ in range(REPEATS):
        start = perf_counter()
        result = work()
        times.append(perf_counter() - start)
        del result
    return min(times)


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.traj.json"
        write_trajectory(path, steps)
        size = path.stat().st_size
        baseline = best_of(lambda: json.loads(path.read_bytes()))
        opening = best_of(lambda: open_trace(path))
        listing = best_of(lambda: _open_and(path, lambda trace: list(trace.steps)))
        detail = best_of(lambda: _open_and(path, lambda trace: trace.detail(len(trace) - 2)))
        trace = open_trace(path)
        list(trace.steps)
        again = best_of(lambda: list(trace.steps))
    print(f"mini-swe-agent trajectory: {steps} steps, {size / 1e6:.1f} MB (best of {REPEATS})")
    print(f"  json.loads of the file (baseline):        {baseline * 1000:7.1f} ms")
    print(f"  open_trace:                               {opening * 1000:7.1f} ms")
    print(f"  open_trace + every step summary:          {listing * 1000:7.1f} ms")
    print(f"  every step summary again (cached):        {again * 1000:7.1f} ms")
    print(f"  open_trace + detail of the last step:     {detail * 1000:7.1f} ms")
    print(f"  open_trace + every summary vs json.loads: {listing / baseline:7.2f}x")


def _open_and(path: Path, use) -> tuple:
    """Open the trace and `use` it; both are returned, to be freed after the clock stops."""
    trace = open_trace(path)
    return trace, use(trace)


if __name__ == "__main__":
    main()
