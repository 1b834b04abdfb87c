"""Secrets never reach the disk, even inside strings too long to keep whole."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from looplet_core import LLMResponse, ToolCall
from looplet_core.provenance import ProvenanceSink, open_trace, redact_secrets
from looplet_core.provenance._format import encode
from looplet_core.provenance.redact import Cleaner
from tests.trace.scenarios import record

SECRETS = {
    "openai": "sk-" + "A1b2C3d4" * 6,
    "openai project": "sk-proj-" + "Zz09_-Yy" * 6,
    "anthropic": "sk-ant-api03-" + "Qw3rTy" * 10,
    "aws": "AKIA" + "ABCDEFGH23456789",
    "github": "ghp_" + "aB3dE5gH7jK9" * 3,
    "github server": "ghs_" + "0123456789abcdefghij" * 2,
    "slack": "xoxb-1234567890-abcdefghijklmn",
}


def all_bytes(directory) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.iterdir()))


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_each_key_shape_is_redacted(name) -> None:
    secret = SECRETS[name]
    assert redact_secrets(f"key: {secret}.") == "key: [REDACTED]."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.DEF-123_xyz~+/=", "Authorization: Bearer [REDACTED]"),
        ("curl -H 'bearer\tabcdefgh12345678'", "curl -H 'bearer\t[REDACTED]'"),
        ("api_key=hunter2hunter2&x=1", "api_key=[REDACTED]&x=1"),
        ('{"api-key": "s3cr3t-value"}', '{"api-key": "[REDACTED]"}'),
        ("APIKEY : 'zzzz9999'", "APIKEY : '[REDACTED]'"),
        ("a task-list and a desk-lamp", "a task-list and a desk-lamp"),
        ("the bearer of bad news", "the bearer of bad news"),
    ],
)
def test_labelled_secrets_keep_their_label(text, expected) -> None:
    assert redact_secrets(text) == expected


def test_a_secret_inside_a_300_kb_argument_never_reaches_the_disk(tmp_path) -> None:
    secret = SECRETS["anthropic"]
    huge = "x" * 250_000 + f" export ANTHROPIC_API_KEY={secret} " + "y" * 50_000
    early = f"{secret} " + "z" * 300_000  # the secret inside the part that is kept
    script = [
        ToolCall("echo", {"text": huge}),
        ToolCall("echo", {"text": early}),
        LLMResponse(
            tool_calls=(ToolCall("done", {"answer": "ok"}),),
            raw_request={"headers": {"Authorization": f"Bearer {secret}"}, "body": huge},
            raw_response={"echo": early},
        ),
    ]
    sink = ProvenanceSink(tmp_path, max_string=200_000)
    record(tmp_path, script, sink=sink)
    data = all_bytes(tmp_path)
    assert secret.encode() not in data
    assert secret[:20].encode() not in data  # not even the part a cut would have left
    assert b"[REDACTED]" in data
    trace = open_trace(tmp_path)
    first = trace.detail(0).step.tool_call.args["text"]
    assert first.startswith("x" * 1000)
    kept = len(redact_secrets(huge))  # the length is counted after redaction, like the cut
    assert first.endswith(f"[truncated by looplet: {kept} chars, first 200000 kept]")
    assert trace.detail(1).step.tool_call.args["text"].startswith("[REDACTED] zzz")
    assert trace.steps[1].args_preview == "text='[REDACTED] zzzzzzzzzzz…"
    # The tool ran with the real argument; the tool's result (its echo) was redacted too.
    result = trace.detail(1).step.tool_result.data
    assert result.startswith("[REDACTED] zzz") and len(result) < 200_100


def test_secrets_in_every_record_kind_are_redacted(tmp_path) -> None:
    secret = SECRETS["openai"]
    sink = ProvenanceSink(
        tmp_path, settings={"note": f"key {secret}", "api_key": "plain-password-123"}
    )

    class Human:
        def pre_dispatch(self, state, call):
            sink.record_human(1, "edit", {"token": secret}, {"text": "fine"})

    script = [
        LLMResponse(
            text=f"I will use {secret}",
            tool_calls=(ToolCall("echo", {"text": f"the key is {secret}"}),),
            raw_request={"messages": [{"role": "user", "content": secret}], "api_key": "hunter2"},
            raw_response={"client_secret": "abc123"},
        ),
        ToolCall("done", {"answer": f"done with {secret}"}),
    ]
    record(tmp_path, script, sink=sink, hooks=[Human()])
    data = all_bytes(tmp_path)
    for leaked in (secret, b"plain-password-123", b"hunter2", b"abc123"):
        assert (leaked if isinstance(leaked, bytes) else leaked.encode()) not in data
    trace = open_trace(tmp_path)
    assert trace.meta.settings["api_key"] == "[REDACTED]"
    assert trace.meta.answer == {"answer": "done with [REDACTED]"}
    response = trace.detail(0).response
    assert response.raw_request["api_key"] == "[REDACTED]"
    assert response.raw_response == {"client_secret": "[REDACTED]"}
    assert trace.detail(0).human[0].before == {"token": "[REDACTED]"}


def test_redaction_can_be_turned_off_or_replaced(tmp_path) -> None:
    secret = SECRETS["github"]
    script = [ToolCall("echo", {"text": f"{secret} and PINEAPPLE"}), ToolCall("done", {})]
    record(tmp_path / "off", script, sink=ProvenanceSink(tmp_path / "off", redact=False))
    assert secret.encode() in all_bytes(tmp_path / "off")

    def custom(text: str) -> str:
        return redact_secrets(text).replace("PINEAPPLE", "[FRUIT]")

    record(tmp_path / "custom", script, sink=ProvenanceSink(tmp_path / "custom", redact=custom))
    data = all_bytes(tmp_path / "custom")
    assert secret.encode() not in data and b"PINEAPPLE" not in data and b"[FRUIT]" in data
    assert open_trace(tmp_path / "custom").meta.settings  # the header went through it too


def test_truncation_applies_without_redaction(tmp_path) -> None:
    script = [ToolCall("echo", {"text": "q" * 50}), ToolCall("done", {})]
    record(tmp_path, script, sink=ProvenanceSink(tmp_path, redact=False, max_string=10))
    args = open_trace(tmp_path).detail(0).step.tool_call.args
    assert args == {"text": "qqqqqqqqqq\n[truncated by looplet: 50 chars, first 10 kept]"}


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_string"):
        ProvenanceSink(max_string=0)
    with pytest.raises(TypeError, match="redact"):
        ProvenanceSink(redact="yes")  # type: ignore[arg-type]


# -- the fast path never skips a secret --------------------------------------------------

_noise = st.text(
    alphabet=st.sampled_from(list('ab Z_-"\\\n\t/=:é\u2028\x85ſK\udcff{}[],')), max_size=12
)
_labels = st.sampled_from(["api_key", "API-KEY", "ApiKey", "Bearer", "bearer", "BEARER"])
_keys = st.sampled_from(
    [
        "api_key",
        "X-Api-Key",
        "client_secret",
        "Password",
        "passwd",
        "access_token",
        "AUTH-TOKEN",
        "Authorization",
        "private_key",
        "session_token",
    ]
)


@given(
    before=_noise,
    after=_noise,
    secret=st.sampled_from(sorted(SECRETS.values())),
    label=_labels,
    separator=st.sampled_from(["=", ": ", " :\t", '": "', " ", "\n"]),
    key=_keys,
)
@settings(max_examples=400, deadline=None)
def test_whatever_would_be_redacted_is_never_skipped_by_the_fast_check(
    before, after, secret, label, separator, key
) -> None:
    """The sink skips the string-by-string walk when a record's JSON text shows no
    trigger; that must never happen to a record holding something to redact."""
    cleaner = Cleaner()
    for text in (before + secret + after, before + label + separator + "v4lue-" + secret[:9]):
        for data in ({"text": text}, {key: before + after + "x"}, [{"deep": [text]}]):
            if cleaner.walk(data) != data:
                assert cleaner.needs_walk(encode(data)), data
