"""`looplet replay PATH`: replay a trace through the loop and print its steps as they run.

Exit status: 0 when the replay ran to an ending the recording explains
(`done`, `max_steps`, the end of the recording, ...), 1 when it diverged or
its model or a hook failed, 2 for bad arguments or an unreadable trace.
"""

from __future__ import annotations

from looplet_core.commands.specs import load_backend, load_tools
from looplet_core.commands.terminal import CommandError, visible
from looplet_core.replay import replay
from looplet_core.types import StopReason

__all__ = ["replay_command"]

_FAILED = frozenset({StopReason.DIVERGED, StopReason.LLM_ERROR, StopReason.ERROR})


def replay_command(
    path: str,
    *,
    mode: str,
    fork_at: int | None,
    backend: str | None,
    tools: str | None,
    out: str | None,
    max_steps: int | None,
) -> int:
    """Check the arguments, load what they name, run the replay; return the exit status."""
    if (fork_at is None) != (backend is None):
        raise CommandError("--fork-at K and --backend SPEC go together: the live model from step K")
    if mode == "captured" and tools is None:
        raise CommandError("--mode captured runs the tools again: give --tools MODULE:ATTR")
    run = replay(
        path,
        mode=mode,
        tools=None if tools is None else load_tools(tools),
        fork_at=fork_at,
        llm=None if backend is None else load_backend(backend),
        out=out,
        max_steps=max_steps,
    )
    fork = "" if fork_at is None else f", live from step {fork_at}"
    print(f"replaying {visible(run.forked_from['path'])} ({mode}{fork})", flush=True)
    for step in run:
        print(visible(step.pretty()), flush=True)
    result = run.run()
    ending = f"{result.stop_reason} ({visible(result.reason)})"
    print(f"\nstopped: {ending} after {len(result.steps)} steps")
    if result.error:
        print(f"error: {visible(result.error)}")
    print(f"trace: {visible(run.dir)}")
    return 1 if result.stop_reason in _FAILED else 0
