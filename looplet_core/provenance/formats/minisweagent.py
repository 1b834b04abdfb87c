"""Reading mini-swe-agent trajectories (`*.traj.json`, "mini-swe-agent-1.x") into our model.

A trajectory is one JSON document: `info` (exit status, submission, cost,
config) and the OpenAI-style `messages`.  Each command the agent ran
(`extra.actions` of an assistant message) becomes one step of the tool
"bash", with its observation as the result; see minisweagent_steps.py for the
grouping and tests/trace/fixtures/README.md for the format.

The file is parsed once.  Opening then only groups messages into steps
(a few dict lookups per message); summaries, Message records and prompts are
built from the parsed document when asked for, so no heavy string is copied.
A file cut short or damaged (mini-swe-agent rewrites it in place after every
step, so a live run can be caught mid-write) yields every whole message.
"""

from __future__ import annotations

import os
import re

from looplet_core.provenance._format import encode, preview_args
from looplet_core.provenance._parse import decode, kind, open_regular, parse_text
from looplet_core.provenance.formats._common import (
    file_signature,
    float_or_none,
    iso_utc,
    paused_gc,
)
from looplet_core.provenance.formats.minisweagent_steps import (
    Grouping,
    actions_of,
    extra_of,
    group_steps,
    outcome,
)
from looplet_core.provenance.formats.salvage import salvage_object
from looplet_core.provenance.model import StepDetail, StepSummary, TraceError, TraceMeta
from looplet_core.provenance.trace import Trace
from looplet_core.types import LLMResponse, Message, Step, StopReason, ToolCall, ToolResult, Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MiniSweAgentTrace"]

_FORMAT_PREFIX = "mini-swe-agent"
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
_NO_USAGE = Usage()
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
    """One `*.traj.json` file.  An entry is a `Grouping` entry: (step number,
    turn, assistant message index, action index, result message index, start time)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._name = os.path.basename(path)
        self._info: dict[str, Any] = {}
        self._messages: list[Any] = []
        self._format = _FORMAT_PREFIX
        self._grouping = Grouping()
        self._signature: tuple[int, int] | None = None
        self._converted: list[Message | None] = []
        """Messages converted so far, in order: every prompt is a prefix of the list."""
        self._summaries: list[StepSummary | None] = []
        """Summaries built so far, by position (a timeline asks for the same rows often)."""
        self._load(first=True)

    # -- loading ----------------------------------------------------------------

    def _refresh(self) -> None:
        if file_signature(self.path) != self._signature:
            self._load(first=False)

    def _load(self, first: bool) -> None:
        """Read the whole file again (mini-swe-agent rewrites it whole).  A read that
        finds less than the last one (a rewrite caught half way) keeps the last one."""
        signature = file_signature(self.path)
        problems: list[str] = []
        with paused_gc():
            document = self._read(problems, first)
            if document is None:
                return
            info, messages, trajectory_format = _parts(document, self._name, problems)
            grouping = group_steps(messages or [])
        if first and info is None and messages is None:
            raise TraceError(f"{self.path}: nothing readable ({'; '.join(problems)})")
        if not first and len(grouping.entries) < len(self._entries) and problems:
            self._state = [
                f"{self._name} changed but cannot be read whole now ({problems[-1]}); "
                "showing the last complete read"
            ]
            return
        self._signature = signature
        self._info, self._messages = info or {}, messages or []
        self._format = trajectory_format or _FORMAT_PREFIX
        self._grouping = grouping
        self._converted = []
        self._summaries = [None] * len(grouping.entries)
        self._state = problems + [f"{self._name}: {p}" for p in grouping.problems]
        self._entries[:] = grouping.entries

    def _read(self, problems: list[str], first: bool) -> dict[str, Any] | None:
        """The document (salvaged if damaged), or None (having raised on a first read)."""
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
            value, error = parse_text(text)
            if error is None and isinstance(value, dict):
                return value
            if error is None:
                reason = f"expected a JSON object, found {kind(value)}"
            else:
                salvaged, notes = salvage_object(text)
                if salvaged:
                    problems.append(f"{self._name}: {error}; " + "; ".join(notes))
                    return salvaged
                reason = error
        if first:
            raise TraceError(f"{self.path}: {reason}")
        self._state = [f"{self._name}: {reason}; showing the last complete read"]
        return None

    # -- steps ------------------------------------------------------------------

    def _summary(self, entry: tuple[int, int, int, int, int, float | None]) -> StepSummary:
        position = entry[0] - 1
        summary = self._summaries[position]
        if summary is None:
            summary = self._summaries[position] = self._summarise(entry)
        return summary

    def _summarise(self, entry: tuple[int, int, int, int, int, float | None]) -> StepSummary:
        number_, turn, message, action, result, started = entry
        extra = self._messages[message]["extra"]  # a dict: the message has actions
        _output, error, error_kind, duration = outcome(self._messages, result, started)
        usage = _usage(extra)
        return StepSummary(
            number_,
            turn,
            "bash",
            preview_args(_args(extra["actions"][action])),
            error is None,
            None if error_kind is None else str(error_kind),
            duration,
            usage.input_tokens,
            usage.output_tokens,
            0.0,
        )

    def _step(self, entry: tuple[int, int, int, int, int, float | None]) -> Step:
        number_, turn, message_index, action, result, started = entry
        extra = extra_of(self._messages[message_index])
        output, error, error_kind, duration = outcome(self._messages, result, started)
        return Step(
            number_,
            turn,
            _tool_calls(self._messages[message_index])[action],
            ToolResult(output, error, error_kind, duration),
            _usage(extra),
            cost=float_or_none(extra.get("cost")),
        )

    def _reply(
        self, entry: tuple[int, int, int, int, int, float | None], raw_request: bool
    ) -> LLMResponse:
        """The assistant message as a reply (mini-swe-agent keeps no wire request)."""
        message = self._messages[entry[2]]
        extra = extra_of(message)
        raw = extra.get("response")
        return LLMResponse(
            text=_content(message.get("content")),
            tool_calls=_tool_calls(message),
            usage=_usage(extra),
            finish_reason=_finish_reason(raw),
            model=raw.get("model") if isinstance(raw, dict) else None,
            cost=float_or_none(extra.get("cost")),
            raw_response=raw,
        )

    def _detail(
        self, entry: tuple[int, int, int, int, int, float | None], raw_request: bool
    ) -> StepDetail:
        when = float_or_none(extra_of(self._messages[entry[2]]).get("timestamp"))
        return StepDetail(
            self._step(entry), self._prompt(entry[2]), self._reply(entry, raw_request), (), when
        )

    def _prompt(self, end: int) -> tuple[Message, ...]:
        """The messages before `messages[end]`: what the model was sent for that reply."""
        converted = self._converted
        with paused_gc():
            while len(converted) < end:
                converted.append(_message(self._messages[len(converted)]))
        return tuple(message for message in converted[:end] if message is not None)

    def _conversation(self) -> tuple[Message, ...] | None:
        if self._grouping.exit_index < 0:
            return None
        return self._prompt(len(self._messages))

    # -- meta -------------------------------------------------------------------

    def _meta(self) -> TraceMeta:
        info, grouping = self._info, self._grouping
        exit_extra = self._exit_extra()
        status = exit_extra.get("exit_status") or info.get("exit_status")
        status = status if isinstance(status, str) and status else None
        stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
        config = info.get("config") if isinstance(info.get("config"), dict) else {}
        usage, first, last = self._totals()
        settings = dict(config)
        settings["mini_version"] = info.get("mini_version")
        settings["format_errors"] = grouping.format_errors
        submission = exit_extra.get("submission", info.get("submission"))
        stop_reason = None if status is None else _STOP_REASONS.get(status, StopReason.ERROR)
        return TraceMeta(
            format=self._format,
            task=self._task(config),
            model=_model_name(config, self._messages),
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
            usage=usage,
            cost=float_or_none(stats.get("instance_cost")),
            duration_ms=None if first is None or last is None else (last - first) * 1000,
        )

    def _exit_extra(self) -> dict[str, Any]:
        index = self._grouping.exit_index
        return extra_of(self._messages[index]) if index >= 0 else {}

    def _totals(self) -> tuple[Usage, float | None, float | None]:
        """Usage summed over every model call (format errors included), and the
        first and last message times."""
        usage = Usage()
        first = last = None
        for message in self._messages:
            extra = extra_of(message)
            if "response" in extra:
                usage = usage + _usage(extra)
            when = float_or_none(extra.get("timestamp"))
            if when is not None:
                first = when if first is None else min(first, when)
                last = when if last is None else max(last, when)
        return usage, first, last

    def _task(self, config: dict[str, Any]) -> str | None:
        """The task as given: the first user message with the instance template's
        surrounding text taken off (the whole message if that cannot be done)."""
        rendered = next(
            (
                message.get("content")
                for message in self._messages
                if type(message) is dict and message.get("role") == "user"
            ),
            None,
        )
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
        if self._grouping.exit_index < 0:
            return None
        content = self._messages[self._grouping.exit_index].get("content")
        return content if isinstance(content, str) else None


def _parts(
    document: dict[str, Any], name: str, problems: list[str]
) -> tuple[dict[str, Any] | None, list[Any] | None, str | None]:
    """(info, messages, trajectory_format) of a document, each None if unusable."""
    info, messages = document.get("info"), document.get("messages")
    if not isinstance(info, dict):
        problems.append(f"{name}: info is {kind(info)}, not an object")
        info = None
    if not isinstance(messages, list):
        problems.append(f"{name}: messages is {kind(messages)}, not a list")
        messages = None
    trajectory_format = document.get("trajectory_format")
    if not isinstance(trajectory_format, str):
        trajectory_format = None
    elif not trajectory_format.startswith(_FORMAT_PREFIX):
        problems.append(f"{name}: trajectory_format is {trajectory_format!r}")
    elif not trajectory_format.startswith(f"{_FORMAT_PREFIX}-1."):
        problems.append(
            f"{name}: {trajectory_format}; this reader knows mini-swe-agent-1.x, "
            "so some data may be missing"
        )
    return info, messages, trajectory_format


def _args(action: Any) -> dict[str, Any]:
    command = action.get("command") if type(action) is dict else None
    return {"command": command} if isinstance(command, str) else {}


def _tool_calls(message: dict[str, Any]) -> tuple[ToolCall, ...]:
    """The reply's commands as calls of "bash", each with the reply's text."""
    text = _content(message.get("content"))
    return tuple(
        ToolCall(
            "bash",
            _args(action),
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


def _usage(extra: dict[str, Any]) -> Usage:
    """Token counts from the litellm response dump; cached prompt tokens are counted
    apart, as our Usage wants."""
    response = extra.get("response")
    usage = response.get("usage") if type(response) is dict else None
    if type(usage) is not dict:
        return _NO_USAGE
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if type(details) is dict else None
    read = _count(cached) or _count(usage.get("cache_read_input_tokens"))
    written = _count(usage.get("cache_creation_input_tokens"))
    prompt, completion = _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))
    return Usage(max(0, prompt - read - written), completion, read, written)


def _count(value: Any) -> int:
    return value if type(value) is int else 0


def _finish_reason(response: Any) -> str | None:
    choices = response.get("choices") if isinstance(response, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    reason = first.get("finish_reason") if isinstance(first, dict) else None
    return reason if isinstance(reason, str) else None


def _model_name(config: dict[str, Any], messages: list[Any]) -> str | None:
    model = config.get("model")
    name = model.get("model_name") if isinstance(model, dict) else None
    if isinstance(name, str):
        return name
    for message in messages:
        response = extra_of(message).get("response")
        if isinstance(response, dict) and isinstance(response.get("model"), str):
            return response["model"]
    return None


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
