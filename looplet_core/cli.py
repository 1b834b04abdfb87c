"""The `looplet` command: run the core from a terminal, without the TUI."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from looplet_core import __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="looplet",
        description="looplet: a steppable tool-calling loop for LLM agents.",
    )
    parser.add_argument("--version", action="version", version=f"looplet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("demo", help="run the scripted demo agent and print one line per step")
    args, rest = parser.parse_known_args(argv)
    if args.command == "demo":
        from looplet_core.examples.demo import main as demo_main

        return demo_main(rest)
    parser.print_help()
    return 0 if args.command is None else 2


if __name__ == "__main__":
    raise SystemExit(main())
