"""moto's global secondary indexes at the cost of what a Query selects, for the local stack and the tests (nothing
here runs in AWS). moto 5.2.5 answers a Query on an index by walking and sorting every item of the table: with
100,000 events stored, each count of a subscription's events (the biller's, GET /events') read them all.

Here each table keeps, per index that was queried, the keys of its items by their value of the index's partition
key, maintained by every write moto makes to an item (put, delete, update, a transaction's actions, and the items a
cancelled transaction puts back): a Query reads the items under its partition-key value, and moto's own query
answers over them (same items, order, pages, LastEvaluatedKey, filters and projection as over the whole table).
An index is built from the table's items on its first Query, so tables that moto makes otherwise (a restore) start
right too. Every request runs under moto_fixes' one lock: nothing here is read while it changes."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from moto.dynamodb import models
from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

# An item's key in its table: (hash key, range key or None).
ItemKey = tuple[DynamoType, DynamoType | None]


class PartitionKeys:
    """One index of one table: the keys of the items under each value of the index's partition-key attribute."""

    def __init__(self, attribute: str, items: Iterable[Item]):
        self.attribute = attribute
        self._keys_by_value: dict[DynamoType, dict[ItemKey, None]] = {}
        self._value_by_key: dict[ItemKey, DynamoType] = {}
        for item in items:
            self.put((item.hash_key, item.range_key), item)

    def put(self, key: ItemKey, item: Item | None) -> None:
        """Index the item now stored under `key` (None: none is)."""
        value = item.attrs.get(self.attribute) if item is not None else None
        old = self._value_by_key.get(key)
        if old is value or (old is not None and value is not None and old == value):
            return
        if old is not None:
            del self._keys_by_value[old][key]
            if not self._keys_by_value[old]:
                del self._keys_by_value[old]
            del self._value_by_key[key]
        if value is not None:
            self._keys_by_value.setdefault(value, {})[key] = None
            self._value_by_key[key] = value

    def keys(self, value: DynamoType) -> list[ItemKey]:
        return list(self._keys_by_value.get(value, ()))


def _indexes(table: Table) -> dict[str, PartitionKeys]:
    """The table's built indexes by name (held on the table itself)."""
    indexes: dict[str, PartitionKeys] | None = table.__dict__.get("_partition_keys")
    if indexes is None:
        indexes = table.__dict__["_partition_keys"] = {}
    return indexes


def _stored(table: Table, key: ItemKey) -> Item | None:
    hash_key, range_key = key
    partition = table.items.get(hash_key)
    if range_key is None or partition is None:
        return partition  # type: ignore[return-value]
    return partition.get(range_key)  # type: ignore[union-attr]


def reindex(table: Table, key: ItemKey) -> None:
    """Bring the table's built indexes up to date with what is stored under `key`."""
    indexes = _indexes(table)
    if indexes:
        item = _stored(table, key)
        for index in indexes.values():
            index.put(key, item)


def items_under(table: Table, index_name: str, attribute: str, value: DynamoType) -> list[Item] | None:
    """The items whose `attribute` (the index's partition key) is `value`, or None when `attribute` is not the
    index's first partition-key attribute (moto's own walk answers then)."""
    index = next((each for each in table.all_indexes() if each.name == index_name), None)
    if index is None:
        return None
    partition_key = next((key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"), None)
    if partition_key != attribute:
        return None
    indexes = _indexes(table)
    if index_name not in indexes:
        indexes[index_name] = PartitionKeys(attribute, table.all_items())
    found = (_stored(table, key) for key in indexes[index_name].keys(value))
    return [item for item in found if item is not None]


def _indexed_put(original: Callable[..., Item]) -> Callable[..., Item]:
    def put_item(self: Table, *arguments: Any, **options: Any) -> Item:
        item = original(self, *arguments, **options)
        reindex(self, (item.hash_key, item.range_key))
        return item
    return put_item


def _indexed_delete(original: Callable[..., Item | None]) -> Callable[..., Item | None]:
    def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None, *arguments: Any,
                    **options: Any) -> Item | None:
        try:
            return original(self, hash_key, range_key, *arguments, **options)
        finally:
            reindex(self, (hash_key, range_key))
    return delete_item


def _indexed_update(original: Callable[..., Item]) -> Callable[..., Item]:
    """An update changes its item in place: the item is indexed again afterwards, written or not."""
    def update_item(self: models.DynamoDBBackend, table_name: str, key: dict[str, Any], *arguments: Any,
                    **options: Any) -> Item:
        table = self.get_table(table_name)
        try:
            item_key = self.get_keys_value(table, key)
        except MockValidationException:
            return original(self, table_name, key, *arguments, **options)  # moto's own refusal
        try:
            return original(self, table_name, key, *arguments, **options)
        finally:
            reindex(table, item_key)
    return update_item


def install() -> None:
    """Idempotent. A transaction's actions are moto's puts, deletes and updates; the items a cancelled one puts back
    are indexed again by moto_fixes (`reindex`)."""
    if getattr(Table.put_item, "indexed", False):
        return
    Table.put_item = _indexed_put(Table.put_item)  # type: ignore[method-assign]
    Table.delete_item = _indexed_delete(Table.delete_item)  # type: ignore[method-assign]
    models.DynamoDBBackend.update_item = _indexed_update(models.DynamoDBBackend.update_item)  # type: ignore
    Table.put_item.indexed = True  # type: ignore[attr-defined]
