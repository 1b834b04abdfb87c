"""Replay a recorded run through `composable_loop`: captured, full, or forked at a step.

    from looplet_core.replay import replay

    replay("runs/a", mode="full").run()  # recorded answers and results: nothing runs
    replay("runs/a", mode="captured", tools=tools).run()  # recorded answers, tools run again
    replay("runs/a", fork_at=4, llm=live, tools=tools).run()  # recorded to step 4, then live

Each replay writes its own trace, whose header names the trace it came from
(`forked_from`).  A replay that leaves the recording stops with stop reason
`diverged` and a reason saying where.  See docs/replay.md.
"""

from looplet_core.replay.backend import (
    RecordedModelError,
    ReplayBackend,
    StandInToolError,
    stand_in_tools,
)
from looplet_core.replay.guard import ReplayGuard
from looplet_core.replay.recording import Recording, ReplayError
from looplet_core.replay.run import MODES, Replay, replay

__all__ = [
    "MODES",
    "RecordedModelError",
    "Recording",
    "Replay",
    "ReplayBackend",
    "ReplayError",
    "ReplayGuard",
    "StandInToolError",
    "replay",
    "stand_in_tools",
]
