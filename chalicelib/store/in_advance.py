"""The state of pay-in-advance charges in the usage table: per (subscription, scope, charge, filter bucket, pricing
group) the running total and the high-water mark (`InAdvanceState`), and, for unique count, one presence item per value.
Each is read strongly consistent and written back by a Put conditioned on the revision read, inside the event's
fee transaction (chalicelib/usage/in_advance.py): two writers never both apply an event on the same state.

The scope is the charges period's start for a metered metric and 0 for a recurring one, whose total runs over
the whole subscription (as its unique-count values: `unique_count_values_period_ms`). docs/data-model.md."""
from __future__ import annotations

from decimal import Decimal

from botocore.client import BaseClient

from chalicelib.domain.aggregate_keys import AggregateKey
from chalicelib.domain.aggregations.pay_in_advance import InAdvanceState
from chalicelib.store.dynamo import from_attributes, number, to_attributes
from chalicelib.store.keys import advance_presence_sk, advance_state_sk, usage_pk
from chalicelib.store.tables import USAGE
from chalicelib.store.unit_of_work import on_dynamodb
from chalicelib.usage.ports import Revised
from chalicelib.usecases.ports import UnitOfWork


class InAdvanceRepository:
    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def _get(self, key: AggregateKey, sort_key: str) -> dict | None:
        response = self._client.get_item(TableName=USAGE.name, ConsistentRead=True, Key=to_attributes(
            {"pk": usage_pk(key.organization_id, key.subscription_id), "sk": sort_key}))
        return from_attributes(response["Item"]) if "Item" in response else None

    def state(self, key: AggregateKey) -> Revised[InAdvanceState]:
        """The bucket's `InAdvanceState` (the empty one before its first event): ONE strongly consistent GetItem."""
        item = self._get(key, advance_state_sk(key))
        if item is None:
            return Revised(InAdvanceState(), 0)
        period = item.get("mark_period_ms")
        return Revised(InAdvanceState(Decimal(item["total"]), Decimal(item["mark"]),
                                      None if period is None else number(period), number(item["events_count"])),
                       number(item["revision"]))

    def presence(self, key: AggregateKey, value: str) -> Revised[bool]:
        """Whether a unique-count value is active for the charge bucket (False before its first event)."""
        item = self._get(key, advance_presence_sk(key, value))
        return Revised(bool(item["active"]), number(item["revision"])) if item else Revised(False, 0)

    def stage_state(self, unit: UnitOfWork, key: AggregateKey, state: InAdvanceState, read_revision: int) -> None:
        """Write `state` with the event's fee, on condition that the item is still at `read_revision`."""
        on_dynamodb(unit).add(self._put(key, advance_state_sk(key), {
            "total": state.total, "mark": state.mark, "mark_period_ms": state.mark_period_ms,
            "events_count": state.events_count}, read_revision))

    def stage_presence(self, unit: UnitOfWork, key: AggregateKey, value: str, active: bool,
                       read_revision: int) -> None:
        on_dynamodb(unit).add(self._put(key, advance_presence_sk(key, value), {"value": value, "active": active},
                                        read_revision))

    def _put(self, key: AggregateKey, sort_key: str, attributes: dict, read_revision: int) -> dict:
        item = {"pk": usage_pk(key.organization_id, key.subscription_id), "sk": sort_key, "charge_id": key.charge_id,
                "bucket": key.bucket, **attributes, "revision": read_revision + 1}
        put = {"TableName": USAGE.name, "Item": to_attributes(item), "ExpressionAttributeNames": {"#rev": "revision"}}
        if read_revision == 0:
            put["ConditionExpression"] = "attribute_not_exists(#rev)"
        else:
            put["ConditionExpression"] = "#rev = :revision"
            put["ExpressionAttributeValues"] = to_attributes({":revision": read_revision})
        return {"Put": put}
