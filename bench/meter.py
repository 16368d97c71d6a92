"""Counting DynamoDB's requests and request units in process, on moto: botocore's `before-call`/`after-call` events
on every client the app builds (registered on boto3's default session, which they copy), and item sizes read from
moto's backend directly (so the counting sends no request of its own). The unit rules: bench/request_units.py."""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from bench.request_units import (
    TRANSACTION_FACTOR,
    batch_read_units,
    index_entry,
    index_write_units,
    item_size,
    read_units,
    write_units,
)

# Positions of moto's Table.query and Table.scan arguments that filter or project what was read.
_QUERY_PROJECTION, _QUERY_FILTER = 6, 9
_SCAN_FILTER, _SCAN_PROJECTION = 3, 6


@dataclass
class Counts:
    """What a measured stretch cost: DynamoDB requests by operation, write and read units, and the requests to
    DynamoDB Streams the app itself made (Lambda's own stream reads for a trigger are not billed)."""

    requests: Counter = field(default_factory=Counter)
    write_units: int = 0
    read_units: Decimal = Decimal(0)
    stream_requests: int = 0
    seconds_in_requests: float = 0.0

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def as_dict(self) -> dict[str, Any]:
        return {"requests": self.total_requests, "requests_by_operation": dict(sorted(self.requests.items())),
                "write_units": self.write_units, "read_units": float(self.read_units),
                "stream_requests": self.stream_requests}


def _backend():
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ.get("AWS_DEFAULT_REGION", "us-east-1")]


def _table(name: str) -> Table:
    return _backend().get_table(name)


def _stored(table: Table, key: dict) -> dict | None:
    """The item under `key` as moto holds it now, in the wire format."""
    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    try:
        item = table.get_item(hash_key, range_key)
    except KeyError:
        return None
    return item.to_json()["Attributes"] if item else None


def _key_of(table: Table, item: dict) -> dict:
    return {name: item[name] for name in (table.hash_key_attr, table.range_key_attr) if name}


def _writes_of(operation: str, body: dict) -> list[tuple[str, dict]]:
    """(table, key) of every item a write request changes."""
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        table = _table(body["TableName"])
        return [(body["TableName"], body["Key"] if "Key" in body else _key_of(table, body["Item"]))]
    if operation == "TransactWriteItems":
        targets = []
        for action in body["TransactItems"]:
            (kind, detail), = action.items()
            if kind != "ConditionCheck":
                key = detail["Key"] if "Key" in detail else _key_of(_table(detail["TableName"]), detail["Item"])
                targets.append((detail["TableName"], key))
        return targets
    if operation == "BatchWriteItem":
        return [(name, request["DeleteRequest"]["Key"] if "DeleteRequest" in request
                 else _key_of(_table(name), request["PutRequest"]["Item"]))
                for name, requests in body["RequestItems"].items() for request in requests]
    return []


def _item_write_units(table_name: str, before: dict | None, after: dict | None) -> int:
    """The table's write of one item and the writes it causes in each global secondary index."""
    table = _table(table_name)
    table_keys = tuple(name for name in (table.hash_key_attr, table.range_key_attr) if name)
    units = write_units(before, after)
    for index in table.global_indexes:
        index_keys = tuple(index.schema_key_attrs)
        projection = index.projection.get("ProjectionType", "ALL")
        included = tuple(index.projection.get("NonKeyAttributes", ()))
        old, new = (index_entry(item, table_keys, index_keys, projection, included) for item in (before, after))
        key_changed = bool(old and new) and any(old[name] != new[name] for name in index_keys)
        units += index_write_units(old, new, key_changed)
    return units


class Meter:
    """Counts while `counting()` is on; `take()` returns what was counted and starts again."""

    def __init__(self) -> None:
        self.active = False
        self.counts = Counts()
        self._scanned: list[int] = []
        self._started = 0.0

    def install(self) -> None:
        events = boto3._get_default_session()._session.get_component("event_emitter")
        events.register("before-call", self._before, unique_id="bench-meter-before")
        events.register("after-call", self._after, unique_id="bench-meter-after")
        if not getattr(Table.query, "metered", False):
            self._wrap_reads()

    def take(self) -> Counts:
        counts, self.counts = self.counts, Counts()
        return counts

    def _wrap_reads(self) -> None:
        """moto's Query and Scan read once more without filter and projection while counting: the items read
        before the filter are what DynamoDB charges for."""
        meter = self
        original_query, original_scan = Table.query, Table.scan

        def unfiltered(arguments: tuple, positions: tuple[int, ...], options: dict) -> tuple[tuple, dict]:
            arguments = tuple(None if index in positions else value for index, value in enumerate(arguments))
            return arguments, {name: value for name, value in options.items()
                               if name not in ("filter_expression", "projection_expression",
                                               "projection_expressions")}

        def query(self: Table, *arguments: Any, **options: Any) -> Any:
            if meter.active:
                read, extra = unfiltered(arguments, (_QUERY_PROJECTION, _QUERY_FILTER), options)
                items = original_query(self, *read, **extra)[0]
                meter._scanned.extend(item_size(item.to_json()["Attributes"]) for item in items)
            return original_query(self, *arguments, **options)

        def scan(self: Table, *arguments: Any, **options: Any) -> Any:
            if meter.active:
                read, extra = unfiltered(arguments, (_SCAN_FILTER, _SCAN_PROJECTION), options)
                items = original_scan(self, *read, **extra)[0]
                meter._scanned.extend(item_size(item.to_json()["Attributes"]) for item in items)
            return original_scan(self, *arguments, **options)

        query.metered = scan.metered = True  # type: ignore[attr-defined]
        Table.query, Table.scan = query, scan  # type: ignore[method-assign]

    def _before(self, model: Any, params: dict, context: dict, **_: Any) -> None:
        if not self.active:
            return
        self._started = time.perf_counter()
        if model.service_model.service_name != "dynamodb":
            return
        body = json.loads(params["body"] or b"{}")
        targets = _writes_of(model.name, body)
        context["bench"] = (body, [(name, key, _stored(_table(name), key)) for name, key in targets])
        self._scanned = []

    def _after(self, model: Any, http_response: Any, parsed: dict, context: dict, **_: Any) -> None:
        if not self.active:
            return
        try:
            self._count(model, http_response, context)
        finally:  # the counting's own work is not the app's CPU either
            self.counts.seconds_in_requests += time.perf_counter() - self._started

    def _count(self, model: Any, http_response: Any, context: dict) -> None:
        if model.service_model.service_name != "dynamodb":
            self.counts.stream_requests += 1
            return
        operation = model.name
        self.counts.requests[operation] += 1
        body, befores = context.get("bench", ({}, []))
        succeeded = http_response.status_code < 300
        factor = TRANSACTION_FACTOR if operation.startswith("Transact") else 1
        for name, key, before in befores:
            after = _stored(_table(name), key) if succeeded else before
            self.counts.write_units += factor * (_item_write_units(name, before, after) if succeeded
                                                 else write_units(before, None))
        self.counts.read_units += self._read_units(operation, body)

    def _read_units(self, operation: str, body: dict) -> Decimal:
        consistent = bool(body.get("ConsistentRead"))
        if operation == "GetItem":
            return read_units([item_size(_stored(_table(body["TableName"]), body["Key"]))], consistent)
        if operation in ("Query", "Scan"):
            return read_units(self._scanned, consistent)
        if operation == "BatchGetItem":
            return sum((batch_read_units([item_size(_stored(_table(name), key)) for key in request["Keys"]],
                                         bool(request.get("ConsistentRead")))
                        for name, request in body["RequestItems"].items()), Decimal(0))
        if operation == "TransactGetItems":
            return TRANSACTION_FACTOR * batch_read_units(
                [item_size(_stored(_table(get["Get"]["TableName"]), get["Get"]["Key"]))
                 for get in body["TransactItems"]], True)
        return Decimal(0)


METER = Meter()


class counting:
    """`with counting() as measured:` the requests and units of the block, in `measured.counts` after it."""

    def __enter__(self) -> counting:
        METER.take()
        METER.active = True
        return self

    def __exit__(self, *_: Any) -> None:
        METER.active = False
        self.counts = METER.take()


def stored_bytes(table_name: str, items: int) -> int:
    """What the first `items` items of a table occupy, as DynamoDB bills storage: each item and each of its index
    entries with 100 bytes of overhead."""
    table = _table(table_name)
    table_keys = tuple(name for name in (table.hash_key_attr, table.range_key_attr) if name)
    total = 0
    stored = (item for partition in table.items.values() for item in partition.values())
    for _, item in zip(range(items), stored, strict=False):
        attributes = item.to_json()["Attributes"]
        total += item_size(attributes) + 100
        for index in table.global_indexes:
            entry = index_entry(attributes, table_keys, tuple(index.schema_key_attrs),
                                index.projection.get("ProjectionType", "ALL"),
                                tuple(index.projection.get("NonKeyAttributes", ())))
            total += item_size(entry) + 100 if entry is not None else 0
    return total
