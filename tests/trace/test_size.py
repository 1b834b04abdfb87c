"""A trace grows linearly: bytes on disk stay within 1.3x of the payload.

The payload of a run is what a trace cannot do without, each counted once, as
compact JSON (`separators=(",", ":")`, UTF-8), the encoding the sink uses:

- every unique message of the conversation (`Message.to_dict()`), once;
- every step (`Step.to_dict()`);
- every parsed model response (text, tool calls, reasoning, finish reason,
  model, usage, latency and cost).

Everything else on disk (record framing, sequence numbers, index lines, header
and summary) is overhead.  Storing the history again with every call would be
quadratic: at 2 000 steps it would be hundreds of times the payload.
"""

from __future__ import annotations

import json

from looplet_core import LLMResponse, ScriptedBackend, ToolCall, composable_loop, tool
from looplet_core.provenance import ProvenanceSink, open_trace
from tests.helpers import drive


def size(data) -> int:
    return len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())


@tool
def read_file(path: str, line: int) -> str:
    """Read some lines of a file."""
    return f"{path}:{line}: " + " ".join(f"token{line * 7 + i}" for i in range(40))


def test_two_thousand_steps_stay_within_1_3_times_the_payload(tmp_path) -> None:
    responses = []
    for i in range(2_000):
        responses.append(
            LLMResponse(
                text=f"Step {i}: reading the next part of the module.",
                tool_calls=(ToolCall("read_file", {"path": f"src/module_{i % 17}.py", "line": i}),),
            )
        )
    responses.append(LLMResponse(tool_calls=(ToolCall("done", {"answer": "read it all"}),)))
    steps, result = drive(
        composable_loop(
            ScriptedBackend(responses),
            [read_file],
            "Read the code base.",
            hooks=[ProvenanceSink(tmp_path)],
            max_steps=3_000,
        )
    )
    assert len(steps) == 2_001

    payload = (
        sum(size(message.to_dict()) for message in result.messages)
        + sum(size(step.to_dict()) for step in steps)
        + sum(size(response.to_dict()) for response in responses)
    )
    on_disk = sum(path.stat().st_size for path in tmp_path.iterdir())
    ratio = on_disk / payload
    print(f"payload {payload} bytes, on disk {on_disk} bytes, ratio {ratio:.3f}")
    assert ratio <= 1.3

    trace = open_trace(tmp_path)  # and it all reads back
    assert len(trace) == 2_001
    assert trace.detail(1_999).prompt == result.messages[: len(trace.detail(1_999).prompt)]
    assert trace.conversation() == result.messages
