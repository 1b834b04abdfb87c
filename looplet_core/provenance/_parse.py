"""Small JSON helpers every trace reader shares: read and parse files without
raising (the reason goes to a problem list instead), and name what a value is
when it has the wrong shape."""

from __future__ import annotations

import errno
import json
import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

_scan = json.JSONDecoder().scan_once
"""The decoder's scanner, called directly: a third of `json.loads` per line."""


def open_regular(path: str) -> BinaryIO:
    """Open a file for reading, refusing anything but a regular file.

    A FIFO, socket or device named like a trace file would otherwise block the
    reader forever or feed it endless bytes; it is opened without blocking and
    refused with an OSError whose `strerror` says why.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def parse(data: bytes) -> tuple[Any, str | None]:
    """JSON from bytes, or why not: invalid UTF-8, invalid JSON, or nesting too deep."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "invalid UTF-8"
    return parse_text(text)


def decode(data: bytes, shown: str, problems: list[str]) -> str:
    """UTF-8 text; undecodable bytes become U+FFFD, and that is noted as a problem.

    For files other programs wrote: one bad byte should cost one character,
    not the whole run.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"{shown}: invalid UTF-8 (undecodable bytes shown as U+FFFD)")
        return data.decode("utf-8", "replace")


def read_bytes(
    path: str, shown: str, problems: list[str], report_missing: bool = True
) -> bytes | None:
    """A whole file, or None with the reason appended to `problems`."""
    try:
        with open_regular(path) as file:
            return file.read()
    except FileNotFoundError:
        if report_missing:
            problems.append(f"{shown} missing")
    except OSError as exc:
        problems.append(f"{shown}: cannot be read ({exc.strerror or exc})")
    return None


def read_json(
    path: str,
    shown: str,
    problems: list[str],
    *,
    report_missing: bool = True,
    lenient: bool = False,
) -> dict[str, Any] | None:
    """A whole-file JSON object, or None with the reason appended to `problems`
    as "<shown>: <reason>".  `lenient` accepts invalid UTF-8 (see `decode`)."""
    data = read_bytes(path, shown, problems, report_missing)
    if data is None:
        return None
    if not data.strip():
        problems.append(f"{shown} is empty")
        return None
    if lenient:
        value, error = parse_text(decode(data, shown, problems))
    else:
        value, error = parse(data)
    if error:
        problems.append(f"{shown}: {error}")
        return None
    if not isinstance(value, dict):
        problems.append(f"{shown}: expected a JSON object, found {kind(value)}")
        return None
    return value


def parse_text(text: str) -> tuple[Any, str | None]:
    """JSON from text, or why not: invalid JSON, or nesting too deep."""
    try:
        value, end = _scan(text, 0)
        if end == len(text) or (text[end] == "\n" and end + 1 == len(text)):
            return value, None
    except (StopIteration, ValueError):
        pass  # leading space, an error to describe, or extra data: let json.loads decide
    except RecursionError:
        return None, "JSON nested too deeply"
    try:
        return json.loads(text), None
    except ValueError:
        return None, "invalid JSON"
    except RecursionError:
        return None, "JSON nested too deeply"


def kind(value: Any) -> str:
    """What a JSON value is, for "expected an object, found a string"."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number" if is_number(value) else repr(value)[:20])


def is_int(value: Any) -> bool:
    return type(value) is int


def is_number(value: Any) -> bool:
    return type(value) is int or type(value) is float


def str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
