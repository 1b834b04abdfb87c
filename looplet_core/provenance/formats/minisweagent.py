"""Reading mini-swe-agent trajectories (`*.traj.json`, "mini-swe-agent-1.x") into our model.

A trajectory is one JSON document: `info` (exit status, submission, cost,
config) and the OpenAI-style `messages`.  Each command the agent ran
(`extra.actions` of an assistant message) becomes one step of the tool
"bash", with its observation as the result; see minisweagent_steps.py for the
grouping and tests/trace/fixtures/README.md for the format.

The file is read once, and indexed a slice at a time (minisweagent_reading.py):
its text and each message's place in it are kept, each step's summary and
the run's totals are taken as the messages go by, and a step's detail
decodes its few messages again when asked for.  Opened progressively
(`open_trace(path, progressive=True)`), the trace holds the first
FIRST_STEPS steps and `index_more` reads on; otherwise `open_trace` indexes
it all.  A file cut short or damaged (mini-swe-agent rewrites it in place
after every step, so a live run can be caught mid-write) yields every whole
message.
"""

from __future__ import annotations

import os
import re
from time import perf_counter

from looplet_core.provenance._format import encode
from looplet_core.provenance._parse import decode, open_regular
from looplet_core.provenance.formats._common import (
    LazyMessages,
    file_signature,
    float_or_none,
    iso_utc,
)
from looplet_core.provenance.formats.minisweagent_reading import (
    FORMAT_PREFIX,
    Reading,
    args_of,
    usage_counts,
)
from looplet_core.provenance.formats.minisweagent_steps import actions_of, extra_of, outcome
from looplet_core.provenance.model import StepDetail, StepSummary, TraceError, TraceMeta
from looplet_core.provenance.trace import Trace
from looplet_core.types import LLMResponse, Message, Step, StopReason, ToolCall, ToolResult, Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from looplet_core.provenance.formats.minisweagent_steps import Entry

__all__ = ["FIRST_STEPS", "MiniSweAgentTrace"]

FIRST_STEPS = 200
"""Steps indexed before a progressive open returns: a few screenfuls of a timeline."""
_STOP_REASONS = {
    "Submitted": StopReason.DONE,
    "LimitsExceeded": StopReason.MAX_STEPS,
    "TimeExceeded": StopReason.MAX_STEPS,
    "CostLimitExceeded": StopReason.MAX_STEPS,
    "UserInterruption": StopReason.CANCELLED,
    "KeyboardInterrupt": StopReason.CANCELLED,
}
"""Exit statuses in our terms; any other one (a format-error streak, an exception
class name after a crash) is an error."""
_TASK_PLACEHOLDER = re.compile(r"\{\{\s*task\s*\}\}")
BASH_TOOL = {
    "name": "bash",
    "description": "Run one shell command (mini-swe-agent's only action; the "
    "trajectory does not record the schema the model was given).",
    "parameters": {
        "type": "object",
        "properties": {"command": {"type": "string"}},
        "required": ["command"],
    },
}


class MiniSweAgentTrace(Trace):
    """One `*.traj.json` file, indexed up to FIRST_STEPS steps when built (see
    `Trace.index_more`).  An entry is a `Grouping` entry: (step number, turn,
    assistant message index, action index, result message index, start time)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._name = os.path.basename(path)
        self._signature = file_signature(path)
        reading = self._read(first=True)
        assert reading is not None  # a first read raises instead
        reading = reading.advance(steps=FIRST_STEPS)
        info = reading.members.get("info")
        if reading.failure is not None:
            raise TraceError(f"{self.path}: {reading.failure}")
        if reading.done and not isinstance(info, dict) and not reading.has_messages:
            raise TraceError(f"{self.path}: nothing readable ({'; '.join(reading.problems)})")
        self._reading = reading
        self._publish(reading, whole=True)

    # -- loading ----------------------------------------------------------------

    def _read(self, first: bool) -> Reading | None:
        """A reading of the file, not indexed yet; None (having raised on a first
        read) when the file cannot be read at all."""
        problems: list[str] = []
        try:
            with open_regular(self.path) as file:
                data = file.read()
        except OSError as exc:
            reason = f"cannot be read ({exc.strerror or exc})"
        else:
            reason = "empty file, not a trajectory" if not data.strip() else ""
        if not reason:
            text = decode(data, self._name, problems)
            del data  # the text is all that is needed from here
            return Reading(self._name, text, problems)
        if first:
            raise TraceError(f"{self.path}: {reason}")
        self._state = [f"{self._name}: {reason}; showing the last complete read"]
        return None

    def _index_more(self, budget_s: float | None) -> None:
        deadline = None if budget_s is None else perf_counter() + budget_s
        reading = self._reading.advance(deadline)
        if reading.failure is not None:
            self._note(f"{self._name}: {reading.failure}; the rest of the file is not read")
            reading.failure = None
            reading = self._reading  # keep what was indexed
            reading.done = True
        whole = reading is not self._reading
        self._reading = reading
        self._publish(reading, whole=whole)

    def _progress(self) -> float:
        return self._reading.progress

    def _refresh(self) -> None:
        """Read the whole file again if it changed (mini-swe-agent rewrites it whole).
        A read that finds less than the last one (a rewrite caught half way) keeps
        the last one."""
        signature = file_signature(self.path)
        if signature == self._signature:
            return
        reading = self._read(first=False)
        if reading is None:
            return
        reading = reading.advance()
        if reading.failure is not None:
            self._state = [f"{self._name}: {reading.failure}; showing the last complete read"]
            return
        if len(reading.grouper.found.entries) < len(self._entries) and reading.problems:
            self._state = [
                f"{self._name} changed but cannot be read whole now ({reading.problems[-1]}); "
                "showing the last complete read"
            ]
            return
        self._signature = signature
        self._reading = reading
        self._publish(reading, whole=True)

    def _publish(self, reading: Reading, whole: bool) -> None:
        """Show the steps that can no longer change (all of them once the reading is
        done), and the problems found so far; `whole` replaces every step."""
        found = reading.grouper.found
        settled = found.entries[: reading.grouper.settled]
        if whole:
            self._entries[:] = settled
        else:
            self._entries.extend(settled[len(self._entries) :])
        self._state = reading.problems + [f"{self._name}: {p}" for p in found.problems]
        self._complete = reading.done

    # -- steps ------------------------------------------------------------------

    def _summary(self, entry: Entry) -> StepSummary:
        return self._reading.summaries[entry[0] - 1]

    def _step(self, entry: Entry) -> Step:
        number_, turn, message_index, action, result, started = entry
        messages = self._reading.messages
        message = messages[message_index]
        extra = extra_of(message)
        output, error, error_kind, duration = outcome(
            messages[result] if result >= 0 else None, started
        )
        return Step(
            number_,
            turn,
            _tool_calls(message)[action],
            ToolResult(output, error, error_kind, duration),
            Usage(*usage_counts(extra)),
            cost=float_or_none(extra.get("cost")),
        )

    def _reply(self, entry: Entry, raw_request: bool) -> LLMResponse:
        """The assistant message as a reply (mini-swe-agent keeps no wire request)."""
        message = self._reading.messages[entry[2]]
        extra = extra_of(message)
        raw = extra.get("response")
        return LLMResponse(
            text=_content(message.get("content")),
            tool_calls=_tool_calls(message),
            usage=Usage(*usage_counts(extra)),
            finish_reason=_finish_reason(raw),
            model=raw.get("model") if isinstance(raw, dict) else None,
            cost=float_or_none(extra.get("cost")),
            raw_response=raw,
        )

    def _detail(self, entry: Entry, raw_request: bool) -> StepDetail:
        when = float_or_none(extra_of(self._reading.messages[entry[2]]).get("timestamp"))
        return StepDetail(
            self._step(entry), self._prompt(entry[2]), self._reply(entry, raw_request), (), when
        )

    def _prompt(self, end: int) -> LazyMessages:
        """The messages before `messages[end]`: what the model was sent for that reply,
        converted when they are asked for."""
        reading = self._reading
        return LazyMessages(reading.prompt_indices(end), _converter(reading.messages))

    def _conversation(self) -> LazyMessages | None:
        reading = self._reading
        if not reading.done or reading.grouper.found.exit_index < 0:
            return None
        return self._prompt(len(reading.messages))

    # -- meta -------------------------------------------------------------------

    def _meta(self) -> TraceMeta:
        reading = self._reading
        grouping = reading.grouper.found
        info = reading.members.get("info")
        info = info if isinstance(info, dict) else {}
        exit_extra = self._exit_extra()
        status = exit_extra.get("exit_status") or info.get("exit_status")
        status = status if isinstance(status, str) and status else None
        stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
        config = info.get("config") if isinstance(info.get("config"), dict) else {}
        first, last = reading.first_time, reading.last_time
        settings = dict(config)
        settings["mini_version"] = info.get("mini_version")
        settings["format_errors"] = grouping.format_errors
        submission = exit_extra.get("submission", info.get("submission"))
        stop_reason = None if status is None else _STOP_REASONS.get(status, StopReason.ERROR)
        version = reading.members.get("trajectory_format")
        return TraceMeta(
            format=version if isinstance(version, str) else FORMAT_PREFIX,
            task=self._task(config),
            model=_model_name(config, reading.response_model),
            tools=(BASH_TOOL,),
            settings=settings,
            created=iso_utc(first),
            forked_from=None,
            finished=status is not None,
            stop_reason=None if stop_reason is None else stop_reason.value,
            reason=f"mini-swe-agent exit_status {status!r}" if status else "",
            error=self._crash() if stop_reason is StopReason.ERROR else None,
            answer=submission if status == "Submitted" else None,
            steps=len(self._entries),
            turns=stats["api_calls"] if type(stats.get("api_calls")) is int else grouping.turns,
            usage=Usage(
                reading.input_tokens, reading.output_tokens, reading.cache_read, reading.cache_write
            ),
            cost=float_or_none(stats.get("instance_cost")),
            duration_ms=None if first is None or last is None else (last - first) * 1000,
            complete=reading.done,
        )

    def _exit_message(self) -> Any:
        index = self._reading.grouper.found.exit_index
        return self._reading.messages[index] if index >= 0 else None

    def _exit_extra(self) -> dict[str, Any]:
        return extra_of(self._exit_message())

    def _task(self, config: dict[str, Any]) -> str | None:
        """The task as given: the first user message with the instance template's
        surrounding text taken off (the whole message if that cannot be done)."""
        index = self._reading.first_user
        rendered = self._reading.messages[index].get("content") if index >= 0 else None
        if not isinstance(rendered, str):
            return None
        agent = config.get("agent")
        template = agent.get("instance_template") if isinstance(agent, dict) else None
        return _untemplate(template, rendered) if isinstance(template, str) else rendered

    def _crash(self) -> str | None:
        """What went wrong: the exception, or the exit message's text."""
        detail = self._exit_extra().get("exception_str")
        if isinstance(detail, str) and detail:
            return detail
        message = self._exit_message()
        content = message.get("content") if type(message) is dict else None
        return content if isinstance(content, str) else None


def _converter(messages: Any) -> Callable[[int], Message]:
    """`messages[index]` as our Message (the index is that of a message, not of a
    stray value, so the conversion never gives None)."""
    return lambda index: _message(messages[index])  # type: ignore[return-value]


def _model_name(config: dict[str, Any], response_model: str | None) -> str | None:
    model = config.get("model")
    name = model.get("model_name") if isinstance(model, dict) else None
    return name if isinstance(name, str) else response_model


def _tool_calls(message: dict[str, Any]) -> tuple[ToolCall, ...]:
    """The reply's commands as calls of "bash", each with the reply's text."""
    text = _content(message.get("content"))
    return tuple(
        ToolCall(
            "bash",
            args_of(action),
            id=str(action.get("tool_call_id") or "") if type(action) is dict else "",
            text=text,
        )
        for action in actions_of(message)
    )


def _message(raw: Any) -> Message | None:
    """One trajectory message as ours (None for one that is not a message)."""
    if type(raw) is not dict:
        return None
    role = raw.get("role")
    role = role if isinstance(role, str) else "unknown"
    extra = extra_of(raw)
    if role == "assistant":
        return Message(role, _content(raw.get("content")), _tool_calls(raw))
    call_id = raw.get("tool_call_id")
    code = extra.get("returncode")
    return Message(
        role,
        _content(raw.get("content")),
        tool_call_id=call_id if isinstance(call_id, str) else None,
        is_error=type(code) is int and code != 0,
    )


def _content(content: Any) -> str:
    """Message content as text: OpenAI's list of parts is joined, anything else encoded."""
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, list):
        parts = [part.get("text") for part in content if isinstance(part, dict)]
        return "\n".join(part for part in parts if isinstance(part, str))
    return encode(content)


def _finish_reason(response: Any) -> str | None:
    choices = response.get("choices") if isinstance(response, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    reason = first.get("finish_reason") if isinstance(first, dict) else None
    return reason if isinstance(reason, str) else None


def _untemplate(template: str, rendered: str) -> str:
    """The text that `{{task}}` became in `rendered`, found between the literal text
    around the placeholder in the Jinja template; `rendered` itself if it is not there."""
    placeholder = _TASK_PLACEHOLDER.search(template)
    if placeholder is None:
        return rendered
    before = template[: placeholder.start()]
    before = before[max(before.rfind("}}"), before.rfind("%}")) + 2 :] if "}" in before else before
    after = template[placeholder.end() :]
    after = after[: min((i for i in (after.find("{{"), after.find("{%")) if i >= 0), default=None)]
    start = rendered.find(before)
    if start < 0 or not after.strip():
        return rendered
    start += len(before)
    end = rendered.find(after, start)
    return rendered[start:end].strip() if end >= 0 else rendered
