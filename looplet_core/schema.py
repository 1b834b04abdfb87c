"""Deriving the JSON Schema a model API expects from a function's signature and docstring.

Loaded when the first tool is made, not with looplet_core: reading signatures
and annotations needs `inspect` and `typing`, which together cost more import
time than the rest of the package.  Annotations the schema cannot express raise
TypeError here, at decoration time, rather than confusing the model later.
"""

from __future__ import annotations

import inspect
import math
import types
from collections.abc import Mapping
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from looplet_core.docstrings import Docstring
from looplet_core.jsonable import preview

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["function_schema", "required_object_schema"]

_JSON_TYPE_OF: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}
_SUPPORTED = "str, int, float, bool, list[...], dict[str, ...], Literal[...], an Enum or X | None"


def function_schema(func: Callable[..., Any]) -> tuple[str, dict[str, Any]]:
    """The summary that opens the function's docstring, and the JSON Schema of its parameters.

    Types come from the annotations, parameter descriptions from the docstring's
    `Args:` section, and JSON-compatible defaults are shown to the model.
    """
    docstring = Docstring.parse(func.__doc__)
    return docstring.summary, _derive_parameters(func, docstring.arguments)


def required_object_schema(declared: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """An object schema requiring every declared property.

    Each property maps to a type annotation (`str`, `list[str]`, `Literal[...]`...)
    or to a ready JSON Schema, which is used as given.
    """
    properties = {
        name: dict(spec) if isinstance(spec, Mapping) else _parameter_schema(spec, owner, name)
        for name, spec in declared.items()
    }
    return _object_schema(properties, list(properties))


def _derive_parameters(func: Callable[..., Any], descriptions: Mapping[str, str]) -> dict[str, Any]:
    label = f"@tool {getattr(func, '__qualname__', preview(func))}"
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
            raise TypeError(f"choice {preview(value)} is not a JSON literal")
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
