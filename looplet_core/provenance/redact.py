"""Redaction and truncation of every string a trace record holds.

Order matters: secrets are replaced in the *full* string first, and only then
is an over-long string cut.  Cutting first could leave half a key in a shape
no pattern recognises (or cut the pattern's anchor off), so a secret inside a
300 KB argument would survive on disk.

A record is walked string by string only when it might need it: the sink
first serialises the record and looks for a *trigger* (the literal start of
some secret shape) in the JSON text.  Every trigger is made of characters JSON
never escapes, so a secret in any string of the record shows its trigger in
the JSON text too; no trigger and no long line means nothing to change.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["REDACTED", "SECRET_KEY", "SECRET_PATTERN", "Cleaner", "redact_secrets"]

REDACTED = "[REDACTED]"

SECRET_PATTERN = re.compile(
    r"sk-[A-Za-z0-9_-]{20,}"  # OpenAI sk-..., sk-proj-...; Anthropic sk-ant-...
    r"|AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{30,}"  # GitHub tokens
    r"|xox[baprs]-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|(?P<bearer>(?i:bearer)\s+)[A-Za-z0-9._~+/=-]{8,}"  # Authorization: Bearer <token>
    # api_key=..., "api-key": "...", APIKEY: ...  (the label is kept, the value goes)
    r"""|(?P<label>(?i:api[_-]?key)["']?\s*[:=]\s*["']?)[^\s"',;}&]{4,}""",
    re.ASCII,
)
"""Common API-key shapes.  Labelled forms keep their label: `Bearer [REDACTED]`."""

SECRET_KEY = re.compile(
    r"(?i)(?:api[_-]?key|secret|passw(?:or)?d|(?:access|auth|refresh|session)[_-]?token"
    r"|authorization|private[_-]?key)$",
    re.ASCII,
)
"""Mapping keys whose string values are secrets whatever they look like:
`{"api_key": "hunter2"}`, `{"Authorization": ...}`, `{"client_secret": ...}`."""

_TRIGGERS = (
    "sk-",
    "akia",
    "xox",
    "bearer",
    "secret",
    "passw",
    'token"',
    "authorization",
    "private",
)
_TRIGGER_PATTERNS = (re.compile("gh[pousr]_"), re.compile("api[_-]?key"))
"""Lower-case text that every match of SECRET_PATTERN, and every key SECRET_KEY
matches, shows in a record's lower-cased JSON text.  They are made of ASCII
letters and `-_`, which JSON never escapes, and the patterns ignore case only
for ASCII letters; a key ends just before its closing quote, hence `token"`.
Checking them costs about 3 µs per record; one regex alternation costs 50."""


def _has_trigger(text: str) -> bool:
    lowered = text.lower()
    for trigger in _TRIGGERS:  # plain loops: any() over a generator costs twice as much here
        if trigger in lowered:
            return True
    for pattern in _TRIGGER_PATTERNS:  # noqa: SIM110
        if pattern.search(lowered) is not None:
            return True
    return False


def _replacement(match: re.Match[str]) -> str:
    return (match.group("bearer") or match.group("label") or "") + REDACTED


def redact_secrets(text: str) -> str:
    """`text` with every common API-key shape replaced by `[REDACTED]`."""
    return SECRET_PATTERN.sub(_replacement, text)


class Cleaner:
    """Makes a record safe to write: redact each string, then truncate it.

    `redact` is True (the default patterns), False, or a callable str -> str
    that replaces them (compose with `redact_secrets` to keep the defaults).
    """

    __slots__ = ("_custom", "_default", "max_string")

    def __init__(self, redact: bool | Callable[[str], str] = True, max_string: int = 200_000):
        if max_string < 1:
            raise ValueError(f"max_string must be 1 or more, not {max_string}")
        if not (isinstance(redact, bool) or callable(redact)):
            raise TypeError(f"redact must be True, False or a callable, not {redact!r}")
        self._default = redact is True
        self._custom: Callable[[str], str] | None = None if isinstance(redact, bool) else redact
        self.max_string = max_string

    def needs_walk(self, line: str) -> bool:
        """Whether the record serialised as `line` may hold a secret or an over-long string."""
        if self._custom is not None or len(line) > self.max_string:
            return True
        return self._default and _has_trigger(line)

    def redact(self, value: str) -> str:
        if self._default:
            if _has_trigger(value):
                value = SECRET_PATTERN.sub(_replacement, value)
        elif self._custom is not None:
            value = self._custom(value)
            if not isinstance(value, str):
                raise TypeError(f"the redact callable returned {type(value).__name__}, not str")
        return value

    def text(self, value: str) -> str:
        """Redact, then cut what is still longer than max_string (the marker gives the length)."""
        value = self.redact(value)
        if len(value) > self.max_string:
            value = (
                f"{value[: self.max_string]}"
                f"\n[truncated by looplet: {len(value)} chars, first {self.max_string} kept]"
            )
        return value

    def walk(self, value: Any) -> Any:
        """A copy of JSON data with every string cleaned; keys are redacted but never cut."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                (self.redact(key) if isinstance(key, str) else key): self._item(key, item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.walk(item) for item in value]
        return value

    def _item(self, key: Any, item: Any) -> Any:
        if (
            self._default
            and isinstance(item, str)
            and item
            and isinstance(key, str)
            and SECRET_KEY.search(key) is not None
        ):
            return REDACTED
        return self.walk(item)
