"""CheckpointHook and resume, in process: the journal, its atomicity, resuming from
every record boundary, and reconciling a pending call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from looplet_core import (
    ScriptedBackend,
    StopReason,
    ToolCall,
    ToolResult,
    composable_loop,
    tool,
)
from looplet_core.hooks_lib import (
    ApprovalHook,
    Approve,
    CheckpointError,
    CheckpointHook,
    PendingCallError,
    ResumeError,
    Rule,
    load_checkpoint,
    resume,
)
from looplet_core.hooks_lib.checkpoint_resume import LOST_RESULT
from tests.helpers import drive
from tests.hooks_lib.kill_agent import (
    TAGS,
    TASK,
    Notebook,
    other_hooks,
    ran_tags,
    resume_agent,
    script,
    start,
)


class Reference:
    """One uninterrupted run of the kill agent, and its journal."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder / "reference"
        run, self.tools = start(self.dir, folder / "reference.log")
        self.steps, self.result = drive(run)
        self.journal = (self.dir / "checkpoint.jsonl").read_bytes()

    def results_by_call(self) -> dict[str, ToolResult]:
        return {step.tool_call.id: step.tool_result for step in self.steps}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Reference:
    return Reference(tmp_path_factory.mktemp("reference"))


def with_journal(folder: Path, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "checkpoint.jsonl").write_bytes(data)
    return folder


def outcomes(steps):
    """What each step did, without its timings."""
    return [(s.tool_result.data, s.tool_result.error, s.tool_result.error_kind) for s in steps]


# -- the journal ------------------------------------------------------------------


def test_the_journal_records_each_phase_and_reads_back_as_the_finished_run(reference):
    kinds = [json.loads(line)["kind"] for line in reference.journal.splitlines()]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert kinds.count("turn") == kinds.count("response") == len(script())
    assert kinds.count("step") == len(reference.steps)
    assert kinds.count("pending") == kinds.count("result") == len(TAGS) + 1  # + done
    checkpoint = load_checkpoint(reference.dir)
    assert checkpoint.finished and checkpoint.stop_reason == "done"
    assert checkpoint.final_messages == reference.result.messages
    assert checkpoint.steps == tuple(reference.steps)
    assert checkpoint.tools_state == {"notes": ["alpha", "beta", "gamma", "delta"]}
    assert checkpoint.size == len(reference.journal)


def test_the_conversation_is_stored_as_what_each_turn_added(reference):
    records = [json.loads(line) for line in reference.journal.splitlines()]
    turns = [r for r in records if r["kind"] == "turn"]
    assert len(turns[0]["messages"]) == 2  # system prompt and task
    assert sum(len(r["messages"]) for r in turns) < 2 * len(reference.result.messages)
    # turn 6's pre_prompt rewrote the history, so turn 7 stores all of it again
    assert [r["turn"] for r in turns if r.get("reset")] == [7]
    assert not any("Reminder" in m["content"] for m in turns[-1]["messages"])


def test_a_torn_last_record_is_ignored_and_a_damaged_earlier_one_is_an_error(reference, tmp_path):
    lines = reference.journal.split(b"\n")
    cut = len(b"\n".join(lines[:10])) + 1
    torn = with_journal(tmp_path / "torn", reference.journal[: cut + 15])
    assert load_checkpoint(torn).size == cut
    garbled = with_journal(tmp_path / "garbled", reference.journal[:cut] + b"{nope\n")
    assert load_checkpoint(garbled).size == cut  # a bad last line counts as torn
    damaged = with_journal(tmp_path / "damaged", b"\n".join([*lines[:3], b"{nope", *lines[4:]]))
    with pytest.raises(CheckpointError, match=r"checkpoint.jsonl line 4: damaged record"):
        load_checkpoint(damaged)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (None, "no checkpoint here"),
        (b"", "empty or not a looplet-checkpoint journal"),
        (b'{"kind": "turn"}\n{"kind": "turn"}\n', "not a looplet-checkpoint start"),
    ],
)
def test_what_is_not_a_checkpoint_is_one_line(tmp_path, data, problem):
    folder = tmp_path / "ckpt"
    if data is not None:
        with_journal(folder, data)
    with pytest.raises(CheckpointError, match=problem) as caught:
        load_checkpoint(folder)
    assert "\n" not in str(caught.value)


def test_a_directory_holds_one_run(reference, tmp_path):
    with pytest.raises(FileExistsError, match="use resume"):
        drive(
            composable_loop(
                ScriptedBackend(script()),
                Notebook(str(tmp_path / "log")),
                TASK,
                hooks=[CheckpointHook(reference.dir)],
            )
        )


def test_a_journal_torn_before_its_first_record_is_started_afresh(reference, tmp_path):
    folder = with_journal(tmp_path / "new", reference.journal[:40])
    _, result = drive(start(folder, tmp_path / "log")[0])
    assert result.messages == reference.result.messages
    assert load_checkpoint(folder).final_messages == reference.result.messages


# -- resuming ---------------------------------------------------------------------


def boundaries(journal: bytes) -> list[int]:
    """Every committed prefix of the journal, and a torn one inside each record."""
    ends = [index + 1 for index, byte in enumerate(journal) if byte == ord("\n")]
    starts = [0, *ends[:-1]]
    return sorted(
        {*ends, *(start + (end - start) // 2 for start, end in zip(starts, ends, strict=True))}
    )


def test_resuming_from_any_point_gives_the_uninterrupted_conversation(reference, tmp_path):
    """The process 'dies' after every record and inside every record; resuming each
    time (a pending call counts as not run: its effects died with the process)
    reaches exactly the reference messages, steps, answer and registry state."""
    resumed = 0
    for cut in boundaries(reference.journal):
        if cut <= reference.journal.index(b"\n"):
            continue  # no start record: nothing to resume (see the test above)
        folder = with_journal(tmp_path / f"cut{cut}", reference.journal[:cut])
        checkpoint = load_checkpoint(folder)
        if checkpoint.finished:
            assert checkpoint.final_messages == reference.result.messages
            continue
        pending = None if checkpoint.pending is None else "not_done"
        run, tools = resume_agent(folder, tmp_path / f"cut{cut}.log", pending=pending)
        _, result = drive(run)
        resumed += 1
        assert result.messages == reference.result.messages, cut
        assert outcomes(result.steps) == outcomes(reference.steps)
        assert [s.tool_call for s in result.steps] == [s.tool_call for s in reference.steps]
        assert (result.answer, result.usage, result.turns) == (
            reference.result.answer,
            reference.result.usage,
            reference.result.turns,
        )
        assert tools.notes == reference.tools.notes
        after = load_checkpoint(folder)
        assert after.finished and after.final_messages == reference.result.messages
    assert resumed > 60


def test_a_resumed_run_can_die_and_be_resumed_again(reference, tmp_path):
    cut = boundaries(reference.journal)[len(boundaries(reference.journal)) // 3]
    first = with_journal(tmp_path / "first", reference.journal[:cut])
    pending = None if load_checkpoint(first).pending is None else "not_done"
    drive(resume_agent(first, tmp_path / "first.log", pending=pending)[0])
    continued = (first / "checkpoint.jsonl").read_bytes()
    resumes = continued.index(b'{"kind":"resume"')
    for again in [point for point in boundaries(continued) if point > resumes]:
        folder = with_journal(tmp_path / f"again{again}", continued[:again])
        checkpoint = load_checkpoint(folder)
        if checkpoint.finished:
            continue
        pending = None if checkpoint.pending is None else "not_done"
        _, result = drive(resume_agent(folder, tmp_path / "again.log", pending=pending)[0])
        assert result.messages == reference.result.messages, again


def journal_upto(reference: Reference, kind: str, tag: str) -> bytes:
    """The journal up to and including the `kind` record of the call tagged `tag`."""
    lines = reference.journal.split(b"\n")
    for index, line in enumerate(lines):
        record = json.loads(line)
        if record["kind"] == kind and record["call"]["args"].get("tag") == tag:
            return b"\n".join(lines[: index + 1]) + b"\n"
    raise AssertionError(f"no {kind} record for {tag}")


def test_a_pending_call_is_refused_by_default_naming_the_call(reference, tmp_path):
    folder = with_journal(tmp_path / "p", journal_upto(reference, "pending", "t6"))
    with pytest.raises(PendingCallError) as caught:
        resume_agent(folder, tmp_path / "log")
    message = str(caught.value)
    assert 'step 7: note({"tag": "t6", "text": "gamma"})' in message
    assert "pending='done'" in message and "pending='not_done'" in message
    assert caught.value.pending.call.args == {"tag": "t6", "text": "gamma"}
    assert load_checkpoint(folder).size == len(journal_upto(reference, "pending", "t6"))


def test_a_call_marked_not_done_runs_again(reference, tmp_path):
    folder = with_journal(tmp_path / "p", journal_upto(reference, "pending", "t6"))
    log = tmp_path / "log"
    _, result = drive(resume_agent(folder, log, pending="not_done")[0])
    assert ran_tags(log) == ["t6", "t7", "t8", "t9"]
    assert result.messages == reference.result.messages


def test_a_call_marked_done_is_not_run_and_gets_the_given_result(reference, tmp_path):
    folder = with_journal(tmp_path / "p", journal_upto(reference, "pending", "t6"))
    log = tmp_path / "log"
    given = reference.results_by_call()["call_4_1"]
    run, tools = resume_agent(folder, log, pending="done", result=given)
    tools.notes.append("gamma")  # what the call did to the registry, which the user knows
    _, result = drive(run)
    assert ran_tags(log) == ["t7", "t8", "t9"]
    assert result.messages == reference.result.messages
    resumed = [json.loads(line) for line in (folder / "checkpoint.jsonl").read_text().splitlines()]
    marks = [r["marked"] for r in resumed if r["kind"] == "resume"]
    assert marks == [{"as": "done", "step": 7, "call": marks[0]["call"], "result": given.to_dict()}]


def test_a_call_marked_done_without_a_result_tells_the_model_it_was_lost(reference, tmp_path):
    folder = with_journal(tmp_path / "p", journal_upto(reference, "pending", "t6"))
    _, result = drive(resume_agent(folder, tmp_path / "log", pending="done")[0])
    note = next(m for m in result.messages if m.tool_call_id == "call_4_1")
    assert note.content == LOST_RESULT


def test_a_marked_call_stays_marked_if_the_resumed_run_dies_before_reaching_it(reference, tmp_path):
    folder = with_journal(tmp_path / "p", journal_upto(reference, "pending", "t6"))
    given = reference.results_by_call()["call_4_1"]
    run, _ = resume_agent(folder, tmp_path / "log", pending="done", result=given)
    next(run)  # replays t5 only, then the process "dies"
    run.close()
    checkpoint = load_checkpoint(folder)
    assert checkpoint.pending is None and checkpoint.stop_reason == "closed"
    log = tmp_path / "log2"
    run, tools = resume_agent(folder, log)
    tools.notes.append("gamma")
    _, result = drive(run)
    assert "t6" not in ran_tags(log)
    assert result.messages == reference.result.messages


def test_calls_already_run_are_replayed_not_run_again(reference, tmp_path):
    folder = with_journal(tmp_path / "p", journal_upto(reference, "result", "t3"))
    log = tmp_path / "log"
    steps, result = drive(resume_agent(folder, log)[0])
    assert ran_tags(log) == ["t4", "t5", "t6", "t7", "t8", "t9"]
    replayed = [
        [(e.decision, e.reason) for e in s.hook_trace if e.hook == "resume" and e.decision]
        for s in steps[:3]
    ]
    recorded = ("replace", "recorded before the run stopped")
    rewritten = ("rewrite", "the arguments it ran with before the run stopped")
    assert [s.tool_call.args["tag"] for s in steps[:3]] == ["t2", "t3", "t4"]
    assert replayed == [[recorded], [rewritten, recorded], []]
    assert result.messages == reference.result.messages


@pytest.mark.parametrize("option", ["done", "not_done"])
def test_marking_when_nothing_is_pending_is_refused(reference, tmp_path, option):
    folder = with_journal(tmp_path / "p", journal_upto(reference, "result", "t3"))
    with pytest.raises(ResumeError, match="no call is pending"):
        resume_agent(folder, tmp_path / "log", pending=option)


def test_a_finished_run_is_not_resumed(reference):
    with pytest.raises(ResumeError, match=r"already finished \(done\)"):
        resume_agent(reference.dir, reference.dir / "unused.log")


def test_a_run_that_ended_on_a_model_error_resumes(tmp_path):
    @tool
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    def broken(prompt):
        raise ConnectionError("the provider is down")

    first = [ToolCall("add", {"a": 1, "b": 2}), broken]
    folder = tmp_path / "ckpt"
    _, ended = drive(
        composable_loop(ScriptedBackend(first), [add], "sum", hooks=[CheckpointHook(folder)])
    )
    assert ended.stop_reason == StopReason.LLM_ERROR
    assert load_checkpoint(folder).model_calls == 1
    rest = ScriptedBackend([ToolCall("done", {"answer": "3"})])
    _, result = drive(resume(folder, rest, [add]))
    assert result.answer == {"answer": "3"}
    assert [m.role for m in result.messages] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
    ]


def test_registry_state_needs_a_registry_that_can_take_it(reference, tmp_path):
    @tool
    def note(tag: str, text: str) -> str:
        """Stateless stand-in."""
        return text

    folder = with_journal(tmp_path / "p", journal_upto(reference, "result", "t3"))
    with pytest.raises(
        ResumeError, match="holds tool registry state, but ToolRegistry has no restore_state"
    ):
        resume(folder, ScriptedBackend([]), [note])


def test_resume_restores_the_model_backend_state_when_it_keeps_one(tmp_path):
    class Counting(ScriptedBackend):
        def checkpoint_state(self):
            return {"calls": self.calls}

        def restore_state(self, data):
            self.calls = data["calls"]

    @tool
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    replies = [
        ToolCall("add", {"a": 1, "b": 2}),
        ToolCall("add", {"a": 3, "b": 4}),
        ToolCall("done", {"answer": "10"}),
    ]
    folder = tmp_path / "ckpt"
    run = composable_loop(Counting(replies), [add], "sum", hooks=[CheckpointHook(folder)])
    next(run)
    run.close()  # stops during turn 1: turn 2 has not started
    _, result = drive(resume(folder, Counting(replies), [add]))
    assert [s.tool_call.args for s in result.steps] == [
        {"a": 1, "b": 2},
        {"a": 3, "b": 4},
        {"answer": "10"},
    ]


def test_debug_state_counts_what_was_written(reference, tmp_path):
    hook = CheckpointHook(tmp_path / "ckpt")
    drive(
        composable_loop(
            ScriptedBackend(script()),
            Notebook(str(tmp_path / "log")),
            TASK,
            hooks=[hook, *other_hooks()],
        )
    )
    state = hook.debug_state()
    assert state["records"] == len(reference.journal.splitlines())
    assert state["bytes"] == (tmp_path / "ckpt" / "checkpoint.jsonl").stat().st_size


def pending_records(folder: Path) -> list[dict]:
    lines = (folder / "checkpoint.jsonl").read_text().splitlines()
    return [r["call"]["args"] for r in map(json.loads, lines) if r["kind"] == "pending"]


def test_the_pending_marker_records_calls_as_they_will_run(tmp_path):
    """With `last` at the end the record holds the rewritten call; without it, the proposed one."""
    shout = ToolCall("shout", {"tag": "t", "text": "hi"})
    done = ToolCall("done", {"answer": "ok"})
    for name, marker in (("with", True), ("without", False)):
        checkpoint = CheckpointHook(tmp_path / name)
        hooks = [checkpoint, *other_hooks(), *([checkpoint.last] if marker else [])]
        tools = Notebook(str(tmp_path / "log"))
        drive(composable_loop(ScriptedBackend([shout, done]), tools, TASK, hooks=hooks))
    assert pending_records(tmp_path / "with")[0]["text"] == "hi!"
    assert pending_records(tmp_path / "without")[0]["text"] == "hi"


def test_a_run_killed_while_a_person_decides_leaves_no_pending_call(tmp_path):
    def walks_away(request):
        raise KeyboardInterrupt

    folder = tmp_path / "ckpt"
    checkpoint = CheckpointHook(folder)
    approval = ApprovalHook([Rule("done", "allow")], ask=walks_away)
    tools = Notebook(str(tmp_path / "log"))
    with pytest.raises(KeyboardInterrupt):
        drive(
            composable_loop(
                ScriptedBackend(script()),
                tools,
                TASK,
                hooks=[checkpoint, approval, checkpoint.last],
            )
        )
    stopped = load_checkpoint(folder)
    assert (stopped.pending, stopped.stop_reason) == (None, "error")
    approval = ApprovalHook([Rule("done", "allow")], ask=lambda request: Approve())
    llm = ScriptedBackend(script()[stopped.model_calls :])
    _, result = drive(resume(folder, llm, Notebook(str(tmp_path / "log")), hooks=[approval]))
    assert result.answer == {"answer": "four notes"}
