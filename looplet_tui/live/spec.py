"""`AgentSpec`: what `looplet-tui run MODULE:FACTORY` needs from your code.

A factory is any callable that returns an `AgentSpec`:

    # my_agent.py
    from looplet_tui.live import AgentSpec

    def make_agent(argv: list[str]) -> AgentSpec:
        return AgentSpec(llm=OpenAIBackend("gpt-4.1-mini"), tools=[search, fetch],
                         task=" ".join(argv) or "Find the release date of Python 3.13")

    $ looplet-tui run my_agent:make_agent -- what is new in 3.13

The debugger calls the factory again for every restart (`r`), so a factory
should build fresh objects (a new backend, a new scratch directory) each time.
A factory that takes no parameter is called without the arguments after `--`;
giving it some is an error.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from looplet_core import LoopConfig, ToolRegistry
from looplet_tui.live.breakpoints import Breakpoint, BreakpointSet

__all__ = ["AgentSpec", "LiveTarget", "SpecError", "load_factory", "make_spec"]


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """Everything `composable_loop` needs, plus what the debugger shows and sets up."""

    llm: Any
    """The backend: any object with `generate(prompt) -> LLMResponse`."""
    tools: ToolRegistry | Iterable[Any]
    """A ToolRegistry, or functions/Tools (a `done` tool is added, as `tools_from` does)."""
    task: str
    hooks: Sequence[object] = ()
    """Your hooks.  An `ApprovalHook` among them becomes the debugger's approval (its
    `ask` is replaced by the TUI); a `ProvenanceSink` among them records the run."""
    config: LoopConfig | None = None
    name: str = ""
    """What the debugger calls the agent; defaults to the factory's name."""
    breakpoints: Sequence[Breakpoint] = field(default=())
    """Breakpoints set when the debugger opens (the user can change them with `b`)."""


@dataclass(slots=True)
class LiveTarget:
    """What the debugger runs: the first spec, how to make a fresh one for a
    restart, and the breakpoints that outlive each run."""

    spec: AgentSpec
    remake: Callable[[], AgentSpec]
    """Builds the spec for a restart (the factory again); may raise SpecError."""
    breakpoints: BreakpointSet

    @classmethod
    def of(cls, make: Callable[[], AgentSpec]) -> LiveTarget:
        """Make the first spec now and keep `make` for restarts."""
        spec = make()
        return cls(spec, make, BreakpointSet(spec.breakpoints))

    @property
    def name(self) -> str:
        return self.spec.name or "agent"


class SpecError(Exception):
    """A `MODULE:FACTORY` that cannot give an AgentSpec; the message is one line."""


def load_factory(target: str) -> Callable[..., Any]:
    """Import `MODULE:FACTORY` (MODULE is a dotted name or a path to a .py file)."""
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise SpecError(f"{target!r}: expected MODULE:FACTORY, for example my_agent:make_agent")
    module = _import(module_name)
    value: Any = module
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise SpecError(f"{target!r}: {module_name} has no attribute {attribute!r}") from None
    if not callable(value):
        raise SpecError(f"{target!r}: {attribute} is not callable (it is {type(value).__name__})")
    return value


def make_spec(factory: Callable[..., Any], argv: Sequence[str], target: str) -> AgentSpec:
    """Call the factory (with `argv` if it takes a parameter) and check what it returns."""
    takes_argv = _takes_argument(factory)
    if argv and not takes_argv:
        raise SpecError(f"{target}: the factory takes no arguments, but {list(argv)!r} were given")
    try:
        spec = factory(list(argv)) if takes_argv else factory()
    except Exception as exc:
        raise SpecError(f"{target}: the factory raised {_one_line(exc)}") from exc
    if not isinstance(spec, AgentSpec):
        raise SpecError(
            f"{target}: the factory returned {type(spec).__name__}, not an AgentSpec "
            "(from looplet_tui.live import AgentSpec)"
        )
    _check(spec, target)
    return spec


def _import(module_name: str) -> Any:
    if module_name.endswith(".py") or os.sep in module_name:
        path = os.path.abspath(module_name)
        if not os.path.isfile(path):
            raise SpecError(f"{module_name}: no such file")
        name = os.path.splitext(os.path.basename(path))[0]
        loader_spec = importlib.util.spec_from_file_location(name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise SpecError(f"{module_name}: cannot be imported as a Python module")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module
        try:
            loader_spec.loader.exec_module(module)
        except Exception as exc:
            raise SpecError(f"{module_name}: importing it raised {_one_line(exc)}") from exc
        return module
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` does: modules in the current directory
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise SpecError(f"{module_name}: no such module") from None
        raise SpecError(f"{module_name}: importing it raised {_one_line(exc)}") from exc
    except Exception as exc:
        raise SpecError(f"{module_name}: importing it raised {_one_line(exc)}") from exc


def _takes_argument(factory: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: call them without
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(
        p.kind is inspect.Parameter.VAR_POSITIONAL or p.kind in positional for p in parameters
    )


def _check(spec: AgentSpec, target: str) -> None:
    problem = None
    if not callable(getattr(spec.llm, "generate", None)):
        problem = f"llm is a {type(spec.llm).__name__} with no generate(prompt) method"
    elif not isinstance(spec.task, str):
        problem = f"task must be a str, not {type(spec.task).__name__}"
    elif isinstance(spec.tools, str) or not isinstance(spec.tools, ToolRegistry | Iterable):
        problem = "tools must be a ToolRegistry or a list of tools"
    elif isinstance(spec.hooks, str) or not isinstance(spec.hooks, Iterable):
        problem = "hooks must be a list of hook objects"
    elif spec.config is not None and not isinstance(spec.config, LoopConfig):
        problem = f"config must be a LoopConfig or None, not {type(spec.config).__name__}"
    elif not all(isinstance(bp, Breakpoint) for bp in spec.breakpoints):
        problem = "breakpoints must be Breakpoint objects"
    if problem:
        raise SpecError(f"{target}: {problem}")


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
