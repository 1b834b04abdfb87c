"""The `looplet-tui` command.

    looplet-tui open [PATH] [--follow]        view a saved run (or tail one being written),
                                              or browse the runs under a directory
                                              (./.looplet/runs without PATH)
    looplet-tui run MODULE:FACTORY [-- ARGS]  debug an agent live (see looplet_tui/live/spec.py)
    looplet-tui demo                          debug the embedded scripted demo agent

Exit status: 0 after a normal quit, 2 for bad usage, a path that is neither a
run nor a directory with runs under it, or an agent that cannot be loaded (one
line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from looplet_core import __version__
from looplet_core.provenance import TraceError, open_trace
from looplet_tui.run_list import RunRow, find_runs
from looplet_tui.source import StepSource, TraceSource

__all__ = ["DEFAULT_RUNS", "RunDirectory", "build_parser", "main", "open_path", "open_source"]

EXIT_BAD_INPUT = 2
DEFAULT_RUNS = os.path.join(".looplet", "runs")
"""Where ProvenanceSink writes runs by default: what `open` browses without a PATH."""
FRAMES_PER_SECOND = "240"
"""Textual's cap on repaints (its default is 60).  A repaint waits for the next
frame slot, and moving to another step takes two (the row, then the loaded
detail), so at 60 fps a key press took 30 to 50 ms to show; at 240 about 17.
Frames are drawn only when something changed, so an idle screen costs no more.
TEXTUAL_FPS in the environment still wins."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="looplet-tui", description="A terminal viewer and debugger for looplet agents."
    )
    parser.add_argument("--version", action="version", version=f"looplet-tui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    viewer = commands.add_parser(
        "open",
        help="view a saved run, or browse a directory of runs",
        description="View a saved run (a looplet trace directory or a file in one, a looplet "
        "0.4 run, a mini-swe-agent trajectory), or browse the runs under a directory.",
    )
    viewer.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        help=f"the run, or a directory of runs (default: {DEFAULT_RUNS})",
    )
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
    """The run at `path` as a StepSource; raises TraceError when it cannot be read.

    Opened progressively: a long run (ours or a mini-swe-agent trajectory) shows
    its first page at once, and the viewer reads the rest in the background."""
    return TraceSource(open_trace(path, progressive=True))


@dataclass(frozen=True, slots=True)
class RunDirectory:
    """A directory holding runs, for the run browser."""

    root: str
    runs: list[RunRow]


def open_path(path: str | None) -> StepSource | RunDirectory:
    """What `open PATH` shows: the run at `path`, or the runs under it (under
    DEFAULT_RUNS without a path).  Raises TraceError (one line) when there is neither."""
    if path is None:
        if not os.path.isdir(DEFAULT_RUNS):
            raise TraceError(
                f"{DEFAULT_RUNS}: no such directory here; give the PATH of a run or a "
                "directory of runs"
            )
        return _run_directory(DEFAULT_RUNS)
    try:
        return open_source(path)
    except TraceError:
        if not os.path.isdir(path):
            raise
        runs = find_runs(path)
        if [run.path for run in runs] == [path]:  # a damaged run, not a directory of runs
            raise
    return _run_directory(path, runs)


def _run_directory(root: str, runs: list[RunRow] | None = None) -> RunDirectory:
    runs = find_runs(root) if runs is None else runs
    if not runs:
        raise TraceError(
            f"{root}: no runs in it or below it (looked for looplet traces, looplet 0.4 "
            "runs and mini-swe-agent *.traj.json files)"
        )
    return RunDirectory(root, runs)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    own_args, agent_args = args_list, []
    if "--" in args_list:  # the live debugger's modules load only when asked for
        from looplet_tui.live.launch import split_agent_args

        own_args, agent_args = split_agent_args(args_list)
    parser = build_parser()
    args = parser.parse_args(own_args)
    if args.command is None:
        parser.print_help()
        return 0
    if agent_args and args.command != "run":
        parser.error("arguments after -- are only for `run`")
    if args.command in ("run", "demo"):
        return run_live(args.target if args.command == "run" else None, agent_args)
    try:
        target = open_path(args.path)
    except TraceError as exc:
        print(f"looplet-tui: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    # What was read lives until the end: collections (which importing textual sets
    # off again and again) skip it.  On a 20 MB trajectory that is 70 ms of CPU.
    # Until the first screen is painted there are no collections at all (about
    # 20 ms less on a 10k-step run); the app turns them back on (LoopletApp.on_mount).
    gc.freeze()
    gc.disable()
    os.environ.setdefault("TEXTUAL_FPS", FRAMES_PER_SECOND)  # read when textual is imported
    from looplet_tui.app import build_app, build_browser_app  # textual loads only now

    if isinstance(target, RunDirectory):
        app = build_browser_app(target.root, target.runs, follow=args.follow)
    else:
        app = build_app(target, follow=args.follow)
    app.run()
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
