"""Provenance traces: record a run as it goes, and read it back lazily.

    from looplet_core.provenance import ProvenanceSink, open_trace

    for step in composable_loop(llm, tools, task, hooks=[ProvenanceSink("trace")]):
        ...
    trace = open_trace("trace")
    trace.steps[0], trace.detail(0).prompt, trace.meta.stop_reason

The directory layout ("looplet-trace", version 1) is documented in
docs/trace-format.md.
"""

from looplet_core.provenance.reader import (
    HumanDecision,
    StepDetail,
    StepSummary,
    Trace,
    TraceError,
    TraceMeta,
    open_trace,
)
from looplet_core.provenance.redact import redact_secrets
from looplet_core.provenance.sink import ProvenanceSink

__all__ = [
    "HumanDecision",
    "ProvenanceSink",
    "StepDetail",
    "StepSummary",
    "Trace",
    "TraceError",
    "TraceMeta",
    "open_trace",
    "redact_secrets",
]
