"""The demo agent: a scripted file-tidying run on a real sandbox directory.

It needs no model and no key, yet every tool really touches files, so the demo
shows what a live agent does: a multi-call turn, a mistake the model corrects,
and a destructive `delete_file` that a debugger would want to approve.

    python -m looplet_core.examples.demo
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from looplet_core import (
    LLMResponse,
    LoopConfig,
    ScriptedBackend,
    ToolCall,
    ToolRegistry,
    Usage,
    composable_loop,
    tool,
    tools_from,
)
from looplet_core.examples.console import print_run

TASK = (
    "Tidy the workspace: move documents (.txt, .md) into docs/, images into images/, "
    "and delete temporary files (.tmp). Report what you did."
)

DANGEROUS_TOOLS = frozenset({"delete_file"})
"""Tools a debugger should stop on before they run."""

_FILES = {
    "notes.txt": "Renew passport before March.\nCall the plumber about the kitchen tap.\n",
    "todo.md": "- [ ] back up photos\n- [x] pay rent\n",
    "draft.tmp": "autosave 3 of an unfinished letter\n",
    "photo.jpg": "\xff\xd8\xff\xe0 (not really a JPEG)",
}


@dataclass(frozen=True, slots=True)
class DemoAgent:
    """Everything `composable_loop` needs to run the demo."""

    llm: ScriptedBackend
    tools: ToolRegistry
    task: str
    config: LoopConfig
    workspace: Path


def build_demo(workspace: Path) -> DemoAgent:
    """Fill `workspace` with the demo files and return the agent that tidies it."""
    workspace.mkdir(parents=True, exist_ok=True)
    for name, content in _FILES.items():
        (workspace / name).write_text(content, encoding="utf-8")
    return DemoAgent(
        llm=ScriptedBackend(demo_script()),
        tools=sandbox_tools(workspace),
        task=TASK,
        config=LoopConfig(max_steps=20),
        workspace=workspace,
    )


def sandbox_tools(root: Path) -> ToolRegistry:
    """File tools confined to `root`: a path that escapes it is a permission error."""
    root = root.resolve()

    def inside(path: str) -> Path:
        target = (root / path).resolve()
        if target != root and root not in target.parents:
            raise PermissionError(f"{path!r} is outside the workspace")
        return target

    @tool
    def list_files(directory: str = ".") -> list[str]:
        """List the files under a directory of the workspace.

        Args:
            directory: Folder to list, relative to the workspace root.
        """
        base = inside(directory)
        return sorted(str(p.relative_to(root)) for p in base.rglob("*") if p.is_file())

    @tool
    def read_file(path: str) -> str:
        """Read a text file from the workspace.

        Args:
            path: File to read, relative to the workspace root.
        """
        return inside(path).read_text(encoding="utf-8", errors="replace")

    @tool
    def move_file(source: str, destination: str) -> str:
        """Move a file, creating the destination folder if needed.

        Args:
            source: File to move.
            destination: New path for the file.
        """
        src, dst = inside(source), inside(destination)
        if not src.is_file():
            raise FileNotFoundError(f"no such file: {source}")
        dst.parent.mkdir(parents=True, exist_ok=True)
        src.rename(dst)
        return f"moved {source} -> {destination}"

    @tool
    def delete_file(path: str) -> str:
        """Delete a file for good. Destructive: it cannot be undone.

        Args:
            path: File to delete.
        """
        target = inside(path)
        if not target.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        target.unlink()
        return f"deleted {path}"

    return tools_from([list_files, read_file, move_file, delete_file])


def demo_script() -> list[LLMResponse]:
    """The model's side of the run, with plausible token counts per turn."""
    turns: list[tuple[str, list[ToolCall]]] = [
        (
            "Let me see what is in the workspace first.",
            [ToolCall("list_files", {"directory": "."})],
        ),
        (
            "notes.txt could be scratch or a document; I'll read it before deciding.",
            [ToolCall("read_file", {"path": "notes.txt"})],
        ),
        (
            "Both are documents worth keeping, so they go to docs/.",
            [
                ToolCall("move_file", {"source": "notes.txt", "destination": "docs/notes.txt"}),
                ToolCall("move_file", {"source": "todo.md", "destination": "docs/todo.md"}),
            ],
        ),
        (
            "Now the image.",
            [ToolCall("move_file", {"source": "photo.jpeg", "destination": "images/photo.jpg"})],
        ),
        (
            "The file is photo.jpg, not photo.jpeg. Retrying with the right name.",
            [ToolCall("move_file", {"source": "photo.jpg", "destination": "images/photo.jpg"})],
        ),
        (
            "draft.tmp is an autosave, so it can go.",
            [ToolCall("delete_file", {"path": "draft.tmp"})],
        ),
        ("Checking the result.", [ToolCall("list_files", {"directory": "."})]),
        (
            "Everything is in place.",
            [
                ToolCall(
                    "done",
                    {
                        "answer": "Moved notes.txt and todo.md to docs/, photo.jpg to images/, "
                        "and deleted draft.tmp."
                    },
                )
            ],
        ),
    ]
    return [
        LLMResponse(
            text=text,
            tool_calls=tuple(calls),
            usage=Usage(input_tokens=420 + 180 * turn, output_tokens=40 + 9 * len(text) // 10),
            model="scripted-demo",
        )
        for turn, (text, calls) in enumerate(turns)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m looplet_core.examples.demo",
        description="Run the scripted file-tidying demo agent and print one line per step.",
    )
    parser.add_argument(
        "--workspace",
        type=Path,
        help="directory to tidy (default: a fresh temporary directory)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="looplet-demo-") as scratch:
        agent = build_demo(args.workspace or Path(scratch))
        print(f"task: {agent.task}\nworkspace: {agent.workspace}\n")
        return print_run(composable_loop(agent.llm, agent.tools, agent.task, config=agent.config))


if __name__ == "__main__":
    raise SystemExit(main())
