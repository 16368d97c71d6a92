"""Events in the events table. The item key is the idempotency key: pk `ORG#O#TX#enc(transaction_id)`, sk
`SUB#enc(external_subscription_id)`; a conditional put stores an event once. The `by_subscription_time`
index (gsi1pk `ORG#O#SUB#enc(external_subscription_id)`, gsi1sk `<timestamp_ms, 15 digits>#enc(transaction_id)`)
lists a subscription's events in time order; `by_unbillable` (the same keys, set only when the aggregator marks an
event unbillable) lists the unbillable ones. Costs and choices: docs/data-model.md (Events)."""
from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from boto3.dynamodb.types import TypeSerializer
from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import Unavailable
from chalicelib.domain.events import Event, UnbillableReason
from chalicelib.store import keys
from chalicelib.store.dynamo import from_attributes, is_condition_failure, query_page, to_attributes
from chalicelib.store.tables import EVENTS, EVENTS_BY_SUBSCRIPTION_TIME, EVENTS_UNBILLABLE, IndexSpec

# Concurrent conditional puts of one batch (boto3's low-level client is thread-safe; its pool holds 10).
WRITE_CONCURRENCY = 10
_serializer = TypeSerializer()


def _item(event: Event) -> dict:
    attributes = event.model_dump(exclude={"properties", "unbillable_reason"})
    item = to_attributes({
        "pk": keys.event_pk(event.organization_id, event.transaction_id),
        "sk": keys.event_sk(event.external_subscription_id),
        "gsi1pk": keys.event_subscription_pk(event.organization_id, event.external_subscription_id),
        "gsi1sk": keys.event_time_sk(event.timestamp_ms, event.transaction_id),
        **attributes})
    # Properties as sent, nulls included (the generic serializer drops None inside maps).
    item["properties"] = _serializer.serialize(event.properties)
    return item


def _event(attributes: dict) -> Event:
    item = from_attributes(attributes)
    return Event.model_validate({**item, "timestamp_ms": int(item["timestamp_ms"])})


class EventRepository:
    def __init__(self, client: BaseClient):
        self._client = client

    # ------------------------------------------------------------------------------------------ writes

    def insert(self, events: list[Event]) -> list[Event | None]:
        """Put each event conditioned on its key being free: per event None (stored now) or the event
        already stored at its key. Writes run WRITE_CONCURRENCY at a time; if any fails otherwise, the others
        are finished and Unavailable is raised (a retry finds the written ones as repeats)."""
        if len(events) == 1:
            return [self._insert_one(events[0])]
        with ThreadPoolExecutor(max_workers=min(WRITE_CONCURRENCY, len(events))) as pool:
            futures = [pool.submit(self._insert_one, event) for event in events]
        failures = [future.exception() for future in futures if future.exception() is not None]
        if failures:
            raise failures[0]
        return [future.result() for future in futures]

    def _insert_one(self, event: Event) -> Event | None:
        try:
            self._client.put_item(TableName=EVENTS.name, Item=_item(event),
                                  ConditionExpression="attribute_not_exists(pk)",
                                  ReturnValuesOnConditionCheckFailure="ALL_OLD")
            return None
        except ClientError as error:
            if not is_condition_failure(error):
                raise Unavailable("event write failed") from error
            existing = error.response.get("Item")
        except BotoCoreError as error:
            raise Unavailable("event write failed") from error
        if existing is None:  # an endpoint that does not return the item: read it
            existing = self._get(event.organization_id, event.transaction_id, event.external_subscription_id)
        return _event(existing) if existing is not None else None

    def _get(self, organization_id: str, transaction_id: str, external_subscription_id: str) -> dict | None:
        try:
            response = self._client.get_item(TableName=EVENTS.name, ConsistentRead=True, Key=to_attributes(
                {"pk": keys.event_pk(organization_id, transaction_id), "sk": keys.event_sk(external_subscription_id)}))
        except (ClientError, BotoCoreError) as error:
            raise Unavailable("event read failed") from error
        return response.get("Item")

    def mark_unbillable(self, organization_id: str, transaction_id: str, external_subscription_id: str,
                        timestamp_ms: int, reason: UnbillableReason) -> None:
        """Record that no invoice will ever include the event, and why, putting it on `by_unbillable` (the
        aggregator's finding; idempotent). An event no longer stored has nothing to mark."""
        try:
            self._client.update_item(
                TableName=EVENTS.name, ConditionExpression="attribute_exists(pk)",
                UpdateExpression="SET unbillable_reason = :reason, #pk = :pk, #sk = :sk",
                Key=to_attributes({"pk": keys.event_pk(organization_id, transaction_id),
                                   "sk": keys.event_sk(external_subscription_id)}),
                ExpressionAttributeNames={"#pk": EVENTS_UNBILLABLE.partition_key,
                                          "#sk": EVENTS_UNBILLABLE.sort_key},
                ExpressionAttributeValues=to_attributes({
                    ":reason": reason, ":pk": keys.event_subscription_pk(organization_id, external_subscription_id),
                    ":sk": keys.event_time_sk(timestamp_ms, transaction_id)}))
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    # ------------------------------------------------------------------------------------------- reads

    def find(self, organization_id: str, transaction_id: str,
             external_subscription_id: str | None = None) -> Event | None:
        """The most recently received event with this transaction_id (under any of the organization's
        subscriptions, or the one given): one strongly consistent Query of the transaction's partition."""
        query = {"TableName": EVENTS.name, "ConsistentRead": True, "KeyConditionExpression": "pk = :pk",
                 "ExpressionAttributeValues": to_attributes({":pk": keys.event_pk(organization_id, transaction_id)})}
        found = [_event(item) for response in self._client.get_paginator("query").paginate(**query)
                 for item in response["Items"]]
        # A hashed key component is checked against the ids themselves.
        found = [event for event in found if event.transaction_id == transaction_id and (
            external_subscription_id is None or event.external_subscription_id == external_subscription_id)]
        return max(found, key=lambda event: (event.received_at, event.lago_id), default=None)

    def _subscription_query(self, organization_id: str, external_subscription_id: str, code: str | None,
                            from_ms: int | None, to_ms: int | None, billable: bool | None = None) -> dict:
        """The Query of a subscription's events in a time range: every one, or (`billable`) only the billable ones
        or only the unbillable ones (their own sparse index)."""
        index: IndexSpec = EVENTS_UNBILLABLE if billable is False else EVENTS_BY_SUBSCRIPTION_TIME
        low, high = keys.event_time_bounds(from_ms or 0, to_ms if to_ms is not None else 10 ** 15 - 1)
        values = {":pk": keys.event_subscription_pk(organization_id, external_subscription_id), ":low": low,
                  ":high": high, ":subscription": external_subscription_id}
        condition = "external_subscription_id = :subscription"
        if code is not None:
            values[":code"] = code
            condition += " AND code = :code"
        if billable:
            condition += " AND attribute_not_exists(unbillable_reason)"
        return {"TableName": EVENTS.name, "IndexName": index.name,
                "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :low AND :high",
                "ExpressionAttributeNames": {"#pk": index.partition_key, "#sk": index.sort_key},
                "FilterExpression": condition, "ExpressionAttributeValues": to_attributes(values)}

    def list_page(self, organization_id: str, external_subscription_id: str, code: str | None, from_ms: int | None,
                  to_ms: int | None, page: int, per_page: int, billable: bool | None = None) -> list[Event]:
        """Page `page`, newest timestamp first (ties by transaction_id). The index is eventually consistent;
        DynamoDB has no offset, so page n reads the n * per_page newest matching events."""
        query = {**self._subscription_query(organization_id, external_subscription_id, code, from_ms, to_ms, billable),
                 "ScanIndexForward": False}
        return [_event(item) for item in query_page(self._client, query, page, per_page)]

    def in_window(self, organization_id: str, external_subscription_id: str, from_ms: int, to_ms: int) -> list[Event]:
        """Every event of the external id stamped from `from_ms` to `to_ms` included, oldest first: the Query of
        `count`, read whole (the biller, only for charges that price each event)."""
        query = self._subscription_query(organization_id, external_subscription_id, None, from_ms, to_ms)
        return [_event(item) for response in self._client.get_paginator("query").paginate(**query)
                for item in response["Items"]]

    def stored_images(self, organization_id: str, external_subscription_id: str) -> Iterator[dict]:
        """Every event of the external id as stored (the stream's image), in time order: a Query of
        `by_subscription_time` (eventually consistent; rebuild-usage)."""
        low, high = keys.event_time_bounds(0, 10 ** 15 - 1)
        query = {"TableName": EVENTS.name, "IndexName": EVENTS_BY_SUBSCRIPTION_TIME.name,
                 "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk BETWEEN :low AND :high",
                 "FilterExpression": "organization_id = :organization AND external_subscription_id = :subscription",
                 "ExpressionAttributeValues": to_attributes({
                     ":pk": keys.event_subscription_pk(organization_id, external_subscription_id), ":low": low,
                     ":high": high, ":organization": organization_id, ":subscription": external_subscription_id})}
        for page in self._client.get_paginator("query").paginate(**query):
            for item in page["Items"]:
                yield from_attributes(item)

    def count(self, organization_id: str, external_subscription_id: str, code: str | None, from_ms: int | None,
              to_ms: int | None, billable: bool | None = None) -> int:
        """`total_count`: a COUNT Query over the same range (reads every matching event's index item)."""
        query = {**self._subscription_query(organization_id, external_subscription_id, code, from_ms, to_ms, billable),
                 "Select": "COUNT"}
        return sum(response["Count"] for response in self._client.get_paginator("query").paginate(**query))
