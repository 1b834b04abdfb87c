"""Tools: Python functions the model may call, their registry, and dispatch.

`@tool` reads a function's signature and docstring once, at decoration time
(see `schema`), and `ToolRegistry.register` compiles the resulting JSON Schema
into plain closures (see `validation`), so `dispatch` checks arguments without
interpreting the schema on every call: the loop dispatches once per step and
has a budget of microseconds.  Dispatch never raises: every failure, from a
misspelt tool name to a tool that crashed or hung, becomes a `ToolResult` the
model can read and correct.

Importing this module stays cheap (no `typing`, `inspect` or `dataclasses`):
the schema machinery loads with the first tool, threads with the first timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from time import perf_counter

from looplet_core._record import Record, set_field
from looplet_core.jsonable import to_jsonable
from looplet_core.types import ErrorKind, ToolResult
from looplet_core.validation import (
    compile_members,
    json_type_name,
    unknown_tool_message,
    validation_message,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, overload

    from looplet_core.types import ToolCall
    from looplet_core.validation import Check

__all__ = ["DONE_TOOL_NAME", "Tool", "ToolRegistry", "to_jsonable", "tool", "tools_from"]

DONE_TOOL_NAME = "done"
_DONE_DESCRIPTION = "Call when the task is finished, with the final answer."
_DEFAULT_DONE_PARAMETERS: Mapping[str, Any] = {
    "answer": {"type": "string", "description": "The final answer."}
}

_TOOL_NAME_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
)
"""What both the OpenAI and Anthropic APIs accept in a tool name, 1-64 of them."""
_MAX_TOOL_NAME_LENGTH = 64


class Tool(Record):
    """A function the model may call, with the schema that describes it to the model.

    Usually made by `@tool`; build one directly to give a hand-written schema.
    Treat `parameters` as read-only: the registry compiles its validator from
    the schema once, when the tool is registered.
    """

    __slots__ = (
        "name",
        "description",
        "parameters",
        "func",
        "timeout",
        "terminal",
    )
    name: str
    """What the model calls the tool; 1-64 letters, digits, '_' or '-'."""
    description: str
    """Tells the model when the tool is useful."""
    parameters: dict[str, Any]
    """A JSON Schema of type "object" describing the keyword arguments of `func`."""
    func: Callable[..., Any]
    timeout: float | None
    """Seconds to wait for `func` before the call fails with a TIMEOUT error."""
    terminal: bool
    """Calling this tool ends the run (as `done` does)."""

    def __init__(
        self,
        name: str,
        description: str,
        parameters: dict[str, Any],
        func: Callable[..., Any],
        timeout: float | None = None,
        terminal: bool = False,
    ) -> None:
        if not _is_tool_name(name):
            raise ValueError(
                f"invalid tool name {name!r}: model APIs accept 1-64 letters, digits,"
                " '_' or '-' (pass name=... to @tool)"
            )
        if not isinstance(parameters, Mapping) or parameters.get("type") != "object":
            raise ValueError(f"tool {name!r}: parameters must be a JSON Schema of type 'object'")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"tool {name!r}: timeout must be positive, got {timeout!r}")
        set_field(self, "name", name)
        set_field(self, "description", description)
        set_field(self, "parameters", parameters)
        set_field(self, "func", func)
        set_field(self, "timeout", timeout)
        set_field(self, "terminal", terminal)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function directly, so a decorated function stays usable as one."""
        return self.func(*args, **kwargs)

    def schema(self) -> dict[str, Any]:
        """The tool as model APIs describe it; backends wrap it in their wire format."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}


def _is_tool_name(name: object) -> bool:
    return (
        isinstance(name, str)
        and 0 < len(name) <= _MAX_TOOL_NAME_LENGTH
        and _TOOL_NAME_CHARACTERS.issuperset(name)
    )


if TYPE_CHECKING:

    @overload
    def tool(func: Callable[..., Any], /) -> Tool: ...

    @overload
    def tool(
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
        terminal: bool = False,
    ) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    terminal: bool = False,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Turn a function into a `Tool`, as `@tool` or `@tool(name=..., timeout=...)`.

    The schema comes from the type hints and the docstring: its first paragraph
    describes the tool and its `Args:` section describes the parameters.
    Annotations the schema cannot express (arbitrary classes, unions other than
    `X | None`), `*args`, `**kwargs` and positional-only parameters raise
    TypeError here, at decoration time, rather than confusing the model later.

    Arguments are checked but never converted: a parameter annotated with an
    Enum receives the member's value, not the member (a StrEnum compares equal).
    """

    def build(function: Callable[..., Any]) -> Tool:
        if isinstance(function, Tool):
            raise TypeError(f"{function.name!r} is already a Tool")
        if not callable(function):
            raise TypeError(f"@tool expects a function, got {type(function).__name__}")
        from looplet_core.schema import function_schema  # loads inspect and typing

        summary, parameters = function_schema(function)
        return Tool(
            name=getattr(function, "__name__", "") if name is None else name,
            description=summary if description is None else description,
            parameters=parameters,
            func=function,
            timeout=timeout,
            terminal=terminal,
        )

    return build if func is None else build(func)


def tools_from(
    funcs: Iterable[Callable[..., Any] | Tool],
    include_done: bool = True,
    done_parameters: Mapping[str, Any] | None = None,
) -> ToolRegistry:
    """A registry of these tools, plus a terminal `done` tool unless one was given.

    `done_parameters` shapes the final answer: it maps each parameter name to a
    type annotation (`str`, `list[str]`, `Literal[...]`...) or to a ready JSON
    Schema for that property; all are required.  The default is one string,
    `answer`.  The done tool returns its arguments, so the answer is the data of
    its result.
    """
    registry = ToolRegistry(funcs)
    if include_done and DONE_TOOL_NAME not in registry:
        registry.register(_done_tool(done_parameters))
    return registry


def _done_tool(parameters: Mapping[str, Any] | None) -> Tool:
    from looplet_core.schema import required_object_schema

    declared = _DEFAULT_DONE_PARAMETERS if parameters is None else parameters
    return Tool(
        name=DONE_TOOL_NAME,
        description=_DONE_DESCRIPTION,
        parameters=required_object_schema(declared, "done_parameters"),
        func=_finish,
        terminal=True,
    )


def _finish(**answer: Any) -> dict[str, Any]:
    """The done tool's body: the final answer is the arguments themselves."""
    return answer


# -- the registry and dispatch -----------------------------------------------


class _ToolTimedOut(Exception):
    """Raised in the dispatching thread when a tool's timeout expires."""


class ToolRegistry:
    """The tools of one agent, each with its argument check compiled at registration."""

    __slots__ = ("_entries", "_schemas")

    def __init__(self, tools: Iterable[Callable[..., Any] | Tool] = ()) -> None:
        self._entries: dict[str, tuple[Tool, Check]] = {}
        self._schemas: tuple[dict[str, Any], ...] | None = None
        for item in tools:
            self.register(item)

    def register(self, tool_or_func: Callable[..., Any] | Tool) -> Tool:
        """Add a Tool, or a function wrapped with `tool()`; names must be unique."""
        added = tool_or_func if isinstance(tool_or_func, Tool) else tool(tool_or_func)
        if added.name in self._entries:
            raise ValueError(f"a tool named {added.name!r} is already registered")
        self._entries[added.name] = (added, compile_members(added.parameters))
        self._schemas = None
        return added

    def get(self, name: str) -> Tool | None:
        entry = self._entries.get(name)
        return None if entry is None else entry[0]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Tool]:
        return (entry[0] for entry in self._entries.values())

    def __repr__(self) -> str:
        return f"ToolRegistry({list(self._entries)!r})"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def schemas(self) -> tuple[dict[str, Any], ...]:
        """Every tool's schema, in registration order; built once per set of tools."""
        if self._schemas is None:
            self._schemas = tuple(entry[0].schema() for entry in self._entries.values())
        return self._schemas

    def is_terminal(self, name: str) -> bool:
        entry = self._entries.get(name)
        return entry is not None and entry[0].terminal

    def dispatch(self, call: ToolCall) -> ToolResult:
        """Check the call's arguments, run the tool, and report what happened; never raises.

        Only KeyboardInterrupt and SystemExit propagate.  A tool with a timeout
        runs in a daemon thread; Python cannot stop a thread, so a tool that
        times out keeps running in the background and its result is discarded.
        """
        started = perf_counter()
        entry = self._entries.get(call.name) if isinstance(call.name, str) else None
        if entry is None:
            message = unknown_tool_message(call.name, self._entries.keys())
            return _failure(ErrorKind.UNKNOWN_TOOL, message, started)
        chosen, check_args = entry
        args = call.args
        if isinstance(args, str):  # a backend's way of passing on arguments that were not JSON
            message = _unparsed_arguments_message(chosen.name, args)
            return _failure(ErrorKind.PARSE, message, started)
        if not isinstance(args, dict):
            got = json_type_name(args)
            message = f"arguments for tool {chosen.name!r} must be a JSON object, got {got}"
            return _failure(ErrorKind.VALIDATION, message, started)
        try:
            problems = check_args(args)
        except Exception as exc:  # only hostile argument objects get here
            message = f"cannot check arguments for tool {chosen.name!r}: {_describe(exc)}"
            return _failure(ErrorKind.VALIDATION, message, started)
        if problems:
            message = validation_message(chosen.name, problems)
            return _failure(ErrorKind.VALIDATION, message, started)
        try:
            if chosen.timeout is None:
                value = chosen.func(**args)
            else:
                value = _call_with_timeout(chosen, args)
        except _ToolTimedOut:
            message = f"timeout: {chosen.name} did not finish within {chosen.timeout:g}s"
            return _failure(ErrorKind.TIMEOUT, message, started)
        except PermissionError as exc:
            return _failure(ErrorKind.PERMISSION, _describe(exc), started)
        except Exception as exc:
            return _failure(ErrorKind.EXECUTION, _describe(exc), started)
        return ToolResult(data=to_jsonable(value), duration_ms=_elapsed_ms(started))


def _call_with_timeout(chosen: Tool, args: dict[str, Any]) -> Any:
    """Run the tool in a daemon thread, waiting at most its timeout.

    A daemon thread, not a ThreadPoolExecutor, because the executor's workers
    are joined at interpreter exit: one hung tool would hang the program.
    """
    import threading  # only tools with a timeout need it

    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, chosen.func(**args)))
        except BaseException as exc:  # re-raised in the dispatching thread
            outcome.append((False, exc))

    worker = threading.Thread(target=run, name=f"looplet-tool-{chosen.name}", daemon=True)
    worker.start()
    worker.join(chosen.timeout)
    if not outcome:
        raise _ToolTimedOut
    succeeded, value = outcome[0]
    if succeeded:
        return value
    raise value


def _unparsed_arguments_message(name: str, raw: str) -> str:
    import json

    try:
        json.loads(raw)
        problem = "they are not a JSON object"
    except ValueError as exc:
        problem = str(exc)
    preview = raw if len(raw) <= 200 else raw[:199] + "…"
    return (
        f"the arguments for tool {name!r} are not valid JSON ({problem}): {preview!r}. "
        "Send the arguments as one JSON object."
    )


def _failure(kind: ErrorKind, message: str, started: float) -> ToolResult:
    return ToolResult.failure(kind, message, _elapsed_ms(started))


def _elapsed_ms(started: float) -> float:
    return (perf_counter() - started) * 1000.0


def _describe(exc: BaseException) -> str:
    """`ExcType: message`, as the model reads an exception."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
