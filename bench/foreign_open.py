"""How long opening a large mini-swe-agent trajectory takes.

Writes a synthetic trajectory of N steps (default 10 000, about 21 MB) shaped
like the tool-call fixture in tests/trace/fixtures/minisweagent (one command
per reply, the litellm response dump, a one-line observation
characters), then times `open_trace`, what a viewer's first paint reads (50
rows and one step's detail; the last step's prompt is the whole
conversation), every step summary, and a progressive open (what
`looplet-tui open` does before its first paint) with its first screen.  The
baseline is `json.loads` of the same file: the least any reader of a JSON
document pays.

    .venv/bin/python bench/foreign_open.py [STEPS]

`write_trajectory` is importable, for other benches (the TUI's) that need the
same file.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from time import perf_counter, process_time

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


def best_of(work) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of REPEATS runs.  CPU time is printed too
    because it hardly moves when other processes share the machine.  What `work`
    returns is freed after the clock stops (that is a million objects)."""
    runs = []
    for _ in range(REPEATS):
        wall, cpu = perf_counter(), process_time()
        result = work()
        runs.append((perf_counter() - wall, process_time() - cpu))
        del result
    return min(runs)


def first_screen(trace, last: bool) -> tuple:
    """What a viewer needs for its first paint: 50 rows and the selected step's detail
    (the first step, or the last one when following a run)."""
    rows = range(max(0, len(trace) - 50), len(trace)) if last else range(min(50, len(trace)))
    return [trace.steps[i] for i in rows], trace.detail(rows[-1] if last else rows[0])


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.traj.json"
        write_trajectory(path, steps)
        size = path.stat().st_size
        cases = [
            ("json.loads of the file (baseline)", lambda: json.loads(path.read_bytes())),
            ("open_trace", lambda: open_trace(path)),
            ("open + 50 rows + detail of step 1", lambda: _open_and(path, first_screen, False)),
            (
                "open + last 50 rows + detail of the last",
                lambda: _open_and(path, first_screen, True),
            ),
            ("open + every step summary", lambda: _open_and(path, lambda t: list(t.steps))),
            (
                "progressive open + 50 rows + detail",
                lambda: _open_and(path, first_screen, False, progressive=True),
            ),
        ]
        results = [(name, best_of(work)) for name, work in cases]
    print(f"mini-swe-agent trajectory: {steps} steps, {size / 1e6:.1f} MB (best of {REPEATS})")
    print(f"  {'':42} {'wall':>9} {'CPU':>9}")
    for name, (wall, cpu) in results:
        print(f"  {name:42} {wall * 1000:6.1f} ms {cpu * 1000:6.1f} ms")
    base = results[0][1][1]
    print(f"  open_trace CPU time / json.loads CPU time: {results[1][1][1] / base:.2f}x")


def _open_and(path: Path, use, *args, progressive: bool = False) -> tuple:
    """Open the trace and `use` it; both are returned, to be freed after the clock stops."""
    trace = open_trace(path, progressive=progressive)
    return trace, use(trace, *args)


if __name__ == "__main__":
    main()
