"""The shape shared by billable metrics and plans in the control table: a counted record (counted_records.py),
its code lookup item, and a deleted copy kept for the records that still refer to it.

Writes are optimistic: a record is replaced or deleted only at the `version` it was read at, and with
the counts other writers change by ADD (`guarded_counts`) still at the values read, so a whole-item put
never overwrites a concurrent increment."""
from __future__ import annotations

from typing import ClassVar

from chalicelib.domain.errors import CodeTaken, StaleWrite
from chalicelib.store import keys
from chalicelib.store.counted_records import CountedRecordRepository, Record
from chalicelib.store.dynamo import TransactionCancelled, to_attributes, transact
from chalicelib.store.lookups import Lookup
from chalicelib.store.setup_version import setup_change


class CodedRecordRepository(CountedRecordRepository[Record]):
    """A kind of coded record: a subclass names its keys (`record_keys`) and the attribute of the code's lookup item
    that holds the record's lago_id; the prefixes, the counter and the lookup follow from them."""

    record_keys: ClassVar[keys.CodedRecords]
    lookup_id_attribute: ClassVar[str]  # "plan_id"
    deleted_item_prefix: ClassVar[str]
    code_lookup: ClassVar[Lookup]
    guarded_counts: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.item_prefix = cls.record_keys.item_prefix
        cls.deleted_item_prefix = cls.record_keys.deleted_prefix
        cls.counter_sk = cls.record_keys.counter_sk
        cls.code_lookup = Lookup(cls.record_keys.code_sk, "code", cls.lookup_id_attribute)

    def _item(self, record: Record, prefix: str) -> dict:
        return {"pk": keys.organization_pk(record.organization_id), "sk": prefix + record.id, **record.model_dump()}

    def find_by_code(self, organization_id: str, code: str) -> Record | None:
        record_id = self.code_lookup.record_id(self._get(organization_id, self.code_lookup.sort_key(code)), code)
        return self.get(organization_id, record_id) if record_id else None

    def _as_read(self, record: Record) -> tuple[str, dict]:
        """The condition that `record`'s item is still as it was read (same version and guarded counts)."""
        values = {":expected_version": record.version}
        condition = "version = :expected_version"
        for name in self.guarded_counts:
            values[f":read_{name}"] = getattr(record, name)
            condition += f" AND {name} = :read_{name}"
        return condition, values

    def _write(self, actions: list[dict], lookup_index: int | None) -> None:
        try:
            transact(self._client, actions)
        except TransactionCancelled as cancelled:
            if lookup_index is not None and lookup_index in cancelled.failed:
                raise CodeTaken() from cancelled
            raise StaleWrite() from cancelled

    def _insert(self, record: Record, related: list[dict]) -> None:
        """Create `record`, its code lookup and count it, with the `related` actions in the same transaction."""
        organization_id = record.organization_id
        self._write([
            {"Put": {"TableName": self._table, "Item": to_attributes(self._item(record, self.item_prefix)),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            self.code_lookup.put(self._table, organization_id, record.code, record.id),
            self._live_count_change(organization_id, self.counter_sk, 1),
            *related,
            setup_change(organization_id),
        ], lookup_index=1)

    def _replace(self, previous: Record, record: Record, related: list[dict]) -> None:
        """Replace `previous` (as read) by `record`, moving the code lookup if the code changed."""
        condition, values = self._as_read(previous)
        actions = [{"Put": {"TableName": self._table, "Item": to_attributes(self._item(record, self.item_prefix)),
                            "ConditionExpression": condition, "ExpressionAttributeValues": to_attributes(values)}}]
        if record.code != previous.code:
            actions.append(self.code_lookup.put(self._table, record.organization_id, record.code, record.id))
            actions.append(self.code_lookup.delete(self._table, previous.organization_id, previous.code,
                                                   previous.id))
        self._write([*actions, *related, setup_change(record.organization_id)],
                    lookup_index=1 if record.code != previous.code else None)

    def _remove(self, record: Record, related: list[dict]) -> None:
        """Move `record` (as read) to its deleted key, free its code and uncount it."""
        condition, values = self._as_read(record)
        organization_id = record.organization_id
        self._write([
            {"Delete": {"TableName": self._table, "Key": self._key(organization_id, self.item_prefix + record.id),
                        "ConditionExpression": condition, "ExpressionAttributeValues": to_attributes(values)}},
            {"Put": {"TableName": self._table,
                     "Item": to_attributes(self._item(record, self.deleted_item_prefix))}},
            self.code_lookup.delete(self._table, organization_id, record.code, record.id),
            self._live_count_change(organization_id, self.counter_sk, -1),
            *related,
            setup_change(organization_id),
        ], lookup_index=None)
