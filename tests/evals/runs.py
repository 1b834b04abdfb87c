"""Recorded runs for the eval tests: the demo agent, written by a real ProvenanceSink."""

from __future__ import annotations

from pathlib import Path

from looplet_core import composable_loop
from looplet_core.examples.demo import build_demo
from looplet_core.provenance import ProvenanceSink
from tests.helpers import drive

HERE = Path(__file__).parent
SAMPLE_EVALS = HERE / "sample_evals.py"
FIXTURES = HERE.parent / "trace" / "fixtures"
FOREIGN = sorted(p for p in (FIXTURES / "looplet04").iterdir() if p.is_dir()) + sorted(
    (FIXTURES / "minisweagent").glob("*.traj.json")
)


def record_demo(folder: Path, *hooks: object):
    """Run the demo agent in `folder/workspace`, recorded to `folder/trace`; the other
    hooks go after the sink.  Returns the trace path, the steps and the RunResult."""
    agent = build_demo(folder / "workspace")
    sink = ProvenanceSink(folder / "trace")
    bound = [hook(sink) if callable(hook) else hook for hook in hooks]
    steps, result = drive(
        composable_loop(
            agent.llm, agent.tools, agent.task, config=agent.config, hooks=[sink, *bound]
        )
    )
    return folder / "trace", steps, result, bound
