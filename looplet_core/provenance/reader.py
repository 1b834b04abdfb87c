"""`open_trace(path) -> Trace`: open a recorded run, whatever program wrote it.

The path may be one of our trace directories (or a file inside one), a
looplet 0.4 provenance directory (or a file inside one), or a mini-swe-agent
trajectory: a `*.traj.json` file, any JSON file whose `trajectory_format` is
"mini-swe-agent-...", or a directory holding exactly one `*.traj.json`.
detect.py tells them apart; each format has its own `Trace` subclass.

`TraceError` is the only exception that leaves the reader: its message is one
line naming the file and the reason.
"""

from __future__ import annotations

import os

from looplet_core.provenance.detect import LOOPLET04, MINISWEAGENT, NATIVE, identify
from looplet_core.provenance.formats.looplet04 import Looplet04Trace
from looplet_core.provenance.formats.minisweagent import MiniSweAgentTrace
from looplet_core.provenance.model import TraceError
from looplet_core.provenance.native import NativeTrace
from looplet_core.provenance.trace import Trace, one_line

__all__ = ["open_trace"]

_READERS: dict[str, type[Trace]] = {
    NATIVE: NativeTrace,
    LOOPLET04: Looplet04Trace,
    MINISWEAGENT: MiniSweAgentTrace,
}


def open_trace(path: str | os.PathLike[str], *, progressive: bool = False) -> Trace:
    """Open a recorded run for lazy reading; the format is detected from the path.

    With `progressive`, a format that can index its steps a slice at a time
    returns with only the first ones (`trace.complete` False): a viewer paints
    them at once and calls `trace.index_more()` for the rest.  Without it, the
    trace is fully indexed.
    """
    shown = os.fspath(path)
    try:
        found, where = identify(shown)
        trace = _READERS[found](where)
        if not progressive:
            trace.index_more(None)
        return trace
    except TraceError:
        raise
    except Exception as exc:  # the contract: nothing but TraceError escapes
        raise TraceError(f"{shown}: cannot be read ({one_line(exc)})") from exc
