"""Usage aggregates in the usage table: what the stream aggregator writes, and what current usage, the biller and
`rebuild-usage` read. Data model: docs/data-model.md ("Usage table").

Interface for readers (current usage, the biller):
- `repositories().usage` is a `UsageRepository`.
- `UsageRepository.period_aggregates(organization_id, subscription_id, period_start_ms, value_periods=())`
  -> `dict[(charge_id, bucket, group), StoredAggregate]`: ONE Query (paginated past 1 MB) for the period's aggregates,
  plus ONE more Query per entry of `value_periods`: the periods whose unique-count values to read
  (`unique_count_values_period_ms`: the period itself for metered metrics, `BEFORE_START_PERIOD_MS` for recurring
  ones). Their cost grows with the distinct values, never with events; see the docs.
  `subscription_id` is the subscription's lago_id; `period_start_ms` the start of the FULL charges period,
  `epoch_ms(terms.charges_periods.period_at(instant).start)` (not the window clipped at `started_at`).
  The period's applied-events counter is not among them: `applied_events` reads it (the biller's check).
- `StoredAggregate.state` is the pure aggregation's state type (int for count, `Totals`, `Moments`, `Maximum`,
  `Latest`, unique count `Histories`); feed it to `aggregation.result(combine(state, opening_state(...)), window)`.
  `events_count` is the number of events applied (unique count: operations stored); a missing key means no usage.
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
from chalicelib.domain.aggregations.unique_count import Operation
from chalicelib.domain.errors import StaleWrite
from chalicelib.domain.pricing.groups import UNGROUPED, PricingGroup
from chalicelib.domain.pricing.transactions import Transaction, Transactions
from chalicelib.store import keys
from chalicelib.store.dynamo import from_attributes, is_condition_failure, number, to_attributes
from chalicelib.store.keys import SEPARATOR
from chalicelib.store.tables import USAGE

WATERMARK_PREFIX = "watermark#"


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
                             ("latest", Latest), ("transactions", Transactions)):
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
    timestamp = item.get("latest_timestamp_ms")
    return Latest(item.get("latest_value"), None if timestamp is None else number(timestamp),
                  item.get("latest_transaction_id"), count)


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
    def period_aggregates(self, organization_id: str, subscription_id: str, period_start_ms: int,
                          value_periods: Iterable[int] = ()) -> dict[tuple[str, str, PricingGroup], StoredAggregate]:
        """The aggregates of one charges period by (charge_id, bucket, group); see the module docstring."""
        found: dict[tuple[str, str, PricingGroup], StoredAggregate] = {}
        prefix = keys.period_prefix(keys.AGGREGATE_PREFIX, period_start_ms)
        for item in self._query(organization_id, subscription_id, prefix):
            if item["charge_id"] == APPLIED_EVENTS_CHARGE:
                continue
            state = state_from_item(item)
            found[(item["charge_id"], item["bucket"], group_of(item))] = StoredAggregate(
                state, events_count_of(state), number(item["window_start_ms"]), number(item["period_end_ms"]))
        for values_period_ms in set(value_periods):
            for key, histories in self.value_histories(organization_id, subscription_id, values_period_ms).items():
                found[(key.charge_id, key.bucket, key.group)] = StoredAggregate.of_values(histories)
        return found

    def value_histories(self, organization_id: str, subscription_id: str, period_start_ms: int | None = None
                        ) -> dict[AggregateKey, dict[str, frozenset[Operation]]]:
        """The unique-count values' operations of the subscription stored under one period (None: every period),
        by (period, charge, bucket): ONE Query."""
        prefix = keys.VALUE_PREFIX if period_start_ms is None \
            else keys.period_prefix(keys.VALUE_PREFIX, period_start_ms)
        histories: dict[AggregateKey, dict[str, frozenset[Operation]]] = {}
        for item in self._query(organization_id, subscription_id, prefix):
            key = AggregateKey(organization_id, subscription_id, keys.period_of(item["sk"]), item["charge_id"],
                               item["bucket"], group_of(item))
            histories.setdefault(key, {})[item["value"]] = frozenset(
                decode_operation(text) for text in item.get("operations", ()))
        return histories

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

    def add_operations(self, key: AggregateKey, value: str, operations: Iterable[Operation]) -> None:
        """ADD a unique-count value's operations to its string set: set union, so a replay changes nothing."""
        sets, values = "SET charge_id = :charge, #bucket = :bucket, #value = :value", {}
        if (group := group_attribute(key.group)) is not None:
            sets, values = sets + ", pricing_group = :group", {":group": group}
        self._client.update_item(
            TableName=self._table, Key=self._key(key.organization_id, key.subscription_id, keys.value_sk(key, value)),
            UpdateExpression=f"{sets} ADD operations :operations",
            ExpressionAttributeNames={"#value": "value", "#bucket": "bucket"},
            ExpressionAttributeValues=to_attributes({":charge": key.charge_id, ":bucket": key.bucket, ":value": value,
                                                     ":operations": {encode_operation(op) for op in operations},
                                                     **values}))

    def replace_operations(self, key: AggregateKey, value: str, operations: Iterable[Operation]) -> None:
        """rebuild-usage --apply: put a unique-count value's item with exactly `operations` (none: delete it)."""
        item_key = self._key(key.organization_id, key.subscription_id, keys.value_sk(key, value))
        encoded = {encode_operation(op) for op in operations}
        if not encoded:
            self._client.delete_item(TableName=self._table, Key=item_key)
            return
        self._client.put_item(TableName=self._table, Item={**item_key, **to_attributes(
            {"charge_id": key.charge_id, "bucket": key.bucket, "value": value, "operations": encoded,
             "pricing_group": group_attribute(key.group)})})

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


def _sort_key(key: AggregateKey) -> str:
    return keys.aggregate_sk(key.period_start_ms, key.charge_id, key.bucket, key.group)
