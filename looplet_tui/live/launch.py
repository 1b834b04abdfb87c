"""From the command line to a `LiveTarget`: `run MODULE:FACTORY [-- args]` and `demo`."""

from __future__ import annotations

from collections.abc import Sequence

from looplet_tui.live.spec import LiveTarget, load_factory, make_spec

__all__ = ["DEMO_TARGET", "live_target", "split_agent_args"]

DEMO_TARGET = "looplet_tui.demo:demo_agent"


def split_agent_args(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """`argv` before the first `--`, and the arguments after it (for the factory)."""
    argv = list(argv)
    if "--" not in argv:
        return argv, []
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1 :]


def live_target(target: str, agent_args: Sequence[str]) -> LiveTarget:
    """Import the factory and make the first spec; raises SpecError (one line) if it cannot."""
    factory = load_factory(target)
    return LiveTarget.of(lambda: make_spec(factory, agent_args, target))
