"""The `looplet-tui` command.

The viewer (`open`) and the live debugger (`run`, `demo`) are not built yet;
until they are, this entry point only documents itself rather than pretending.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from looplet_core import __version__


def build_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="looplet-tui",
        description=(
            "A terminal debugger for looplet agents. The viewer and live debugger are "
            "under construction; `make demo` runs the scripted demo agent meanwhile."
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    parser.add_argument("--version", action="version", version=f"looplet-tui {__version__}")
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
