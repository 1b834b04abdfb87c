"""Fixtures for the viewer's tests: recorded runs and the app built as the CLI builds it.

Async tests run on a fresh event loop each (`asyncio.run`), so the suite
needs no async plugin.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from looplet_tui.app import LoopletApp, build_app
from looplet_tui.cli import open_source
from tests.tui.traces import record, small_script


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.fixture
def small_run(tmp_path: Path) -> Path:
    return record(tmp_path / "small-run", small_script())


async def settle(pilot: Pilot[None]) -> None:
    """Wait until background work (step loading, indexing, search) is done and shown.

    A load replaced by a newer one ends cancelled; that is part of settling."""
    while running := [worker for worker in pilot.app.workers if not worker.is_finished]:
        for worker in running:
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
    await pilot.pause()


def app_for(path: Path, *, follow: bool = False) -> LoopletApp:
    """The app `looplet-tui open PATH` would run."""
    return build_app(open_source(str(path)), follow=follow)
