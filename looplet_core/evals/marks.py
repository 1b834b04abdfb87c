"""`@eval_mark`: how a grader says what it is and how its answer is judged.

    @eval_mark("smoke", threshold=0.8)
    def eval_most_calls_succeed(ctx):
        return 1 - len(ctx.errors) / max(len(ctx.steps), 1)

A grader is a function named `eval_*` that takes an `EvalContext`; marking it
is optional.  The mark holds its tags (for selecting graders), a `threshold`
for numeric answers and `passing` labels for string answers (see results.py
for how each kind of answer is judged).
"""

from __future__ import annotations

from looplet_core._record import Record, set_field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

__all__ = ["EVAL_PREFIX", "EvalSpec", "eval_mark", "spec_of"]

EVAL_PREFIX = "eval_"
_MARK = "__looplet_eval__"


class EvalSpec(Record):
    """A grader and how to judge it: what loaders, the CLI and EvalHook run."""

    __slots__ = ("name", "func", "tags", "threshold", "passing", "description")
    name: str
    func: Callable[[Any], Any]
    tags: tuple[str, ...]
    threshold: float | None
    """A numeric answer passes when it is at least this; without one, a number is a metric."""
    passing: tuple[str, ...]
    """The string answers (labels) that pass; without any, a label is information."""
    description: str
    """The first line of the grader's docstring."""

    def __init__(
        self,
        name: str,
        func: Callable[[Any], Any],
        tags: tuple[str, ...] = (),
        threshold: float | None = None,
        passing: tuple[str, ...] = (),
        description: str = "",
    ) -> None:
        set_field(self, "name", name)
        set_field(self, "func", func)
        set_field(self, "tags", tags)
        set_field(self, "threshold", threshold)
        set_field(self, "passing", passing)
        set_field(self, "description", description)


def eval_mark(
    *tags: Any,
    threshold: float | None = None,
    passing: Iterable[str] = (),
    name: str | None = None,
) -> Any:
    """Mark a grader with tags, a numeric `threshold` or `passing` labels.

    Use it as `@eval_mark`, `@eval_mark()` or `@eval_mark("tag", threshold=0.9)`.
    `name` replaces the function's name in reports.
    """
    if len(tags) == 1 and callable(tags[0]) and threshold is None and not passing and not name:
        return _marked(tags[0])  # bare @eval_mark
    for tag in tags:
        if not isinstance(tag, str) or not tag:
            raise TypeError(f"eval_mark tags must be non-empty strings, not {tag!r}")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int | float)
    ):
        raise TypeError(f"eval_mark threshold must be a number, not {threshold!r}")
    labels = (passing,) if isinstance(passing, str) else tuple(passing)
    if not all(isinstance(label, str) for label in labels):
        raise TypeError(f"eval_mark passing must be strings, not {passing!r}")

    def mark(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return _marked(func, tags, threshold, labels, name)

    return mark


def spec_of(func: Callable[[Any], Any]) -> EvalSpec:
    """The EvalSpec of a grader, marked or not."""
    spec = getattr(func, _MARK, None)
    if isinstance(spec, EvalSpec):
        return spec
    if not callable(func):
        raise TypeError(f"a grader must be a function taking an EvalContext, not {func!r}")
    return _spec(func)


def _marked(func: Callable[[Any], Any], *options: Any) -> Callable[[Any], Any]:
    if not callable(func):
        raise TypeError(f"eval_mark marks a function, not {func!r}")
    setattr(func, _MARK, _spec(func, *options))
    return func


def _spec(
    func: Callable[[Any], Any],
    tags: tuple[str, ...] = (),
    threshold: float | None = None,
    passing: tuple[str, ...] = (),
    name: str | None = None,
) -> EvalSpec:
    doc = (getattr(func, "__doc__", None) or "").strip()
    return EvalSpec(
        name or getattr(func, "__name__", None) or type(func).__name__,
        func,
        tuple(tags),
        None if threshold is None else float(threshold),
        passing,
        doc.splitlines()[0] if doc else "",
    )
