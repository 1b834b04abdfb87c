"""mini-swe-agent trajectories (`*.traj.json`), read into our model.

The fixtures were written by mini-swe-agent 2.4.6 itself
(tests/trace/fixtures/README.md).  Expected values come from the fixture
files wherever they hold them, so the tests check the mapping, not a copy of it.
"""

from __future__ import annotations

import json
import os

import pytest

from looplet_core import ErrorKind
from looplet_core.provenance import Trace, TraceError, open_trace
from looplet_core.provenance.formats.minisweagent import MiniSweAgentTrace
from looplet_core.provenance.formats.minisweagent_steps import group_steps
from looplet_core.provenance.formats.salvage import salvage_object
from tests.trace.foreign import FIVE_MB, MINISWEAGENT, copy_fixture, load_json, use_everything

TOOLCALL = MINISWEAGENT / "toolcall_submitted.traj.json"
TEXTBASED = MINISWEAGENT / "textbased_submitted.traj.json"
LIMITS = MINISWEAGENT / "deterministic_limits.traj.json"


def commands(document: dict) -> list[str]:
    """Every command the agent ran, in order, straight from the file."""
    return [
        action["command"]
        for message in document["messages"]
        if message["role"] == "assistant"
        for action in message["extra"]["actions"]
    ]


def write(path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2))  # as mini-swe-agent writes it


@pytest.fixture
def toolcall(tmp_path):
    return copy_fixture(TOOLCALL, tmp_path / "run.traj.json")


# -- the fixtures, as written ---------------------------------------------------------


@pytest.mark.parametrize("path", [TOOLCALL, TEXTBASED, LIMITS], ids=lambda p: p.name)
def test_each_action_is_one_bash_step(path) -> None:
    document = load_json(path)
    trace = open_trace(path)
    assert isinstance(trace, Trace) and isinstance(trace, MiniSweAgentTrace)
    assert trace.problems == []
    assert [trace.detail(i).step.tool_call.args["command"] for i in range(len(trace))] == commands(
        document
    )
    assert {summary.tool for summary in trace.steps} == {"bash"}
    assert [summary.number for summary in trace.steps] == list(range(1, len(trace) + 1))
    use_everything(trace)


def test_observations_are_results_and_a_nonzero_returncode_is_an_error() -> None:
    document = load_json(TOOLCALL)
    observations = [m for m in document["messages"] if m["role"] == "tool"]
    trace = open_trace(TOOLCALL)
    assert [s.ok for s in trace.steps] == [True, True, True, False, True]
    assert trace.steps[3].error_kind == ErrorKind.EXECUTION
    for index, observation in enumerate(observations):
        step = trace.detail(index).step
        assert step.tool_result.data == observation["extra"]["raw_output"]
        assert step.tool_call.id == observation["tool_call_id"]
    failed = trace.detail(3).step.tool_result
    assert failed.error == "exit code 1" and "No such file or directory" in failed.data


def test_the_submitting_command_takes_its_result_from_the_exit_message() -> None:
    document = load_json(TOOLCALL)
    last = open_trace(TOOLCALL).detail(4).step
    assert "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" in last.tool_call.args["command"]
    assert last.ok and last.tool_result.data == document["info"]["submission"] == "hi\n"


def test_commands_of_one_reply_share_its_turn_and_usage() -> None:
    trace = open_trace(TOOLCALL)
    assert [s.turn for s in trace.steps] == [1, 2, 2, 3, 4]
    usage = load_json(TOOLCALL)["messages"][2]["extra"]["response"]["usage"]
    for summary in trace.steps:
        assert (summary.input_tokens, summary.output_tokens) == (
            usage["prompt_tokens"],
            usage["completion_tokens"],
        )
    second, third = trace.detail(1), trace.detail(2)
    assert second.response == third.response and len(second.response.tool_calls) == 2


def test_the_prompt_is_every_message_before_the_reply_and_the_response_is_the_reply() -> None:
    document = load_json(TOOLCALL)
    messages = document["messages"]
    trace = open_trace(TOOLCALL)
    detail = trace.detail(3)  # `cat missing.txt`, the reply at messages[7]
    assert [m.role for m in detail.prompt] == [m["role"] for m in messages[:7]]
    assert [m.content for m in detail.prompt] == [m["content"] for m in messages[:7]]
    assert detail.prompt[-1].tool_call_id == "call_cat_003"
    assert detail.prompt[4].tool_calls[1].args == {"command": "cat f.txt"}
    reply = messages[7]
    response = detail.response
    assert response.text == reply["content"] == detail.step.tool_call.text
    assert response.raw_response == reply["extra"]["response"]
    assert response.model == "gpt-4o-mini" and response.finish_reason == "stop"
    assert response.cost == reply["extra"]["cost"] == detail.step.cost
    assert response.usage.total_tokens == reply["extra"]["response"]["usage"]["total_tokens"]
    assert detail.time == reply["extra"]["timestamp"]
    assert detail.problems == ()


def test_a_format_error_is_no_step_but_a_turn_in_the_prompt_and_the_totals() -> None:
    document = load_json(TEXTBASED)
    trace = open_trace(TEXTBASED)
    meta = trace.meta
    assert len(trace) == 4 and meta.turns == document["info"]["model_stats"]["api_calls"] == 5
    assert [s.turn for s in trace.steps] == [1, 3, 4, 5]
    assert meta.settings["format_errors"] == 1
    assert meta.usage.input_tokens == 5 * 10 and meta.usage.output_tokens == 5 * 20
    feedback = [m for m in trace.detail(1).prompt if m.content.startswith("Format error")]
    assert len(feedback) == 1 and feedback[0].role == "user"
    assert [s.ok for s in trace.steps] == [True, True, False, True]
    assert trace.detail(2).step.tool_result.error == "exit code 2"


def test_a_timeout_is_a_timeout_error_with_its_duration() -> None:
    trace = open_trace(LIMITS)
    assert [s.ok for s in trace.steps] == [True, True, False, False]
    assert [s.error_kind for s in trace.steps][2:] == ["execution", "timeout"]
    timed_out = trace.detail(3).step.tool_result
    assert timed_out.error.endswith("Command 'sleep 3' timed out after 1 seconds")
    messages = load_json(LIMITS)["messages"]
    ran = (messages[-2]["extra"]["timestamp"] - messages[-4]["extra"]["timestamp"]) * 1000
    assert trace.steps[3].duration_ms == pytest.approx(ran) and 1000 <= ran < 2000


@pytest.mark.parametrize(
    ("path", "stop_reason", "answer", "model"),
    [
        (TOOLCALL, "done", "hi\n", "gpt-4o-mini"),
        (TEXTBASED, "done", "", "gpt-4o-mini"),
        (LIMITS, "max_steps", None, "deterministic"),
    ],
    ids=["toolcall", "textbased", "limits"],
)
def test_meta_comes_from_info(path, stop_reason, answer, model) -> None:
    info = load_json(path)["info"]
    meta = open_trace(path).meta
    assert meta.format == "mini-swe-agent-1.1" and meta.forked_from is None
    assert meta.task == "Create f.txt containing the word hi, show it, then submit."
    assert meta.stop_reason == stop_reason and info["exit_status"] in meta.reason
    assert meta.answer == answer and meta.model == model and meta.finished
    assert meta.cost == info["model_stats"]["instance_cost"]
    assert meta.turns == info["model_stats"]["api_calls"]
    assert meta.settings["mini_version"] == info["mini_version"] == "2.4.6"
    assert meta.settings["agent"]["step_limit"] == info["config"]["agent"]["step_limit"]
    assert [tool["name"] for tool in meta.tools] == ["bash"]
    assert meta.error is None and meta.duration_ms > 0


def test_the_conversation_ends_with_the_exit_message(toolcall) -> None:
    document = load_json(toolcall)
    conversation = open_trace(toolcall).conversation()
    assert len(conversation) == len(document["messages"])
    assert conversation[-1].role == "exit" and conversation[-1].content == "hi\n"
    document["messages"].pop()  # still running: no exit yet, and info says so
    document["info"].update(exit_status="", submission="")
    write(toolcall, document)
    trace = open_trace(toolcall)
    assert trace.conversation() is None and not trace.meta.finished
    assert trace.meta.stop_reason is None and not trace.steps[4].ok  # no result yet
    assert trace.steps[4].error_kind == "skipped"


def test_a_crash_is_an_error_with_the_exception(toolcall) -> None:
    document = load_json(toolcall)
    document["messages"][-1] = {
        "role": "exit",
        "content": "boom",
        "extra": {"exit_status": "RuntimeError", "submission": "", "exception_str": "boom"},
    }
    write(toolcall, document)
    meta = open_trace(toolcall).meta
    assert meta.stop_reason == "error" and meta.error == "boom" and meta.answer is None


# -- grouping, alone ------------------------------------------------------------------


def reply(*commands: str) -> dict:
    return {
        "role": "assistant",
        "content": "",
        "extra": {"actions": [{"command": c} for c in commands]},
    }


def observation(code: int) -> dict:
    return {"role": "user", "content": "", "extra": {"returncode": code, "raw_output": ""}}


def test_a_submit_within_a_reply_drops_the_other_observations_of_that_reply() -> None:
    messages = [
        {"role": "system", "content": "s"},
        reply("ls"),
        observation(0),
        reply("echo a", "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT", "echo never"),
        {"role": "exit", "content": "", "extra": {"exit_status": "Submitted", "submission": ""}},
    ]
    found = group_steps(messages)
    assert [entry[4] for entry in found.entries] == [2, -1, 4, -1]
    assert found.exit_index == 4 and found.turns == 2 and found.problems == []


def test_damaged_messages_are_named_and_skipped() -> None:
    messages = [
        "not a message",
        {"role": "assistant", "content": "", "extra": {"actions": {"command": "ls"}}},
        reply("ls"),
        {"role": "user", "extra": "not a dict"},
        {"role": "assistant", "extra": {"actions": [{"cmd": "ls"}, 7]}},
    ]
    found = group_steps(messages)
    assert found.problems == [
        "messages[0] is a string, not a message",
        "messages[1]: an assistant message without an actions list",
        "messages[4]: action 1 has no command",
        "messages[4]: action 2 has no command",
    ]
    assert [entry[2:5] for entry in found.entries] == [(2, 0, -1), (4, 0, -1), (4, 1, -1)]


# -- damage -----------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_a_file_cut_short_loads_every_whole_message(toolcall, keep) -> None:
    data = toolcall.read_bytes()
    start = data.index(b'"messages": [')
    cut = data[: start + int((len(data) - start) * keep)]
    toolcall.write_bytes(cut)
    salvaged, _ = salvage_object(cut.decode())
    whole = salvaged["messages"]
    assert 0 < len(whole) < len(load_json(TOOLCALL)["messages"])
    trace = open_trace(toolcall)
    assert len(trace) == len(group_steps(whole).entries)
    assert any("run.traj.json: invalid JSON; " in p and "cut short" in p for p in trace.problems)
    assert trace.conversation() is None  # the exit message is gone
    use_everything(trace)


def test_garbage_in_the_middle_costs_only_the_message_it_hits(toolcall) -> None:
    text = toolcall.read_text()
    at = text.index('"content": "Check that no stray file exists')
    toolcall.write_text(text[:at] + "\x00garbage}}]]" + text[at + 40 :])
    trace = open_trace(toolcall)
    assert "messages: 1 damaged stretch(es) skipped" in trace.problems[0]
    assert len(trace) == 4  # the reply with `cat missing.txt` is gone, its neighbours are not
    assert trace.detail(3).step.tool_result.data == "hi\n" and trace.meta.finished
    use_everything(trace)


def test_invalid_utf8_is_replaced_and_reported(toolcall) -> None:
    toolcall.write_bytes(toolcall.read_bytes().replace(b"Let me look", b"Let \xff\xfeme look"))
    trace = open_trace(toolcall)
    assert trace.problems == ["run.traj.json: invalid UTF-8 (undecodable bytes shown as U+FFFD)"]
    assert trace.detail(0).response.text.startswith("Let \ufffd\ufffdme look")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(messages={"0": "x"}), "messages is an object, not a list"),
        (lambda d: d.update(info=[1]), "info is an array, not an object"),
        (lambda d: d["messages"].insert(3, "stray"), "messages[3] is a string, not a message"),
        (lambda d: d["messages"][2]["extra"].update(actions=[{}]), "action 1 has no command"),
        (lambda d: d["messages"][2].update(extra=5), "an assistant message without an actions"),
        (lambda d: d.update(trajectory_format="mini-swe-agent-2.0"), "this reader knows"),
    ],
    ids=["messages-dict", "info-list", "message-string", "no-command", "extra-int", "version"],
)
def test_valid_json_of_the_wrong_shape_is_named(toolcall, change, problem) -> None:
    document = load_json(toolcall)
    change(document)
    write(toolcall, document)
    trace = open_trace(toolcall)
    assert any(problem in p for p in trace.problems), trace.problems
    use_everything(trace)


def test_odd_values_inside_messages_never_escape(toolcall) -> None:
    document = load_json(toolcall)
    document["messages"][3]["extra"].update(returncode="0", timestamp="now")
    document["messages"][2]["extra"]["response"].update(usage={"prompt_tokens": "ten"}, choices=7)
    document["messages"][2]["content"] = [{"type": "text", "text": "part"}, 3]
    document["messages"][-1]["extra"] = None
    write(toolcall, document)
    trace = open_trace(toolcall)
    assert trace.steps[0].ok and trace.steps[0].input_tokens == 0
    assert trace.detail(0).response.text == "part"
    use_everything(trace)


def test_a_huge_output_loads_with_a_short_preview(toolcall) -> None:
    document = load_json(toolcall)
    document["messages"][2]["extra"]["actions"][0]["command"] = "x" * FIVE_MB
    document["messages"][3]["extra"]["raw_output"] = "y" * FIVE_MB
    write(toolcall, document)
    trace = open_trace(toolcall)
    assert len(trace.steps[0].args_preview) <= 60
    assert len(trace.detail(0).step.tool_result.data) == FIVE_MB


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file, not a trajectory"),
        (b'"' + b"x" * FIVE_MB + b'"', "expected a JSON object, found a string"),
        (b"[1, 2, 3]", "expected a JSON object, found an array"),
        (b"\x00\xff\x1b[31m garbage", "invalid JSON"),
        (b'{"info": 3, "messages": null}', "nothing readable"),
    ],
    ids=["0-bytes", "5MB-string", "array", "garbage", "nothing-usable"],
)
def test_a_file_with_nothing_readable_raises_one_line(toolcall, content, reason) -> None:
    toolcall.write_bytes(content)
    with pytest.raises(TraceError) as caught:
        open_trace(toolcall)
    message = str(caught.value)
    assert message.startswith(f"{toolcall}: ") and reason in message and "\n" not in message
    assert "\x1b" not in message


def test_a_symlink_loop_raises_one_line(tmp_path) -> None:
    looped = tmp_path / "loop.traj.json"
    os.symlink(looped, looped)
    with pytest.raises(TraceError, match=r"loop\.traj\.json: a symbolic link") as caught:
        open_trace(looped)
    assert "\n" not in str(caught.value)


def test_refresh_rereads_the_rewritten_file(toolcall) -> None:
    document = load_json(toolcall)
    messages = document["messages"]
    write(toolcall, {**document, "messages": messages[:4]})
    trace = open_trace(toolcall)
    assert len(trace) == 1 and trace.refresh() == 0
    write(toolcall, {**document, "messages": messages[:7]})
    assert trace.refresh() == 2 and trace.steps[2].args_preview == "command='cat f.txt'"
    whole = json.dumps(document, indent=2)
    toolcall.write_text(whole[: len(whole) // 3])  # caught half written
    assert trace.refresh() == 0 and len(trace) == 3
    assert "showing the last complete read" in trace.problems[0]
    write(toolcall, document)
    assert trace.refresh() == 2 and trace.problems == [] and trace.meta.finished
