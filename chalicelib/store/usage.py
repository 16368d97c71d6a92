"""Usage aggregates in the usage table: what the stream aggregator writes, and what current usage, the biller and
`rebuild-usage` read. Data model: docs/data-model.md ("Usage table").

Interface for readers (current usage, the biller):
- `repositories().usage` is a `UsageRepository`.
- `UsageRepository.period_aggregates(organization_id, subscription_id, period_start_ms)`
  -> `dict[(charge_id, bucket, group), StoredAggregate]`: ONE Query (paginated past 1 MB) for the period's aggregates,
  a metered unique count's summary (`ActiveValues`) among them; a recurring one's sits with the "before start"
  aggregates (`BEFORE_START_PERIOD_MS`). `stored_values` reads a unique count's values, where the summary does not
  answer the window (docs/aggregations.md).
  `subscription_id` is the subscription's lago_id; `period_start_ms` the start of the FULL charges period,
  `epoch_ms(terms.charges_periods.period_at(instant).start)` (not the window clipped at `started_at`).
  The period's applied-events counter is not among them: `applied_events` reads it (the biller's check).
- `StoredAggregate.state` is the pure aggregation's state type (int for count, `Totals`, `Moments`, `Maximum`,
  `Latest`, unique count `ActiveValues`, its summary); feed it to
  `aggregation.result(combine(state, opening_state(...)), window)`.
  `events_count` is the number of events applied (a unique count's summary: its active values); a missing key means
  no usage.
- `bucket_key(charge_filter_values)`: "default" for None, else a stable short hash of the filter's `values`.
- A grouped bucket (`pricing_group_keys`) keeps one aggregate per pricing group: `AggregateKey.group` and the keys
  of `period_aggregates` (charge_id, bucket, group) carry it; `()` for an ungrouped bucket.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from chalicelib.domain.aggregate_keys import (
    APPLIED_EVENTS_CHARGE,
    AggregateItem,
    AggregateKey,
    StoredAggregate,
    WatermarkConflict,
    applied_events_key,
    is_additive,
    padded_sequence,
)
from chalicelib.domain.aggregations.latest import Latest
from chalicelib.domain.aggregations.max import Maximum
from chalicelib.domain.aggregations.moments import Moments
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.aggregations.unique_count import ActiveValues, CountedValue, Operation, ValueWrite
from chalicelib.domain.errors import StaleWrite
from chalicelib.domain.pricing.groups import UNGROUPED, PricingGroup
from chalicelib.domain.pricing.transactions import Transaction, Transactions
from chalicelib.store import keys
from chalicelib.store.dynamo import (
    BATCH_GET_LIMIT,
    TransactionCancelled,
    from_attributes,
    is_condition_failure,
    number,
    to_attributes,
    transact,
)
from chalicelib.store.keys import SEPARATOR
from chalicelib.store.tables import USAGE
from chalicelib.usage.ports import Revised

WATERMARK_PREFIX = "watermark#"
TRANSACTION_VALUES = 99  # values per TransactWriteItems: DynamoDB's 100 actions, one of them the summary's


def group_of(item: Mapping[str, Any]) -> PricingGroup:
    """The pricing group stored on an item (its JSON text: the values in key order, nulls kept)."""
    return tuple((key, value) for key, value in json.loads(item["pricing_group"])) if "pricing_group" in item \
        else UNGROUPED


def group_attribute(group: PricingGroup) -> str | None:
    return json.dumps(group, ensure_ascii=False) if group != UNGROUPED else None


def encode_operation(operation: Operation) -> str:
    return f"{operation.timestamp_ms:0{keys.PERIOD_DIGITS}d}{SEPARATOR}{'add' if operation.is_add else 'remove'}" \
           f"{SEPARATOR}{operation.transaction_id}"


def decode_operation(text: str) -> Operation:
    timestamp, kind, transaction_id = text.split(SEPARATOR, 2)
    return Operation(int(timestamp), transaction_id, kind == "add")


# ------------------------------------------------------------------------------------- stored forms of states
def state_kind(state: Any) -> str:
    for kind, state_type in (("count", int), ("totals", Totals), ("moments", Moments), ("maximum", Maximum),
                             ("latest", Latest), ("transactions", Transactions), ("active_values", ActiveValues)):
        if isinstance(state, state_type) and not isinstance(state, bool):
            return kind
    raise TypeError(f"no stored form for {state!r}")


def events_count_of(state: Any) -> int:
    return state if isinstance(state, int) else state.events_count


def _additive_fields(state: Any) -> dict[str, Any]:
    if isinstance(state, int):
        return {"events_count": state}
    fields = {"total": state.total, "events_count": state.events_count}
    if isinstance(state, Moments):
        fields["moment"] = state.moment
    return fields


def _replaced_fields(state: Any) -> dict[str, Any]:
    """SET fields of a max/latest/transactions state (None values are REMOVEd, as DynamoDB keeps no nulls here)."""
    if isinstance(state, Maximum):
        return {"maximum": state.value}
    if isinstance(state, Transactions):
        return {"transactions": _encode_transactions(state)}
    return {"latest_value": state.value, "latest_timestamp_ms": state.timestamp_ms,
            "latest_transaction_id": state.transaction_id}


def state_from_item(item: Mapping[str, Any]) -> Any:
    kind, count = item["state_kind"], number(item.get("events_count", 0))
    if kind == "count":
        return count
    if kind == "totals":
        return Totals(Decimal(item.get("total", 0)), count)
    if kind == "moments":
        return Moments(Decimal(item.get("total", 0)), Decimal(item.get("moment", 0)), count)
    if kind == "maximum":
        return Maximum(item.get("maximum"), count)
    if kind == "transactions":
        return _decode_transactions(item["transactions"], count)
    if kind == "active_values":
        return ActiveValues(number(item.get("active", 0)), _numbers(item.get("period_ends", ())))
    timestamp = item.get("latest_timestamp_ms")
    return Latest(item.get("latest_value"), None if timestamp is None else number(timestamp),
                  item.get("latest_transaction_id"), count)


def _numbers(stored: Iterable[Any]) -> frozenset[int]:
    return frozenset(number(each) for each in stored)


def counted_value_of(item: Mapping[str, Any]) -> CountedValue:
    """A unique-count value item as stored (one written before the counted form has counted nothing)."""
    return CountedValue(frozenset(decode_operation(text) for text in item.get("operations", ())),
                        _numbers(item.get("period_ends", ())), number(item.get("counted", 0)))


def _encode_transactions(state: Transactions) -> str:
    """A percentage bucket's `Transactions` as JSON text (decimals as strings: a per-transaction total may need
    more than the 38 digits of a DynamoDB number)."""
    return json.dumps({"fingerprint": state.fingerprint, "complete": state.complete,
                       "total": str(state.transactions_total),
                       "leading": [[each.timestamp_ms, each.transaction_id, str(each.value)]
                                   for each in state.leading]},
                      separators=(",", ":"), ensure_ascii=False)


def _decode_transactions(text: str, events_count: int) -> Transactions:
    fields = json.loads(text)
    return Transactions(events_count, fields["fingerprint"],
                        tuple(Transaction(timestamp_ms, transaction_id, Decimal(value))
                              for timestamp_ms, transaction_id, value in fields["leading"]),
                        Decimal(fields["total"]), fields["complete"])


def aggregate_item(item: Mapping[str, Any]) -> AggregateItem:
    """An aggregate item as read: its state, shard watermarks and revision."""
    watermarks = {name[len(WATERMARK_PREFIX):]: value for name, value in item.items()
                  if name.startswith(WATERMARK_PREFIX)}
    return AggregateItem(state_from_item(item), watermarks, number(item.get("revision", 0)))


class UsageRepository:
    def __init__(self, client: BaseClient) -> None:
        self._client = client

    @property
    def _table(self) -> str:
        return USAGE.name

    def _key(self, organization_id: str, subscription_id: str, sort_key: str) -> dict:
        return to_attributes({"pk": keys.usage_pk(organization_id, subscription_id), "sk": sort_key})

    def _query(self, organization_id: str, subscription_id: str, prefix: str) -> list[dict]:
        query = {"TableName": self._table, "ConsistentRead": True,
                 "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                 "ExpressionAttributeValues": to_attributes({":pk": keys.usage_pk(organization_id, subscription_id),
                                                             ":prefix": prefix})}
        return [from_attributes(item) for page in self._client.get_paginator("query").paginate(**query)
                for item in page["Items"]]

    # ------------------------------------------------------------------------------------------- reads
    def period_aggregates(self, organization_id: str, subscription_id: str, period_start_ms: int
                          ) -> dict[tuple[str, str, PricingGroup], StoredAggregate]:
        """The aggregates of one charges period by (charge_id, bucket, group); see the module docstring."""
        found: dict[tuple[str, str, PricingGroup], StoredAggregate] = {}
        prefix = keys.period_prefix(keys.AGGREGATE_PREFIX, period_start_ms)
        for item in self._query(organization_id, subscription_id, prefix):
            if item["charge_id"] == APPLIED_EVENTS_CHARGE:
                continue
            state = state_from_item(item)
            found[(item["charge_id"], item["bucket"], group_of(item))] = StoredAggregate(
                state, events_count_of(state), _bound(item, "window_start_ms"), _bound(item, "period_end_ms"))
        return found

    def stored_values(self, organization_id: str, subscription_id: str, period_start_ms: int | None = None
                      ) -> dict[AggregateKey, dict[str, CountedValue]]:
        """The unique-count values of the subscription stored under one period (None: every period), by (period,
        charge, bucket): ONE Query (paginated past 1 MB: its cost grows with the values)."""
        prefix = keys.VALUE_PREFIX if period_start_ms is None \
            else keys.period_prefix(keys.VALUE_PREFIX, period_start_ms)
        values: dict[AggregateKey, dict[str, CountedValue]] = {}
        for item in self._query(organization_id, subscription_id, prefix):
            key = AggregateKey(organization_id, subscription_id, keys.period_of(item["sk"]), item["charge_id"],
                               item["bucket"], group_of(item))
            values.setdefault(key, {})[item["value"]] = counted_value_of(item)
        return values

    def counted_values(self, key: AggregateKey, values: Iterable[str]) -> dict[str, Revised[CountedValue]]:
        """A bucket's unique-count values with their revisions (0: absent): strongly consistent BatchGetItems of up
        to 100 keys, repeated for the keys DynamoDB leaves unprocessed."""
        by_key = {keys.value_sk(key, value): value for value in values}
        found = dict.fromkeys(by_key.values(), Revised(CountedValue(), 0))
        ordered = list(by_key)
        for first in range(0, len(ordered), BATCH_GET_LIMIT):
            request = {self._table: {"ConsistentRead": True, "Keys": [
                self._key(key.organization_id, key.subscription_id, sort_key)
                for sort_key in ordered[first:first + BATCH_GET_LIMIT]]}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for item in map(from_attributes, response["Responses"].get(self._table, [])):
                    found[by_key[item["sk"]]] = Revised(counted_value_of(item), number(item.get("revision", 0)))
                request = response.get("UnprocessedKeys") or {}
        return found

    def applied_events(self, organization_id: str, subscription_id: str, period_start_ms: int) -> int:
        """How many events the aggregator has applied to the period (every event of the window, billed by a charge
        or not): ONE strongly consistent GetItem."""
        item = self.get_aggregate(applied_events_key(organization_id, subscription_id, period_start_ms))
        return item.state if item else 0

    def get_aggregate(self, key: AggregateKey) -> AggregateItem | None:
        response = self._client.get_item(TableName=self._table, ConsistentRead=True,
                                         Key=self._key(key.organization_id, key.subscription_id, _sort_key(key)))
        return aggregate_item(from_attributes(response["Item"])) if "Item" in response else None

    def all_aggregates(self, organization_id: str, subscription_id: str) -> dict[AggregateKey, AggregateItem]:
        """Every aggregate of a subscription (rebuild-usage): one Query."""
        found = {}
        for item in self._query(organization_id, subscription_id, keys.AGGREGATE_PREFIX):
            key = AggregateKey(organization_id, subscription_id, number(item["period_start_ms"]),
                               item["charge_id"], item["bucket"], group_of(item))
            found[key] = aggregate_item(item)
        return found

    # ------------------------------------------------------------------------------------------ writes
    def apply(self, key: AggregateKey, state: Any, *, shard: str, first_sequence: str, last_sequence: str,
              window_start_ms: int, period_end_ms: int, read: AggregateItem | None = None,
              read_done: bool = False, settled_shards: Iterable[str] = ()) -> None:
        """ONE conditional UpdateItem applying a group of records of one shard: additive forms by ADD; max and
        latest by SET of `state` (already combined with `read`, the item as read, which must still be at its
        revision). Advances the shard's watermark to `last_sequence`, on condition that it is absent or below
        `first_sequence`, and removes the watermarks of `settled_shards` (the shard's ancestors, read to their
        end before it: keeping them would grow the item with every shard roll-over). Raises WatermarkConflict
        when the condition fails."""
        names = {"#wm": WATERMARK_PREFIX + shard, "#bucket": "bucket", "#rev": "revision"}
        values: dict[str, Any] = {":first": padded_sequence(first_sequence), ":last": padded_sequence(last_sequence),
                                  ":one": 1, ":kind": state_kind(state), ":charge": key.charge_id,
                                  ":bucket": key.bucket, ":period": key.period_start_ms,
                                  ":window_start": window_start_ms, ":period_end": period_end_ms}
        sets = ["#wm = :last", "state_kind = :kind", "charge_id = :charge", "#bucket = :bucket",
                "period_start_ms = :period", "window_start_ms = :window_start", "period_end_ms = :period_end"]
        if (group := group_attribute(key.group)) is not None:
            values[":group"] = group
            sets.append("pricing_group = :group")
        adds, removes = ["#rev :one"], []
        for index, settled in enumerate(shard_id for shard_id in settled_shards if shard_id != shard):
            names[f"#settled{index}"] = WATERMARK_PREFIX + settled
            removes.append(f"#settled{index}")
        condition = "(attribute_not_exists(#wm) OR #wm < :first)"
        if is_additive(state):
            for index, (name, value) in enumerate(_additive_fields(state).items()):
                names[f"#a{index}"], values[f":a{index}"] = name, value
                adds.append(f"#a{index} :a{index}")
        else:
            if not read_done:
                raise ValueError("a max/latest aggregate is SET from the item as read")
            for index, (name, value) in enumerate(_replaced_fields(state).items()):
                names[f"#s{index}"] = name
                if value is None:
                    removes.append(f"#s{index}")
                else:
                    values[f":s{index}"] = value
                    sets.append(f"#s{index} = :s{index}")
            values[":count"] = events_count_of(state)
            sets.append("events_count = :count")
            if read is None:
                condition += " AND attribute_not_exists(#rev)"
            else:
                values[":revision"] = read.revision
                condition += " AND #rev = :revision"
        expression = "SET " + ", ".join(sets) + " ADD " + ", ".join(adds)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        try:
            self._client.update_item(TableName=self._table,
                                     Key=self._key(key.organization_id, key.subscription_id, _sort_key(key)),
                                     UpdateExpression=expression, ConditionExpression=condition,
                                     ExpressionAttributeNames=names, ExpressionAttributeValues=to_attributes(values))
        except ClientError as error:
            if is_condition_failure(error):
                raise WatermarkConflict(key) from error
            raise

    def _value_item(self, key: AggregateKey, value: str, written: CountedValue, revision: int) -> dict:
        item = {"pk": keys.usage_pk(key.organization_id, key.subscription_id), "sk": keys.value_sk(key, value),
                "charge_id": key.charge_id, "bucket": key.bucket, "value": value,
                "pricing_group": group_attribute(key.group), "counted": written.counted, "revision": revision,
                "operations": {encode_operation(op) for op in written.operations},
                "period_ends": set(written.period_ends_ms) or None}
        return to_attributes({name: field for name, field in item.items() if field is not None})

    def _value_put(self, key: AggregateKey, value: str, write: ValueWrite) -> dict:
        """The value's Put, conditioned on the revision it was read at."""
        condition, values = "attribute_not_exists(#rev)", {}
        if write.read_revision:
            condition, values = "#rev = :revision", {":revision": write.read_revision}
        put = {"TableName": self._table, "Item": self._value_item(key, value, write.written, write.read_revision + 1),
               "ConditionExpression": condition, "ExpressionAttributeNames": {"#rev": "revision"}}
        if values:
            put["ExpressionAttributeValues"] = to_attributes(values)
        return put

    def write_values(self, key: AggregateKey, writes: Mapping[str, ValueWrite]) -> None:
        """A value that moves nothing in its summary: one conditional PutItem. The others: TransactWriteItems of up
        to 99 values' Puts and ONE UpdateItem ADDing their changes to the bucket's summary item (`AGG#`, under the
        values' period), DynamoDB's 100 actions. StaleWrite when a value moved since it was read, or another
        transaction held one (its transaction wrote nothing; those before it are written)."""
        moving = [(value, write) for value, write in writes.items() if write.change != ActiveValues()]
        try:
            for value, write in writes.items():
                if write.change == ActiveValues():
                    self._client.put_item(**self._value_put(key, value, write))
            for first in range(0, len(moving), TRANSACTION_VALUES):
                chunk = moving[first:first + TRANSACTION_VALUES]
                summary = sum((write.change for _, write in chunk), ActiveValues())
                transact(self._client, [{"Put": self._value_put(key, value, write)} for value, write in chunk]
                         + [{"Update": self._summary_move(key, summary)}])
        except ClientError as error:
            if is_condition_failure(error):
                raise StaleWrite() from error
            raise
        except TransactionCancelled as cancelled:
            if cancelled.failed or cancelled.contended:
                raise StaleWrite() from cancelled
            raise

    def _summary_move(self, key: AggregateKey, summary: ActiveValues) -> dict:
        names = {"#bucket": "bucket", "#rev": "revision"}
        values: dict[str, Any] = {":kind": state_kind(summary), ":charge": key.charge_id, ":bucket": key.bucket,
                                  ":period": key.period_start_ms, ":count": summary.count, ":one": 1}
        sets = ["state_kind = :kind", "charge_id = :charge", "#bucket = :bucket", "period_start_ms = :period"]
        if (group := group_attribute(key.group)) is not None:
            values[":group"] = group
            sets.append("pricing_group = :group")
        adds = ["active :count", "#rev :one"]
        if summary.period_ends_ms:
            values[":ends"] = set(summary.period_ends_ms)
            adds.append("period_ends :ends")
        return {"TableName": self._table, "Key": self._key(key.organization_id, key.subscription_id, _sort_key(key)),
                "UpdateExpression": "SET " + ", ".join(sets) + " ADD " + ", ".join(adds),
                "ExpressionAttributeNames": names, "ExpressionAttributeValues": to_attributes(values)}

    def replace_value(self, key: AggregateKey, value: str, written: CountedValue) -> None:
        """rebuild-usage --apply: put a unique-count value with exactly `written` (no operation: delete it)."""
        if not written.operations:
            self._client.delete_item(TableName=self._table, Key=self._key(
                key.organization_id, key.subscription_id, keys.value_sk(key, value)))
            return
        self._client.put_item(TableName=self._table, Item=self._value_item(key, value, written, 1))

    def replace_summary(self, key: AggregateKey, summary: ActiveValues) -> None:
        """rebuild-usage --apply: put a unique-count bucket's summary recounted from its values."""
        item = {"pk": keys.usage_pk(key.organization_id, key.subscription_id), "sk": _sort_key(key),
                "state_kind": state_kind(summary), "charge_id": key.charge_id, "bucket": key.bucket,
                "period_start_ms": key.period_start_ms, "pricing_group": group_attribute(key.group),
                "active": summary.count, "period_ends": set(summary.period_ends_ms) or None, "revision": 1}
        self._client.put_item(TableName=self._table, Item=to_attributes(
            {name: field for name, field in item.items() if field is not None}))

    def replace_aggregate(self, key: AggregateKey, state: Any, *, window_start_ms: int, period_end_ms: int,
                          kept: AggregateItem | None, watermarks: Mapping[str, str] | None = None) -> None:
        """rebuild-usage --apply: put the recomputed state, keeping the shard watermarks as they were (see the
        docs for when this is safe), conditioned on the item being unchanged since it was read (else StaleWrite).
        An item that was missing (`kept` None) gets `watermarks` (rebuild-usage: each shard's highest on the
        subscription)."""
        item = {"pk": keys.usage_pk(key.organization_id, key.subscription_id), "sk": _sort_key(key),
                "state_kind": state_kind(state), "charge_id": key.charge_id, "bucket": key.bucket,
                "period_start_ms": key.period_start_ms, "window_start_ms": window_start_ms,
                "period_end_ms": period_end_ms, "revision": (kept.revision if kept else 0) + 1,
                "events_count": events_count_of(state), "pricing_group": group_attribute(key.group)}
        item.update(_additive_fields(state) if is_additive(state) else _replaced_fields(state))
        kept_watermarks = kept.watermarks if kept else (watermarks or {})
        item.update({WATERMARK_PREFIX + shard: value for shard, value in kept_watermarks.items()})
        condition, values = "attribute_not_exists(#rev)", {}
        if kept is not None:
            condition, values = "#rev = :revision", {":revision": kept.revision}
        arguments = {"ConditionExpression": condition, "ExpressionAttributeNames": {"#rev": "revision"}}
        if values:
            arguments["ExpressionAttributeValues"] = to_attributes(values)
        try:
            self._client.put_item(TableName=self._table, Item=to_attributes(item), **arguments)
        except ClientError as error:
            if is_condition_failure(error):
                raise StaleWrite() from error
            raise


def _bound(item: Mapping[str, Any], name: str) -> int | None:
    """A window bound stored on an aggregate (a unique count's summary has none: it is not one window's)."""
    return number(item[name]) if name in item else None


def _sort_key(key: AggregateKey) -> str:
    return keys.aggregate_sk(key.period_start_ms, key.charge_id, key.bucket, key.group)
