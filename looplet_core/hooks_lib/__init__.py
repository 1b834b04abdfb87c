"""Ship-ready hooks: approval and permissions, checkpoint and resume, context
compaction, metrics and OpenTelemetry export.

    from looplet_core.hooks_lib import ApprovalHook, CheckpointHook, ConsoleApproval, Rule, resume
    from looplet_core.hooks_lib import ThresholdCompactHook, compact_chain, Prune, Summarize
    from looplet_core.hooks_lib import MetricsHook, OTelHook

Each name loads its module on first use, so importing one hook does not pay
for the others (the console front-end, for one, is not needed by the TUI).
"""

from __future__ import annotations

import importlib

__all__ = [
    "ApprovalHook",
    "ApprovalRequest",
    "Approve",
    "Checkpoint",
    "CheckpointError",
    "CheckpointHook",
    "Compaction",
    "CompactionChain",
    "ConsoleApproval",
    "Edit",
    "MetricsHook",
    "OTelHook",
    "PendingCall",
    "PendingCallError",
    "Prune",
    "Reject",
    "ResumeError",
    "Rule",
    "RulesFileError",
    "Skip",
    "StepMetrics",
    "Summarize",
    "ThresholdCompactHook",
    "Truncate",
    "compact_chain",
    "estimate_tokens",
    "load_checkpoint",
    "load_rules",
    "resume",
    "save_rules",
]

_HOME = {
    "ApprovalHook": "approval",
    "ApprovalRequest": "approval",
    "Approve": "approval",
    "Edit": "approval",
    "Reject": "approval",
    "Skip": "approval",
    "Rule": "approval_rules",
    "RulesFileError": "approval_rules",
    "load_rules": "approval_rules",
    "save_rules": "approval_rules",
    "ConsoleApproval": "console_approval",
    "CheckpointHook": "checkpoint",
    "Checkpoint": "checkpoint_read",
    "CheckpointError": "checkpoint_read",
    "PendingCall": "checkpoint_read",
    "load_checkpoint": "checkpoint_read",
    "PendingCallError": "checkpoint_resume",
    "ResumeError": "checkpoint_resume",
    "resume": "checkpoint_resume",
    "Compaction": "compaction",
    "CompactionChain": "compaction",
    "ThresholdCompactHook": "compaction",
    "compact_chain": "compaction",
    "Prune": "compaction_stages",
    "Summarize": "compaction_stages",
    "Truncate": "compaction_stages",
    "estimate_tokens": "compaction_units",
    "MetricsHook": "metrics",
    "StepMetrics": "metrics",
    "OTelHook": "otel",
}


def __getattr__(name: str) -> object:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'looplet_core.hooks_lib' has no attribute {name!r}")
    return getattr(importlib.import_module(f"looplet_core.hooks_lib.{module}"), name)
