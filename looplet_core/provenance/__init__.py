"""Provenance traces: record a run as it goes, and read it back lazily.

    from looplet_core.provenance import ProvenanceSink, open_trace

    for step in composable_loop(llm, tools, task, hooks=[ProvenanceSink("trace")]):
        ...
    trace = open_trace("trace")
    trace.steps[0], trace.detail(0).prompt, trace.meta.stop_reason

The directory layout ("looplet-trace", version 1) is documented in
docs/trace-format.md.  `open_trace` also reads looplet 0.4 run directories and
mini-swe-agent trajectories into the same model, and `discover_traces(root)`
lists the traces under a directory.
"""

from looplet_core.provenance.detect import discover_traces
from looplet_core.provenance.model import (
    HumanDecision,
    StepDetail,
    StepSummary,
    TraceError,
    TraceMeta,
)
from looplet_core.provenance.reader import open_trace
from looplet_core.provenance.redact import redact_secrets
from looplet_core.provenance.sink import ProvenanceSink
from looplet_core.provenance.trace import Trace

__all__ = [
    "HumanDecision",
    "ProvenanceSink",
    "StepDetail",
    "StepSummary",
    "Trace",
    "TraceError",
    "TraceMeta",
    "discover_traces",
    "open_trace",
    "redact_secrets",
]
