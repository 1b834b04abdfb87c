"""A long mini-swe-agent trajectory made from the tool-call fixture, for the tests
of progressive reading: long enough that a progressive open stops well before
its end, varied enough (failing commands, replies with two commands, format
errors) that every kind of step is cut across by some slice."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.trace.foreign import MINISWEAGENT, load_json

TOOLCALL = MINISWEAGENT / "toolcall_submitted.traj.json"
FORMAT_ERROR = {
    "role": "user",
    "content": "Please always provide EXACTLY ONE action in triple backticks.",
    "extra": {"interrupt_type": "FormatError"},
}


def long_document(blocks: int) -> dict[str, Any]:
    """The fixture with its middle (three replies, four commands) repeated `blocks`
    times, each copy with its own commands, return codes and times."""
    document = load_json(TOOLCALL)
    messages = document["messages"]
    head, middle, tail = messages[:2], messages[2:9], messages[9:]
    grown = list(head)
    for block in range(blocks):
        for message in copy.deepcopy(middle):
            extra = message.get("extra", {})
            for action in extra.get("actions", []):
                action["command"] = f"{action['command']} # {block}"
            if "returncode" in extra:
                extra["returncode"] = block % 3
            if "timestamp" in extra:
                extra["timestamp"] += 60 * block
            grown.append(message)
        if block % 10 == 9:
            grown.append(dict(FORMAT_ERROR))
    document["messages"] = grown + tail
    return document


def write_long(path: Path, blocks: int = 80) -> Path:
    """`long_document(blocks)` written as mini-swe-agent writes it (4 steps a block)."""
    path.write_text(json.dumps(long_document(blocks), indent=2))
    return path
