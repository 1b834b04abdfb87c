"""The `looplet` subcommands other than `demo`: `show` and `replay` (see docs/cli.md)."""
