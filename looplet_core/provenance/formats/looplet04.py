"""Reading looplet 0.4.x provenance directories into our model.

A run directory holds `steps/step_NN.json` (one per step, numbered from 1),
`trajectory.json` (the whole run: the same step records, plus the task and
how it ended), `call_NN_prompt.txt` / `call_NN_response.txt` (one pair per
model call, numbered from 0) and `manifest.jsonl` (one line per call).  The
layout is described in tests/trace/fixtures/README.md.

Step files come first, since each is small and whole; `trajectory.json`
fills in the steps whose file is missing or damaged.  A step's summary comes
from its `tool_call` and `tool_result`, never from its `pretty` line, which
describes the step before it.  Calls join steps through `llm_call_indices`
(or the manifest's `step_num`).  looplet 0.4 records no token usage.
"""

from __future__ import annotations

import os
import re

from looplet_core.provenance._format import encode, preview_args
from looplet_core.provenance._parse import is_int, kind, parse_text, read_json
from looplet_core.provenance.formats._common import (
    directory_signature,
    first_line,
    float_or_none,
    iso_utc,
    read_text,
    to_float,
)
from looplet_core.provenance.formats.looplet04_calls import (
    PromptError,
    parse_prompt,
    parse_response,
    tool_schemas,
)
from looplet_core.provenance.model import StepDetail, StepSummary, TraceError, TraceMeta
from looplet_core.provenance.trace import Trace
from looplet_core.types import (
    ErrorKind,
    LLMResponse,
    Message,
    Step,
    StopReason,
    ToolCall,
    ToolResult,
    Usage,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["FORMAT", "Looplet04Trace"]

FORMAT = "looplet-0.4"
_PENDING = ".artifact.json.pending"
_STEP_FILE = re.compile(r"step_(\d+)\.json\Z")
_ERROR_KINDS = {
    "validation": ErrorKind.VALIDATION,
    "execution": ErrorKind.EXECUTION,
    "timeout": ErrorKind.TIMEOUT,
    "permission_denied": ErrorKind.PERMISSION,
    "parse": ErrorKind.PARSE,
    "cancelled": ErrorKind.SKIPPED,
}
"""looplet 0.4's error kinds in ours; the rest (network, rate_limit, ...) are execution errors."""
_STOP_REASONS = {
    "done": StopReason.DONE,
    "budget_exhausted": StopReason.MAX_STEPS,
    "budget": StopReason.MAX_STEPS,
    "max_steps": StopReason.MAX_STEPS,
    "max_steps_or_stop": StopReason.MAX_STEPS,
    "deadline_exceeded": StopReason.MAX_STEPS,
    "deadline": StopReason.MAX_STEPS,
    "cancelled": StopReason.CANCELLED,
    "llm_error": StopReason.LLM_ERROR,
    "error": StopReason.ERROR,
    "hook_stop": StopReason.HOOK,
    "hook_requested_stop": StopReason.HOOK,
}
"""looplet 0.4's termination reasons; a limit of any kind (steps, time) counts as max_steps."""


class _Shape(ValueError):
    """A step record that cannot be read as a step."""


class Looplet04Trace(Trace):
    """A looplet 0.4 run directory.  An entry is (Step, the indices of its model
    calls, when its reply arrived): step files are small, so they are read whole."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._trajectory: dict[str, Any] | None = None
        self._artifact: dict[str, Any] | None = None
        self._calls: dict[int, dict[str, Any]] = {}
        """manifest.jsonl (or trajectory.json's llm_calls) by call index."""
        self._pending = False
        self._signature: tuple[Any, ...] = ()
        self._tools: tuple[dict[str, Any], ...] | None = None
        self._load()
        if not (self._entries or self._trajectory or self._calls or self._artifact):
            reasons = "; ".join(self._state) or "no step files, trajectory.json or manifest.jsonl"
            raise TraceError(f"{path}: nothing readable ({reasons})")

    def _summary(self, entry: tuple[Step, tuple[int, ...], float | None]) -> StepSummary:
        step = entry[0]
        result = step.tool_result
        return StepSummary(
            step.number,
            step.turn,
            step.tool_call.name,
            preview_args(step.tool_call.args),
            result.error is None,
            None if result.error_kind is None else str(result.error_kind),
            result.duration_ms,
            0,
            0,
            step.latency_ms,
        )

    def _refresh(self) -> None:
        if self._current_signature() != self._signature:
            self._load()

    # -- loading ----------------------------------------------------------------

    def _file(self, *names: str) -> str:
        return os.path.join(self.path, *names)

    def _current_signature(self) -> tuple[Any, ...]:
        return directory_signature(self.path, self._file("steps"))

    def _load(self) -> None:
        """Read everything again: a directory's files are few and small, and a
        save that was still going may have rewritten any of them."""
        self._signature = self._current_signature()
        problems: list[str] = []
        self._pending = os.path.exists(self._file(_PENDING))
        if self._pending:
            problems.append(
                f"{_PENDING} present: looplet was interrupted while saving this run "
                "(or is still saving it), so files may be missing or cut short"
            )
        self._artifact = read_json(
            self._file("artifact.json"),
            "artifact.json",
            problems,
            report_missing=not self._pending,
            lenient=True,
        )
        self._trajectory = read_json(
            self._file("trajectory.json"), "trajectory.json", problems, lenient=True
        )
        self._calls = self._read_calls(problems)
        entries = self._read_steps(problems)
        self._state = problems
        self._entries[:] = entries
        self._tools = None

    def _read_calls(self, problems: list[str]) -> dict[int, dict[str, Any]]:
        calls: dict[int, dict[str, Any]] = {}
        text = read_text(self._file("manifest.jsonl"), "manifest.jsonl", problems)
        for line_number, line in enumerate((text or "").split("\n"), 1):
            if not line.strip():
                continue
            value, error = parse_text(line)
            if error or not isinstance(value, dict) or not is_int(value.get("index")):
                reason = error or "not a call record"
                problems.append(f"manifest.jsonl line {line_number}: {reason}")
            else:
                calls[value["index"]] = value
        listed = (self._trajectory or {}).get("llm_calls")
        for position, call in enumerate(listed if isinstance(listed, list) else ()):
            if isinstance(call, dict) and is_int(call.get("index")):
                calls.setdefault(call["index"], call)
            else:
                problems.append(f"trajectory.json: llm_calls[{position}] is not a call record")
        return calls

    def _read_steps(self, problems: list[str]) -> list[tuple[Step, tuple[int, ...], float | None]]:
        calls_by_step: dict[int, list[int]] = {}
        for index in sorted(self._calls):
            step_number = self._calls[index].get("step_num")
            if is_int(step_number) and self._calls[index].get("scope") is None:
                calls_by_step.setdefault(step_number, []).append(index)
        records: dict[int, tuple[Step, tuple[int, ...], float | None]] = {}
        damaged: set[int] = set()
        for number, name in self._step_files(problems):
            shown = f"steps/{name}"
            record = read_json(self._file("steps", name), shown, problems, lenient=True)
            if record is not None:
                try:
                    records[number] = self._entry(record, number, calls_by_step)
                    continue
                except _Shape as exc:
                    problems.append(f"{shown}: {exc}")
            damaged.add(number)
        listed = (self._trajectory or {}).get("steps")
        if listed is not None and not isinstance(listed, list):
            problems.append(f"trajectory.json: steps is {kind(listed)}, not a list")
        for position, record in enumerate(listed if isinstance(listed, list) else ()):
            where = f"trajectory.json: steps[{position}]"
            number = record.get("step_num") if isinstance(record, dict) else None
            if not is_int(number):
                problems.append(f"{where} is not a step record")
            elif number not in records:
                try:
                    records[number] = self._entry(record, number, calls_by_step)
                except _Shape as exc:
                    problems.append(f"{where}: {exc}")
                    continue
                if number in damaged:
                    problems.append(f"step {number}: read from trajectory.json instead")
        _report_gaps(sorted(records), problems)
        return [records[number] for number in sorted(records)]

    def _step_files(self, problems: list[str]) -> list[tuple[int, str]]:
        try:
            names = os.listdir(self._file("steps"))
        except FileNotFoundError:
            return []
        except OSError as exc:
            problems.append(f"steps/: cannot be read ({exc.strerror or exc})")
            return []
        found = [(match, name) for name in names if (match := _STEP_FILE.match(name))]
        return sorted((int(match.group(1)), name) for match, name in found)

    def _entry(
        self, record: dict[str, Any], step_number: int, calls_by_step: dict[int, list[int]]
    ) -> tuple[Step, tuple[int, ...], float | None]:
        """A step record as an entry; _Shape if it holds no readable call."""
        call = record.get("tool_call")
        if not isinstance(call, dict):
            raise _Shape(f"tool_call is {kind(call)}, not an object")
        name, args = call.get("tool"), call.get("args")
        if not isinstance(name, str):
            raise _Shape("tool_call has no tool name")
        if not (args is None or isinstance(args, dict | str)):
            raise _Shape(f"tool_call args is {kind(args)}, not an object")
        indices = record.get("llm_call_indices")
        calls = tuple(i for i in indices if is_int(i)) if isinstance(indices, list) else ()
        calls = calls or tuple(calls_by_step.get(step_number, ()))
        last_call = self._calls.get(calls[-1], {}) if calls else {}
        when = float_or_none(last_call.get("timestamp"))
        if when is not None:
            when += to_float(last_call.get("duration_ms")) / 1000
        step = Step(
            step_number,
            calls[-1] + 1 if calls else step_number,
            ToolCall(
                name,
                args,
                id=str(call.get("call_id") or ""),
                reasoning=call["reasoning"] if isinstance(call.get("reasoning"), str) else "",
            ),
            _result(record.get("tool_result")),
            latency_ms=sum(to_float(self._calls.get(i, {}).get("duration_ms")) for i in calls),
        )
        return step, calls, when if when is not None else float_or_none(record.get("timestamp"))

    # -- details ----------------------------------------------------------------

    def _step(self, entry: tuple[Step, tuple[int, ...], float | None]) -> Step:
        return entry[0]

    def _reply(
        self, entry: tuple[Step, tuple[int, ...], float | None], raw_request: bool
    ) -> LLMResponse | None:
        return self._exchange(entry, False, raw_request)[1]

    def _detail(
        self, entry: tuple[Step, tuple[int, ...], float | None], raw_request: bool
    ) -> StepDetail:
        prompt, response, problems = self._exchange(entry, True, raw_request)
        return StepDetail(entry[0], prompt, response, (), entry[2], problems)

    def _exchange(
        self, entry: tuple[Step, tuple[int, ...], float | None], with_prompt: bool, raw: bool
    ) -> tuple[tuple[Message, ...] | None, LLMResponse | None, tuple[str, ...]]:
        """The prompt (when asked for) and the response of a step's last call, and
        what was wrong with them (also noted for the trace).  The response's raw
        request is the prompt file's text, read only when `raw` asks for it."""
        step, calls, _when = entry
        problems: list[str] = []
        prompt = response = text = None
        if not calls:
            problems.append(f"step {step.number}: no model call was recorded for it")
        else:
            if with_prompt:
                read = self._read_prompt(calls[-1], problems)
                prompt, text = (None, None) if read is None else (read[0], read[2])
            elif raw:
                shown = f"call_{calls[-1]:02d}_prompt.txt"
                text = read_text(self._file(shown), shown, problems)
            response = self._read_response(calls[-1], text if raw else None, problems)
        for problem in problems:
            self._note(problem)
        return prompt, response, tuple(problems)

    def _read_prompt(
        self, index: int, problems: list[str]
    ) -> tuple[tuple[Message, ...], list[dict[str, Any]], str] | None:
        """(messages, tool schemas, the file's text) of call `index`, or None."""
        shown = f"call_{index:02d}_prompt.txt"
        text = read_text(self._file(shown), shown, problems)
        if text is None:
            return None
        try:
            messages, tools = parse_prompt(text)
        except PromptError as exc:
            problems.append(f"{shown}: {exc}")
            return None
        return messages, tools, text

    def _read_response(
        self, index: int, prompt_text: str | None, problems: list[str]
    ) -> LLMResponse | None:
        shown = f"call_{index:02d}_response.txt"
        text = read_text(self._file(shown), shown, problems)
        if text is None:
            return None
        try:
            reply, tool_calls, error = parse_response(text)
        except PromptError as exc:
            problems.append(f"{shown}: {exc}")
            return None
        if error is not None:
            problems.append(f"{shown}: the model call failed ({first_line(error)})")
        return LLMResponse(
            text=reply,
            tool_calls=tool_calls,
            latency_ms=to_float(self._calls.get(index, {}).get("duration_ms")),
            raw_request=prompt_text,
            raw_response=text,
        )

    def _conversation(self) -> tuple[Message, ...] | None:
        """The last call's prompt and reply: looplet 0.4 builds each prompt afresh
        rather than growing one conversation, so that is the run's last exchange."""
        indices = sorted(self._calls) or sorted({i for entry in self._entries for i in entry[1]})
        if not self._finished() or not indices:
            return None
        problems: list[str] = []
        read = self._read_prompt(indices[-1], problems)
        response = self._read_response(indices[-1], read and read[2], problems)
        for problem in problems:
            self._note(problem)
        if read is None or response is None:
            return None
        return (*read[0], Message("assistant", response.text, response.tool_calls))

    # -- meta -------------------------------------------------------------------

    def _finished(self) -> bool:
        trajectory = self._trajectory or {}
        return not self._pending and isinstance(trajectory.get("termination_reason"), str)

    def _meta(self) -> TraceMeta:
        trajectory = self._trajectory or {}
        termination = trajectory.get("termination_reason")
        termination = termination if isinstance(termination, str) else None
        stop_reason = _STOP_REASONS.get(termination or "")
        last = self._entries[-1][0] if self._entries else None
        started, ended = trajectory.get("started_at"), trajectory.get("ended_at")
        producer = (self._artifact or {}).get("producer")
        return TraceMeta(
            format=FORMAT,
            task=_task(trajectory.get("task")),
            model=None,
            tools=self._tool_schemas(),
            settings={
                "run_id": trajectory.get("run_id"),
                "metadata": trajectory.get("metadata"),
                "producer": producer,
            },
            created=iso_utc(started),
            forked_from=None,
            finished=self._finished(),
            stop_reason=None if stop_reason is None else stop_reason.value,
            reason=f"looplet 0.4 termination_reason {termination!r}" if termination else "",
            error=None,
            answer=_answer(last),
            steps=len(self._entries),
            turns=len(self._calls),
            usage=Usage(),
            cost=None,
            duration_ms=(to_float(ended) - to_float(started)) * 1000
            if float_or_none(started) is not None and float_or_none(ended) is not None
            else None,
        )

    def _tool_schemas(self) -> tuple[dict[str, Any], ...]:
        """The tools from the first prompt that lists them (text-protocol runs list
        none: their tools are described in the prompt's prose)."""
        if self._tools is None:
            self._tools = ()
            for index in sorted(self._calls):
                if to_float(self._calls[index].get("tool_count")) > 0:
                    read = self._read_prompt(index, [])
                    if read is not None and read[1]:
                        self._tools = tool_schemas(read[1])
                        break
        return self._tools


def _result(result: Any) -> ToolResult:
    """A `tool_result` record in our terms.  A failed call's `data` is the string
    "None" in looplet 0.4, so it is dropped."""
    if not isinstance(result, dict):
        return ToolResult.failure(ErrorKind.SKIPPED, f"no result was recorded ({kind(result)})")
    duration = to_float(result.get("duration_ms"))
    error = result.get("error")
    if error is None or error == "":
        return ToolResult(result.get("data"), duration_ms=duration)
    message = error if isinstance(error, str) else encode(error)
    if message.startswith("Unknown tool"):
        error_kind = ErrorKind.UNKNOWN_TOOL
    else:
        error_kind = _ERROR_KINDS.get(str(result.get("error_kind")), ErrorKind.EXECUTION)
    return ToolResult(error=message, error_kind=error_kind, duration_ms=duration)


def _answer(last: Step | None) -> Any:
    """The arguments of the `done` call that ended the run, as our own traces keep them."""
    if last is not None and last.tool_call.name == "done" and last.ok:
        return last.tool_call.args
    return None


def _task(task: Any) -> str | None:
    if isinstance(task, dict) and isinstance(task.get("description"), str):
        return task["description"]
    if isinstance(task, str) or task is None:
        return task
    return encode(task)


def _report_gaps(numbers: list[int], problems: list[str]) -> None:
    """Name the step numbers missing between 1 and the last step found, as ranges."""
    previous = 0
    for found in numbers:
        if found == previous + 2:
            problems.append(f"step {found - 1} missing: no readable step file or trajectory entry")
        elif found > previous + 2:
            problems.append(
                f"steps {previous + 1}-{found - 1} missing: "
                "no readable step files or trajectory entries"
            )
        previous = found
