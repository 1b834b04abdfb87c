"""Tools: schema derivation, argument validation, dispatch outcomes, result conversion."""

import dataclasses
import datetime
import json
import math
import threading
from enum import IntEnum, StrEnum
from pathlib import PurePosixPath
from typing import Any, Literal, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from looplet_core.tools import Tool, ToolRegistry, to_jsonable, tool, tools_from
from looplet_core.types import ErrorKind, ToolCall, ToolResult


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


class Level(IntEnum):
    LOW = 1
    HIGH = 2


def properties_of(made: Tool) -> dict[str, Any]:
    return made.parameters["properties"]


def dispatch(registry: ToolRegistry, name: str, args: Any) -> ToolResult:
    return registry.dispatch(ToolCall(name, args))


# -- schema derivation ---------------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (Any, {}),
        (list, {"type": "array", "items": {}}),
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (
            list[list[str]],
            {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
        ),
        (dict, {"type": "object"}),
        (dict[str, int], {"type": "object"}),
        (Optional[str], {"type": ["string", "null"]}),  # noqa: UP045 - the typing spelling on purpose
        (int | None, {"type": ["integer", "null"]}),
        (list[str] | None, {"type": ["array", "null"], "items": {"type": "string"}}),
        (Any | None, {}),
        (Literal["a", "b"], {"type": "string", "enum": ["a", "b"]}),
        (Literal[1, "x"], {"type": ["integer", "string"], "enum": [1, "x"]}),
        (Literal["a"] | None, {"type": ["string", "null"], "enum": ["a", None]}),
        (Colour, {"type": "string", "enum": ["red", "green"]}),
        (Level, {"type": "integer", "enum": [1, 2]}),
    ],
)
def test_annotation_becomes_json_schema(annotation: Any, expected: dict[str, Any]) -> None:
    def probe(value):  # annotated below so each case shares one function body
        return value

    probe.__annotations__ = {"value": annotation}
    assert properties_of(tool(probe))["value"] == expected


def test_typing_list_spelling_matches_builtin() -> None:
    from typing import List  # noqa: UP035 - the old spelling is what is under test

    def old(items: List[int]) -> None: ...  # noqa: UP006

    assert properties_of(tool(old))["items"] == {"type": "array", "items": {"type": "integer"}}


def test_unannotated_parameter_accepts_anything() -> None:
    def loose(value):
        return value

    made = tool(loose)
    assert properties_of(made)["value"] == {}
    assert made.parameters["required"] == ["value"]


def test_parameters_object_is_closed_with_required_list() -> None:
    @tool
    def search(query: str, limit: int = 5, mode: Colour = Colour.RED, tags: list = []) -> None:  # noqa: B006
        """Search."""

    assert search.parameters["type"] == "object"
    assert search.parameters["additionalProperties"] is False
    assert search.parameters["required"] == ["query"]
    properties = properties_of(search)
    assert properties["limit"]["default"] == 5
    assert properties["mode"]["default"] == "red"
    assert properties["tags"]["default"] == []


def test_default_that_is_not_json_is_left_out_but_still_optional() -> None:
    sentinel = object()

    def odd(value: Any = sentinel, ratio: float = math.inf) -> None: ...

    made = tool(odd)
    assert "default" not in properties_of(made)["value"]
    assert "default" not in properties_of(made)["ratio"]
    assert made.parameters["required"] == []


def test_docstring_gives_description_and_argument_text() -> None:
    @tool
    def fetch(url: str, retries: int = 2, verbose: bool = False) -> str:
        """Fetch a web page
        and return its text.

        More detail that the model does not need.

        Args:
            url: The address to fetch.
            retries (int): How many times to retry
                before giving up; continuation lines
                are joined.
            verbose: Print progress.

        Returns:
            The body as text.
        """
        return url

    assert fetch.description == "Fetch a web page and return its text."
    properties = properties_of(fetch)
    assert properties["url"]["description"] == "The address to fetch."
    assert properties["retries"]["description"] == (
        "How many times to retry before giving up; continuation lines are joined."
    )
    assert properties["verbose"]["description"] == "Print progress."


@pytest.mark.parametrize("header", ["Parameters:", "Arguments:"])
def test_other_argument_headers_are_understood(header: str) -> None:
    def read(path: str) -> str:
        return path

    read.__doc__ = (
        f"Read a file.\n\n{header}\n    path: Where the file is.\n\nRaises:\n    path: x\n"
    )
    made = tool(read)
    assert made.description == "Read a file."
    assert properties_of(made)["path"]["description"] == "Where the file is."


def test_section_ends_at_next_header_even_without_blank_line() -> None:
    @tool
    def act(target: str) -> None:
        """Act.

        Args:
            target: The target.
        Returns:
            target: nothing, and must not overwrite the description.
        """

    assert properties_of(act)["target"]["description"] == "The target."


def test_summary_line_ending_in_colon_is_not_mistaken_for_a_section() -> None:
    @tool
    def listing(folder: str) -> None:
        """List the files in this folder:

        Args:
            folder: Which folder.
        """

    assert listing.description == "List the files in this folder:"


def test_missing_docstring_gives_empty_description() -> None:
    @tool
    def bare(x: int) -> int:
        return x

    assert bare.description == ""
    assert "description" not in properties_of(bare)["x"]


def test_name_and_description_overrides() -> None:
    @tool(name="lookup", description="Look something up.", timeout=3, terminal=True)
    def find(key: str) -> str:
        """Ignored summary."""
        return key

    assert find.name == "lookup"
    assert find.description == "Look something up."
    assert find.timeout == 3
    assert find.terminal is True
    assert find.schema() == {
        "name": "lookup",
        "description": "Look something up.",
        "parameters": find.parameters,
    }


def test_decorated_function_stays_callable() -> None:
    @tool
    def add(a: int, b: int = 1) -> int:
        return a + b

    assert add(2) == 3
    assert add(2, b=5) == 7


def test_future_annotations_module_is_resolved() -> None:
    namespace: dict[str, Any] = {}
    source = (
        "from __future__ import annotations\n"
        "from enum import Enum\n"
        "from typing import Literal\n"
        "class Size(Enum):\n"
        "    SMALL = 's'\n"
        "    LARGE = 'l'\n"
        "def order(item: str, size: Size, count: int | None = None,\n"
        "          kind: Literal['tea', 'coffee'] = 'tea') -> list[str]:\n"
        "    return [item]\n"
    )
    exec(compile(source, "<future_tools>", "exec"), namespace)
    properties = properties_of(tool(namespace["order"]))
    assert properties["item"] == {"type": "string"}
    assert properties["size"] == {"type": "string", "enum": ["s", "l"]}
    assert properties["count"] == {"type": ["integer", "null"], "default": None}
    assert properties["kind"] == {"type": "string", "enum": ["tea", "coffee"], "default": "tea"}


class Opaque:
    pass


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("def f(x: Opaque): ...", "parameter 'x': unsupported annotation Opaque"),
        ("def f(x: int | str): ...", "parameter 'x': unions other than X | None"),
        ("def f(x: dict[int, str]): ...", "parameter 'x': dict keys must be str"),
        ("def f(*items: int): ...", "parameter '*items' is variadic positional"),
        ("def f(**extra: int): ...", "parameter '**extra' is variadic keyword"),
        ("def f(x: int, /): ...", "parameter 'x' is positional-only"),
        ("def f(x: 'Missing'): ...", "cannot resolve annotations"),
    ],
)
def test_unsupported_signatures_fail_at_decoration(source: str, fragment: str) -> None:
    namespace: dict[str, Any] = {"Opaque": Opaque}
    exec(source, namespace)
    with pytest.raises(TypeError) as caught:
        tool(namespace["f"])
    message = str(caught.value)
    assert message.startswith("@tool f:")
    assert fragment in message
    assert "\n" not in message


def test_invalid_tool_names_and_timeouts_are_rejected() -> None:
    with pytest.raises(ValueError, match="invalid tool name '<lambda>'"):
        tool(lambda: None)
    with pytest.raises(ValueError, match="timeout must be positive"):
        tool(name="slow", timeout=0)(lambda: None)
    with pytest.raises(ValueError, match="type 'object'"):
        Tool("raw", "", {"type": "array"}, print)


@pytest.mark.parametrize("name", ["a", "_", "-", "get_weather-v2", "x" * 64])
def test_tool_names_the_model_apis_accept(name: str) -> None:
    assert Tool(name, "", {"type": "object"}, print).name == name


@pytest.mark.parametrize("name", ["", "x" * 65, "caf\u00e9", "\u0663", "a b", "a.b", None])
def test_tool_names_the_model_apis_refuse(name: Any) -> None:
    with pytest.raises(ValueError, match="invalid tool name"):
        Tool(name, "", {"type": "object"}, print)


def test_tool_is_an_immutable_value() -> None:
    made = Tool("raw", "Hand made.", {"type": "object"}, print, timeout=2.0)
    assert made == Tool("raw", "Hand made.", {"type": "object"}, print, timeout=2.0)
    assert repr(made).startswith("Tool(name='raw', description='Hand made.', parameters=")
    with pytest.raises(AttributeError, match="immutable"):
        made.name = "other"  # type: ignore[misc]
    renamed = made.replace(name="other")
    assert (renamed.name, renamed.timeout, made.name) == ("other", 2.0, "raw")


# -- the registry ----------------------------------------------------------------


def echo(n: int) -> int:
    return n


def test_registry_lookup_and_iteration() -> None:
    registry = ToolRegistry([echo])
    added = registry.register(Tool("raw", "Hand made.", {"type": "object"}, lambda: "ok"))
    assert registry.names == ("echo", "raw")
    assert len(registry) == 2
    assert "raw" in registry and "nope" not in registry
    assert registry.get("raw") is added
    assert registry.get("nope") is None
    assert [item.name for item in registry] == ["echo", "raw"]


def test_duplicate_registration_names_the_tool() -> None:
    registry = ToolRegistry([echo])
    with pytest.raises(ValueError, match="'echo' is already registered"):
        registry.register(echo)


def test_schemas_are_cached_until_a_tool_is_registered() -> None:
    registry = ToolRegistry([echo])
    first = registry.schemas()
    assert registry.schemas() is first
    assert [schema["name"] for schema in first] == ["echo"]

    def other() -> None: ...

    registry.register(other)
    second = registry.schemas()
    assert second is not first
    assert [schema["name"] for schema in second] == ["echo", "other"]


def test_tools_from_adds_a_terminal_done_tool() -> None:
    registry = tools_from([echo])
    assert registry.names == ("echo", "done")
    assert registry.is_terminal("done")
    assert not registry.is_terminal("echo")
    assert not registry.is_terminal("missing")
    done = registry.get("done")
    assert done is not None
    assert done.description == "Call when the task is finished, with the final answer."
    assert done.parameters["required"] == ["answer"]
    assert properties_of(done)["answer"]["type"] == "string"
    result = dispatch(registry, "done", {"answer": "42"})
    assert result.ok and result.data == {"answer": "42"}


def test_tools_from_without_done() -> None:
    assert tools_from([echo], include_done=False).names == ("echo",)


def test_tools_from_keeps_a_given_done_tool() -> None:
    @tool(name="done", terminal=True)
    def finish(summary: str) -> str:
        return summary

    registry = tools_from([finish])
    assert registry.get("done") is finish
    assert len(registry) == 1


def test_done_parameters_from_annotations_and_schemas() -> None:
    registry = tools_from(
        [],
        done_parameters={
            "verdict": Literal["pass", "fail"],
            "notes": list[str],
            "score": {"type": "number", "description": "0 to 1"},
        },
    )
    done = registry.get("done")
    assert done is not None
    assert properties_of(done) == {
        "verdict": {"type": "string", "enum": ["pass", "fail"]},
        "notes": {"type": "array", "items": {"type": "string"}},
        "score": {"type": "number", "description": "0 to 1"},
    }
    assert done.parameters["required"] == ["verdict", "notes", "score"]
    answer = {"verdict": "pass", "notes": ["fine"], "score": 0.9}
    assert dispatch(registry, "done", answer).data == answer
    refused = dispatch(registry, "done", {"verdict": "maybe", "notes": [], "score": 1})
    assert refused.error_kind is ErrorKind.VALIDATION
    assert "'verdict' must be one of 'pass', 'fail'" in str(refused.error)


def test_empty_done_parameters_make_a_done_without_arguments() -> None:
    registry = tools_from([], done_parameters={})
    assert dispatch(registry, "done", {}).data == {}
    assert dispatch(registry, "done", {"answer": "x"}).error_kind is ErrorKind.VALIDATION


def test_done_parameters_reject_unsupported_annotations() -> None:
    with pytest.raises(TypeError, match="done_parameters: parameter 'bad'"):
        tools_from([], done_parameters={"bad": Opaque})


# -- validation at dispatch --------------------------------------------------------


@tool
def search(
    query: str,
    limit: int = 10,
    ratio: float = 0.5,
    exact: bool = False,
    mode: Literal["fast", "deep"] = "fast",
    colour: Colour | None = None,
    grid: list[list[int]] | None = None,
) -> dict[str, Any]:
    """Search for things."""
    return {"query": query, "limit": limit, "grid": grid}


@pytest.fixture
def registry() -> ToolRegistry:
    return tools_from([search, echo])


def test_valid_call_runs_the_tool(registry: ToolRegistry) -> None:
    result = dispatch(registry, "search", {"query": "cats", "grid": [[1, 2], []], "colour": "red"})
    assert result.ok
    assert result.data == {"query": "cats", "limit": 10, "grid": [[1, 2], []]}
    assert result.duration_ms >= 0


def test_unknown_tool_suggests_and_lists(registry: ToolRegistry) -> None:
    result = dispatch(registry, "serch", {})
    assert result.error_kind is ErrorKind.UNKNOWN_TOOL
    assert result.error == (
        "unknown tool 'serch'; did you mean 'search'? Available tools: search, echo, done."
    )
    assert result.duration_ms >= 0


def test_unknown_tool_without_a_close_match(registry: ToolRegistry) -> None:
    result = dispatch(registry, "zzz", {})
    assert result.error == "unknown tool 'zzz'. Available tools: search, echo, done."


def test_unknown_tool_in_an_empty_registry() -> None:
    result = dispatch(ToolRegistry(), "anything", {})
    assert result.error == "unknown tool 'anything'. No tools are registered."


def test_long_tool_lists_are_not_spelled_out() -> None:
    many = ToolRegistry(Tool(f"tool_{i}", "", {"type": "object"}, print) for i in range(30))
    result = dispatch(many, "tool_x", {})
    assert "Available tools" not in str(result.error)


@pytest.mark.parametrize("args", [[1, 2], 3, 2.5, True])
def test_arguments_must_be_an_object(registry: ToolRegistry, args: Any) -> None:
    result = dispatch(registry, "echo", args)
    assert result.error_kind is ErrorKind.VALIDATION
    assert str(result.error).startswith("arguments for tool 'echo' must be a JSON object, got ")


def test_null_arguments_mean_no_arguments(registry: ToolRegistry) -> None:
    """Models send `"arguments": null` for argument-less calls; that is not an error."""
    assert ToolCall("echo", None).args == {}
    result = dispatch(registry, "echo", None)
    assert result.error == "invalid arguments for tool 'echo':\n- missing required argument 'n'"


def test_missing_required_argument(registry: ToolRegistry) -> None:
    result = dispatch(registry, "search", {})
    assert result.error_kind is ErrorKind.VALIDATION
    assert (
        result.error == "invalid arguments for tool 'search':\n- missing required argument 'query'"
    )


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ({"n": True}, "argument 'n' must be integer, got boolean"),
        ({"n": 1.0}, "argument 'n' must be integer, got number"),
        ({"n": "1"}, "argument 'n' must be integer, got string"),
        ({"n": None}, "argument 'n' must be integer, got null"),
    ],
)
def test_integers_are_not_coerced(registry: ToolRegistry, args: Any, complaint: str) -> None:
    result = dispatch(registry, "echo", args)
    assert result.error_kind is ErrorKind.VALIDATION
    assert complaint in str(result.error)


def test_number_accepts_int_but_not_bool(registry: ToolRegistry) -> None:
    assert dispatch(registry, "search", {"query": "q", "ratio": 2}).ok
    refused = dispatch(registry, "search", {"query": "q", "ratio": False})
    assert "argument 'ratio' must be number, got boolean" in str(refused.error)


def test_boolean_rejects_integers(registry: ToolRegistry) -> None:
    refused = dispatch(registry, "search", {"query": "q", "exact": 1})
    assert "argument 'exact' must be boolean, got integer" in str(refused.error)


def test_null_only_where_optional(registry: ToolRegistry) -> None:
    assert dispatch(registry, "search", {"query": "q", "colour": None, "grid": None}).ok
    refused = dispatch(registry, "search", {"query": None})
    assert "argument 'query' must be string, got null" in str(refused.error)


def test_enum_violations_show_the_choices(registry: ToolRegistry) -> None:
    refused = dispatch(registry, "search", {"query": "q", "mode": "slow", "colour": "blue"})
    assert "argument 'mode' must be one of 'fast', 'deep'; got 'slow'" in str(refused.error)
    assert "argument 'colour' must be one of 'red', 'green', None; got 'blue'" in str(refused.error)


def test_enum_does_not_confuse_true_with_one() -> None:
    registry = ToolRegistry([Tool("pick", "", _object({"x": {"enum": [1, 2]}}), lambda x: x)])
    assert dispatch(registry, "pick", {"x": 1}).ok
    assert dispatch(registry, "pick", {"x": True}).error_kind is ErrorKind.VALIDATION


def test_nested_array_items_are_checked_with_their_position(registry: ToolRegistry) -> None:
    refused = dispatch(registry, "search", {"query": "q", "grid": [[1, 2], [3, "4"], "x"]})
    error = str(refused.error)
    assert "argument 'grid[1][1]' must be integer, got string" in error
    assert "argument 'grid[2]' must be array, got string" in error


def test_nested_objects_in_hand_written_schemas_are_checked() -> None:
    schema = _object(
        {
            "filter": {
                "type": "object",
                "properties": {"field": {"type": "string"}},
                "required": ["field"],
                "additionalProperties": False,
            }
        }
    )
    registry = ToolRegistry([Tool("query", "", schema, lambda filter: filter)])
    assert dispatch(registry, "query", {"filter": {"field": "x"}}).ok
    error = str(dispatch(registry, "query", {"filter": {"feild": 1}}).error)
    assert "missing required argument 'filter.field'" in error
    assert "unexpected argument 'filter.feild'; did you mean 'field'?" in error


def test_unexpected_argument_suggests_the_intended_one(registry: ToolRegistry) -> None:
    refused = dispatch(registry, "search", {"qeury": "cats"})
    assert refused.error == (
        "invalid arguments for tool 'search':\n"
        "- missing required argument 'query'\n"
        "- unexpected argument 'qeury'; did you mean 'query'?"
    )


def test_unexpected_argument_without_a_close_match_lists_the_accepted(
    registry: ToolRegistry,
) -> None:
    refused = dispatch(registry, "echo", {"n": 1, "zebra": 2, 7: 3})
    error = str(refused.error)
    assert "unexpected argument 'zebra'; accepted arguments: n" in error
    assert "unexpected argument '7'; accepted arguments: n" in error


def test_argument_to_a_tool_without_parameters() -> None:
    def ping() -> str:
        return "pong"

    refused = dispatch(ToolRegistry([ping]), "ping", {"x": 1})
    assert "unexpected argument 'x'; this takes no arguments" in str(refused.error)


def test_every_problem_is_listed(registry: ToolRegistry) -> None:
    refused = dispatch(registry, "search", {"limit": "ten", "exact": "yes", "mode": 3, "extra": 1})
    lines = str(refused.error).splitlines()
    assert lines[0] == "invalid arguments for tool 'search':"
    assert len(lines) == 6
    assert refused.duration_ms >= 0


def test_very_many_problems_are_summarised() -> None:
    def total(values: list[int]) -> int:
        return sum(values)

    refused = dispatch(ToolRegistry([total]), "total", {"values": ["x"] * 50})
    lines = str(refused.error).splitlines()
    assert len(lines) == 12
    assert lines[-1] == "- … and 40 more problems"


def test_hostile_argument_objects_do_not_escape(registry: ToolRegistry) -> None:
    class Slippery(str):
        def __eq__(self, other: object) -> bool:
            raise RuntimeError("no comparing me")

        __hash__ = str.__hash__

    refused = dispatch(registry, "search", {"query": "q", "mode": Slippery("fast")})
    assert refused.error_kind is ErrorKind.VALIDATION
    assert "RuntimeError: no comparing me" in str(refused.error)


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False}


# -- execution outcomes --------------------------------------------------------------


def test_exceptions_become_execution_errors() -> None:
    def divide(a: int, b: int) -> float:
        return a / b

    result = dispatch(ToolRegistry([divide]), "divide", {"a": 1, "b": 0})
    assert result.error_kind is ErrorKind.EXECUTION
    assert result.error == "ZeroDivisionError: division by zero"


def test_exception_without_message_shows_its_type() -> None:
    def fail() -> None:
        raise LookupError

    assert dispatch(ToolRegistry([fail]), "fail", {}).error == "LookupError"


def test_permission_error_has_its_own_kind() -> None:
    def secret() -> str:
        raise PermissionError("not for you")

    result = dispatch(ToolRegistry([secret]), "secret", {})
    assert result.error_kind is ErrorKind.PERMISSION
    assert result.error == "PermissionError: not for you"


def test_keyboard_interrupt_propagates() -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        dispatch(ToolRegistry([interrupted]), "interrupted", {})


def test_timeout_leaves_the_call_running_and_reports() -> None:
    release = threading.Event()

    @tool(timeout=0.05)
    def wait() -> str:
        release.wait(5)
        return "finished"

    try:
        result = dispatch(ToolRegistry([wait]), "wait", {})
    finally:
        release.set()
    assert result.error_kind is ErrorKind.TIMEOUT
    assert result.error == "timeout: wait did not finish within 0.05s"
    assert result.duration_ms >= 50


def test_timed_call_that_finishes_returns_its_value_and_errors() -> None:
    @tool(timeout=5)
    def quick(n: int) -> int:
        return n * 2

    @tool(timeout=5)
    def denied() -> None:
        raise PermissionError("nope")

    registry = ToolRegistry([quick, denied])
    assert dispatch(registry, "quick", {"n": 21}).data == 42
    assert dispatch(registry, "denied", {}).error_kind is ErrorKind.PERMISSION


def test_system_exit_inside_a_timed_tool_propagates() -> None:
    @tool(timeout=5)
    def leave() -> None:
        raise SystemExit(3)

    with pytest.raises(SystemExit):
        dispatch(ToolRegistry([leave]), "leave", {})


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Shapeless:
    pass


def _cyclic_list() -> list[Any]:
    cycle: list[Any] = [1]
    cycle.append(cycle)
    return cycle


@pytest.mark.parametrize(
    "value",
    [
        {3, 1, 2},
        Shapeless(),
        _cyclic_list(),
        b"\xff\xfeok",
        math.nan,
        Point(1, 2),
        {(1, 2): Colour.RED, None: PurePosixPath("/tmp/x")},
    ],
)
def test_tool_results_are_always_json(value: Any) -> None:
    def produce() -> Any:
        return value

    result = dispatch(ToolRegistry([produce]), "produce", {})
    assert result.ok
    json.dumps(result.data)


@pytest.mark.parametrize(
    "text",
    ["x" * 1_000_000, "\u202eevil", "nul\x00byte", "emoji 🧪👩‍🔬", "lone \ud800 surrogate"],
)
def test_odd_strings_pass_through_untouched(registry: ToolRegistry, text: str) -> None:
    result = dispatch(registry, "search", {"query": text})
    assert result.ok
    assert result.data["query"] == text


def test_odd_strings_in_argument_names_are_escaped_in_messages(registry: ToolRegistry) -> None:
    refused = dispatch(registry, "echo", {"n": 1, "\u202e\x00": 2})
    assert "\u202e" not in str(refused.error)
    assert "\\u202e" in str(refused.error)


# -- to_jsonable -------------------------------------------------------------------


class Job:
    def to_dict(self) -> dict[str, Any]:
        return {"state": Colour.GREEN, "tags": {"b", "a"}}


class Selfish:
    def to_dict(self) -> "Selfish":
        return self


class Broken:
    def to_dict(self) -> dict[str, Any]:
        raise RuntimeError("boom")

    def __repr__(self) -> str:
        raise RuntimeError("no repr either")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "text"),
        (7, 7),
        (True, True),
        (None, None),
        (1.5, 1.5),
        (math.nan, "nan"),
        (-math.inf, "-inf"),
        ((1, (2, 3)), [1, [2, 3]]),
        (frozenset({"b", "a"}), ["a", "b"]),
        (
            {1: "one", False: "no", None: "none", 2.5: "x"},
            {"1": "one", "false": "no", "null": "none", "2.5": "x"},
        ),
        ({Colour.RED: Level.HIGH}, {"red": 2}),
        (Point(1, 2), {"x": 1, "y": 2}),
        (b"caf\xc3\xa9 \xff", "café \ufffd"),
        (bytearray(b"ab"), "ab"),
        (PurePosixPath("/a/b"), "/a/b"),
        (Job(), {"state": "green", "tags": ["a", "b"]}),
        (Broken(), "<unrepresentable Broken>"),
    ],
)
def test_to_jsonable_conversions(value: Any, expected: Any) -> None:
    assert to_jsonable(value) == expected


def test_to_jsonable_falls_back_to_repr() -> None:
    thing = Shapeless()
    assert to_jsonable(thing) == repr(thing)
    assert to_jsonable(Selfish()).startswith("<")


def test_to_jsonable_survives_cycles_and_depth() -> None:
    cycle: dict[str, Any] = {"name": "root"}
    cycle["self"] = cycle
    converted = to_jsonable(cycle)
    assert converted["name"] == "root"
    assert isinstance(converted["self"], str)

    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    json.dumps(to_jsonable(deep))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime.date(2024, 2, 29), "2024-02-29"),
        (datetime.datetime(2024, 2, 29, 13, 5, tzinfo=datetime.UTC), "2024-02-29T13:05:00+00:00"),
        (datetime.time(9, 30), "09:30:00"),
        (PurePosixPath("relative/x"), "relative/x"),
    ],
)
def test_to_jsonable_gives_dates_and_paths_as_text(value: Any, expected: str) -> None:
    assert to_jsonable(value) == expected


def test_to_jsonable_converts_dataclass_instances_not_classes() -> None:
    assert to_jsonable([Point(1, 2)]) == [{"x": 1, "y": 2}]
    assert to_jsonable(Point) == repr(Point)


# -- properties ------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(["search", "echo", "done", "serch"]) | st.text(max_size=10),
    args=st.dictionaries(
        st.sampled_from(["query", "n", "limit", "grid", "mode", "answer"]) | st.text(max_size=6),
        json_values,
        max_size=5,
    )
    | json_values,
)
def test_dispatch_never_raises(name: str, args: Any) -> None:
    result = tools_from([search, echo]).dispatch(ToolCall(name, args))
    assert result.ok == (result.error is None)
    json.dumps(result.data)
    if not result.ok:
        assert result.error_kind is not None and result.error


def test_arguments_that_were_not_json_are_a_parse_error_naming_the_problem(
    registry: ToolRegistry,
) -> None:
    """Backends pass a model's malformed argument text on as a str."""
    result = dispatch(registry, "echo", '{"n": 1,')
    assert result.error_kind is ErrorKind.PARSE
    assert result.error.startswith("the arguments for tool 'echo' are not valid JSON (Expecting")
    assert result.error.endswith("'{\"n\": 1,'. Send the arguments as one JSON object.")
    assert dispatch(registry, "echo", "[1]").error.startswith(
        "the arguments for tool 'echo' are not valid JSON (they are not a JSON object)"
    )
