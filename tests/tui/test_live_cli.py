"""`looplet-tui run MODULE:FACTORY [-- args]`: loading the agent, and refusing bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from looplet_tui.cli import EXIT_BAD_INPUT, main
from looplet_tui.live.launch import DEMO_TARGET, live_target, split_agent_args
from looplet_tui.live.spec import AgentSpec, SpecError

AGENT = """
from looplet_core import ScriptedBackend, ToolCall
from looplet_tui.live import AgentSpec, Breakpoint, Condition

def make(argv):
    return AgentSpec(
        llm=ScriptedBackend([ToolCall("done", {"answer": "ok"})]),
        tools=[],
        task=" ".join(argv) or "nothing to do",
        name="test agent",
        breakpoints=[Breakpoint("pre_prompt", Condition.EVERY)],
    )

def no_args():
    return make([])

def not_a_spec():
    return {"llm": None}

def bad_llm():
    return AgentSpec(llm=object(), tools=[], task="x")

def raises():
    raise RuntimeError("no key in the environment\\nsecond line")

VALUE = 3
"""


@pytest.fixture
def agent_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "my_agent_for_tests.py"
    path.write_text(AGENT)
    return path


def test_the_factory_gets_the_arguments_after_the_double_dash(agent_file: Path) -> None:
    own, extra = split_agent_args(["run", "my_agent_for_tests:make", "--", "tidy", "--fast"])
    assert own == ["run", "my_agent_for_tests:make"] and extra == ["tidy", "--fast"]
    target = live_target("my_agent_for_tests:make", extra)
    assert target.spec.task == "tidy --fast" and target.name == "test agent"
    assert [b.describe() for b in target.breakpoints] == ["before the model call · every turn"]
    again = target.remake()  # a restart calls the factory again
    assert again is not target.spec and again.task == "tidy --fast"


def test_a_file_path_works_as_the_module(agent_file: Path) -> None:
    assert live_target(f"{agent_file}:no_args", []).spec.task == "nothing to do"


def test_the_demo_needs_no_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = live_target(DEMO_TARGET, []).spec
    assert isinstance(spec, AgentSpec) and "delete_file" in spec.tools.names  # type: ignore[union-attr]
    assert [b.describe() for b in spec.breakpoints] == ["before dispatch · tool delete_file"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "my_agent_for_tests"], "expected MODULE:FACTORY"),
        (["run", "no_such_module_here:make"], "no_such_module_here: no such module"),
        (["run", "my_agent_for_tests:missing"], "has no attribute 'missing'"),
        (["run", "my_agent_for_tests:VALUE"], "VALUE is not callable (it is int)"),
        (["run", "my_agent_for_tests:not_a_spec"], "returned dict, not an AgentSpec"),
        (["run", "my_agent_for_tests:bad_llm"], "llm is a object with no generate(prompt)"),
        (["run", "my_agent_for_tests:raises"], "raised RuntimeError: no key in the environment"),
        (["run", "my_agent_for_tests:no_args", "--", "x"], "takes no arguments"),
        (["run", "missing_file.py:make"], "missing_file.py: no such file"),
    ],
)
def test_a_bad_agent_is_one_line_and_exit_2(
    agent_file: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("looplet-tui: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_arguments_after_double_dash_are_only_for_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["demo", "--", "x"])
    assert exit.value.code == EXIT_BAD_INPUT
    assert "only for `run`" in capsys.readouterr().err


def test_spec_errors_are_values() -> None:
    with pytest.raises(SpecError, match="expected MODULE:FACTORY"):
        live_target("", [])
