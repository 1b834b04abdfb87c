"""Which trace format a path holds, told from file names and a few bytes.

Both `open_trace` (one path, which must be a trace) and `discover_traces` (a
tree, which may hold many) ask here.  Neither parses a trace to decide: a run
browser lists hundreds of runs, and opening one is the reader's job.
"""

from __future__ import annotations

import os
import re

from looplet_core.provenance import _format as fmt
from looplet_core.provenance._parse import open_regular
from looplet_core.provenance.model import TraceError

__all__ = ["LOOPLET04", "MINISWEAGENT", "NATIVE", "discover_traces", "identify"]

NATIVE = "looplet-trace"
LOOPLET04 = "looplet-0.4"
MINISWEAGENT = "mini-swe-agent"

_NATIVE_FILES = frozenset((fmt.HEADER, fmt.EVENTS, fmt.INDEX, fmt.SUMMARY))
_LOOPLET04_FILES = frozenset(("artifact.json", ".artifact.json.pending", "manifest.jsonl"))
_LOOPLET04_CALL = re.compile(r"call_\d+_(prompt|response)\.txt\Z")
_LOOPLET04_KEYS = re.compile(rb'"(run_id|termination_reason|llm_calls|step_count)"\s*:')
"""Keys a looplet 0.4 trajectory.json has near its start; the name alone is too common."""
_MINISWEAGENT_FORMAT = re.compile(rb'"trajectory_format"\s*:\s*"mini-swe-agent')
_TRAJ_SUFFIX = ".traj.json"
_SNIFF_BYTES = 4096
_DISCOVER_DEPTH = 4
"""How deep `discover_traces` looks: deep enough for `./.looplet/runs/<run>` and
`<batch>/<instance>/<instance>.traj.json`, shallow enough to stay cheap."""

_TRIED = (
    f"not a looplet trace (no {fmt.HEADER}, {fmt.EVENTS} or {fmt.INDEX}), "
    "nor a looplet 0.4 run (no artifact.json, trajectory.json, manifest.jsonl or steps/), "
    f"nor a mini-swe-agent trajectory (no *{_TRAJ_SUFFIX})"
)


def identify(path: str) -> tuple[str, str]:
    """(format, the path its reader takes) for a trace directory, a file inside
    one, or a trajectory file; TraceError naming the path and what was tried otherwise."""
    if os.path.isfile(path):
        return _identify_file(path)
    if os.path.isdir(path):
        return _identify_dir(path)
    if os.path.islink(path):
        raise TraceError(f"{path}: a symbolic link that leads nowhere (or to itself)")
    raise TraceError(f"{path}: no such trace directory or file")


def discover_traces(root: str | os.PathLike[str]) -> list[str]:
    """The traces in and under the directory `root`: our run directories, looplet
    0.4 run directories and mini-swe-agent `*.traj.json` files, in name order.

    Only names (and the head of a `trajectory.json`) are read; nothing is
    parsed.  It does not look inside a trace, into hidden directories other
    than `.looplet`, or deeper than four levels, and it visits each directory
    once, so symbolic links that loop are harmless.  `root` itself is returned
    when it is a trace.
    """
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise TraceError(f"{root}: no such directory")
    found: list[str] = []
    _discover(root, 0, set(), found)
    return found


def _discover(directory: str, depth: int, seen: set[tuple[int, int]], found: list[str]) -> None:
    try:
        status = os.stat(directory)
        if (status.st_dev, status.st_ino) in seen:
            return
        seen.add((status.st_dev, status.st_ino))
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError:
        return
    if _directory_format({entry.name for entry in entries}, directory):
        found.append(directory)
        return
    for entry in entries:
        if entry.name.endswith(_TRAJ_SUFFIX) and _is_file(entry):
            found.append(entry.path)
        elif depth < _DISCOVER_DEPTH and _worth_entering(entry):
            _discover(entry.path, depth + 1, seen, found)


def _worth_entering(entry: os.DirEntry[str]) -> bool:
    if entry.name.startswith(".") and entry.name != ".looplet":
        return False
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _identify_file(path: str) -> tuple[str, str]:
    if path.endswith(_TRAJ_SUFFIX) or (path.endswith(".json") and _sniff_minisweagent(path)):
        return MINISWEAGENT, path
    directory = os.path.dirname(path) or "."
    if os.path.basename(os.path.abspath(directory)) == "steps":  # looplet 0.4's steps/step_NN.json
        parent = os.path.dirname(os.path.abspath(directory))
        if _directory_format(set(_listdir(parent)), parent) == LOOPLET04:
            return LOOPLET04, os.path.dirname(directory) or "."
    return _identify_dir(directory)


def _identify_dir(path: str) -> tuple[str, str]:
    names = set(_listdir(path))
    if not names - {".gitignore"}:
        raise TraceError(f"{path}: empty directory, not a trace")
    found = _directory_format(names, path)
    if found:
        return found, path
    trajectories = sorted(name for name in names if name.endswith(_TRAJ_SUFFIX))
    if len(trajectories) == 1:
        return MINISWEAGENT, os.path.join(path, trajectories[0])
    if trajectories:
        raise TraceError(
            f"{path}: holds {len(trajectories)} mini-swe-agent trajectories; "
            f"open one of them (such as {trajectories[0]})"
        )
    raise TraceError(f"{path}: {_TRIED}")


def _directory_format(names: set[str], path: str) -> str | None:
    """NATIVE or LOOPLET04 if a directory holding `names` is such a trace."""
    if names & _NATIVE_FILES:
        return NATIVE
    if names & _LOOPLET04_FILES or any(_LOOPLET04_CALL.match(name) for name in names):
        return LOOPLET04
    if "steps" in names and os.path.isdir(os.path.join(path, "steps")):
        return LOOPLET04
    if "trajectory.json" in names and _head_matches(
        os.path.join(path, "trajectory.json"), _LOOPLET04_KEYS
    ):
        return LOOPLET04
    return None


def _sniff_minisweagent(path: str) -> bool:
    """Whether a JSON file says `"trajectory_format": "mini-swe-agent..."`.  The key is
    written last, so the tail is read as well as the head."""
    try:
        with open_regular(path) as file:
            head = file.read(_SNIFF_BYTES)
            file.seek(max(0, file.seek(0, os.SEEK_END) - _SNIFF_BYTES))
            tail = file.read(_SNIFF_BYTES)
    except OSError:
        return False
    return bool(_MINISWEAGENT_FORMAT.search(head) or _MINISWEAGENT_FORMAT.search(tail))


def _head_matches(path: str, pattern: re.Pattern[bytes]) -> bool:
    try:
        with open_regular(path) as file:
            return bool(pattern.search(file.read(_SNIFF_BYTES)))
    except OSError:
        return False


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError as exc:
        raise TraceError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
