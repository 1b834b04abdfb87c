"""OTelHook against the OpenTelemetry SDK's in-memory exporter: one trace per run,
GenAI span names and attributes, real timings, errors, content capture opt-in."""

from __future__ import annotations

import json
import sys
import time

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from looplet_core import (
    LLMResponse,
    ScriptedBackend,
    ToolCall,
    Usage,
    composable_loop,
    tool,
)
from looplet_core.hooks_lib.otel import OTelHook
from tests.core.test_import_hygiene import loaded_after_import
from tests.helpers import drive


@tool
def nap(ms: int) -> str:
    """Sleep a little."""
    time.sleep(ms / 1000)
    if ms < 0:
        raise ValueError("negative")
    return "rested"


@tool
def fail() -> str:
    """Always fails."""
    raise RuntimeError("broken tool")


class Gpt(ScriptedBackend):
    """A scripted backend that says it is an OpenAI model."""

    provider = "OpenAI"
    model = "gpt-test"


def script(cls=ScriptedBackend):
    return cls(
        [
            LLMResponse(
                tool_calls=(ToolCall("nap", {"ms": 30}, "c1"), ToolCall("fail", {}, "c2")),
                usage=Usage(120, 15),
                latency_ms=250.0,
                finish_reason="tool_calls",
                model="gpt-test-0601",
            ),
            LLMResponse(
                tool_calls=(ToolCall("done", {"answer": "ok"}, "c3"),),
                usage=Usage(200, 8),
                latency_ms=80.0,
            ),
        ]
    )


@pytest.fixture
def exporter():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    exporter.provider = provider
    return exporter


def spans_by_operation(exporter):
    spans = {}
    for span in exporter.get_finished_spans():
        spans.setdefault(span.attributes["gen_ai.operation.name"], []).append(span)
    return spans


def test_a_run_is_one_trace_of_agent_chat_and_tool_spans(exporter) -> None:
    hook = OTelHook(exporter.provider, agent_name="tidier")
    steps, result = drive(composable_loop(script(Gpt), [nap, fail], "rest", hooks=[hook]))
    spans = spans_by_operation(exporter)
    (run,) = spans["invoke_agent"]
    chats, tools = spans["chat"], spans["execute_tool"]
    assert run.name == "invoke_agent tidier" and run.kind is SpanKind.INTERNAL
    assert [c.name for c in chats] == ["chat gpt-test", "chat gpt-test"]
    assert all(c.kind is SpanKind.CLIENT for c in chats)
    assert [t.name for t in tools] == ["execute_tool nap", "execute_tool fail", "execute_tool done"]
    assert {s.context.trace_id for s in exporter.get_finished_spans()} == {run.context.trace_id}
    assert all(s.parent.span_id == run.context.span_id for s in chats + tools)

    assert run.attributes["gen_ai.provider.name"] == "openai"
    assert run.attributes["gen_ai.system"] == "openai"
    assert run.attributes["gen_ai.agent.name"] == "tidier"
    assert run.attributes["gen_ai.request.model"] == "gpt-test"
    assert run.attributes["gen_ai.usage.input_tokens"] == result.usage.input_tokens == 320
    assert run.attributes["gen_ai.usage.output_tokens"] == 23
    assert run.attributes["looplet.stop_reason"] == "done"
    assert run.attributes["looplet.steps"] == len(steps) == 3
    assert run.status.status_code is StatusCode.UNSET

    first = chats[0].attributes
    assert first["gen_ai.usage.input_tokens"] == 120 and first["gen_ai.usage.output_tokens"] == 15
    assert first["gen_ai.response.model"] == "gpt-test-0601"
    assert tuple(first["gen_ai.response.finish_reasons"]) == ("tool_calls",)
    assert first["gen_ai.request.model"] == "gpt-test"

    napped, failed, done = (t.attributes for t in tools)
    assert (napped["gen_ai.tool.name"], napped["gen_ai.tool.call.id"]) == ("nap", "c1")
    assert napped["gen_ai.tool.description"] == "Sleep a little."
    assert "error.type" not in napped and tools[0].status.status_code is StatusCode.UNSET
    assert failed["error.type"] == "execution"
    assert tools[1].status.status_code is StatusCode.ERROR
    assert "broken tool" in tools[1].status.description
    assert done["looplet.step"] == 3 and done["looplet.turn"] == 2
    assert hook.debug_state() == {
        "provider": "openai",
        "run_span_open": False,
        "spans_ended": 6,
        "capture_content": False,
    }


def test_spans_last_as_long_as_the_model_and_the_tool_did(exporter) -> None:
    approved_at = []

    class SlowApproval:
        def pre_dispatch(self, state, call):
            time.sleep(0.05)  # a person thinking: not part of the tool's span
            approved_at.append(time.time_ns())

    hook = OTelHook(exporter.provider)
    steps, _ = drive(composable_loop(script(), [nap, fail], "rest", hooks=[SlowApproval(), hook]))
    spans = spans_by_operation(exporter)
    chats, tools = spans["chat"], spans["execute_tool"]
    assert [(c.end_time - c.start_time) / 1e6 for c in chats] == [250.0, 80.0]
    nap_span = tools[0]
    measured = steps[0].tool_result.duration_ms
    assert (nap_span.end_time - nap_span.start_time) / 1e6 == pytest.approx(measured, abs=0.01)
    assert measured >= 30 and nap_span.start_time >= approved_at[0]


def test_a_failed_model_call_is_an_error_span_and_fails_the_run(exporter) -> None:
    class Down:
        name = "down"

        def generate(self, prompt):
            raise ConnectionError("no route to model")

    hook = OTelHook(exporter.provider)
    _, result = drive(composable_loop(Down(), [nap], "rest", hooks=[hook]))
    spans = spans_by_operation(exporter)
    (chat,) = spans["chat"]
    (run,) = spans["invoke_agent"]
    assert result.stop_reason == "llm_error"
    assert chat.name == "chat" and chat.attributes["gen_ai.provider.name"] == "down"
    assert chat.attributes["error.type"] == "ConnectionError"
    assert chat.status.status_code is StatusCode.ERROR
    assert [event.name for event in chat.events] == ["exception"]
    assert run.attributes["error.type"] == "ConnectionError"
    assert run.status.status_code is StatusCode.ERROR
    assert "execute_tool" not in spans


def test_content_is_recorded_only_when_asked(exporter) -> None:
    drive(composable_loop(script(), [nap, fail], "rest", hooks=[OTelHook(exporter.provider)]))
    for span in exporter.get_finished_spans():
        assert not any(key.endswith(("messages", "arguments", "result")) for key in span.attributes)
    exporter.clear()

    hook = OTelHook(exporter.provider, capture_content=True)
    drive(composable_loop(script(), [nap, fail], "rest", hooks=[hook]))
    spans = spans_by_operation(exporter)
    sent = json.loads(spans["chat"][1].attributes["gen_ai.input.messages"])
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "tool"]
    assert sent[2]["parts"][0] == {
        "type": "tool_call",
        "id": "c1",
        "name": "nap",
        "arguments": {"ms": 30},
    }
    assert sent[3]["parts"][0]["type"] == "tool_call_response"
    assert sent[3]["parts"][0]["result"] == "rested"
    answer = json.loads(spans["chat"][0].attributes["gen_ai.output.messages"])
    assert answer[0]["role"] == "assistant" and len(answer[0]["parts"]) == 2
    napped = spans["execute_tool"][0].attributes
    assert json.loads(napped["gen_ai.tool.call.arguments"]) == {"ms": 30}
    assert napped["gen_ai.tool.call.result"] == "rested"
    assert "gen_ai.tool.call.result" not in spans["execute_tool"][1].attributes


def test_provider_is_named_by_the_caller_or_the_backend(exporter) -> None:
    drive(composable_loop(script(), [nap, fail], "x", hooks=[OTelHook(exporter.provider)]))
    assert spans_by_operation(exporter)["invoke_agent"][0].attributes["gen_ai.provider.name"] == (
        "scripted"
    )
    exporter.clear()
    hook = OTelHook(exporter.provider, provider="azure.ai.openai")
    drive(composable_loop(script(), [nap, fail], "x", hooks=[hook]))
    chat = spans_by_operation(exporter)["chat"][0]
    assert chat.attributes["gen_ai.provider.name"] == "azure.ai.openai"
    assert chat.name == "chat"  # the backend has no model name to put in it


def test_without_opentelemetry_the_hook_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    with pytest.raises(ImportError, match=r"pip install 'looplet-tui\[otel\]'"):
        OTelHook()


def test_importing_the_module_does_not_import_opentelemetry() -> None:
    loaded = loaded_after_import("looplet_core.hooks_lib.otel")
    assert sorted(name for name in loaded if name.startswith("opentelemetry")) == []
