"""The sink describes the run from LoopState (no extra arguments), records where a
replay came from, and records failed model calls as `llm_error` events."""

from __future__ import annotations

import json

from looplet_core import LoopConfig, Message, ScriptedBackend, ToolCall, composable_loop
from looplet_core.provenance import ProvenanceSink, open_trace
from tests.helpers import drive
from tests.trace.scenarios import TOOLS, RewriteAt, record


def events_of(directory) -> list[dict]:
    return [json.loads(line) for line in (directory / "events.jsonl").read_text().splitlines()]


class ReadsHeader:
    """A backend that reads header.json when it is first called: what the sink knew at pre_loop."""

    model = "reader-2"

    def __init__(self, directory, script) -> None:
        self.directory = directory
        self.headers: list[dict] = []
        self.inner = ScriptedBackend(script)

    def generate(self, prompt):
        self.headers.append(json.loads((self.directory / "header.json").read_text()))
        return self.inner.generate(prompt)


def test_the_header_holds_model_tools_and_settings_before_the_first_call(tmp_path) -> None:
    llm = ReadsHeader(tmp_path, [ToolCall("done", {"answer": "ok"})])
    drive(
        composable_loop(
            llm,
            TOOLS,
            "task",
            hooks=[ProvenanceSink(tmp_path)],
            config=LoopConfig(max_steps=9, text_fallback=False),
        )
    )
    header = llm.headers[0]
    assert header["model"] == "reader-2"
    assert [tool["name"] for tool in header["tools"]] == ["add", "echo", "explode", "done"]
    settings = header["settings"]
    assert (settings["max_steps"], settings["text_fallback"]) == (9, False)
    assert (settings["terminal_tools"], settings["llm"]) == (["done"], "ReadsHeader")
    assert "forked_from" not in header
    assert json.loads((tmp_path / "header.json").read_text()) == header  # never rewritten


def test_forked_from_is_written_to_the_header(tmp_path) -> None:
    origin = {"path": "/runs/a", "step": 3, "mode": "full"}
    record(tmp_path, [ToolCall("done", {})], sink=ProvenanceSink(tmp_path, forked_from=origin))
    assert json.loads((tmp_path / "header.json").read_text())["forked_from"] == origin


class FailsAt:
    def __init__(self, turn: int) -> None:
        self.turn = turn
        self.inner = ScriptedBackend([ToolCall("add", {"a": i, "b": 1}) for i in range(9)])

    def generate(self, prompt):
        if prompt.turn == self.turn:
            raise TimeoutError("the provider did not answer in 30 s")
        return self.inner.generate(prompt)


def test_a_failed_model_call_is_recorded_and_the_trace_reads_cleanly(tmp_path) -> None:
    _, result, _, _ = record(tmp_path, [], backend=FailsAt(3))
    kinds = [event["kind"] for event in events_of(tmp_path)]
    assert kinds == ["call", "step", "call", "step", "llm_error", "end"]
    failed = events_of(tmp_path)[4]
    assert failed["turn"] == 3
    assert failed["error"] == "TimeoutError: the provider did not answer in 30 s"
    # stored as a delta on the last call: the two messages the second turn added
    assert failed["n"] == len(result.messages) and len(failed["messages"]) == 2
    trace = open_trace(tmp_path)
    assert trace.problems == []
    assert (len(trace), trace.meta.stop_reason, trace.meta.error) == (2, "llm_error", result.error)
    assert trace.conversation() == result.messages


def test_a_failed_call_after_a_history_rewrite_leaves_the_chain_whole(tmp_path) -> None:
    steps, result, _, _ = record(tmp_path, [], backend=FailsAt(3), hooks=[RewriteAt(3)])
    failed = next(event for event in events_of(tmp_path) if event["kind"] == "llm_error")
    assert failed["snapshot"] is True
    rebuilt = [Message.from_dict(item) for item in failed["messages"]]
    assert rebuilt[-1] == Message("user", "(history compacted at turn 3)")
    trace = open_trace(tmp_path)
    assert trace.problems == []
    assert trace.conversation() == result.messages
    assert [trace.detail(i).step for i in range(len(trace))] == steps
