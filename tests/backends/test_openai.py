"""The OpenAI backend against a real HTTP server, through the real `openai` SDK.

Every test that makes a call runs the SDK against `LoopbackServer`, then checks
both sides: what the SDK put on the wire, and what the loop made of the reply.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from looplet_core import (
    ErrorKind,
    LoopState,
    Message,
    StopReason,
    ToolCall,
    Usage,
    composable_loop,
    tool,
    tools_from,
)
from looplet_core.backends.openai import (
    NO_KEY_PLACEHOLDER,
    OpenAIBackend,
    parse_arguments,
    usage_of,
    wire_messages,
    wire_tools,
)
from looplet_core.backends.pricing import Price
from looplet_core.backends.retry import RetryPolicy
from tests.backends import openai_wire as wire
from tests.backends.loopback import LoopbackServer, Reply
from tests.helpers import drive

ROOT = Path(__file__).resolve().parents[2]
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, jitter=0.0)
ENV_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "OPENAI_ADMIN_KEY",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_CUSTOM_HEADERS",
)


@tool
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@tool
def word_count(text: str) -> int:
    """Count the words in a text.

    Args:
        text: The text to count.
    """
    return len(text.split())


TOOLS = tools_from([add, word_count])
TASK = "What is 17 + 25, and how many words are in 'the quick brown fox'?"
SYSTEM = "Use the tools."


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK reads OPENAI_* variables itself; none from the outer shell may leak in."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def backend_for(server: LoopbackServer, **options: object) -> OpenAIBackend:
    options.setdefault("retry", FAST)
    options.setdefault("api_key", "sk-test")
    return OpenAIBackend("gpt-test", base_url=f"{server.url}/v1", **options)  # type: ignore[arg-type]


def run(backend: OpenAIBackend, **options: object):
    return drive(composable_loop(backend, TOOLS, TASK, system_prompt=SYSTEM, **options))  # type: ignore[arg-type]


def done_reply(answer: str = "42, and 4 words", **fields: object) -> dict:
    return wire.completion(wire.call("done", {"answer": answer}, "call_done"), **fields)  # type: ignore[arg-type]


def endpoint(server: LoopbackServer) -> str:
    return f"{server.url}/v1"


# -- a whole run ---------------------------------------------------------------


def test_a_multi_turn_tool_run_sends_and_reads_the_wire_format(server: LoopbackServer) -> None:
    server.reply(
        wire.PATH,
        Reply(
            wire.completion(
                wire.call("add", {"a": 17, "b": 25}, "call_add"),
                wire.call("word_count", {"text": "the quick brown fox"}, "call_wc"),
                content="Let me work both out.",
                usage=wire.usage(prompt=120, completion=30),
            )
        ),
        Reply(
            done_reply(
                usage=wire.usage(prompt=200, completion=20, cached=64),
                reasoning_content="Both results are in.",
                model="gpt-test-2025-01-01",
            )
        ),
    )
    responses = []

    class Keep:
        def on_llm_response(self, state, prompt, response):
            responses.append(response)

    steps, result = run(backend_for(server), hooks=[Keep()])

    # What the SDK sent: the first request is exactly the task and the tool schemas ...
    first, second = server.bodies(wire.PATH)
    system_and_task = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": TASK},
    ]
    schemas = [{"type": "function", "function": schema} for schema in TOOLS.schemas()]
    assert first == {"model": "gpt-test", "messages": system_and_task, "tools": schemas}
    assert [tool["function"]["name"] for tool in first["tools"]] == ["add", "word_count", "done"]
    # ... and the second echoes the assistant's calls, each answered under its own id.
    assert second["messages"] == [
        *system_and_task,
        {
            "role": "assistant",
            "content": "Let me work both out.",
            "tool_calls": [
                {
                    "id": "call_add",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 17, "b": 25}'},
                },
                {
                    "id": "call_wc",
                    "type": "function",
                    "function": {
                        "name": "word_count",
                        "arguments": '{"text": "the quick brown fox"}',
                    },
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_add", "content": "42"},
        {"role": "tool", "tool_call_id": "call_wc", "content": "4"},
    ]
    assert second["tools"] == schemas
    headers = server.requests[0].headers
    assert headers["authorization"] == "Bearer sk-test"
    assert headers["x-stainless-retry-count"] == "0"

    # What the loop made of the replies.
    assert [(s.turn, s.tool_call.name, s.tool_call.id, s.tool_result.data) for s in steps] == [
        (1, "add", "call_add", 42),
        (1, "word_count", "call_wc", 4),
        (2, "done", "call_done", {"answer": "42, and 4 words"}),
    ]
    assert steps[0].tool_call.args == {"a": 17, "b": 25}
    assert steps[0].tool_call.text == "Let me work both out."
    assert steps[2].tool_call.reasoning == "Both results are in."
    assert steps[0].usage == steps[1].usage == Usage(120, 30, 0, 0)
    assert steps[2].usage == Usage(input_tokens=136, output_tokens=20, cache_read_tokens=64)
    assert result.stop_reason is StopReason.DONE
    assert result.answer == {"answer": "42, and 4 words"}
    assert result.turns == 2
    assert result.usage == Usage(256, 50, 64, 0)
    assert result.cost is None and all(step.cost is None for step in steps)
    assert all(step.latency_ms > 0 for step in steps)

    # The response keeps the wire data: the request as sent, the reply as received.
    assert [r.finish_reason for r in responses] == ["tool_calls", "tool_calls"]
    assert [r.model for r in responses] == ["gpt-test", "gpt-test-2025-01-01"]
    assert [json.loads(json.dumps(r.raw_request)) for r in responses] == [first, second]
    assert responses[1].raw_response["choices"][0]["message"]["reasoning_content"] == (
        "Both results are in."
    )
    assert responses[1].raw_response["usage"] == wire.usage(prompt=200, completion=20, cached=64)


def test_a_text_reply_goes_back_as_plain_assistant_content(server: LoopbackServer) -> None:
    """No native call and no JSON in the text: a parse-error step, then the model tries again."""
    server.reply(
        wire.PATH,
        Reply(wire.completion(content="It is 42.", usage=wire.usage(10, 3))),
        Reply(done_reply()),
    )
    steps, result = run(backend_for(server))

    assert steps[0].tool_call.name == "" and steps[0].tool_result.error_kind is ErrorKind.PARSE
    assert result.stop_reason is StopReason.DONE
    messages = server.bodies(wire.PATH)[1]["messages"]
    assert messages[2] == {"role": "assistant", "content": "It is 42."}
    assert messages[3]["role"] == "user"
    assert messages[3]["content"].startswith("Your last reply could not be used")


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [('{"a": 17, "b": 25', "not valid JSON"), ("[17, 25]", "not a JSON object")],
)
def test_malformed_arguments_become_a_parse_error_the_model_can_fix(
    server: LoopbackServer, arguments: str, problem: str
) -> None:
    server.reply(
        wire.PATH,
        Reply(wire.completion(wire.call("add", arguments, "call_bad"))),
        Reply(done_reply()),
    )
    steps, result = run(backend_for(server))

    bad = steps[0]
    assert bad.tool_call.id == "call_bad"
    assert bad.tool_call.args == arguments  # kept verbatim
    assert bad.tool_result.error_kind is ErrorKind.PARSE
    assert problem in bad.tool_result.error
    assert result.stop_reason is StopReason.DONE
    messages = server.bodies(wire.PATH)[1]["messages"]
    assert messages[2]["tool_calls"][0]["function"]["arguments"] == arguments
    assert messages[3]["role"] == "tool"
    assert messages[3]["tool_call_id"] == "call_bad"
    assert messages[3]["content"].startswith("ERROR (parse): the arguments for tool 'add'")


def test_cancelling_during_a_slow_call_discards_the_late_reply(server: LoopbackServer) -> None:
    """Another thread cancels while the request is out; the reply that arrives is dropped."""
    server.reply(wire.PATH, Reply(done_reply(), delay=0.3))

    class CancelSoon:
        def pre_prompt(self, state, prompt):
            threading.Timer(0.05, state.cancel).start()

    steps, result = run(backend_for(server), state=LoopState(TASK), hooks=[CancelSoon()])

    assert steps == []
    assert result.stop_reason is StopReason.CANCELLED
    assert result.reason == "cancelled during the model call"
    assert len(server.requests) == 1


# -- faults --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value", "wait"), [("retry-after-ms", "200", 0.2), ("retry-after", "1", 1.0)]
)
def test_a_rate_limit_waits_as_long_as_the_server_asks(
    server: LoopbackServer, header: str, value: str, wait: float
) -> None:
    server.reply(wire.PATH, wire.error(429, "slow down", {header: value}), Reply(done_reply()))
    started = time.monotonic()

    steps, result = run(backend_for(server))

    assert time.monotonic() - started >= wait
    assert steps[0].latency_ms >= wait * 1000
    assert result.stop_reason is StopReason.DONE
    assert len(server.requests) == 2


@pytest.mark.parametrize("fault", [wire.error(500, "oops"), Reply(drop=True)], ids=["500", "drop"])
def test_a_server_error_or_dropped_connection_is_retried(
    server: LoopbackServer, fault: Reply
) -> None:
    server.reply(wire.PATH, fault, Reply(done_reply()))

    _steps, result = run(backend_for(server))

    assert result.stop_reason is StopReason.DONE
    assert len(server.requests) == 2
    assert server.bodies(wire.PATH)[0] == server.bodies(wire.PATH)[1]


def test_repeated_503s_end_the_run_once_the_policy_gives_up(server: LoopbackServer) -> None:
    server.reply(wire.PATH, *[wire.error(503, "overloaded")] * 3)

    steps, result = run(backend_for(server))

    assert steps == []
    assert result.stop_reason is StopReason.LLM_ERROR
    assert len(server.requests) == 3
    assert endpoint(server) in result.error
    assert "gpt-test" in result.error
    assert "gave up after 3 attempts" in result.error
    assert "HTTP 503" in result.error and "overloaded" in result.error


def test_a_reply_slower_than_the_timeout_is_retried_then_fails(server: LoopbackServer) -> None:
    server.reply(wire.PATH, *[Reply(done_reply(), delay=1.0)] * 2)
    backend = backend_for(server, timeout=0.3, retry=RetryPolicy(max_attempts=2, base_delay=0.01))
    started = time.monotonic()

    _steps, result = run(backend)

    assert time.monotonic() - started < 1.0
    assert result.stop_reason is StopReason.LLM_ERROR
    assert len(server.requests) == 2
    assert "timed out" in result.error and "gave up after 2 attempts" in result.error
    assert endpoint(server) in result.error and "gpt-test" in result.error


@pytest.mark.parametrize(
    ("status", "meaning"), [(401, "authentication failed"), (400, "bad request")]
)
def test_client_errors_fail_at_once(server: LoopbackServer, status: int, meaning: str) -> None:
    server.reply(wire.PATH, wire.error(status, "no such thing"), Reply(done_reply()))

    _steps, result = run(backend_for(server))

    assert result.stop_reason is StopReason.LLM_ERROR
    assert len(server.requests) == 1
    assert f"HTTP {status} {meaning}" in result.error
    assert "not retried" in result.error
    assert endpoint(server) in result.error and "gpt-test" in result.error


def test_a_reply_without_choices_ends_the_run_with_a_clear_error(server: LoopbackServer) -> None:
    body = wire.completion()
    body["choices"] = []
    server.reply(wire.PATH, Reply(body), Reply(done_reply()))

    _steps, result = run(backend_for(server))

    assert result.stop_reason is StopReason.LLM_ERROR
    assert len(server.requests) == 1
    assert "the response has no choices (not retried)" in result.error
    assert endpoint(server) in result.error and "gpt-test" in result.error


def test_an_error_sent_with_status_200_is_named_in_the_message(server: LoopbackServer) -> None:
    server.reply(wire.PATH, Reply({"error": {"message": "upstream provider unavailable"}}))

    _steps, result = run(backend_for(server))

    assert result.stop_reason is StopReason.LLM_ERROR
    assert "no choices" in result.error and "upstream provider unavailable" in result.error


# -- cost ----------------------------------------------------------------------


def test_cost_comes_from_the_price_table(server: LoopbackServer) -> None:
    server.reply(
        wire.PATH,
        Reply(
            wire.completion(wire.call("add", {"a": 1, "b": 2}, "c1"), usage=wire.usage(1000, 99))
        ),
        Reply(done_reply(usage=wire.usage(prompt=2000, completion=50, cached=1500))),
    )
    prices = {"gpt-test": Price(input=2.0, output=8.0, cache_read=0.5)}

    steps, result = run(backend_for(server, prices=prices))

    first = (1000 * 2.0 + 99 * 8.0) / 1e6
    second = (500 * 2.0 + 50 * 8.0 + 1500 * 0.5) / 1e6
    assert steps[0].cost == pytest.approx(first)
    assert steps[1].cost == pytest.approx(second)
    assert result.cost == pytest.approx(first + second)


def test_a_model_missing_from_the_price_table_has_no_cost(server: LoopbackServer) -> None:
    server.reply(wire.PATH, Reply(done_reply(usage=wire.usage(10, 5))))

    steps, result = run(backend_for(server, prices={"other-model": Price(1.0, 1.0)}))

    assert steps[0].cost is None and result.cost is None


# -- configuration -------------------------------------------------------------


def test_extra_params_go_into_every_request_body(server: LoopbackServer) -> None:
    """Known fields pass as SDK arguments, a server's own fields (top_k) via extra_body."""
    server.reply(wire.PATH, Reply(done_reply()))

    run(backend_for(server, temperature=0.2, top_k=40, tool_choice="required"))

    body = server.bodies(wire.PATH)[0]
    assert (body["temperature"], body["top_k"], body["tool_choice"]) == (0.2, 40, "required")


def test_from_env_reads_the_three_variables(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", endpoint(server))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_MODEL", "model-from-env")
    server.reply(wire.PATH, Reply(done_reply()))

    backend = OpenAIBackend.from_env(retry=FAST)
    _steps, result = run(backend)

    assert (backend.model, backend.endpoint) == ("model-from-env", endpoint(server))
    assert result.stop_reason is StopReason.DONE
    assert server.bodies(wire.PATH)[0]["model"] == "model-from-env"
    assert server.requests[0].headers["authorization"] == "Bearer sk-from-env"


def test_from_env_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_MODEL", "model-from-env")
    backend = OpenAIBackend.from_env(model="gpt-other", base_url="http://127.0.0.1:9/v1")
    assert (backend.model, backend.endpoint) == ("gpt-other", "http://127.0.0.1:9/v1")


def test_from_env_without_a_model_says_what_to_set() -> None:
    with pytest.raises(ValueError, match="OPENAI_MODEL is not set"):
        OpenAIBackend.from_env(api_key="sk-test")


def test_no_key_for_openai_itself_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"no API key for https://api\.openai\.com/v1") as caught:
        OpenAIBackend("gpt-test")
    assert "OPENAI_API_KEY" in str(caught.value) and "OPENAI_BASE_URL" in str(caught.value)


def test_a_local_server_needs_no_key(server: LoopbackServer) -> None:
    server.reply(wire.PATH, Reply(done_reply()))

    _steps, result = run(OpenAIBackend("llama3.2", base_url=endpoint(server), retry=FAST))

    assert result.stop_reason is StopReason.DONE
    assert server.requests[0].headers["authorization"] == f"Bearer {NO_KEY_PLACEHOLDER}"


def test_a_ready_client_is_used_as_is(server: LoopbackServer) -> None:
    import openai

    client = openai.OpenAI(base_url=endpoint(server), api_key="sk-own", max_retries=0)
    server.reply(wire.PATH, Reply(done_reply()))

    backend = OpenAIBackend("gpt-test", client=client, retry=FAST)
    _steps, result = run(backend)

    assert result.stop_reason is StopReason.DONE
    assert backend.client is client and backend.endpoint == endpoint(server)
    assert server.requests[0].headers["authorization"] == "Bearer sk-own"


def test_streaming_is_refused() -> None:
    with pytest.raises(ValueError, match="does not stream"):
        OpenAIBackend("gpt-test", api_key="sk-test", stream=True)


def test_a_missing_sdk_names_the_extra_to_install() -> None:
    code = """
import sys
from importlib.abc import MetaPathFinder

class NoOpenAI(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "openai" or name.startswith("openai."):
            raise ImportError(f"blocked: {name}")
        return None

sys.meta_path.insert(0, NoOpenAI())
from looplet_core.backends.openai import OpenAIBackend
try:
    OpenAIBackend("gpt-test", api_key="sk-test")
except ImportError as exc:
    print(exc)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "pip install 'looplet-tui[openai]'" in out.stdout


# -- the translation, without HTTP ---------------------------------------------


def test_wire_messages_translates_every_role() -> None:
    messages = [
        Message("system", "be brief"),
        Message("user", "hi"),
        Message(
            "assistant",
            "",
            (ToolCall("add", {"a": 1, "b": 2}, "c1"), ToolCall("add", '{"a": 1', "c2")),
        ),
        Message("tool", "3", tool_call_id="c1", name="add"),
        Message("tool", "ERROR (parse): ...", tool_call_id="c2", name="add"),
        Message("assistant", "thinking aloud"),
    ]
    assert wire_messages(messages) == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
                },
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 1'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "3"},
        {"role": "tool", "tool_call_id": "c2", "content": "ERROR (parse): ..."},
        {"role": "assistant", "content": "thinking aloud"},
    ]


def test_wire_tools_wraps_each_schema_as_a_function() -> None:
    schema = {"name": "f", "description": "d", "parameters": {"type": "object"}}
    assert wire_tools([schema]) == [{"type": "function", "function": schema}]


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ('{"a": 1}', {"a": 1}),
        ("", {}),
        ("  ", {}),
        (None, {}),
        ("null", {}),
        ({"a": 1}, {"a": 1}),
        ("[1]", "[1]"),
        ('"text"', '"text"'),
        ("{oops", "{oops"),
    ],
)
def test_parse_arguments(raw: object, parsed: object) -> None:
    assert parse_arguments(raw) == parsed


def test_usage_keeps_the_four_counts_disjoint() -> None:
    class Details:
        cached_tokens = 30
        cache_write_tokens = 50

    class Counts:
        prompt_tokens = 100
        completion_tokens = 7
        prompt_tokens_details = Details()

    assert usage_of(Counts()) == Usage(20, 7, 30, 50)
    assert usage_of(None) == Usage()
