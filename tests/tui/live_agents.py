"""Agents and helpers for the live debugger's tests.

Apps are built as `looplet-tui run`/`demo` build them (`build_live_app` over a
`LiveTarget`); `started` runs one up to the pause every run starts at.  Tests
wait for the loop thread with `wait_until`, which only yields to the app
(`pilot.pause`) until a condition holds, with a cap so a broken pause fails
the test instead of hanging it.  Runs are recorded under the working
directory, which tests/conftest.py makes a fresh one for every test.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from textual.pilot import Pilot

from looplet_core import LLMResponse, Prompt, ScriptedBackend, ToolCall, Usage, tool
from looplet_tui.app import LoopletApp, build_live_app
from looplet_tui.live.breakpoints import PRE_DISPATCH, Breakpoint, Condition
from looplet_tui.live.launch import DEMO_TARGET, live_target
from looplet_tui.live.spec import AgentSpec, LiveTarget
from looplet_tui.screens.debugger import DebuggerScreen

WAIT_STEPS = 500
"""Yields to the app (10 ms each) before a wait gives up: 5 s."""


def demo_app() -> LoopletApp:
    """The app `looplet-tui demo` runs."""
    return build_live_app(live_target(DEMO_TARGET, []))


def app_for(make: Callable[[], AgentSpec]) -> LoopletApp:
    return build_live_app(LiveTarget.of(make))


def screen_of(app: LoopletApp) -> DebuggerScreen:
    for screen in app.screen_stack:
        if isinstance(screen, DebuggerScreen):
            return screen
    raise AssertionError("no debugger screen")


async def wait_until(pilot: Pilot[Any], condition: Callable[[], object], what: str) -> None:
    for _ in range(WAIT_STEPS):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def wait_for_pause(pilot: Pilot[Any], kind: str) -> DebuggerScreen:
    screen = screen_of(pilot.app)  # type: ignore[arg-type]
    await wait_until(
        pilot, lambda: screen.pause is not None and screen.pause.kind == kind, f"a {kind} pause"
    )
    return screen


@contextlib.asynccontextmanager
async def started(
    app: LoopletApp, until: str | None = None, **options: Any
) -> AsyncIterator[tuple[Pilot[Any], DebuggerScreen]]:
    """`app.run_test(**options)` (120x40 unless `size` is given), once its run is
    paused before the first model call, where every run starts; with `until`,
    continued (`c`) from there to the next pause of that kind."""
    options.setdefault("size", (120, 40))
    async with app.run_test(**options) as pilot:
        if until is None:
            yield pilot, await wait_for_pause(pilot, "pre_prompt")
        else:
            yield pilot, await continue_to(pilot, until)


async def continue_to(pilot: Pilot[Any], kind: str) -> DebuggerScreen:
    """From the pause a run starts at, continue (`c`) to the next pause of `kind`."""
    await wait_for_pause(pilot, "pre_prompt")
    await pilot.press("c")
    return await wait_for_pause(pilot, kind)


async def wait_for_end(pilot: Pilot[Any]) -> DebuggerScreen:
    screen = screen_of(pilot.app)  # type: ignore[arg-type]
    await wait_until(pilot, lambda: screen.ended, "the end of the run")
    return screen


async def stop_run(pilot: Pilot[Any]) -> DebuggerScreen:
    """Stop the run (`s`) and wait until it has ended."""
    await pilot.press("s")
    return await wait_for_end(pilot)


class PromptRecorder(ScriptedBackend):
    """A scripted backend that keeps every prompt it was sent (as message dicts)."""

    def __init__(self, responses: Iterable[Any]) -> None:
        super().__init__(responses)
        self.prompts: list[list[dict[str, Any]]] = []

    def generate(self, prompt: Prompt) -> LLMResponse:
        self.prompts.append([message.to_dict() for message in prompt.messages])
        return super().generate(prompt)


class BlockingBackend(PromptRecorder):
    """Blocks every model call until `release` is set (or forever)."""

    def __init__(self, responses: Iterable[Any]) -> None:
        super().__init__(responses)
        self.release = threading.Event()
        self.waiting = threading.Event()
        """Set while a model call is blocked."""

    def generate(self, prompt: Prompt) -> LLMResponse:
        self.waiting.set()
        self.release.wait()
        self.waiting.clear()
        return super().generate(prompt)


@tool
def write_note(path: str, text: str) -> str:
    """Write a note (pretends to).

    Args:
        path: Where.
        text: What.
    """
    return f"wrote {len(text)} characters to {path}"


@tool
def delete_file(path: str) -> str:
    """Delete a file (pretends to).

    Args:
        path: File to delete.
    """
    return f"deleted {path}"


def reply(text: str, *calls: ToolCall, tokens: int = 100) -> LLMResponse:
    return LLMResponse(text=text, tool_calls=calls, usage=Usage(tokens, 10), model="scripted")


def deleting(*paths: str) -> PromptRecorder:
    """A model that deletes `paths`, one call a turn, then calls done."""
    calls = [ToolCall("delete_file", {"path": path}) for path in paths]
    calls.append(ToolCall("done", {"answer": "ok"}))
    return PromptRecorder([reply("", call) for call in calls])


def ask_before_delete() -> tuple[Breakpoint, ...]:
    """A breakpoint before every call of `delete_file` (an approval)."""
    return (Breakpoint(PRE_DISPATCH, Condition.TOOL, "delete_file"),)


def notes_spec(llm: Any, **extra: Any) -> AgentSpec:
    """A small agent over `write_note` and `delete_file` with the given backend."""
    return AgentSpec(llm=llm, tools=[write_note, delete_file], task="Tidy the notes.", **extra)
