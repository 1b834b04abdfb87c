"""One way to report a background job that failed: a notification, never a crash.

Screens start their workers with `exit_on_error=False` (Textual's default
quits the app on any worker exception) and route `Worker.StateChanged` here.
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

__all__ = ["report_failure"]


def report_failure(node: DOMNode, event: Worker.StateChanged) -> None:
    """Notify the user when the worker of `event` ended with an exception."""
    if event.state == WorkerState.ERROR:
        error = event.worker.error
        node.notify(
            f"{event.worker.name} failed: {type(error).__name__}: {error}",
            severity="error",
            markup=False,
        )
