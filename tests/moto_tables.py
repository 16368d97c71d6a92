"""The in-process moto DynamoDB's tables copied and put back: what lets a test start from data built once per
process instead of building it again."""
from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import TypeVar

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

T = TypeVar("T")


def _backend():
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]


def item_counts() -> dict[str, int]:
    """How many items each table holds now."""
    return {name: len(table) for name, table in _backend().tables.items()}


class TablesSnapshot:
    """The moto tables as they were at `take()`, put back by `restore()`: a deep copy takes milliseconds, where
    building the same data again through the API takes seconds (for properties that start each example there)."""

    def __init__(self):
        self._tables: dict | None = None

    @property
    def taken(self) -> bool:
        return self._tables is not None

    def take(self) -> None:
        self._tables = copy.deepcopy(_backend().tables)

    def restore(self) -> None:
        _backend().tables = copy.deepcopy(self._tables)


class Seed:
    """Data a fixture builds on the tables: built by the first test of a process; for a later test whose tables hold
    as many items per table as the first one's did before the build, and for the same `key` (the organization it is
    built for), the tables as they were after the build put back as a copy, and a copy of what the build returned."""

    def __init__(self):
        self._before: tuple[dict[str, int], object] | None = None
        self._after = TablesSnapshot()
        self._value: object = None

    def value(self, build: Callable[[], T], key: object = None) -> T:
        before = (item_counts(), key)
        if self._after.taken and before == self._before:
            self._after.restore()
            return copy.deepcopy(self._value)  # type: ignore[return-value]
        value = build()
        self._before, self._value = before, copy.deepcopy(value)
        self._after.take()
        return value
