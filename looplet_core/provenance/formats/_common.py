"""Helpers the foreign-format readers share: reading text files other programs
wrote, and turning their loosely typed values into ours without raising."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Sequence

from looplet_core.provenance._parse import decode, read_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from looplet_core.types import Message

__all__ = [
    "LazyMessages",
    "directory_signature",
    "file_signature",
    "first_line",
    "float_or_none",
    "iso_utc",
    "paused_gc",
    "read_text",
    "to_float",
]


def read_text(path: str, shown: str, problems: list[str]) -> str | None:
    """A whole text file, or None with the reason appended to `problems`."""
    data = read_bytes(path, shown, problems)
    return None if data is None else decode(data, shown, problems)


def file_signature(path: str) -> tuple[int, int] | None:
    """A file's (size, mtime), or None if it is gone: what `refresh` compares."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


def directory_signature(*directories: str) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime) of every entry of the directories: changes when a file
    is added, removed or rewritten in any of them."""
    found = []
    for directory in directories:
        try:
            with os.scandir(directory) as scan:
                for entry in scan:
                    try:
                        status = entry.stat()
                        found.append((entry.path, status.st_size, status.st_mtime_ns))
                    except OSError:
                        found.append((entry.path, -1, -1))
        except OSError:
            found.append((directory, -1, -1))
    return tuple(sorted(found))


def to_float(value: Any, default: float = 0.0) -> float:
    """A JSON number as a float; anything else (a bool included) is `default`."""
    return float(value) if type(value) is int or type(value) is float else default


def float_or_none(value: Any) -> float | None:
    """A JSON number as a float, or None for anything else."""
    return float(value) if type(value) is int or type(value) is float else None


def iso_utc(seconds: Any) -> str | None:
    """Unix seconds as "2025-06-01T14:22:33Z" (the form our headers use), or None."""
    if type(seconds) is not int and type(seconds) is not float:
        return None
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
    except (OverflowError, OSError, ValueError):
        return None


def first_line(text: str, width: int = 200) -> str:
    """The first line of a message from a file, cut to `width`, for a one-line problem."""
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= width else line[: width - 1] + "…"


class paused_gc:
    """Cyclic garbage collection off while a block builds a large acyclic structure.

    Parsing a 20 MB trajectory allocates about a million objects, and the
    collector, triggered by those allocations, walks all of them again and
    again: that is about half the time of `json.loads`.  Parsed JSON and our
    records hold no reference cycles, so nothing is lost by waiting.
    """

    __slots__ = ("_was_enabled",)

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self._was_enabled:
            gc.enable()


class LazyMessages(Sequence):
    """A prompt whose messages are made when they are asked for: `load(i)` for each
    of `indices` (the places of its messages in the reader's own list).

    A viewer shows the first and last few messages of a long prompt, so a late
    step of a 10k-step run should not convert 20k messages.  It behaves like
    a tuple of Messages: len, indexing, slicing (another LazyMessages),
    iteration, and `==` with a tuple or list.
    """

    __slots__ = ("_indices", "_load")

    def __init__(self, indices: Sequence[int], load: Callable[[int], Message]) -> None:
        self._indices = indices
        self._load = load

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return LazyMessages(self._indices[index], self._load)
        return self._load(self._indices[index])

    def __iter__(self) -> Iterator[Message]:
        return map(self._load, self._indices)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LazyMessages | tuple | list):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # equal to a tuple, yet not one

    def __repr__(self) -> str:
        return f"<{len(self)} messages, read when asked for>"
