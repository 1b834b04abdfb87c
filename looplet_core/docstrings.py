"""Reading a Google-style docstring for what it tells the model about a tool.

Only the summary and the `Args:` section matter: the summary describes the
tool, and each argument's text describes a parameter in the JSON Schema.
"""

from __future__ import annotations

import inspect
import re

from looplet_core._record import Record, set_field

__all__ = ["Docstring"]

_SECTION_NAMES = frozenset(
    {
        "args", "arguments", "parameters", "params", "returns", "return", "yields", "raises",
        "examples", "example", "note", "notes", "attributes", "see also", "warning", "warnings",
        "todo", "references",
    }
)  # fmt: skip
_ARGUMENT_SECTIONS = frozenset({"args", "arguments", "parameters", "params"})
_ARGUMENT_ENTRY = re.compile(r"(?P<name>\w+)\s*(?:\([^)]*\))?\s*:\s*(?P<text>.*)")


class Docstring(Record):
    """What a Google-style docstring tells the model: a summary and per-argument text."""

    __slots__ = ("summary", "arguments")
    summary: str
    """The first paragraph, joined into one line."""
    arguments: dict[str, str]
    """Each documented parameter's description, by parameter name."""

    def __init__(self, summary: str, arguments: dict[str, str]) -> None:
        set_field(self, "summary", summary)
        set_field(self, "arguments", arguments)

    @classmethod
    def parse(cls, doc: str | None) -> Docstring:
        lines = inspect.cleandoc(doc or "").splitlines()
        return cls(_summary(lines), _argument_descriptions(_argument_section(lines)))


def _section_name(line: str) -> str | None:
    text = line.strip()
    name = text[:-1].strip().lower() if text.endswith(":") else ""
    return name if name in _SECTION_NAMES else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _summary(lines: list[str]) -> str:
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
