"""`Record`: the base of every immutable value type in looplet_core.

Why not dataclasses: `import dataclasses` (which pulls in `inspect`) and
generating methods for a dozen classes cost about 16 ms, more than our whole
import budget.  A Record subclass declares `__slots__` (its fields, in order)
and writes a plain `__init__` that assigns them with `_init`; equality, repr,
immutability and `replace` come from here.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` is not imported at runtime: it costs import time
    from typing import Any

__all__ = ["Record", "set_field", "set_fields"]

set_field = object.__setattr__
"""Assign a field inside `__init__`, past the immutability guard."""


def set_fields(record: Record, fields: dict[str, Any]) -> None:
    """Assign every field from keyword arguments, for a Record whose `__init__` is
    `(self, **fields)`: a field missing or a name that is not a field is a TypeError."""
    missing = [name for name in record._field_names if name not in fields]
    unknown = sorted(set(fields) - set(record._field_names))
    if missing or unknown:
        problem = f"missing {', '.join(missing)}" if missing else f"no {', '.join(unknown)}"
        raise TypeError(f"{type(record).__name__}: field(s) {problem}")
    for name in record._field_names:
        set_field(record, name, fields[name])


class Record:
    """Immutable, slotted value object: compares by type and fields."""

    __slots__ = ()
    _field_names: tuple[str, ...] = ()
    """Every field, inherited ones first: a subclass may add none (`__slots__ = ()`)."""

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls._field_names = cls._field_names + tuple(cls.__dict__.get("__slots__", ()))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use .replace({name}=...)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._field_names)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._fields()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._field_names)
        return f"{type(self).__name__}({fields})"

    def __copy__(self) -> Record:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Record:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._fields()))

    def replace(self, **changes: Any) -> Any:
        """A copy with some fields changed (the only way to 'modify' a Record)."""
        clone = object.__new__(type(self))
        for name in self._field_names:
            set_field(clone, name, changes.pop(name) if name in changes else getattr(self, name))
        if changes:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(sorted(changes))}")
        return clone


def _rebuild(cls: type[Record], values: tuple[Any, ...]) -> Record:
    clone = object.__new__(cls)
    for name, value in zip(cls._field_names, values, strict=True):
        set_field(clone, name, value)
    return clone
