"""A collection of records in the control table: one item per record under a sort-key prefix (by lago_id, a UUIDv7
so keys sort newest first), and the organization's live counter item behind `total_count`. Customers, test clocks,
billable metrics and plans read their records, their pages and their counts this one way."""
from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel

from chalicelib.store.dynamo import ControlTableRepository, to_attributes

Record = TypeVar("Record", bound=BaseModel)


class CountedRecordRepository(ControlTableRepository, Generic[Record]):
    model: ClassVar[type[BaseModel]]
    item_prefix: ClassVar[str]
    counter_sk: ClassVar[str]

    def get(self, organization_id: str, record_id: str) -> Record | None:
        item = self._get(organization_id, self.item_prefix + record_id)
        return self.model.model_validate(item) if item else None

    def count(self, organization_id: str) -> int:
        return self._live_count(organization_id, self.counter_sk)

    def list_page(self, organization_id: str, page: int, per_page: int) -> list[Record]:
        """Newest first. Page n reads the n * per_page newest records: DynamoDB has no offset."""
        return [self.model.model_validate(item)
                for item in self._newest_first_page(organization_id, self.item_prefix, page, per_page)]

    def _unused_delete(self, record: Record, uses_count: str) -> dict:
        """The transaction action deleting `record`'s item on condition that it is still at the version read and that
        nothing uses it (`uses_count` is 0: no subscription of a customer, no customer on a clock)."""
        return {"Delete": {"TableName": self._table, "Key": self._key(record.organization_id,
                                                                     self.item_prefix + record.id),
                           "ConditionExpression": f"version = :version AND {uses_count} = :zero",
                           "ExpressionAttributeValues": to_attributes({":version": record.version, ":zero": 0})}}
