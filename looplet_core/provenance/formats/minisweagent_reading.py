"""One read of a mini-swe-agent trajectory, indexed a slice at a time.

A trajectory is one JSON document, and mini-swe-agent's are tens of MB for
long runs.  Parsing it whole (`json.loads`) costs about 7 ms of CPU per MB,
and its object tree takes over twice the file's size (45 MB for a 20 MB
file); a viewer needs neither to show the first page.  So a `Reading` keeps the
decoded text and, for each message, where it starts in it.  It walks
the document with the decoder's own scanner: the top-level members other than
`messages` are decoded whole (mini-swe-agent writes `info` first), and the
`messages` array one item at a time, so `advance` can stop after any message
and carry on later.  Each message is decoded once while indexing: the
grouper makes its steps, a summary is built for each step, the run's totals
are added up, and the message itself is dropped.  A step's detail decodes
again the few messages it needs (`TextMessages`).

Anything the walk does not expect (damage, a cut, a repeated key, trailing
data, a top level that is not an object) ends it: the document is then read
by a new `Reading` as before, parsed whole or salvaged (salvage.py), with
its messages kept as a list.  Only damaged files pay that.
"""

from __future__ import annotations

import json
import re
from array import array
from time import perf_counter

from looplet_core.provenance._format import preview_args
from looplet_core.provenance._parse import kind, parse_text
from looplet_core.provenance.formats._common import float_or_none, paused_gc
from looplet_core.provenance.formats.minisweagent_steps import Grouper, extra_of, outcome
from looplet_core.provenance.formats.salvage import salvage_object
from looplet_core.provenance.model import StepSummary

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any

    from looplet_core.provenance.formats.minisweagent_steps import Entry

__all__ = ["FORMAT_PREFIX", "Reading", "TextMessages", "args_of", "usage_counts"]

FORMAT_PREFIX = "mini-swe-agent"
_decode = json.JSONDecoder().raw_decode
_SPACE = re.compile(r"[ \t\n\r]*")
_CACHED_MESSAGES = 256
"""Decoded messages kept by `TextMessages`: a step's detail and a prompt's visible tail."""


class _Odd(Exception):
    """The document is not in the shape the walk reads; it is read whole instead."""


class TextMessages:
    """The messages of a document, decoded from the text when asked for.

    Read from the viewer's two threads at once: the cache is a plain dict,
    whose single operations are atomic, and emptied when it grows too big.
    """

    __slots__ = ("_cache", "starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = array("q")
        """Where each message starts in `text` (filled by the walk)."""
        self._cache: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index: int) -> Any:
        found = self._cache.get(index)
        if found is None:
            found = _decode(self.text, self.starts[index])[0]
            if len(self._cache) >= _CACHED_MESSAGES:
                self._cache.clear()
            self._cache[index] = found
        return found


class Reading:
    """What one read of the file found: its messages (a `TextMessages`, or a list
    for a document that had to be parsed whole), their steps (`grouper`, one
    `StepSummary` each in `summaries`), the run's totals, and the other
    top-level members (`members`: info, trajectory_format).

    `advance` indexes more messages; `done` once the document is read to its
    end.  `failure` is set when nothing could be read (not a JSON object, or
    damaged beyond salvage).
    """

    def __init__(self, name: str, text: str, problems: list[str], *, whole: bool = False) -> None:
        """A reading of `text` that walks it, or with `whole` parses it whole at once
        (salvaging it if damaged) and keeps its messages as a list."""
        self.name = name
        self.problems = problems
        """The read's own problems (a bad byte, damage salvaged, an odd member)."""
        self.members: dict[str, Any] = {}
        self.has_messages = False
        """Whether `messages` was found and is a list."""
        self.messages: TextMessages | list[Any] = TextMessages(text)
        self.grouper = Grouper(self._step_made)
        self.summaries: list[StepSummary] = []
        self.done = False
        self.failure: str | None = None
        self.input_tokens = self.output_tokens = self.cache_read = self.cache_write = 0
        """Token totals over every model call seen so far (format errors included)."""
        self.first_time: float | None = None
        self.last_time: float | None = None
        self.first_user = -1
        """The index of the first user message (it holds the task), or -1."""
        self.response_model: str | None = None
        """The model named by the first litellm response dump, if any."""
        self.skipped: list[int] = []
        """Indices of `messages` items that are not messages (not objects), ascending."""
        self._text = text
        self._problems_before = list(problems)
        self._at = 0
        self._walk: Iterator[tuple[int, Any]] = (
            self._parse_whole(text) if whole else self._walk_text(text)
        )

    @property
    def progress(self) -> float:
        """The share of the document read so far, from 0 to 1."""
        return 1.0 if self.done else self._at / max(len(self._text), 1)

    def advance(self, deadline: float | None = None, steps: int | None = None) -> Reading:
        """Index messages until `perf_counter()` passes `deadline`, `steps` steps are
        settled, or the end; at least one message (None for both: to the end).

        Returns the reading to go on with: this one, or, when the walk meets
        something it does not expect, a new one that parsed the document whole,
        indexed to its end (this one is left as it was: a viewer may be reading it).
        """
        with paused_gc():
            try:
                for index, message in self._walk:
                    self._take(index, message)
                    if deadline is not None and perf_counter() >= deadline:
                        return self
                    if steps is not None and self.grouper.settled >= steps:
                        return self
            except (_Odd, ValueError, RecursionError) as odd:
                problems = list(self._problems_before)
                if isinstance(odd, _Odd) and odd.args:
                    problems.append(f"{self.name}: {odd.args[0]}")
                whole = Reading(self.name, self._text, problems, whole=True)
                return whole.advance()
        if not self.done:
            self._finish()
        return self

    # -- the walk -------------------------------------------------------------------

    def _walk_text(self, text: str) -> Iterator[tuple[int, Any]]:
        """(index, message) for each item of `messages`, in order; the other members go
        to `members` as they are passed.  Raises on anything unexpected."""
        at = _skip(text, 0)
        if not text.startswith("{", at):
            raise _Odd
        at = _skip(text, at + 1)
        ended = text.startswith("}", at)
        at += ended
        while not ended:
            self._at = at
            key, at = _decode(text, at)
            colon = _skip(text, at)
            if key in self.members or (key == "messages" and self.has_messages):
                # json.loads keeps a repeated key's last value; so does the whole read
                raise _Odd(f"{key!r} appears more than once; the last one is shown")
            if type(key) is not str or not text.startswith(":", colon):
                raise _Odd
            at = _skip(text, colon + 1)
            if key == "messages" and text.startswith("[", at):
                self.has_messages = True
                at = yield from self._walk_items(text, at)
            else:
                self.members[key], at = _decode(text, at)
            at = _skip(text, at)
            ended = text.startswith("}", at)
            if not ended and not text.startswith(",", at):
                raise _Odd
            at = at + 1 if ended else _skip(text, at + 1)
        if _skip(text, at) != len(text):
            raise _Odd  # trailing data

    def _walk_items(self, text: str, at: int) -> Iterator[tuple[int, Any]]:
        """The items of the array opening at `at`; returns where it ends."""
        starts = self.messages.starts  # type: ignore[union-attr]
        at = _skip(text, at + 1)
        if text.startswith("]", at):
            return at + 1
        while True:
            item, end = _decode(text, at)
            starts.append(at)
            self._at = end
            yield len(starts) - 1, item
            at = _skip(text, end)
            if text.startswith(",", at):
                at = _skip(text, at + 1)
            elif text.startswith("]", at):
                return at + 1
            else:
                raise _Odd

    def _parse_whole(self, text: str) -> Iterator[tuple[int, Any]]:
        """(index, message) of a document parsed whole (or salvaged), kept as a list."""
        value, error = parse_text(text)
        if error is None and not isinstance(value, dict):
            self.failure = f"expected a JSON object, found {kind(value)}"
            return
        if error is not None:
            value, notes = salvage_object(text)
            if not value:
                self.failure = error
                return
            self.problems.append(f"{self.name}: {error}; " + "; ".join(notes))
        self.members = value
        messages = value.get("messages")
        self.has_messages = isinstance(messages, list)
        if self.has_messages:
            self.messages = value.pop("messages")
            yield from enumerate(messages)

    # -- what each message adds -------------------------------------------------------

    def _take(self, index: int, message: Any) -> None:
        self.grouper.add(index, message)
        if type(message) is not dict:
            self.skipped.append(index)
            return
        if self.first_user < 0 and message.get("role") == "user":
            self.first_user = index
        extra = extra_of(message)
        if "response" in extra:
            counts = usage_counts(extra)
            self.input_tokens += counts[0]
            self.output_tokens += counts[1]
            self.cache_read += counts[2]
            self.cache_write += counts[3]
            response = extra["response"]
            if self.response_model is None and type(response) is dict:
                model = response.get("model")
                self.response_model = model if isinstance(model, str) else None
        when = float_or_none(extra.get("timestamp"))
        if when is not None:
            self.first_time = when if self.first_time is None else min(self.first_time, when)
            self.last_time = when if self.last_time is None else max(self.last_time, when)

    def _step_made(
        self, position: int, entry: Entry, assistant: dict[str, Any], result: Any
    ) -> None:
        """Summarise a step while its messages are at hand."""
        extra = assistant["extra"]  # a dict: the message has actions
        _output, error, error_kind, duration = outcome(result, entry[5])
        counts = usage_counts(extra)
        summary = StepSummary(
            entry[0],
            entry[1],
            "bash",
            preview_args(args_of(extra["actions"][entry[3]])),
            error is None,
            None if error_kind is None else str(error_kind),
            duration,
            counts[0],
            counts[1],
            0.0,
        )
        if position < len(self.summaries):
            self.summaries[position] = summary
        else:
            self.summaries.append(summary)

    def _finish(self) -> None:
        self.grouper.finish()
        self.done = True
        if self.failure is not None:
            return
        info = self.members.get("info")
        if not isinstance(info, dict):
            self.problems.append(f"{self.name}: info is {kind(info)}, not an object")
        if not self.has_messages:
            messages = self.members.pop("messages", None)
            self.problems.append(f"{self.name}: messages is {kind(messages)}, not a list")
        version = self.members.get("trajectory_format")
        if not isinstance(version, str):
            return
        if not version.startswith(FORMAT_PREFIX):
            self.problems.append(f"{self.name}: trajectory_format is {version!r}")
        elif not version.startswith(f"{FORMAT_PREFIX}-1."):
            self.problems.append(
                f"{self.name}: {version}; this reader knows mini-swe-agent-1.x, "
                "so some data may be missing"
            )

    # -- for the trace ------------------------------------------------------------------

    def prompt_indices(self, end: int) -> Sequence[int]:
        """The indices of the messages before `end` (those that are messages)."""
        if not self.skipped or self.skipped[0] >= end:
            return range(end)
        skipped = set(self.skipped)
        return [index for index in range(end) if index not in skipped]


def args_of(action: Any) -> dict[str, Any]:
    """An action's arguments as our bash tool's: `{"command": ...}` (empty if it has none)."""
    command = action.get("command") if type(action) is dict else None
    return {"command": command} if isinstance(command, str) else {}


def usage_counts(extra: dict[str, Any]) -> tuple[int, int, int, int]:
    """(input, output, cache read, cache write) tokens from the litellm response dump;
    cached prompt tokens are counted apart, as our Usage wants."""
    response = extra.get("response")
    usage = response.get("usage") if type(response) is dict else None
    if type(usage) is not dict:
        return 0, 0, 0, 0
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if type(details) is dict else None
    read = _count(cached) or _count(usage.get("cache_read_input_tokens"))
    written = _count(usage.get("cache_creation_input_tokens"))
    prompt, completion = _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))
    return max(0, prompt - read - written), completion, read, written


def _count(value: Any) -> int:
    return value if type(value) is int else 0


def _skip(text: str, position: int) -> int:
    return _SPACE.match(text, position).end()  # type: ignore[union-attr]
