"""The in-memory twin of the UnitOfWork port (chalicelib/usecases/ports.py), which every fake stages its writes in."""
from __future__ import annotations

from collections.abc import Callable, Hashable

from chalicelib.domain.errors import StaleWrite
from chalicelib.usecases.ports import UnitOfWork


class OneItemTwice(Exception):
    """DynamoDB refuses a transaction that writes one item twice (a ValidationException): the caller's bug."""


class InMemoryUnitOfWork:
    """Staged writes, each of one item (its kind and key), with a condition, a change and the error a false condition
    means: `commit` refuses two writes of one item, checks every condition before it makes any change, and raises the
    first staged refusal that names an error (else StaleWrite), as DynamoDB's TransactWriteItems and
    chalicelib/store/unit_of_work.py do."""

    def __init__(self) -> None:
        self._writes: list[tuple[Callable[[], bool], Callable[[], None], Callable[[], Exception] | None]] = []
        self._items: list[Hashable] = []

    def add(self, condition: Callable[[], bool], change: Callable[[], None],
            refused: Callable[[], Exception] | None = None, *, item: Hashable) -> None:
        self._writes.append((condition, change, refused))
        self._items.append(item)

    def commit(self) -> None:
        if len(set(self._items)) < len(self._items):
            raise OneItemTwice(sorted({str(item) for item in self._items if self._items.count(item) > 1}))
        failed = [refused for condition, _, refused in self._writes if not condition()]
        if failed:
            raise next((refused for refused in failed if refused is not None), StaleWrite)()
        for _, change, _ in self._writes:
            change()


def in_memory(unit: UnitOfWork) -> InMemoryUnitOfWork:
    """The in-memory unit a fake stages in."""
    assert isinstance(unit, InMemoryUnitOfWork)
    return unit
