"""Values read at most once per key for the life of one request or one Lambda invocation: the per-request cache of
the use cases and readers that look the same record up many times. Not a rule, so it lives outside the domain; it
imports nothing of chalicelib."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class Memo(Generic[Key, Value]):
    """`read(key)` called once per key; its answer (None included) kept and given again."""

    def __init__(self, read: Callable[[Key], Value]):
        self._read = read
        self._values: dict[Key, Value] = {}

    def __call__(self, key: Key) -> Value:
        if key not in self._values:
            self._values[key] = self._read(key)
        return self._values[key]

    def answers(self) -> Mapping[Key, Value]:
        """Every key read so far with its answer."""
        return dict(self._values)
