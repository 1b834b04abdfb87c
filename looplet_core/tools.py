"""Tools: Python functions the model may call, their JSON schemas, and dispatch.

`@tool` reads a function's signature and docstring once, at decoration time, and
derives the JSON Schema a model API expects.  `ToolRegistry.register` then
compiles that schema into plain closures, so `dispatch` checks arguments without
interpreting the schema on every call: the loop dispatches once per step and has
a budget of microseconds.  Dispatch never raises: every failure, from a
misspelt tool name to a tool that crashed or hung, becomes a `ToolResult` the
model can read and correct.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import inspect
import json
import math
import re
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath
from time import perf_counter
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin, get_type_hints, overload

from looplet_core.types import ErrorKind, ToolCall, ToolResult

__all__ = ["Tool", "ToolRegistry", "to_jsonable", "tool", "tools_from"]

DONE_TOOL_NAME = "done"
_DONE_DESCRIPTION = "Call when the task is finished, with the final answer."
_DEFAULT_DONE_PARAMETERS: Mapping[str, Any] = {
    "answer": {"type": "string", "description": "The final answer."}
}

_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What both the OpenAI and Anthropic APIs accept as a tool name."""

_PREVIEW_WIDTH = 60
_MAX_LISTED_TOOLS = 20
_MAX_LISTED_PROBLEMS = 10
_MAX_DEPTH = 100
"""How deep `to_jsonable` descends before giving up with a repr; far below the
interpreter's recursion limit even from inside a deep call stack."""


# -- converting results to JSON ----------------------------------------------


def to_jsonable(value: Any) -> Any:
    """Convert a tool's return value to data `json.dumps` accepts; never raises.

    Tools return whatever is convenient (sets, dataclasses, paths, bytes), but a
    result must survive a trace file and a round trip to the model.  Containers
    convert recursively; objects with a `to_dict()` use it; anything without an
    obvious JSON form becomes its repr, which at least shows the model what
    happened.  Cycles and absurd nesting become repr strings too, never a
    RecursionError.
    """
    return _convert(value, set(), 0)


def _convert(value: Any, active: set[int], depth: int) -> Any:
    """`to_jsonable` for one value; `active` holds the ids of containers being
    converted further up, so meeting one again means a cycle."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is float:
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Enum):
        return _convert(value.value, active, depth + 1)
    if isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else repr(float(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if depth >= _MAX_DEPTH or id(value) in active:
        return _safe_repr(value)
    active.add(id(value))
    try:
        return _convert_composite(value, active, depth + 1)
    except Exception:
        return _safe_repr(value)
    finally:
        active.discard(id(value))


def _convert_composite(value: Any, active: set[int], depth: int) -> Any:
    if isinstance(value, Mapping):
        return {
            _key_text(key, active, depth): _convert(item, active, depth)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_convert(item, active, depth) for item in value]
    if isinstance(value, set | frozenset):
        # Sorted so the same set always produces the same trace.
        return sorted((_convert(item, active, depth) for item in value), key=repr)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return _convert(to_dict(), active, depth)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _convert(getattr(value, field.name), active, depth)
            for field in dataclasses.fields(value)
        }
    return _safe_repr(value)


def _key_text(key: Any, active: set[int], depth: int) -> str:
    """JSON object keys are strings; other keys take the text `json.dumps` would give them."""
    if isinstance(key, str):
        return key
    converted = _convert(key, active, depth)
    return converted if isinstance(converted, str) else json.dumps(converted)


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__name__}>"


def _preview(value: Any) -> str:
    """A short, escaped rendering of a value for an error message."""
    text = _safe_repr(value)
    return text if len(text) <= _PREVIEW_WIDTH else text[: _PREVIEW_WIDTH - 1] + "…"


# -- tools -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tool:
    """A function the model may call, with the schema that describes it to the model.

    Usually made by `@tool`; build one directly to give a hand-written schema.
    Treat `parameters` as read-only: the registry compiles its validator from
    the schema once, when the tool is registered.
    """

    name: str
    """What the model calls the tool; 1-64 letters, digits, '_' or '-'."""
    description: str
    """Tells the model when the tool is useful."""
    parameters: dict[str, Any]
    """A JSON Schema of type "object" describing the keyword arguments of `func`."""
    func: Callable[..., Any]
    timeout: float | None = None
    """Seconds to wait for `func` before the call fails with a TIMEOUT error."""
    terminal: bool = False
    """Calling this tool ends the run (as `done` does)."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _TOOL_NAME.fullmatch(self.name):
            raise ValueError(
                f"invalid tool name {self.name!r}: model APIs accept 1-64 letters, digits,"
                " '_' or '-' (pass name=... to @tool)"
            )
        if not isinstance(self.parameters, Mapping) or self.parameters.get("type") != "object":
            raise ValueError(
                f"tool {self.name!r}: parameters must be a JSON Schema of type 'object'"
            )
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError(f"tool {self.name!r}: timeout must be positive, got {self.timeout!r}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function directly, so a decorated function stays usable as one."""
        return self.func(*args, **kwargs)

    def schema(self) -> dict[str, Any]:
        """The tool as model APIs describe it; backends wrap it in their wire format."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}


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
        docstring = _Docstring.parse(function.__doc__)
        return Tool(
            name=getattr(function, "__name__", "") if name is None else name,
            description=docstring.summary if description is None else description,
            parameters=_derive_parameters(function, docstring.arguments),
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
    declared = _DEFAULT_DONE_PARAMETERS if parameters is None else parameters
    properties = {
        name: dict(spec)
        if isinstance(spec, Mapping)
        else _parameter_schema(spec, "done_parameters", name)
        for name, spec in declared.items()
    }
    return Tool(
        name=DONE_TOOL_NAME,
        description=_DONE_DESCRIPTION,
        parameters=_object_schema(properties, list(properties)),
        func=_finish,
        terminal=True,
    )


def _finish(**answer: Any) -> dict[str, Any]:
    """The done tool's body: the final answer is the arguments themselves."""
    return answer


# -- deriving schemas from signatures ----------------------------------------

_JSON_TYPE_OF: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}
_SUPPORTED = "str, int, float, bool, list[...], dict[str, ...], Literal[...], an Enum or X | None"


def _derive_parameters(func: Callable[..., Any], descriptions: Mapping[str, str]) -> dict[str, Any]:
    label = f"@tool {getattr(func, '__qualname__', _preview(func))}"
    try:
        hints = get_type_hints(func)
    except Exception as exc:
        raise TypeError(f"{label}: cannot resolve annotations: {exc}") from exc
    properties: dict[str, dict[str, Any]] = {}
    required: list[str] = []
    for parameter in inspect.signature(func).parameters.values():
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            stars = {parameter.VAR_POSITIONAL: "*", parameter.VAR_KEYWORD: "**"}
            raise TypeError(
                f"{label}: parameter '{stars.get(parameter.kind, '')}{parameter.name}'"
                f" is {parameter.kind.description};"
                " tool arguments arrive by keyword"
            )
        schema = _parameter_schema(hints.get(parameter.name, Any), label, parameter.name)
        if parameter.name in descriptions:
            schema["description"] = descriptions[parameter.name]
        if parameter.default is parameter.empty:
            required.append(parameter.name)
        else:
            default = parameter.default
            default = default.value if isinstance(default, Enum) else default
            if _is_json_value(default):
                schema["default"] = default
        properties[parameter.name] = schema
    return _object_schema(properties, required)


def _object_schema(properties: dict[str, dict[str, Any]], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _parameter_schema(annotation: Any, owner: str, name: str) -> dict[str, Any]:
    """`_schema_for`, with the error naming the function and parameter it is about."""
    try:
        return _schema_for(annotation)
    except TypeError as exc:
        raise TypeError(f"{owner}: parameter {name!r}: {exc}") from None


def _schema_for(annotation: Any) -> dict[str, Any]:
    if annotation is Any:
        return {}
    if annotation in _JSON_TYPE_OF:
        return {"type": _JSON_TYPE_OF[annotation]}
    origin = get_origin(annotation)
    arguments = get_args(annotation)
    if origin is Literal:
        return _enum_schema([v.value if isinstance(v, Enum) else v for v in arguments])
    if origin is Union or origin is types.UnionType:
        return _optional_schema(arguments)
    if annotation is list or origin is list:
        return {"type": "array", "items": _schema_for(arguments[0]) if arguments else {}}
    if annotation is dict or origin is dict:
        if arguments and arguments[0] is not str:
            raise TypeError("dict keys must be str, as JSON object keys are")
        return {"type": "object"}
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _enum_schema([member.value for member in annotation])
    name = annotation.__qualname__ if isinstance(annotation, type) else repr(annotation)
    raise TypeError(f"unsupported annotation {name}; use {_SUPPORTED}")


def _enum_schema(values: list[Any]) -> dict[str, Any]:
    """A choice among JSON literals; the type is derived so the model sees both."""
    json_types: list[str] = []
    for value in values:
        json_type = _JSON_TYPE_OF.get(type(value))
        if json_type is None:
            raise TypeError(f"choice {_preview(value)} is not a JSON literal")
        if json_type not in json_types:
            json_types.append(json_type)
    if not json_types:
        raise TypeError("a choice needs at least one value")
    return {"type": json_types[0] if len(json_types) == 1 else json_types, "enum": values}


def _optional_schema(members: tuple[Any, ...]) -> dict[str, Any]:
    present = [member for member in members if member is not type(None)]
    if len(present) != 1:
        raise TypeError(f"unions other than X | None are not supported; use {_SUPPORTED}")
    schema = _schema_for(present[0])
    if not schema:
        return schema  # Any already admits null
    declared = schema["type"]
    json_types = [declared] if isinstance(declared, str) else list(declared)
    if "null" not in json_types:
        json_types.append("null")
    schema["type"] = json_types
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema


def _is_json_value(value: Any) -> bool:
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_is_json_value(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_value(v) for k, v in value.items())
    return False


_SECTION_NAMES = frozenset(
    {
        "args", "arguments", "parameters", "params", "returns", "return", "yields", "raises",
        "examples", "example", "note", "notes", "attributes", "see also", "warning", "warnings",
        "todo", "references",
    }
)  # fmt: skip
_ARGUMENT_SECTIONS = frozenset({"args", "arguments", "parameters", "params"})
_ARGUMENT_ENTRY = re.compile(r"(?P<name>\w+)\s*(?:\([^)]*\))?\s*:\s*(?P<text>.*)")


@dataclass(frozen=True, slots=True)
class _Docstring:
    """What a Google-style docstring tells the model: a summary and per-argument text."""

    summary: str
    arguments: dict[str, str]

    @classmethod
    def parse(cls, doc: str | None) -> _Docstring:
        lines = inspect.cleandoc(doc or "").splitlines()
        return cls(_summary(lines), _argument_descriptions(_argument_section(lines)))


def _section_name(line: str) -> str | None:
    text = line.strip()
    name = text[:-1].strip().lower() if text.endswith(":") else ""
    return name if name in _SECTION_NAMES else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _summary(lines: list[str]) -> str:
    """The first paragraph, joined into one line."""
    paragraph: list[str] = []
    for line in lines:
        if not line.strip() and not paragraph:
            continue
        if not line.strip() or _section_name(line):
            break
        paragraph.append(line.strip())
    return " ".join(paragraph)


def _argument_section(lines: list[str]) -> list[str]:
    """The lines under `Args:` (or `Parameters:`...) up to the next line indented no
    deeper than that header, such as `Returns:`."""
    for index, line in enumerate(lines):
        if _section_name(line) in _ARGUMENT_SECTIONS:
            section: list[str] = []
            for body in lines[index + 1 :]:
                if body.strip() and _indent(body) <= _indent(line):
                    break
                section.append(body)
            return section
    return []


def _argument_descriptions(section: list[str]) -> dict[str, str]:
    """`name: text` and `name (type): text` entries; deeper-indented lines continue one."""
    entries = [line for line in section if line.strip()]
    if not entries:
        return {}
    entry_indent = min(_indent(line) for line in entries)
    descriptions: dict[str, str] = {}
    current: str | None = None
    for line in entries:
        match = _ARGUMENT_ENTRY.fullmatch(line.strip()) if _indent(line) == entry_indent else None
        if match:
            current = match["name"]
            descriptions[current] = match["text"].strip()
        elif current is not None:
            descriptions[current] = f"{descriptions[current]} {line.strip()}".lstrip()
    return descriptions


# -- validating arguments ----------------------------------------------------


class _Problem(NamedTuple):
    """One reason arguments were rejected.

    The location is a path of keys and indexes that enclosing checks prepend to
    on the way out, so nothing is formatted unless a check fails.
    """

    location: tuple[str | int, ...]
    before: str
    """Text before the quoted location."""
    after: str = ""
    """Text after it."""

    def within(self, key: str | int) -> _Problem:
        return self._replace(location=(key, *self.location))

    def render(self) -> str:
        path = ""
        for part in self.location:
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += f".{part}" if path else part
        return f"{self.before}{_preview(path)}{self.after}"


_Check = Callable[[Any], Sequence[_Problem]]
"""A compiled schema: returns the problems with a value, empty when it is fine."""


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _is_array(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _is_null(value: Any) -> bool:
    return value is None


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "string": _is_string,
    "integer": _is_integer,
    "number": _is_number,
    "boolean": _is_boolean,
    "array": _is_array,
    "object": _is_object,
    "null": _is_null,
}


def _json_type_name(value: Any) -> str:
    for name, test in _TYPE_TESTS.items():
        if test(value):
            return name
    return type(value).__name__


def _compile(schema: Mapping[str, Any]) -> _Check:
    """A check for one value against the schema keywords dispatch enforces: type,
    enum, items, properties, required and additionalProperties.  Other keywords
    pass to the model but are not checked here."""
    accepts, expected = _type_test(schema.get("type"))
    options = schema.get("enum")
    items = schema.get("items")
    check_items = _compile(items) if isinstance(items, Mapping) else None
    constrains_members = any(
        key in schema for key in ("properties", "required", "additionalProperties")
    )
    check_members = _compile_members(schema) if constrains_members else None

    def check(value: Any) -> Sequence[_Problem]:
        if accepts is not None and not accepts(value):
            got = _json_type_name(value)
            return [_Problem((), "argument ", f" must be {expected}, got {got}")]
        if options is not None and not _is_one_of(value, options):
            choices = ", ".join(map(_preview, options))
            return [_Problem((), "argument ", f" must be one of {choices}; got {_preview(value)}")]
        if check_items is not None and isinstance(value, list | tuple):
            return _check_each(check_items, value)
        if check_members is not None and isinstance(value, dict):
            return check_members(value)
        return ()

    return check


def _type_test(declared: Any) -> tuple[Callable[[Any], bool] | None, str]:
    """The test for a schema's "type" and its wording; None when any value will do."""
    names = [declared] if isinstance(declared, str) else list(declared or ())
    tests = [_TYPE_TESTS[name] for name in names if name in _TYPE_TESTS]
    if not tests or len(tests) != len(names):
        return None, ""
    if len(tests) == 1:
        return tests[0], names[0]

    def accepts_any(value: Any) -> bool:
        return any(test(value) for test in tests)

    return accepts_any, " or ".join(names)


def _is_one_of(value: Any, options: Sequence[Any]) -> bool:
    # True == 1 in Python, but not in JSON.
    return any(
        option == value and isinstance(option, bool) == isinstance(value, bool)
        for option in options
    )


def _check_each(check_item: _Check, values: Sequence[Any]) -> list[_Problem]:
    problems: list[_Problem] = []
    for index, item in enumerate(values):
        found = check_item(item)
        if found:
            problems.extend(problem.within(index) for problem in found)
    return problems


def _compile_members(schema: Mapping[str, Any]) -> _Check:
    """A check for the members of a dict already known to be one (the tool's
    arguments, or a nested object)."""
    checks = {name: _compile(sub) for name, sub in (schema.get("properties") or {}).items()}
    required = tuple(schema.get("required") or ())
    closed = schema.get("additionalProperties") is False

    def check(members: dict[Any, Any]) -> list[_Problem]:
        problems: list[_Problem] = []
        for name in required:
            if name not in members:
                problems.append(_Problem((name,), "missing required argument "))
        for key, value in members.items():
            check_value = checks.get(key)
            if check_value is not None:
                found = check_value(value)
                if found:
                    problems.extend(problem.within(key) for problem in found)
            elif closed:
                problems.append(_unexpected(key, checks))
        return problems

    return check


def _unexpected(key: Any, accepted: Mapping[str, Any]) -> _Problem:
    location = (key if isinstance(key, str) else _safe_repr(key),)
    guess = _closest(key, accepted)
    if guess is not None:
        hint = f"; did you mean {guess!r}?"
    elif accepted:
        hint = f"; accepted arguments: {', '.join(accepted)}"
    else:
        hint = "; this takes no arguments"
    return _Problem(location, "unexpected argument ", hint)


def _closest(word: Any, candidates: Iterable[str]) -> str | None:
    if not isinstance(word, str):
        return None
    matches = difflib.get_close_matches(word, list(candidates), n=1)
    return matches[0] if matches else None


def _validation_message(tool_name: str, problems: Sequence[_Problem]) -> str:
    lines = [f"invalid arguments for tool {tool_name!r}:"]
    lines += [f"- {problem.render()}" for problem in problems[:_MAX_LISTED_PROBLEMS]]
    if len(problems) > _MAX_LISTED_PROBLEMS:
        lines.append(f"- … and {len(problems) - _MAX_LISTED_PROBLEMS} more problems")
    return "\n".join(lines)


# -- the registry and dispatch -----------------------------------------------


class _ToolTimedOut(Exception):
    """Raised in the dispatching thread when a tool's timeout expires."""


class ToolRegistry:
    """The tools of one agent, each with its argument check compiled at registration."""

    __slots__ = ("_entries", "_schemas")

    def __init__(self, tools: Iterable[Callable[..., Any] | Tool] = ()) -> None:
        self._entries: dict[str, tuple[Tool, _Check]] = {}
        self._schemas: tuple[dict[str, Any], ...] | None = None
        for item in tools:
            self.register(item)

    def register(self, tool_or_func: Callable[..., Any] | Tool) -> Tool:
        """Add a Tool, or a function wrapped with `tool()`; names must be unique."""
        added = tool_or_func if isinstance(tool_or_func, Tool) else tool(tool_or_func)
        if added.name in self._entries:
            raise ValueError(f"a tool named {added.name!r} is already registered")
        self._entries[added.name] = (added, _compile_members(added.parameters))
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
            return _failure(ErrorKind.UNKNOWN_TOOL, self._unknown_tool_message(call.name), started)
        chosen, check_args = entry
        args = call.args
        if not isinstance(args, dict):
            got = _json_type_name(args)
            message = f"arguments for tool {chosen.name!r} must be a JSON object, got {got}"
            return _failure(ErrorKind.VALIDATION, message, started)
        try:
            problems = check_args(args)
        except Exception as exc:  # only hostile argument objects get here
            message = f"cannot check arguments for tool {chosen.name!r}: {_describe(exc)}"
            return _failure(ErrorKind.VALIDATION, message, started)
        if problems:
            message = _validation_message(chosen.name, problems)
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

    def _unknown_tool_message(self, name: Any) -> str:
        guess = _closest(name, self._entries)
        hint = "." if guess is None else f"; did you mean {guess!r}?"
        message = f"unknown tool {_preview(name)}{hint}"
        if not self._entries:
            return message + " No tools are registered."
        if len(self._entries) <= _MAX_LISTED_TOOLS:
            message += f" Available tools: {', '.join(self._entries)}."
        return message


def _call_with_timeout(chosen: Tool, args: dict[str, Any]) -> Any:
    """Run the tool in a daemon thread, waiting at most its timeout.

    A daemon thread, not a ThreadPoolExecutor, because the executor's workers
    are joined at interpreter exit: one hung tool would hang the program.
    """
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
