"""The ship-ready hooks keep looplet_core's import budget: heavy stdlib modules load
only when a feature needs them (difflib for an edit's diff, for instance)."""

from __future__ import annotations

import pytest

from tests.core.test_import_hygiene import DEFERRED, loaded_after_import


@pytest.mark.parametrize(
    "module",
    [
        "looplet_core.hooks_lib.approval",
        "looplet_core.hooks_lib.console_approval",
        "looplet_core.hooks_lib.checkpoint_resume",
    ],
)
def test_hooks_load_heavy_stdlib_modules_only_when_used(module):
    assert sorted(loaded_after_import(module) & set(DEFERRED)) == []


def test_the_package_loads_no_hook_until_one_is_used():
    loaded = loaded_after_import("looplet_core.hooks_lib")
    assert sorted(name for name in loaded if name.startswith("looplet_core.hooks_lib.")) == []
