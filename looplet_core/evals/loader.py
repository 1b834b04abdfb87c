"""Loading an evals file: a Python file whose `eval_*` functions are the graders.

    specs = load_evals("evals/tidy.py")            # [EvalSpec, ...] in file order
    specs = load_evals("evals/tidy.py", tags=["smoke"])

The file is imported as a module of its own (its folder is put first on
`sys.path` while it loads, so it can import its neighbours).  Every problem
(no such file, a syntax error, an import that raises, no graders) is an
`EvalFileError` whose message is one line naming the file.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from itertools import count

from looplet_core.evals.marks import EVAL_PREFIX, spec_of
from looplet_core.provenance.trace import one_line

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import ModuleType
    from typing import Any

    from looplet_core.evals.marks import EvalSpec

__all__ = ["EvalFileError", "graders_in", "load_evals"]

_loaded = count(1)
"""Numbers the modules, so two files with the same name never share one."""


class EvalFileError(Exception):
    """An evals file that cannot be used; the message is one line naming it."""


def load_evals(path: str | os.PathLike[str], tags: Iterable[str] = ()) -> list[EvalSpec]:
    """The graders in the evals file at `path`, in file order; only those carrying
    one of `tags` when tags are given."""
    shown = os.fspath(path)
    if not os.path.isfile(shown):
        raise EvalFileError(f"{shown}: no such evals file")
    if not shown.endswith(".py"):
        raise EvalFileError(f"{shown}: an evals file is a Python file (.py)")
    module = _import(shown)
    specs = graders_in(module)
    if not specs:
        raise EvalFileError(f"{shown}: no eval_* functions found")
    wanted = set(tags)
    if wanted:
        specs = [spec for spec in specs if wanted & set(spec.tags)]
        if not specs:
            raise EvalFileError(f"{shown}: no eval_* function has the tag(s) {sorted(wanted)}")
    return specs


def graders_in(module: ModuleType | Any) -> list[EvalSpec]:
    """The `eval_*` functions a module defines (not ones it imports), as EvalSpecs."""
    own = getattr(module, "__name__", None)
    return [
        spec_of(value)
        for name, value in vars(module).items()
        if name.startswith(EVAL_PREFIX)
        and callable(value)
        and not isinstance(value, type)
        and getattr(value, "__module__", own) == own
    ]


def _import(path: str) -> ModuleType:
    stem = os.path.splitext(os.path.basename(path))[0]
    name = f"looplet_evals_{next(_loaded)}_{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise EvalFileError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[name]
        raise EvalFileError(f"{path}: line {exc.lineno}: syntax error ({exc.msg})") from exc
    except BaseException as exc:
        del sys.modules[name]
        if not isinstance(exc, Exception):
            raise  # Ctrl-C or exit() while importing stays what it is
        raise EvalFileError(f"{path}: importing it raised {one_line(exc)}") from exc
    finally:
        if sys.path and sys.path[0] == folder:
            del sys.path[0]
    return module
