"""The core/TUI boundary, checked in a fresh interpreter rather than hoped for."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = ("textual", "rich", "openai", "anthropic")
CORE_MODULES = (
    "looplet_core",
    "looplet_core.loop",
    "looplet_core.tools",
    "looplet_core.hooks",
    "looplet_core.types",
    "looplet_core.textcalls",
    "looplet_core.backends",
    "looplet_core.cli",
    "looplet_core.examples.demo",
    "looplet_core.backends.anthropic",
    "looplet_core.backends.openai",
    "looplet_core.examples.hello",
    "looplet_core.provenance",
    "looplet_core.provenance.sink",
    "looplet_core.provenance.reader",
    "looplet_core.provenance.redact",
    "looplet_core.provenance._format",
    "looplet_core.provenance._parse",
    "looplet_core.provenance.model",
    "looplet_core.provenance.trace",
    "looplet_core.provenance.native",
    "looplet_core.provenance.hook_states",
    "looplet_core.provenance.native_chains",
    "looplet_core.provenance.native_loading",
    "looplet_core.provenance.native_prompts",
    "looplet_core.provenance.detect",
    "looplet_core.provenance.formats.looplet04",
    "looplet_core.provenance.formats.looplet04_calls",
    "looplet_core.provenance.formats.minisweagent",
    "looplet_core.provenance.formats.minisweagent_steps",
    "looplet_core.provenance.formats.minisweagent_reading",
    "looplet_core.provenance.formats.salvage",
    "looplet_core.replay",
    "looplet_core.commands.show",
    "looplet_core.commands.replay",
    "looplet_core.commands.specs",
    "looplet_core.hooks_lib",
    "looplet_core.hooks_lib.approval",
    "looplet_core.hooks_lib.approval_rules",
    "looplet_core.hooks_lib.console_approval",
    "looplet_core.hooks_lib.checkpoint",
    "looplet_core.hooks_lib.checkpoint_read",
    "looplet_core.hooks_lib.checkpoint_resume",
    "looplet_core.hooks_lib.compaction",
    "looplet_core.hooks_lib.compaction_stages",
    "looplet_core.hooks_lib.compaction_units",
    "looplet_core.hooks_lib.metrics",
    "looplet_core.hooks_lib.otel",
    "looplet_core.evals",
    "looplet_core.evals.context",
    "looplet_core.evals.marks",
    "looplet_core.evals.results",
    "looplet_core.evals.loader",
    "looplet_core.evals.hook",
    "looplet_core.evals.command",
    "looplet_core.evals.testing",
)


def loaded_after_import(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_modules_do_not_load_ui_or_sdk_packages(module: str) -> None:
    loaded = loaded_after_import(module)
    leaked = sorted(name for name in loaded if name.split(".")[0] in FORBIDDEN)
    assert leaked == []


def test_the_check_would_catch_a_leak() -> None:
    assert "rich" in {name.split(".")[0] for name in loaded_after_import("rich.text")}


DEFERRED = ("dataclasses", "inspect", "difflib", "threading")
"""Stdlib modules looplet_core may use but must not import up front: together
they cost more than the whole import-time budget."""


def test_tools_load_heavy_stdlib_modules_only_when_used() -> None:
    """Schema derivation, did-you-mean hints and timeouts load their modules on first use."""
    assert sorted(loaded_after_import("looplet_core.tools") & set(DEFERRED)) == []


def test_provider_backends_are_exported_lazily() -> None:
    code = (
        "import sys, looplet_core; before = 'looplet_core.backends.openai' in sys.modules; "
        "from looplet_core import OpenAIBackend, AnthropicBackend; "
        "print(before, OpenAIBackend.__module__, AnthropicBackend.__module__, "
        "'openai' in sys.modules, 'anthropic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [
        "False",
        "looplet_core.backends.openai",
        "looplet_core.backends.anthropic",
        "False",
        "False",
    ]
