"""AnthropicBackend driving the real `anthropic` SDK against a loopback HTTP server.

Nothing here mocks the SDK: every test sends real HTTP to `LoopbackServer`
and asserts on the bodies the SDK put on the wire and on the Steps the loop
produced from the answers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

from looplet_core import (
    ErrorKind,
    LLMResponse,
    Message,
    Prompt,
    RunResult,
    Step,
    StopReason,
    ToolCall,
    Usage,
    composable_loop,
    tool,
    tools_from,
)
from looplet_core.backends.anthropic import AnthropicBackend, to_anthropic_messages
from looplet_core.backends.pricing import Price
from looplet_core.backends.retry import RetryPolicy
from tests.backends import anthropic_wire as wire
from tests.backends.loopback import LoopbackServer, Reply
from tests.helpers import drive

PATH = wire.PATH
MODEL = "claude-test"
TASK = "Add 2 and 3."
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)
DONE = Reply(wire.message(wire.tool_use("done", {"answer": "5"}, "toolu_done")))


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
def lookup(key: str) -> str:
    """Look a key up in the notes."""
    raise KeyError(key)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def backend(server: LoopbackServer, **options: Any) -> AnthropicBackend:
    options.setdefault("retry", FAST)
    return AnthropicBackend(MODEL, api_key="test-key", base_url=server.url, **options)


def run(llm: AnthropicBackend, task: str = TASK, **options: Any) -> tuple[list[Step], RunResult]:
    return drive(composable_loop(llm, [add, lookup], task, **options))


class ResponseLog:
    """A hook keeping every LLMResponse the loop received."""

    def __init__(self) -> None:
        self.responses: list[LLMResponse] = []

    def on_llm_response(self, state: object, prompt: object, response: LLMResponse) -> None:
        self.responses.append(response)


# -- a whole run -------------------------------------------------------------------


def test_a_multi_turn_run_sends_anthropic_wire_format_and_yields_the_steps(
    server: LoopbackServer,
) -> None:
    first = wire.message(
        wire.text("I will add, then look it up."),
        wire.tool_use("add", {"a": 2, "b": 3}, "toolu_add"),
        wire.tool_use("lookup", {"key": "missing"}, "toolu_look"),
        usage=wire.usage(10, 20, cache_read=100, cache_write=50),
    )
    second = wire.message(
        wire.thinking("Both calls came back; the answer is 5."),
        wire.tool_use("done", {"answer": "5"}, "toolu_done"),
        usage=wire.usage(30, 5, cache_read=150),
    )
    server.reply(PATH, Reply(first), Reply(second))
    log = ResponseLog()

    steps, result = run(
        backend(server, max_tokens=256),
        "Add 2 and 3, then look up the sum.",
        system_prompt="You are terse.",
        hooks=[log],
    )

    assert [(s.tool_call.name, s.tool_call.id, s.ok) for s in steps] == [
        ("add", "toolu_add", True),
        ("lookup", "toolu_look", False),
        ("done", "toolu_done", True),
    ]
    assert steps[0].tool_result.data == 5
    assert steps[0].tool_call.text == "I will add, then look it up."
    assert steps[1].tool_result.error_kind is ErrorKind.EXECUTION
    assert steps[2].tool_call.reasoning == "Both calls came back; the answer is 5."
    assert steps[0].usage == steps[1].usage == Usage(10, 20, 100, 50)
    assert steps[2].usage == Usage(30, 5, 150, 0)
    assert result.stop_reason is StopReason.DONE
    assert result.answer == {"answer": "5"}
    assert result.usage == Usage(40, 25, 250, 50)

    first_request, second_request = server.bodies(PATH)
    assert first_request == {
        "model": MODEL,
        "max_tokens": 256,
        "system": "You are terse.",
        "messages": [{"role": "user", "content": "Add 2 and 3, then look up the sum."}],
        "tools": [
            {
                "name": "add",
                "description": "Add two numbers.",
                "input_schema": {
                    "type": "object",
                    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                    "required": ["a", "b"],
                    "additionalProperties": False,
                },
            },
            {
                "name": "lookup",
                "description": "Look a key up in the notes.",
                "input_schema": {
                    "type": "object",
                    "properties": {"key": {"type": "string"}},
                    "required": ["key"],
                    "additionalProperties": False,
                },
            },
            {
                "name": "done",
                "description": "Call when the task is finished, with the final answer.",
                "input_schema": {
                    "type": "object",
                    "properties": {
                        "answer": {"type": "string", "description": "The final answer."}
                    },
                    "required": ["answer"],
                    "additionalProperties": False,
                },
            },
        ],
    }
    lookup_error = steps[1].tool_result.content_for_model()
    assert lookup_error.startswith("ERROR (execution)")
    assert second_request["system"] == "You are terse."
    assert second_request["messages"] == [
        {"role": "user", "content": "Add 2 and 3, then look up the sum."},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "I will add, then look it up."},
                {"type": "tool_use", "id": "toolu_add", "name": "add", "input": {"a": 2, "b": 3}},
                {
                    "type": "tool_use",
                    "id": "toolu_look",
                    "name": "lookup",
                    "input": {"key": "missing"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_add", "content": "5"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_look",
                    "content": lookup_error,
                    "is_error": True,
                },
            ],
        },
    ]

    # The raw request is JSON data and exactly what went out; the raw response what came back.
    assert [json.loads(json.dumps(r.raw_request)) for r in log.responses] == server.bodies(PATH)
    assert log.responses[0].raw_response == first
    assert [(r.finish_reason, r.model) for r in log.responses] == [("tool_use", MODEL)] * 2


def test_a_text_only_reply_goes_through_the_loops_text_handling(server: LoopbackServer) -> None:
    server.reply(PATH, Reply(wire.message(wire.text("It is 5."))), DONE)

    steps, result = run(backend(server))

    assert steps[0].tool_call.name == ""
    assert steps[0].tool_call.text == "It is 5."
    assert steps[0].tool_result.error_kind is ErrorKind.PARSE
    assert result.stop_reason is StopReason.DONE
    messages = server.bodies(PATH)[1]["messages"]
    assert messages[1] == {"role": "assistant", "content": [{"type": "text", "text": "It is 5."}]}
    assert messages[2]["role"] == "user"
    assert messages[2]["content"].startswith("Your last reply could not be used")


@pytest.mark.parametrize("content", [[], None], ids=["empty", "missing"])
def test_a_reply_without_content_becomes_a_parse_step_and_the_run_recovers(
    server: LoopbackServer, content: list[Any] | None
) -> None:
    empty = wire.message(stop_reason="end_turn")
    if content is None:
        del empty["content"]
    server.reply(PATH, Reply(empty), DONE)

    steps, result = run(backend(server))

    assert steps[0].tool_call.name == ""
    assert steps[0].tool_result.error_kind is ErrorKind.PARSE
    assert "did not call a tool" in (steps[0].tool_result.error or "")
    assert result.stop_reason is StopReason.DONE
    # The empty assistant turn is dropped, so the two user texts share one valid turn.
    (turn,) = server.bodies(PATH)[1]["messages"]
    assert turn["role"] == "user"
    assert turn["content"][0]["text"] == TASK
    assert turn["content"][1]["text"].startswith("Your last reply could not be used")


# -- faults ------------------------------------------------------------------------


def test_a_rate_limit_waits_for_retry_after_then_succeeds(server: LoopbackServer) -> None:
    limited = wire.error(429, "rate_limit_error", "slow down", {"retry-after-ms": "300"})
    server.reply(PATH, limited, DONE)

    started = time.monotonic()
    _, result = run(backend(server))

    assert time.monotonic() - started >= 0.3
    assert result.stop_reason is StopReason.DONE
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "fault",
    [wire.error(500, "api_error", "internal"), Reply(drop=True)],
    ids=["server-error", "dropped-connection"],
)
def test_a_transient_fault_is_retried_then_succeeds(server: LoopbackServer, fault: Reply) -> None:
    server.reply(PATH, fault, DONE)

    _, result = run(backend(server))

    assert result.stop_reason is StopReason.DONE
    assert len(server.requests) == 2


def test_overload_until_the_policy_gives_up_is_an_llm_error_naming_endpoint_and_model(
    server: LoopbackServer,
) -> None:
    busy = wire.error(529, "overloaded_error", "Overloaded")
    server.reply(PATH, busy, wire.error(503, "api_error", "unavailable"), busy)

    steps, result = run(backend(server))

    assert steps == []
    assert result.stop_reason is StopReason.LLM_ERROR
    assert len(server.requests) == 3  # our policy's attempts only: the SDK's retries are off
    assert result.error is not None
    assert server.url in result.error
    assert MODEL in result.error
    assert "gave up after 3 attempts" in result.error
    assert "HTTP 529" in result.error


def test_a_response_slower_than_the_timeout_is_an_llm_error_about_the_timeout(
    server: LoopbackServer,
) -> None:
    slow = Reply(wire.message(wire.tool_use("done", {"answer": "5"}, "toolu_done")), delay=1.0)
    server.reply(PATH, slow, slow)
    llm = backend(server, timeout=0.3, retry=RetryPolicy(max_attempts=2, base_delay=0.01))

    _, result = run(llm)

    assert result.stop_reason is StopReason.LLM_ERROR
    assert "timed out" in (result.error or "")
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("status", "kind", "summary"),
    [
        (401, "authentication_error", "authentication failed"),
        (400, "invalid_request_error", "bad request"),
    ],
)
def test_a_client_error_is_not_retried_and_says_where_it_happened(
    server: LoopbackServer, status: int, kind: str, summary: str
) -> None:
    server.reply(PATH, wire.error(status, kind, "nope"), DONE)

    _, result = run(backend(server))

    assert result.stop_reason is StopReason.LLM_ERROR
    assert len(server.requests) == 1
    error = result.error or ""
    assert f"HTTP {status} {summary}" in error
    assert "not retried" in error
    assert server.url in error
    assert MODEL in error


# -- cost, parameters, construction -----------------------------------------------------


def test_cost_uses_the_price_table_including_cache_prices(server: LoopbackServer) -> None:
    usage = wire.usage(1_000, 200, cache_read=10_000, cache_write=2_000)
    server.reply(
        PATH, Reply(wire.message(wire.tool_use("done", {"answer": "5"}, "t"), usage=usage))
    )
    prices = {MODEL: Price(input=3.0, output=15.0, cache_read=0.3, cache_write=3.75)}

    (step,), result = run(backend(server, prices=prices))

    expected = (1_000 * 3.0 + 200 * 15.0 + 10_000 * 0.3 + 2_000 * 3.75) / 1_000_000
    assert step.cost == pytest.approx(expected)
    assert result.cost == pytest.approx(expected)


def test_a_dated_model_name_from_the_server_is_priced_too(server: LoopbackServer) -> None:
    reply = wire.message(
        wire.tool_use("done", {"answer": "5"}, "t"),
        model="claude-test-20990101",
        usage=wire.usage(1_000_000),
    )
    server.reply(PATH, Reply(reply))

    (step,), _ = run(backend(server, prices={"claude-test-20990101": Price(2.0, 10.0)}))

    assert step.cost == pytest.approx(2.0)


def test_an_unknown_model_has_no_cost(server: LoopbackServer) -> None:
    server.reply(PATH, DONE)

    (step,), result = run(backend(server, prices={"another-model": Price(1.0, 1.0)}))

    assert step.cost is None
    assert result.cost is None


def test_extra_params_reach_the_wire_even_those_the_sdk_has_no_keyword_for(
    server: LoopbackServer,
) -> None:
    server.reply(PATH, DONE)

    run(backend(server, temperature=0.2, tool_choice={"type": "any"}))

    (body,) = server.bodies(PATH)
    assert body["temperature"] == 0.2
    assert body["tool_choice"] == {"type": "any"}


def test_streaming_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="stream"):
        AnthropicBackend(MODEL, api_key="k", stream=True)


def test_a_given_client_is_used_as_it_is(server: LoopbackServer) -> None:
    client = anthropic.Anthropic(api_key="own-key", base_url=server.url, max_retries=0)
    server.reply(PATH, DONE)

    llm = AnthropicBackend(MODEL, client=client, retry=FAST)
    _, result = run(llm)

    assert llm.client is client
    assert llm.endpoint == str(client.base_url)
    assert result.stop_reason is StopReason.DONE
    with pytest.raises(ValueError, match="client"):
        AnthropicBackend(MODEL, client=client, api_key="another-key")


def test_from_env_reads_key_url_and_model(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "env-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("ANTHROPIC_MODEL", "claude-env")
    server.reply(PATH, DONE, DONE)

    run(AnthropicBackend.from_env(max_tokens=64, retry=FAST))
    run(AnthropicBackend.from_env(model="claude-override", retry=FAST))

    first, second = server.requests
    assert (first.body["model"], first.body["max_tokens"]) == ("claude-env", 64)
    assert second.body["model"] == "claude-override"
    assert any("env-key" in value for value in first.headers.values())


def test_from_env_without_a_model_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_MODEL", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "env-key")

    with pytest.raises(ValueError, match="ANTHROPIC_MODEL"):
        AnthropicBackend.from_env()


BLOCK_ANTHROPIC = """
import sys

class BlockAnthropic:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "anthropic":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, BlockAnthropic())
from looplet_core.backends.anthropic import AnthropicBackend
try:
    AnthropicBackend("claude-test", api_key="k")
except ImportError as exc:
    print(exc)
"""


def test_without_the_sdk_construction_says_which_extra_to_install() -> None:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", BLOCK_ANTHROPIC], capture_output=True, text=True, cwd=root
    )
    assert out.returncode == 0, out.stderr
    assert "looplet-tui[anthropic]" in out.stdout


# -- translation, on its own -----------------------------------------------------------


def test_tool_results_and_following_user_text_merge_into_one_user_turn() -> None:
    rewritten = "(The arguments were changed before running to {'x': 1}.)\nERROR (denied): no"
    messages = [
        Message("system", "Be brief."),
        Message("system", "Use tools."),
        Message("user", "task"),
        Message("assistant", "", (ToolCall("a", '{"x": ', "c1"), ToolCall("b", {"x": 2}, "c2"))),
        Message("tool", "ERROR (parse): not JSON", tool_call_id="c1", name="a", is_error=True),
        Message("tool", rewritten, tool_call_id="c2", name="b", is_error=True),
        Message("tool", "ERROR (looks like one, but the call succeeded)", (), "c3", "b"),
        Message("user", "injected"),
        Message("user", "and more"),
    ]

    system, wire_messages = to_anthropic_messages(messages)

    assert system == "Be brief.\n\nUse tools."
    assert wire_messages == [
        {"role": "user", "content": "task"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "c1", "name": "a", "input": {}},
                {"type": "tool_use", "id": "c2", "name": "b", "input": {"x": 2}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "c1",
                    "content": "ERROR (parse): not JSON",
                    "is_error": True,
                },
                {
                    "type": "tool_result",
                    "tool_use_id": "c2",
                    "content": rewritten,
                    "is_error": True,
                },
                {
                    "type": "tool_result",
                    "tool_use_id": "c3",
                    "content": "ERROR (looks like one, but the call succeeded)",
                },
                {"type": "text", "text": "injected"},
                {"type": "text", "text": "and more"},
            ],
        },
    ]


def test_tool_results_are_placed_before_text_in_their_turn() -> None:
    messages = [
        Message("user", "task"),
        Message("assistant", "Checking.", (ToolCall("a", {}, "c1"),)),
        Message("user", "a note"),
        Message("tool", "", tool_call_id="c1"),
    ]

    _, wire_messages = to_anthropic_messages(messages)

    assert wire_messages[2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "c1"},
            {"type": "text", "text": "a note"},
        ],
    }


def test_empty_messages_are_dropped_and_their_neighbours_merged() -> None:
    messages = [
        Message("developer", "System, by OpenAI's newer name."),
        Message("user", "task"),
        Message("assistant", "  "),
        Message("user", "Call a tool."),
        Message("assistant", "ok"),
        Message("assistant", "", (ToolCall("done", None, "c9"),)),
    ]

    system, wire_messages = to_anthropic_messages(messages)

    assert system == "System, by OpenAI's newer name."
    assert wire_messages == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "task"}, {"type": "text", "text": "Call a tool."}],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "ok"},
                {"type": "tool_use", "id": "c9", "name": "done", "input": {}},
            ],
        },
    ]


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="role 'narrator'"):
        to_anthropic_messages([Message("narrator", "Once upon a time")])


def test_tool_schemas_become_input_schemas() -> None:
    llm = AnthropicBackend(MODEL, api_key="k", base_url="http://127.0.0.1:9")
    registry = tools_from([add])

    request = llm.wire_request(Prompt([Message("user", "hi")], registry.schemas(), 1))

    assert "system" not in request
    assert [t["input_schema"] for t in request["tools"]] == [
        s["parameters"] for s in registry.schemas()
    ]
    assert "tools" not in llm.wire_request(Prompt([Message("user", "hi")], (), 1))
