"""The `looplet` command: run the core from a terminal, without the TUI.

    looplet demo                    run the scripted demo agent
    looplet show PATH [--json]      print a trace: header, one line per step, problems
    looplet replay PATH [...]       replay a trace (see docs/cli.md)
    looplet eval PATH... --evals FILE   grade traces; exit 1 if a grader fails

Bad arguments and unreadable traces end with one line on stderr and exit
status 2, never a traceback; so do Ctrl-C (130) and a closed pipe (141, as if
killed by SIGPIPE).  Subcommands import their modules only when they run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from looplet_core import __version__
from looplet_core.commands.terminal import CommandError, complain, visible


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line (usage is one `--help` away), with the input made visible."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {visible(message)} (see {self.prog} --help)\n")


def _parser() -> _Parser:
    parser = _Parser(
        prog="looplet",
        description="looplet: a steppable tool-calling loop for LLM agents.",
    )
    parser.add_argument("--version", action="version", version=f"looplet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("demo", help="run the scripted demo agent and print one line per step")
    show = commands.add_parser("show", help="print a trace: header, one line per step, problems")
    show.add_argument("path", metavar="PATH", help="a trace directory or trajectory file")
    show.add_argument("--json", action="store_true", help="print one JSON object instead")
    replay = commands.add_parser("replay", help="replay a trace through the loop")
    replay.add_argument("path", metavar="PATH", help="the trace to replay")
    replay.add_argument(
        "--mode",
        choices=("captured", "full"),
        default="full",
        help="captured: recorded answers, tools run again; full (default): nothing runs",
    )
    replay.add_argument(
        "--fork-at", type=int, metavar="K", help="replay steps before K, then go live"
    )
    replay.add_argument(
        "--backend",
        metavar="SPEC",
        help="the live model from step K: scripted:FILE, openai:MODEL, anthropic:MODEL "
        "or MODULE:FACTORY",
    )
    replay.add_argument(
        "--tools", metavar="MODULE:ATTR", help="real tools (needed by --mode captured)"
    )
    replay.add_argument("--out", metavar="DIR", help="where the replay's trace goes")
    replay.add_argument("--max-steps", type=int, metavar="N", help="the replay's step limit")
    grade = commands.add_parser(
        "eval", help="grade traces with the eval_* functions of an evals file"
    )
    grade.add_argument("paths", nargs="+", metavar="PATH", help="traces, or folders of traces")
    grade.add_argument(
        "--evals", required=True, metavar="FILE", help="a Python file of eval_* graders"
    )
    grade.add_argument(
        "--tag", action="append", default=[], metavar="TAG", help="only graders with this tag"
    )
    grade.add_argument("--json", action="store_true", help="print one JSON object instead")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "demo":
        from looplet_core.examples.demo import main as demo_main

        return demo_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _run(args)
    except KeyboardInterrupt:
        complain("looplet", "interrupted")
        return 130
    except BrokenPipeError:
        _stop_writing_stdout()
        return 141


def _run(args: argparse.Namespace) -> int:
    from looplet_core.provenance import TraceError
    from looplet_core.replay import ReplayError

    if hasattr(sys.stdout, "reconfigure"):  # a non-UTF-8 terminal gets escapes, not a crash
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        if args.command == "show":
            from looplet_core.commands.show import show

            return show(args.path, args.json)
        if args.command == "eval":
            from looplet_core.evals.command import eval_command

            return eval_command(args.paths, args.evals, args.tag, args.json)
        from looplet_core.commands.replay import replay_command

        return replay_command(
            args.path,
            mode=args.mode,
            fork_at=args.fork_at,
            backend=args.backend,
            tools=args.tools,
            out=args.out,
            max_steps=args.max_steps,
        )
    except (CommandError, TraceError, ReplayError) as exc:
        message = str(exc)
        path = getattr(args, "path", None)  # `eval` takes several paths, named by its errors
        if isinstance(exc, TraceError) and path is not None and path not in message:
            message = f"{path}: {message}"  # the reader may name the folder of a file given
        complain(f"looplet {args.command}", message)
        return 2


def _stop_writing_stdout() -> None:
    """After the reader closed the pipe, point stdout at /dev/null so the interpreter's
    final flush does not fail again (and print a traceback) on the way out."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    raise SystemExit(main())
