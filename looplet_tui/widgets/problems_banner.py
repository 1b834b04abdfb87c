"""`ProblemsBanner`: what is damaged in the trace, shown above everything else."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static

from looplet_tui.safe_text import literal

__all__ = ["ProblemsBanner"]

SHOWN = 4
"""Problems listed by name; the rest are counted."""


def banner_content(problems: Sequence[str]) -> Content:
    count = len(problems)
    lines = [
        Content.styled(f"⚠ This trace has {count} problem{'s' if count != 1 else ''}:", "bold")
    ]
    lines += [Content("  • ") + literal(problem) for problem in problems[:SHOWN]]
    if count > SHOWN:
        lines.append(Content(f"  … and {count - SHOWN} more"))
    return Content("\n").join(lines)


class ProblemsBanner(Static):
    """Hidden while the trace is intact; otherwise lists `StepSource.problems()`."""

    DEFAULT_CSS = """
    ProblemsBanner {
        background: $error 25%;
        color: $text;
        padding: 0 1;
        height: auto;
        max-height: 6;
        display: none;
        &.-shown { display: block; }
    }
    """

    def show(self, problems: Sequence[str]) -> None:
        self.set_class(bool(problems), "-shown")
        if problems:
            self.update(banner_content(problems))
