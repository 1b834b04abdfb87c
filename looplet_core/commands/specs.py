"""Turning command-line specs into objects: `--backend SPEC` and `--tools MODULE:ATTR`.

Backend specs:

- `scripted:FILE`: a JSON list with one entry per model turn: a string (a
  text reply), an object `{"name": ..., "args": {...}}` (one tool call), a list
  of such objects (several calls in one turn), or an object with `text` and/or
  `tool_calls` (a whole response, as in a trace's `response`).
- `openai:MODEL`, `anthropic:MODEL`: the provider backends (their SDK and an
  API key in the usual environment variable are needed).
- `MODULE:ATTR`: an object with a `generate(prompt)` method, or a function
  that takes no arguments and returns one.

`--tools MODULE:ATTR` names a ToolRegistry, a list of tools (or functions),
or a function that takes no arguments and returns one of those.  Modules are
imported with the current directory on `sys.path`, as `python -m` would.
"""

from __future__ import annotations

import importlib
import json
import os
import sys

from looplet_core.backends.scripted import ScriptedBackend
from looplet_core.commands.terminal import CommandError
from looplet_core.tools import Tool, ToolRegistry, tools_from
from looplet_core.types import LLMResponse, ToolCall

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["load_backend", "load_tools"]

_PROVIDERS = {"openai": "OpenAIBackend", "anthropic": "AnthropicBackend"}


def load_backend(spec: str) -> Any:
    """The live backend a `--backend` spec names; CommandError saying what is wrong if none."""
    kind, _, rest = spec.partition(":")
    if not rest:
        raise CommandError(
            f"--backend {spec}: expected scripted:FILE, openai:MODEL, anthropic:MODEL "
            "or MODULE:FACTORY"
        )
    if kind == "scripted":
        return ScriptedBackend(_scripted_turns(rest))
    if kind in _PROVIDERS:
        from looplet_core import backends

        try:
            return getattr(backends, _PROVIDERS[kind])(rest)
        except Exception as exc:  # a missing SDK or API key, said in one line
            raise CommandError(f"--backend {spec}: {_describe(exc)}") from exc
    backend = _load_object(spec, "--backend")
    if not callable(getattr(backend, "generate", None)) and callable(backend):
        backend = _call_factory(backend, spec, "--backend")
    if not callable(getattr(backend, "generate", None)):
        raise CommandError(
            f"--backend {spec}: {type(backend).__name__} has no generate(prompt) method"
        )
    return backend


def load_tools(spec: str) -> ToolRegistry:
    """The tools a `--tools MODULE:ATTR` spec names, as a registry."""
    tools = _load_object(spec, "--tools")
    if callable(tools) and not isinstance(tools, Tool | ToolRegistry):
        tools = _call_factory(tools, spec, "--tools")
    if isinstance(tools, ToolRegistry):
        return tools
    try:
        return tools_from(list(tools))
    except Exception as exc:
        raise CommandError(
            f"--tools {spec}: not a ToolRegistry or a list of tools ({_describe(exc)})"
        ) from exc


def _scripted_turns(path: str) -> list[Any]:
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except OSError as exc:
        raise CommandError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except ValueError as exc:
        raise CommandError(f"{path}: not a JSON script ({exc})") from exc
    if not isinstance(data, list):
        raise CommandError(f"{path}: a script is a JSON list of turns, not {type(data).__name__}")
    turns = []
    for index, item in enumerate(data, 1):
        try:
            turns.append(_turn(item))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CommandError(f"{path}: turn {index}: {_describe(exc)}") from exc
    return turns


def _turn(item: Any) -> Any:
    if isinstance(item, str):
        return item
    if isinstance(item, list):
        return [ToolCall.from_dict(call) for call in item]
    if isinstance(item, dict) and "name" in item:
        return ToolCall.from_dict(item)
    if isinstance(item, dict) and ("text" in item or "tool_calls" in item):
        return LLMResponse.from_dict(item)
    raise ValueError("expected a string, a call {name, args}, a list of calls, or a response")


def _load_object(spec: str, option: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise CommandError(f"{option} {spec}: expected MODULE:ATTR")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise CommandError(
            f"{option} {spec}: cannot import {module_name} ({_describe(exc)})"
        ) from exc
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise CommandError(f"{option} {spec}: {module_name} has no {attribute}") from None
    return target


def _call_factory(factory: Any, spec: str, option: str) -> Any:
    try:
        return factory()
    except Exception as exc:
        raise CommandError(f"{option} {spec}: the factory failed ({_describe(exc)})") from exc


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
