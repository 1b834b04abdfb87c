"""Compaction stages and the chain: what each removes, that none separates a call from
its result, Summarize's fallback, and the chain skipping stages that fail or misbehave."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from looplet_core import LLMResponse, LoopState, Message, ToolCall, Usage
from looplet_core.hooks_lib.compaction import compact_chain
from looplet_core.hooks_lib.compaction_stages import Budget, Prune, StageResult, Summarize, Truncate
from looplet_core.hooks_lib.compaction_units import (
    estimate_tokens,
    head_length,
    pairing_problems,
    units,
)


def turn(number: int, calls: int = 1, size: int = 400, text: str = "") -> list[Message]:
    """One assistant message calling `calls` tools, and their results of `size` chars."""
    ids = [f"c{number}_{i}" for i in range(calls)]
    assistant = Message(
        "assistant", text, tuple(ToolCall("read", {"n": number}, call_id) for call_id in ids)
    )
    results = [Message("tool", f"{call_id}:" + "x" * size, (), call_id, "read") for call_id in ids]
    return [assistant, *results]


def conversation(turns: int, calls: int = 1, size: int = 400) -> list[Message]:
    head = [Message("system", "You are an agent."), Message("user", "Read everything.")]
    return head + [m for n in range(1, turns + 1) for m in turn(n, calls, size)]


def tokens(messages) -> int:
    return sum(estimate_tokens(m) for m in messages)


# -- the shape of a conversation -------------------------------------------------


def test_units_keep_a_call_with_all_its_results() -> None:
    messages = [*conversation(2, calls=2), Message("user", "hurry")]
    assert head_length(messages) == 2
    assert units(messages, 2) == [(2, 5), (5, 8), (8, 9)]


def test_pairing_problems_name_orphan_results_and_unanswered_calls() -> None:
    messages = conversation(3, calls=2)
    assert pairing_problems(messages) == frozenset()
    without_call = messages[:2] + messages[3:]  # turn 1's assistant message is gone
    assert pairing_problems(without_call) == {
        "the result for call 'c1_0' has no call before it",
        "the result for call 'c1_1' has no call before it",
    }
    without_result = messages[:4] + messages[5:]  # c1_1's result is gone
    assert pairing_problems(without_result) == {"call 'c1_1' has no result"}
    interrupted = [*messages[:3], Message("user", "wait"), *messages[3:]]
    assert "call 'c1_1' has no result" in pairing_problems(interrupted)


def test_the_default_estimate_is_about_four_characters_a_token() -> None:
    assert estimate_tokens(Message("user", "x" * 400)) == 104  # 100 + the message overhead
    call = Message("assistant", "", (ToolCall("read", {"path": "a"}, "id1"),))
    assert estimate_tokens(call) > estimate_tokens(Message("assistant", ""))


# -- Prune -------------------------------------------------------------------------


def test_prune_shortens_old_long_results_oldest_first_and_keeps_recent_ones() -> None:
    messages = conversation(6, size=2000)
    budget = Budget(tokens(messages) - 900, estimate_tokens)
    result = Prune(keep_recent=2, min_chars=200).compact(messages, budget)
    assert result is not None
    assert result.detail["tool_results"] == ["c1_0", "c2_0"]  # just enough, oldest first
    assert result.removed == f"pruned 2 tool results ({2 * len(messages[3].content):,} chars)"
    pruned = result.messages
    assert len(pruned) == len(messages) and pairing_problems(pruned) == frozenset()
    assert pruned[3].content.startswith("[looplet pruned this tool result")
    assert pruned[3].tool_call_id == "c1_0" and pruned[-1] == messages[-1]
    assert tokens(pruned) <= budget.target


def test_prune_leaves_short_recent_and_already_pruned_results_alone() -> None:
    messages = conversation(4, size=100)
    assert Prune(min_chars=200).compact(messages, Budget(1, estimate_tokens)) is None
    long = conversation(4, size=2000)
    once = Prune(keep_recent=1).compact(long, Budget(1, estimate_tokens))
    assert once is not None and once.detail["tool_results"] == ["c1_0", "c2_0", "c3_0"]
    assert (
        Prune(keep_recent=1, min_chars=0).compact(once.messages, Budget(1, estimate_tokens)) is None
    )


def test_prune_leaves_results_its_note_would_not_make_smaller() -> None:
    messages = conversation(4, size=50)  # results of 55 chars, a note of about 64
    assert Prune(keep_recent=1, min_chars=10).compact(messages, Budget(1, estimate_tokens)) is None
    budget = Budget(tokens(messages) - 20, estimate_tokens)
    out, reports = compact_chain(Prune(keep_recent=1, min_chars=10), Truncate(1)).run(
        messages, budget
    )
    assert [(r.stage, r.error) for r in reports] == [("truncate", None)]  # no failed prune
    assert tokens(out) <= budget.target


# -- Truncate ----------------------------------------------------------------------


def test_truncate_drops_whole_turns_after_the_task_and_says_how_many() -> None:
    messages = conversation(6, calls=2)
    budget = Budget(tokens(messages) // 2, estimate_tokens)
    result = Truncate(keep_recent=2).compact(messages, budget)
    assert result is not None
    out = result.messages
    assert out[:2] == messages[:2]  # the system prompt and the task stay
    assert out[2].role == "user" and "removed 12 earlier messages" in out[2].content
    assert out[3:] == messages[14:]
    calls = [f"c{n}_{i}" for n in (1, 2, 3, 4) for i in (0, 1)]
    assert result.detail == {"messages": 12, "calls": calls}
    assert pairing_problems(out) == frozenset() and tokens(out) <= budget.target


def test_a_second_truncation_counts_the_first() -> None:
    messages = conversation(8)
    first = Truncate(keep_recent=1).compact(
        messages, Budget(tokens(messages) // 2, estimate_tokens)
    )
    assert first is not None
    dropped_first = first.detail["messages"]
    later = first.messages + turn(9) + turn(10)
    second = Truncate(keep_recent=1).compact(later, Budget(tokens(later) // 2, estimate_tokens))
    assert second is not None
    notes = [m for m in second.messages if m.content.startswith("[looplet removed")]
    assert len(notes) == 1
    assert f"removed {dropped_first + second.detail['messages']} earlier" in notes[0].content


def test_truncate_keeps_the_last_units_even_over_budget() -> None:
    messages = conversation(2)
    result = Truncate(keep_recent=2).compact(messages, Budget(1, estimate_tokens))
    assert result is None


# -- Summarize ---------------------------------------------------------------------


class Model:
    """A backend that answers from a list (an exception is raised) and keeps the prompts."""

    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.prompts = []

    def generate(self, prompt):
        self.prompts.append(prompt)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_summarize_replaces_the_middle_with_the_models_summary_and_counts_its_usage() -> None:
    messages = conversation(6)
    state = LoopState("Read everything.", messages)
    state.cost = 1.0
    model = Model(LLMResponse("Read files 1-4; all were x.", usage=Usage(900, 30), cost=0.5))
    result = Summarize(model, keep_recent=2).compact(messages, Budget(10, estimate_tokens, state))
    assert result is not None
    out = result.messages
    assert out[:2] == messages[:2] and out[3:] == messages[-4:]
    assert out[2].role == "user" and out[2].content.endswith("Read files 1-4; all were x.")
    assert "summary of 8 earlier messages" in out[2].content
    assert pairing_problems(out) == frozenset()
    asked = model.prompts[0].messages[-1].content
    assert "Read everything." in asked and "c4_0" in asked and "c5_0" not in asked
    assert model.prompts[0].tools == ()
    assert state.usage == Usage(900, 30) and state.cost == 1.5
    assert result.detail["usage"]["input_tokens"] == 900


@pytest.mark.parametrize(
    ("answer", "why"),
    [(ConnectionError("offline"), "ConnectionError: offline"), (LLMResponse("  "), "empty")],
)
def test_summarize_falls_back_to_truncation_when_the_model_fails(answer, why) -> None:
    messages = conversation(6)
    budget = Budget(tokens(messages) // 2, estimate_tokens, LoopState("t", messages))
    result = Summarize(Model(answer), keep_recent=2).compact(messages, budget)
    assert result is not None
    assert result.removed.startswith("summary failed (") and why in result.removed
    assert "so dropped" in result.removed and why in result.detail["summary_failed"]
    assert any("earlier messages here" in m.content for m in result.messages)
    assert pairing_problems(result.messages) == frozenset()


def test_summarize_without_any_model_falls_back_too() -> None:
    messages = conversation(6)
    result = Summarize(keep_recent=2).compact(messages, Budget(10, estimate_tokens))
    assert result is not None and "no model to summarise with" in result.removed


def test_summarize_fails_when_the_fallback_cannot_help() -> None:
    messages = conversation(3)
    stage = Summarize(Model(ConnectionError("offline")), keep_recent=2, fallback=Truncate(5))
    with pytest.raises(RuntimeError, match=r"the summary failed .*offline.* removed nothing"):
        stage.compact(messages, Budget(10, estimate_tokens))


# -- the chain ---------------------------------------------------------------------


class Exploding:
    name = "exploding"

    def compact(self, messages, budget):
        raise ValueError("bad stage")


class Orphaning:
    """Drops the first assistant message but keeps its results: invalid for every API."""

    def compact(self, messages, budget):
        return StageResult(messages[:2] + messages[3:], "dropped a call", {})


def test_the_chain_stops_as_soon_as_the_conversation_fits() -> None:
    messages = conversation(6, size=2000)
    budget = Budget(tokens(messages) - 400, estimate_tokens)
    out, reports = compact_chain(Prune(), Truncate()).run(messages, budget)
    assert [r.stage for r in reports] == ["prune"]
    assert tokens(out) <= budget.target


def test_the_chain_skips_a_stage_that_raises_or_breaks_pairing_and_goes_on() -> None:
    messages = conversation(6)
    budget = Budget(tokens(messages) // 2, estimate_tokens)
    out, reports = compact_chain(Exploding(), Orphaning(), Truncate()).run(messages, budget)
    assert [(r.stage, r.error is None) for r in reports] == [
        ("exploding", False),
        ("Orphaning", False),
        ("truncate", True),
    ]
    assert reports[0].error == "ValueError: bad stage"
    assert "would break tool call pairing" in reports[1].error and "c1_0" in reports[1].error
    assert pairing_problems(out) == frozenset() and tokens(out) <= budget.target


def test_compact_chain_refuses_what_is_not_a_stage() -> None:
    with pytest.raises(TypeError, match="int is not a compaction stage"):
        compact_chain(Prune(), 3)
    with pytest.raises(ValueError, match="at least one stage"):
        compact_chain()


# -- the invariant, on many shapes ---------------------------------------------------

shapes = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3000), st.booleans()), min_size=1, max_size=12
)


def build(shape) -> list[Message]:
    messages = [Message("system", "sys"), Message("user", "task")]
    for number, (calls, size, nudge) in enumerate(shape):
        if calls:
            messages += turn(number, calls, size, text="thinking " * (size % 7))
        else:
            messages.append(Message("assistant", "y" * size))
        if nudge:
            messages.append(Message("user", "keep going"))
    return messages


@settings(max_examples=150, deadline=None)
@given(shapes, st.floats(0.05, 1.0), st.booleans())
def test_no_chain_ever_separates_a_call_from_its_result(shape, fraction, summary_fails) -> None:
    messages = build(shape)
    before = tokens(messages)
    answer = ConnectionError("down") if summary_fails else LLMResponse("summary")
    chain = compact_chain(
        Prune(keep_recent=1), Summarize(Model(answer), keep_recent=2), Truncate(1)
    )
    out, _ = chain.run(messages, Budget(max(int(before * fraction), 1), estimate_tokens))
    assert pairing_problems(out) == frozenset()
    assert out[:2] == messages[:2]
    assert tokens(out) <= before


def test_the_chain_refuses_a_stage_that_makes_the_conversation_bigger() -> None:
    messages = conversation(4, size=10)
    verbose = Summarize(Model(LLMResponse("w" * 5000)), keep_recent=1)
    out, reports = compact_chain(verbose).run(messages, Budget(10, estimate_tokens))
    assert out == messages
    assert reports[0].error.startswith("its result was not smaller (")
