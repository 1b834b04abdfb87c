"""Checking a call's arguments against its tool's JSON Schema, and explaining refusals.

`compile_members` turns a schema into plain closures once, when the tool is
registered, so dispatch checks arguments without interpreting the schema on
every call.  Messages are built only when a check fails, and the did-you-mean
guess loads difflib only then.
"""

from __future__ import annotations

from collections.abc import Mapping

from looplet_core._record import Record, set_field
from looplet_core.jsonable import preview, safe_repr

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Sequence
    from typing import Any, TypeAlias

    Check: TypeAlias = Callable[[Any], Sequence["Problem"]]
    """A compiled schema: returns the problems with a value, empty when it is fine."""

__all__ = [
    "Problem",
    "compile_members",
    "json_type_name",
    "unknown_tool_message",
    "validation_message",
]

_MAX_LISTED_TOOLS = 20
_MAX_LISTED_PROBLEMS = 10


class Problem(Record):
    """One reason arguments were rejected.

    The location is a path of keys and indexes that enclosing checks prepend to
    on the way out, so nothing is formatted unless a check fails.
    """

    __slots__ = ("location", "before", "after")
    location: tuple[str | int, ...]
    before: str
    """Text before the quoted location."""
    after: str
    """Text after it."""

    def __init__(self, location: tuple[str | int, ...], before: str, after: str = "") -> None:
        set_field(self, "location", location)
        set_field(self, "before", before)
        set_field(self, "after", after)

    def within(self, key: str | int) -> Problem:
        return Problem((key, *self.location), self.before, self.after)

    def render(self) -> str:
        path = ""
        for part in self.location:
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += f".{part}" if path else part
        return f"{self.before}{preview(path)}{self.after}"


# -- compiling schemas -------------------------------------------------------


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


def json_type_name(value: Any) -> str:
    """What JSON calls the value's type, or its Python type name if JSON has none."""
    for name, test in _TYPE_TESTS.items():
        if test(value):
            return name
    return type(value).__name__


def compile_members(schema: Mapping[str, Any]) -> Check:
    """A check for the members of a dict already known to be one (the tool's
    arguments, or a nested object)."""
    checks = {name: _compile(sub) for name, sub in (schema.get("properties") or {}).items()}
    required = tuple(schema.get("required") or ())
    closed = schema.get("additionalProperties") is False

    def check(members: dict[Any, Any]) -> list[Problem]:
        problems: list[Problem] = []
        for name in required:
            if name not in members:
                problems.append(Problem((name,), "missing required argument "))
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


def _compile(schema: Mapping[str, Any]) -> Check:
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
    check_members = compile_members(schema) if constrains_members else None

    def check(value: Any) -> Sequence[Problem]:
        if accepts is not None and not accepts(value):
            got = json_type_name(value)
            return [Problem((), "argument ", f" must be {expected}, got {got}")]
        if options is not None and not _is_one_of(value, options):
            choices = ", ".join(map(preview, options))
            return [Problem((), "argument ", f" must be one of {choices}; got {preview(value)}")]
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


def _check_each(check_item: Check, values: Sequence[Any]) -> list[Problem]:
    problems: list[Problem] = []
    for index, item in enumerate(values):
        found = check_item(item)
        if found:
            problems.extend(problem.within(index) for problem in found)
    return problems


# -- explaining refusals -----------------------------------------------------


def validation_message(tool_name: str, problems: Sequence[Problem]) -> str:
    """The refusal the model reads: each problem on its own line, the first few only."""
    lines = [f"invalid arguments for tool {tool_name!r}:"]
    lines += [f"- {problem.render()}" for problem in problems[:_MAX_LISTED_PROBLEMS]]
    if len(problems) > _MAX_LISTED_PROBLEMS:
        lines.append(f"- … and {len(problems) - _MAX_LISTED_PROBLEMS} more problems")
    return "\n".join(lines)


def unknown_tool_message(name: Any, known: Collection[str]) -> str:
    """Why a call to `name` was refused: a guess at the intended tool, and the choices."""
    guess = _closest(name, known)
    hint = "." if guess is None else f"; did you mean {guess!r}?"
    message = f"unknown tool {preview(name)}{hint}"
    if not known:
        return message + " No tools are registered."
    if len(known) <= _MAX_LISTED_TOOLS:
        message += f" Available tools: {', '.join(known)}."
    return message


def _unexpected(key: Any, accepted: Mapping[str, Any]) -> Problem:
    location = (key if isinstance(key, str) else safe_repr(key),)
    guess = _closest(key, accepted)
    if guess is not None:
        hint = f"; did you mean {guess!r}?"
    elif accepted:
        hint = f"; accepted arguments: {', '.join(accepted)}"
    else:
        hint = "; this takes no arguments"
    return Problem(location, "unexpected argument ", hint)


def _closest(word: Any, candidates: Iterable[str]) -> str | None:
    if not isinstance(word, str):
        return None
    import difflib  # only models that misspell pay for it

    matches = difflib.get_close_matches(word, list(candidates), n=1)
    return matches[0] if matches else None
