"""Each hook's `debug_state()` is recorded with the steps and read back per step,
with unchanged states stored once rather than at every step."""

from __future__ import annotations

import json

from looplet_core.provenance import open_trace
from looplet_core.provenance.hook_states import MAX_STATE_CHARS
from tests.trace.scenarios import mixed_script, record


class Counter:
    """A state that changes at every step."""

    def __init__(self) -> None:
        self.seen = 0

    def post_dispatch(self, state, call, result):
        self.seen += 1

    def debug_state(self):
        return {"seen": self.seen}


class Settings:
    """A state that never changes: it must be on disk once."""

    def debug_state(self):
        return {"rules": ["allow add", "marker-7f3a"]}


class Broken:
    def debug_state(self):
        raise RuntimeError("state unavailable")


class Huge:
    def debug_state(self):
        return {"log": "x" * (MAX_STATE_CHARS * 3)}


class Live:
    """Copies every hook's state as the loop reaches on_step (after the sink, which
    runs first), so the test knows what each step's record must hold."""

    def __init__(self, hooks) -> None:
        self.hooks = hooks
        self.at_step: list[dict] = []

    def on_step(self, state, step):
        self.at_step.append({type(hook).__name__: hook.debug_state() for hook in self.hooks})


def test_every_step_reads_back_the_states_its_hooks_had(tmp_path) -> None:
    counter, settings = Counter(), Settings()
    live = Live([counter, settings])
    steps, _, _, _ = record(tmp_path / "run", mixed_script(), hooks=[counter, settings, live])
    trace = open_trace(tmp_path / "run")
    assert len(trace) == len(steps) > 3
    for index, expected in enumerate(live.at_step):
        detail = trace.detail(index)
        assert detail.problems == ()
        assert detail.hook_states == expected
    events = (tmp_path / "run" / "events.jsonl").read_text(encoding="utf-8")
    assert events.count("marker-7f3a") == 1


def test_the_sink_leaves_itself_out_and_hooks_without_states_are_absent(tmp_path) -> None:
    record(tmp_path / "run", mixed_script(), hooks=[Counter()])
    states = open_trace(tmp_path / "run").detail(0).hook_states
    assert list(states) == ["Counter"]


def test_a_raising_or_huge_state_is_recorded_without_breaking_the_run(tmp_path) -> None:
    steps, result, _, _ = record(tmp_path / "run", mixed_script(), hooks=[Broken(), Huge()])
    assert result.stop_reason.value == "done"
    states = open_trace(tmp_path / "run").detail(len(steps) - 1).hook_states
    assert states["Broken"] == {"debug_state() raised": "RuntimeError: state unavailable"}
    assert states["Huge"]["cut short"] == f"{MAX_STATE_CHARS * 3 + 11} characters"
    assert len(states["Huge"]["start"]) == MAX_STATE_CHARS


def test_a_damaged_earlier_record_costs_only_the_states_it_held(tmp_path) -> None:
    counter = Counter()
    live = Live([counter])
    record(tmp_path / "run", mixed_script(), hooks=[Settings(), counter, live])
    events = tmp_path / "run" / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    first_step = next(i for i, line in enumerate(lines) if line.startswith(b'{"kind":"step"'))
    assert json.loads(lines[first_step])["hook_states"]["Settings"]
    lines[first_step] = lines[first_step].replace(b'"Settings":', b'"Settingz":')  # same length
    events.write_bytes(b"".join(lines))
    trace = open_trace(tmp_path / "run")
    later = trace.detail(len(trace) - 1)
    assert later.hook_states["Counter"] == live.at_step[-1]["Counter"]
    assert "Settings" not in later.hook_states
    assert any("hook Settings's state is not at byte" in p for p in later.problems)
