"""The scripted demo agent, end to end: steps, hook trace and stop reason, exactly."""

from __future__ import annotations

from pathlib import Path

from looplet_core import Allow, Deny, ErrorKind, StopReason, Usage, composable_loop
from looplet_core.examples.demo import build_demo
from tests.helpers import drive


class TmpOnlyDeletes:
    name = "tmp-only"

    def pre_dispatch(self, state, call):
        if call.name != "delete_file":
            return None
        if call.args["path"].endswith(".tmp"):
            return Allow("temporary file")
        return Deny("only .tmp files may be deleted")


class ErrorCounter:
    def __init__(self) -> None:
        self.errors = 0

    def post_dispatch(self, state, call, result):
        self.errors += not result.ok

    def check_done(self, state, call, result):
        return None


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_demo_run_is_exactly_as_scripted(tmp_path: Path) -> None:
    agent = build_demo(tmp_path)
    counter = ErrorCounter()
    steps, result = drive(
        composable_loop(
            agent.llm,
            agent.tools,
            agent.task,
            hooks=[TmpOnlyDeletes(), counter],
            config=agent.config,
        )
    )
    quiet = [("tmp-only", "pre_dispatch", None, ""), ("ErrorCounter", "post_dispatch", None, "")]
    expected = [
        (1, 1, "list_files", {"directory": "."}, None, quiet),
        (2, 2, "read_file", {"path": "notes.txt"}, None, quiet),
        (3, 3, "move_file", {"source": "notes.txt", "destination": "docs/notes.txt"}, None, quiet),
        (4, 3, "move_file", {"source": "todo.md", "destination": "docs/todo.md"}, None, quiet),
        (
            5,
            4,
            "move_file",
            {"source": "photo.jpeg", "destination": "images/photo.jpg"},
            ErrorKind.EXECUTION,
            quiet,
        ),
        (
            6,
            5,
            "move_file",
            {"source": "photo.jpg", "destination": "images/photo.jpg"},
            None,
            quiet,
        ),
        (
            7,
            6,
            "delete_file",
            {"path": "draft.tmp"},
            None,
            [("tmp-only", "pre_dispatch", "allow", "temporary file"), quiet[1]],
        ),
        (8, 7, "list_files", {"directory": "."}, None, quiet),
        (
            9,
            8,
            "done",
            {
                "answer": "Moved notes.txt and todo.md to docs/, photo.jpg to images/, "
                "and deleted draft.tmp."
            },
            None,
            [*quiet, ("ErrorCounter", "check_done", None, "")],
        ),
    ]
    actual = [
        (
            s.number,
            s.turn,
            s.tool_call.name,
            s.tool_call.args,
            s.tool_result.error_kind,
            [(e.hook, e.phase, e.decision, e.reason) for e in s.hook_trace],
        )
        for s in steps
    ]
    assert actual == expected
    assert steps[0].tool_result.data == ["draft.tmp", "notes.txt", "photo.jpg", "todo.md"]
    assert steps[4].tool_result.error == "FileNotFoundError: no such file: photo.jpeg"
    assert steps[7].tool_result.data == ["docs/notes.txt", "docs/todo.md", "images/photo.jpg"]
    assert result.stop_reason is StopReason.DONE
    assert result.answer == expected[-1][3]
    assert result.usage == Usage(8400, 614)
    assert result.hook_trace == ()
    assert counter.errors == 1
    assert files_under(tmp_path) == ["docs/notes.txt", "docs/todo.md", "images/photo.jpg"]


def test_a_denied_delete_leaves_the_file_and_tells_the_model(tmp_path: Path) -> None:
    class NoDeletes:
        def pre_dispatch(self, state, call):
            return Deny("deleting needs a human") if call.name == "delete_file" else None

    agent = build_demo(tmp_path)
    steps, result = drive(composable_loop(agent.llm, agent.tools, agent.task, hooks=[NoDeletes()]))
    denied = steps[6]
    assert denied.pretty() == "#7 ✗ delete_file(path='draft.tmp') → ERROR: denied [0ms]"
    assert Path(tmp_path, "draft.tmp").exists()
    tool_message = next(m for m in result.messages if m.tool_call_id == denied.tool_call.id)
    assert tool_message.content == "ERROR (denied): deleting needs a human"


def test_sandbox_tools_refuse_paths_outside_the_workspace(tmp_path: Path) -> None:
    from looplet_core import ToolCall

    agent = build_demo(tmp_path / "ws")
    outside = tmp_path / "secret.txt"
    outside.write_text("keep out")
    result = agent.tools.dispatch(ToolCall("read_file", {"path": "../secret.txt"}))
    assert result.error_kind is ErrorKind.PERMISSION
    assert "outside the workspace" in result.error
