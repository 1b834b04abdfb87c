"""Suite-wide fixtures.

Every test runs in its own empty working directory, because the code under
test writes to relative defaults (a live run records to `./.looplet/runs/`):
without this, each suite run would leave runs in the checkout, and a test
could pass or fail depending on what earlier runs left there.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _work_in_a_fresh_directory(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    workdir = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(workdir)
    return workdir
