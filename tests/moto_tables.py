"""The in-process moto DynamoDB's tables copied and put back: what lets a test start from data built once per
process instead of building it again."""
from __future__ import annotations

import copy
import os

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends


class TablesSnapshot:
    """The moto tables as they were at `take()`, put back by `restore()`: a deep copy takes milliseconds, where
    building the same data again through the API takes seconds (for properties that start each example there)."""

    def __init__(self):
        self._tables: dict | None = None

    @staticmethod
    def _backend():
        return dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]

    @property
    def taken(self) -> bool:
        return self._tables is not None

    def tables_are_empty(self) -> bool:
        """Whether no table holds an item (nothing a restore could wipe out)."""
        return not any(len(table) for table in self._backend().tables.values())

    def take(self) -> None:
        self._tables = copy.deepcopy(self._backend().tables)

    def restore(self) -> None:
        self._backend().tables = copy.deepcopy(self._tables)
