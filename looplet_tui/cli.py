"""The `looplet-tui` command.

    looplet-tui open PATH [--follow]          view a saved run (or tail one being written)
    looplet-tui run MODULE:FACTORY [-- ARGS]  debug an agent live (see looplet_tui/live/spec.py)
    looplet-tui demo                          debug the embedded scripted demo agent

Exit status: 0 after a normal quit, 2 for bad usage, a path that cannot be
opened or an agent that cannot be loaded (one line on stderr, never a
traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from looplet_core import __version__
from looplet_core.provenance import TraceError, open_trace
from looplet_tui.source import StepSource, TraceSource

__all__ = ["build_parser", "main", "open_source"]

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="looplet-tui", description="A terminal viewer and debugger for looplet agents."
    )
    parser.add_argument("--version", action="version", version=f"looplet-tui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    viewer = commands.add_parser(
        "open",
        help="view a saved run",
        description="View a saved run: a looplet trace directory (or a file in one).",
    )
    viewer.add_argument("path", metavar="PATH", help="the run to open")
    viewer.add_argument(
        "--follow",
        action="store_true",
        help="tail the run while another process is still writing it (F toggles it)",
    )
    runner = commands.add_parser(
        "run",
        help="debug an agent live",
        description="Debug an agent live: MODULE:FACTORY returns a looplet_tui.live.AgentSpec; "
        "arguments after -- are passed to the factory.",
    )
    runner.add_argument("target", metavar="MODULE:FACTORY", help="e.g. my_agent:make_agent")
    commands.add_parser(
        "demo",
        help="debug the scripted demo agent",
        description="Debug the embedded demo agent (no model, key or network needed).",
    )
    return parser


def open_source(path: str) -> StepSource:
    """The run at `path` as a StepSource; raises TraceError when it cannot be read."""
    return TraceSource(open_trace(path))


def main(argv: Sequence[str] | None = None) -> int:
    from looplet_tui.live.launch import split_agent_args

    parser = build_parser()
    own_args, agent_args = split_agent_args(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(own_args)
    if args.command is None:
        parser.print_help()
        return 0
    if agent_args and args.command != "run":
        parser.error("arguments after -- are only for `run`")
    if args.command in ("run", "demo"):
        return run_live(args.target if args.command == "run" else None, agent_args)
    try:
        source = open_source(args.path)
    except TraceError as exc:
        print(f"looplet-tui: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from looplet_tui.app import build_app  # textual loads only once there is something to show

    build_app(source, follow=args.follow).run()
    return 0


def run_live(target: str | None, agent_args: Sequence[str]) -> int:
    """Debug `target` (MODULE:FACTORY), or the demo agent when it is None."""
    from looplet_tui.live.launch import DEMO_TARGET, live_target
    from looplet_tui.live.spec import SpecError

    try:
        live = live_target(target or DEMO_TARGET, agent_args)
    except SpecError as exc:
        print(f"looplet-tui: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from looplet_tui.app import build_live_app

    build_live_app(live).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
