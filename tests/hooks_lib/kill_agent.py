"""The agent the kill-and-resume tests run, kill and resume.

    python -m tests.hooks_lib.kill_agent DIR LOG KILL_AT

runs it with a CheckpointHook journaling into DIR.  Every real tool execution
appends `{"tag": ...}` to LOG (one write, so a kill cannot tear it), which is
how a test knows whether a pending call really ran.  With KILL_AT > 0 the
process SIGKILLs itself at the KILL_AT-th Python or C function call after the
run starts (counted with sys.setprofile), so kills land anywhere: inside a
tool, between a tool's effect and its return, inside a journal write, between
steps.  With KILL_AT = 0 it finishes and prints how many calls it counted.

The script mixes one-call and multi-call turns, a reply without a tool call,
a pre_prompt hook that adds a message on turn 4 and one that rewrites the
history on turn 6, a pre_dispatch hook that
rewrites arguments, a post_dispatch hook whose injections land at the end of a
turn, and a registry that keeps state
(`notes`), restored through `checkpoint_state`/`restore_state`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Generator
from typing import Any

from looplet_core import (
    Inject,
    LLMResponse,
    Rewrite,
    RunResult,
    ScriptedBackend,
    Step,
    ToolCall,
    ToolRegistry,
    Usage,
    composable_loop,
    tool,
    tools_from,
)
from looplet_core.hooks_lib import CheckpointHook, load_checkpoint, resume


class Notebook(ToolRegistry):
    """A registry whose tools share a list of notes: state a resume must restore."""

    def __init__(self, log: str) -> None:
        super().__init__()
        self.notes: list[str] = []
        self.log = log

        @tool
        def note(tag: str, text: str) -> str:
            """Add a note."""
            self.notes.append(text)
            self.ran(tag)
            return f"note {len(self.notes)}: {text}"

        @tool
        def count(tag: str) -> int:
            """How many notes there are."""
            self.ran(tag)
            return len(self.notes)

        @tool
        def shout(tag: str, text: str) -> str:
            """Upper-case the text."""
            self.ran(tag)
            return text.upper()

        for item in tools_from([note, count, shout]):
            self.register(item)

    def ran(self, tag: str) -> None:
        descriptor = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(descriptor, (json.dumps({"tag": tag}) + "\n").encode())
        finally:
            os.close(descriptor)

    def checkpoint_state(self) -> dict[str, Any]:
        return {"notes": list(self.notes)}

    def restore_state(self, data: dict[str, Any]) -> None:
        self.notes[:] = data["notes"]


class Reminder:
    """Adds a user message before turn 4's model call."""

    def pre_prompt(self, state: Any, prompt: Any) -> str | None:
        return "Reminder: keep notes short." if state.turn == 4 else None


class Forgetful:
    """Rewrites the history before turn 6's model call, dropping the reminder (as
    compaction rewrites it): the journal must store the conversation afresh."""

    def pre_prompt(self, state: Any, prompt: Any) -> list[Any] | None:
        if state.turn != 6:
            return None
        return [m for m in state.messages if not m.content.startswith("Reminder")]


class Emphasis:
    """Rewrites every shout to end with "!", as an approval edit would."""

    def pre_dispatch(self, state: Any, call: ToolCall) -> Rewrite | None:
        if call.name != "shout":
            return None
        return Rewrite({**call.args, "text": call.args["text"] + "!"}, "emphasis")


class Echo:
    """Each shout leaves a message for the model, added when the turn ends."""

    def post_dispatch(self, state: Any, call: ToolCall, result: Any) -> Inject | None:
        return Inject(f"you shouted {call.args['tag']}") if call.name == "shout" else None


def _calls(*items: tuple[str, dict[str, str]]) -> tuple[ToolCall, ...]:
    return tuple(ToolCall(name, args) for name, args in items)


TURNS: list[tuple[str, tuple[ToolCall, ...]]] = [
    ("first note", _calls(("note", {"tag": "t1", "text": "alpha"}))),
    (
        "three at once",
        _calls(
            ("note", {"tag": "t2", "text": "beta"}),
            ("shout", {"tag": "t3", "text": "hi"}),
            ("count", {"tag": "t4"}),
        ),
    ),
    ("I think that is all.", ()),
    ("more", _calls(("count", {"tag": "t5"}), ("note", {"tag": "t6", "text": "gamma"}))),
    ("loud", _calls(("shout", {"tag": "t7", "text": "done soon"}))),
    (
        "finish",
        _calls(("note", {"tag": "t8", "text": "delta"}), ("count", {"tag": "t9"})),
    ),
    ("bye", _calls(("done", {"answer": "four notes"}))),
]
TASK = "take notes"
TAGS = [call.args["tag"] for _, calls in TURNS for call in calls if "tag" in call.args]


def script() -> list[LLMResponse]:
    return [
        LLMResponse(text=text, tool_calls=calls, usage=Usage(100 + 10 * turn, 5 + turn))
        for turn, (text, calls) in enumerate(TURNS)
    ]


def ran_tags(log: str | os.PathLike[str]) -> list[str]:
    """The tags of the tool executions LOG records, in order."""
    if not os.path.exists(log):
        return []
    with open(log, encoding="utf-8") as file:
        return [json.loads(line)["tag"] for line in file]


def other_hooks() -> list[object]:
    """The hooks besides the CheckpointHook, fresh (a resumed run gets new ones)."""
    return [Reminder(), Forgetful(), Emphasis(), Echo()]


def checkpointed_hooks(directory: str | os.PathLike[str]) -> list[object]:
    """The first run's hooks: the CheckpointHook first, its pending marker last."""
    checkpoint = CheckpointHook(directory)
    return [checkpoint, *other_hooks(), checkpoint.last]


def start(
    directory: str | os.PathLike[str], log: str | os.PathLike[str]
) -> tuple[Generator[Step, None, RunResult], Notebook]:
    """A first run of the agent, journaled into `directory`, and its tools (logging to `log`)."""
    tools = Notebook(str(log))
    hooks = checkpointed_hooks(directory)
    return composable_loop(ScriptedBackend(script()), tools, TASK, hooks=hooks), tools


def resume_agent(
    directory: str | os.PathLike[str], log: str | os.PathLike[str], **options: Any
) -> tuple[Generator[Step, None, RunResult], Notebook]:
    """The journaled run continued by `resume(directory, ..., **options)`, with the
    rest of the script, new tools (logging to `log`) and new hooks; and its tools.
    Raises as `resume` does (PendingCallError, CheckpointError)."""
    tools = Notebook(str(log))
    llm = ScriptedBackend(script()[load_checkpoint(directory).model_calls :])
    return resume(directory, llm, tools, hooks=other_hooks(), **options), tools


def run(directory: str, log: str, kill_at: int) -> int:
    loop, _ = start(directory, log)
    calls = 0

    def count_calls(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1
            if calls == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    sys.setprofile(count_calls)
    for _ in loop:
        pass
    sys.setprofile(None)
    return calls


if __name__ == "__main__":
    print(run(sys.argv[1], sys.argv[2], int(sys.argv[3])), flush=True)
