"""The UnitOfWork port on DynamoDB: what the repositories stage is written by ONE TransactWriteItems, and a refused
condition becomes the domain error the write was staged with."""
from __future__ import annotations

from collections.abc import Callable

from botocore.client import BaseClient

from chalicelib.domain.errors import StaleWrite
from chalicelib.store.dynamo import TransactionCancelled, transact
from chalicelib.usecases.ports import UnitOfWork

# The error a refused write means (ExternalIdTaken, InvoiceAlreadyIssued, ...).
Refusal = Callable[[], Exception]


class DynamoUnitOfWork:
    def __init__(self, client: BaseClient) -> None:
        self._client = client
        self._actions: list[dict] = []
        self._refusals: dict[int, Refusal] = {}

    def add(self, *actions: dict, refused: Refusal | None = None) -> None:
        """Stage `actions`; when the first one's condition fails, the commit raises `refused()`."""
        if refused is not None and actions:
            self._refusals[len(self._actions)] = refused
        self._actions.extend(actions)

    def commit(self) -> None:
        try:
            transact(self._client, self._actions)
        except TransactionCancelled as cancelled:
            refusals = [self._refusals[index] for index in sorted(cancelled.failed) if index in self._refusals]
            raise (refusals[0]() if refusals else StaleWrite()) from cancelled


def on_dynamodb(unit: UnitOfWork) -> DynamoUnitOfWork:
    """The DynamoDB unit a repository stages in (a unit only ever holds writes of its own adapter)."""
    if not isinstance(unit, DynamoUnitOfWork):
        raise TypeError(f"a DynamoDB repository cannot stage in {type(unit).__name__}")
    return unit
