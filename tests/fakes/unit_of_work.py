"""The in-memory twin of the UnitOfWork port (chalicelib/usecases/ports.py), which every fake stages its writes in."""
from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.errors import StaleWrite
from chalicelib.usecases.ports import UnitOfWork


class InMemoryUnitOfWork:
    """Staged writes, each a condition, a change and the error a false condition means: `commit` checks every
    condition before it makes any change, and raises the first staged refusal that names an error (else
    StaleWrite), as DynamoDB's TransactWriteItems and chalicelib/store/unit_of_work.py do."""

    def __init__(self) -> None:
        self._writes: list[tuple[Callable[[], bool], Callable[[], None], Callable[[], Exception] | None]] = []

    def add(self, condition: Callable[[], bool], change: Callable[[], None],
            refused: Callable[[], Exception] | None = None) -> None:
        self._writes.append((condition, change, refused))

    def commit(self) -> None:
        failed = [refused for condition, _, refused in self._writes if not condition()]
        if failed:
            raise next((refused for refused in failed if refused is not None), StaleWrite)()
        for _, change, _ in self._writes:
            change()


def in_memory(unit: UnitOfWork) -> InMemoryUnitOfWork:
    """The in-memory unit a fake stages in."""
    assert isinstance(unit, InMemoryUnitOfWork)
    return unit
