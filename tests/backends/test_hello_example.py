"""`python -m looplet_core.examples.hello`, run as users run it: in a fresh process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.backends import openai_wire as wire
from tests.backends.loopback import LoopbackServer, Reply

ROOT = Path(__file__).resolve().parents[2]
STEP_LINES = [
    "#1 ✓ add(a=17, b=25) → 42",
    "#2 ✓ word_count(text='the quick brown fox') → 4",
    "#3 ✓ done(answer=\"17 + 25 = 42, and 'the…) → {answer}",
]
ANSWER = "answer: 17 + 25 = 42, and 'the quick brown fox' has 4 words."


def hello(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    return subprocess.run(
        [sys.executable, "-m", "looplet_core.examples.hello", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**clean, **(env or {})},
        timeout=30,
    )


def step_lines(stdout: str) -> list[str]:
    """The `#n` lines without their timings, which vary."""
    return [re.sub(r" \[\d+ms\]$", "", line) for line in stdout.splitlines() if line[:1] == "#"]


def test_scripted_run_prints_each_step_and_the_answer() -> None:
    out = hello("--scripted")

    assert out.returncode == 0, out.stderr
    assert step_lines(out.stdout) == STEP_LINES
    lines = out.stdout.splitlines()
    assert "model: a scripted model (no network)" in lines
    assert "stopped: done (done was called) after 3 steps" in lines
    assert ANSWER in lines
    assert "tokens: 712 in, 83 out" in lines
    assert not any(line.startswith("cost:") for line in lines)  # no price is known
    assert out.stderr == ""


def test_a_run_against_an_openai_compatible_server_configured_by_env() -> None:
    with LoopbackServer() as server:
        server.reply(
            wire.PATH,
            Reply(
                wire.completion(
                    wire.call("add", {"a": 17, "b": 25}, "call_1"),
                    wire.call("word_count", {"text": "the quick brown fox"}, "call_2"),
                    usage=wire.usage(prompt=300, completion=40, cached=100),
                )
            ),
            Reply(
                wire.completion(
                    wire.call(
                        "done",
                        {"answer": "17 + 25 = 42, and 'the quick brown fox' has 4 words."},
                        "call_3",
                    ),
                    usage=wire.usage(prompt=380, completion=30),
                )
            ),
        )
        env = {
            "OPENAI_BASE_URL": f"{server.url}/v1",
            "OPENAI_API_KEY": "sk-hello",
            "OPENAI_MODEL": "hello-model",
        }
        out = hello(env=env)
        bodies = server.bodies(wire.PATH)

    assert out.returncode == 0, out.stderr
    assert step_lines(out.stdout) == STEP_LINES
    lines = out.stdout.splitlines()
    assert f"model: hello-model at {server.url}/v1" in lines
    assert ANSWER in lines
    assert "tokens: 580 in, 100 cached, 70 out" in lines
    assert [body["model"] for body in bodies] == ["hello-model", "hello-model"]
    assert [t["function"]["name"] for t in bodies[0]["tools"]] == ["add", "word_count", "done"]
    assert [m["tool_call_id"] for m in bodies[1]["messages"] if m["role"] == "tool"] == [
        "call_1",
        "call_2",
    ]


def test_missing_configuration_is_one_line_and_exit_code_2() -> None:
    out = hello()

    assert out.returncode == 2
    assert out.stdout == ""
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    for needed in ("OPENAI_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "--scripted"):
        assert needed in out.stderr


def test_a_model_without_a_key_for_openai_itself_is_one_line_too() -> None:
    out = hello(env={"OPENAI_MODEL": "gpt-test"})

    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "OPENAI_API_KEY" in out.stderr and "--scripted" in out.stderr
