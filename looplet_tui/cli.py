"""The `looplet-tui` command.

    looplet-tui open PATH [--follow]    view a saved run (or tail one being written)

The live debugger (`run`, `demo`) is not built yet.  Exit status: 0 after a
normal quit, 2 for bad usage or a path that cannot be opened (one line on
stderr, never a traceback).
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
    return parser


def open_source(path: str) -> StepSource:
    """The run at `path` as a StepSource; raises TraceError when it cannot be read."""
    return TraceSource(open_trace(path))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        source = open_source(args.path)
    except TraceError as exc:
        print(f"looplet-tui: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from looplet_tui.app import build_app  # textual loads only once there is something to show

    build_app(source, follow=args.follow).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
