"""ThresholdCompactHook in real runs: the model never sees more than the limit nor a
broken conversation, and every compaction is in the trace (hook entry, snapshot,
annotation) and in debug_state()."""

from __future__ import annotations

import pytest

from looplet_core import (
    LLMResponse,
    Message,
    Replace,
    ScriptedBackend,
    ToolCall,
    Usage,
    composable_loop,
    tool,
)
from looplet_core.hooks_lib.compaction import ThresholdCompactHook, _Counted, compact_chain
from looplet_core.hooks_lib.compaction_stages import Summarize, Truncate
from looplet_core.hooks_lib.compaction_units import estimate_tokens, pairing_problems
from looplet_core.provenance import ProvenanceSink, open_trace
from tests.helpers import drive


@tool
def read(page: int) -> str:
    """Read one long page."""
    return f"page {page}: " + "lorem ipsum " * 150


def tokens(messages) -> int:
    return sum(estimate_tokens(m) for m in messages)


class Watcher:
    """Script items that read every prompt the model is sent, then answer."""

    def __init__(self, pages: int) -> None:
        self.seen: list[list[Message]] = []
        calls = [ToolCall("read", {"page": n}) for n in range(pages)]
        self.backend = ScriptedBackend(
            [self.answer(call) for call in [*calls, ToolCall("done", {"answer": "read"})]]
        )

    def answer(self, call: ToolCall):
        def respond(prompt):
            self.seen.append(list(prompt.messages))
            return call

        return respond


def test_the_model_never_sees_more_than_the_limit_or_a_broken_conversation() -> None:
    watcher = Watcher(pages=12)
    hook = ThresholdCompactHook(1500)
    steps, result = drive(composable_loop(watcher.backend, [read], "Read 12 pages.", hooks=[hook]))
    assert result.stop_reason == "done" and len(steps) == 13
    assert len(hook.compactions) >= 2
    for prompt in watcher.seen:
        assert tokens(prompt) <= 1500
        assert pairing_problems(prompt) == frozenset()
        assert prompt[1] == Message("user", "Read 12 pages.")
    for compaction in hook.compactions:
        assert compaction.tokens_before > 1500 >= compaction.tokens_after
        assert compaction.messages_after < compaction.messages_before


def test_every_compaction_is_in_the_trace_and_in_debug_state(tmp_path) -> None:
    sink = ProvenanceSink(tmp_path / "run")
    hook = ThresholdCompactHook(1500, recorder=sink)
    watcher = Watcher(pages=8)
    drive(composable_loop(watcher.backend, [read], "Read 8 pages.", hooks=[hook, sink]))

    trace = open_trace(tmp_path / "run")
    recorded = trace.meta.annotations["compactions"]
    assert recorded == [c.to_dict() for c in hook.compactions] and recorded
    for compaction in hook.compactions:
        detail = trace.detail(compaction.step - 1)
        entries = [e for e in detail.step.hook_trace if e.hook == "compaction" and e.decision]
        assert [(e.phase, e.decision) for e in entries] == [("pre_prompt", "edit")]
        reason = entries[0].reason
        assert reason == compaction.describe()
        assert f"{compaction.tokens_before:,} → {compaction.tokens_after:,} tokens" in reason
        assert "prune: pruned" in reason
        assert detail.prompt is not None and len(detail.prompt) == compaction.messages_after
        assert tokens(detail.prompt) == compaction.tokens_after
    state = hook.debug_state()
    assert state["compactions"] == len(hook.compactions)
    assert state["last"] == recorded[-1] and state["chain"] == ["prune", "truncate"]
    assert state["tokens_removed"] == sum(c["tokens_before"] - c["tokens_after"] for c in recorded)


class SummarisingModel:
    """The run's model: it plays the script, and answers a request with no tools
    (a summary request) with a summary."""

    def __init__(self, pages: int) -> None:
        self.script = ScriptedBackend(
            [ToolCall("read", {"page": n}) for n in range(pages)]
            + [ToolCall("done", {"answer": "read"})]
        )
        self.summaries = 0

    def generate(self, prompt):
        if not prompt.tools:
            self.summaries += 1
            return LLMResponse("Pages so far were lorem ipsum.", usage=Usage(500, 10))
        return self.script.generate(prompt)


def test_summarize_uses_the_runs_own_model_when_given_none() -> None:
    model = SummarisingModel(pages=10)
    hook = ThresholdCompactHook(2000, chain=compact_chain(Summarize(keep_recent=2)), target=1000)
    _steps, result = drive(composable_loop(model, [read], "Read 10 pages.", hooks=[hook]))
    assert result.stop_reason == "done" and model.summaries == len(hook.compactions) >= 1
    assert result.usage.input_tokens == 500 * model.summaries  # the scripted turns cost nothing
    assert any("Pages so far were lorem ipsum." in m.content for m in result.messages)
    assert "summarize: summarised" in hook.compactions[0].describe()


def test_a_conversation_that_cannot_shrink_is_left_alone_and_said_so() -> None:
    hook = ThresholdCompactHook(50, chain=compact_chain(Truncate()))
    llm = ScriptedBackend([ToolCall("done", {"answer": "ok"})])
    steps, _ = drive(composable_loop(llm, [read], "x" * 1000, hooks=[hook]))
    assert hook.compactions == []
    assert [(e.decision, e.reason) for e in steps[0].hook_trace if e.hook == "compaction"] == [
        (None, "")
    ]
    assert "is over the limit of 50 and nothing could be removed" in hook.last_failure


def test_a_failing_stage_is_named_in_the_trace_and_the_next_one_runs() -> None:
    class Broken:
        name = "broken"

        def compact(self, messages, budget):
            raise OSError("disk on fire")

    hook = ThresholdCompactHook(1500, chain=compact_chain(Broken(), Truncate()))
    steps, _ = drive(composable_loop(Watcher(pages=8).backend, [read], "Read.", hooks=[hook]))
    reasons = [e.reason for s in steps for e in s.hook_trace if e.decision == "edit"]
    assert reasons and all("broken: broken failed (OSError: disk on fire)" in r for r in reasons)
    assert all("truncate: dropped" in r for r in reasons)


def test_the_running_count_matches_a_full_count_through_appends_and_rewrites() -> None:
    counted = _Counted()
    messages = [Message("system", "s"), Message("user", "task")]
    assert counted.tokens(messages, 0, estimate_tokens) == tokens(messages)
    messages.append(Message("assistant", "a" * 99))
    assert counted.tokens(messages, 0, estimate_tokens) == tokens(messages)
    messages[-1] = Message("assistant", "b")  # edited in place: the last message changed
    assert counted.tokens(messages, 0, estimate_tokens) == tokens(messages)
    rewritten = [messages[0]]
    assert counted.tokens(rewritten, 1, estimate_tokens) == tokens(rewritten)


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="limit must be a positive int"):
        ThresholdCompactHook(0)
    with pytest.raises(ValueError, match="target must be an int between 1 and limit"):
        ThresholdCompactHook(100, target=200)
    with pytest.raises(ValueError, match="keep_recent must be an int of at least 1"):
        Truncate(keep_recent=0)


# -- the core decision compaction uses ------------------------------------------------


def test_pre_prompt_replace_edits_the_conversation_with_its_reason() -> None:
    class Trim:
        def pre_prompt(self, state, prompt):
            return Replace(list(prompt.messages[1:]), "dropped the system prompt")

    seen = []
    llm = ScriptedBackend([lambda p: seen.append(list(p.messages)) or ToolCall("done", {})])
    steps, _result = drive(composable_loop(llm, [read], "task", hooks=[Trim()]))
    assert seen == [[Message("user", "task")]]
    assert [(e.decision, e.reason) for e in steps[0].hook_trace] == [
        ("edit", "dropped the system prompt")
    ]


def test_pre_prompt_replace_must_hold_a_message_list() -> None:
    class Wrong:
        def pre_prompt(self, state, prompt):
            return Replace("not messages", "oops")

    llm = ScriptedBackend([ToolCall("done", {})])
    with pytest.raises(TypeError, match="holding str; expected a list of Messages"):
        drive(composable_loop(llm, [read], "task", hooks=[Wrong()]))
