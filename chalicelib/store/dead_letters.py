"""Events the aggregator could not apply: one item per event in the control table, counting its failed deliveries
and, once it failed POISON_ATTEMPTS times, holding it (its stream image, the reason, what of it is still to apply)
until an operator replays it (docs/operations.md, "Dead-lettered events")."""
from __future__ import annotations

import json
from datetime import datetime

from botocore.client import BaseClient

from chalicelib.domain.dead_events import DeadEvent
from chalicelib.store import keys
from chalicelib.store.dynamo import from_attributes, to_attributes
from chalicelib.store.tables import CONTROL

DEAD = "dead"  # the status of an event set aside (before: counting its failed deliveries)


class DeadLetterRepository:
    def __init__(self, client: BaseClient):
        self._client = client

    def _key(self, image: dict) -> dict:
        return to_attributes({"pk": keys.organization_pk(image["organization_id"]),
                              "sk": keys.dead_event_sk(image["external_subscription_id"], image["transaction_id"])})

    def count_failure(self, image: dict, reason: str) -> int:
        """Add one failed delivery (or replay) of the event; returns how many it has had (one UpdateItem)."""
        response = self._client.update_item(
            TableName=CONTROL.name, Key=self._key(image), ReturnValues="UPDATED_NEW",
            UpdateExpression="SET reason = :reason ADD attempts :one",
            ExpressionAttributeValues=to_attributes({":reason": reason, ":one": 1}))
        return int(from_attributes(response["Attributes"])["attempts"])

    def bury(self, image: dict, reason: str, parts: tuple[str, ...] | None, now: datetime) -> None:
        """Set the event aside with what of it is still to apply (idempotent: a redelivery writes the same)."""
        values = {":dead": DEAD, ":image": image, ":reason": reason, ":now": now,
                  ":organization": image["organization_id"], ":subscription": image["external_subscription_id"],
                  ":transaction": image["transaction_id"], ":parts": json.dumps(parts)}
        self._client.update_item(
            TableName=CONTROL.name, Key=self._key(image),
            UpdateExpression="SET #status = :dead, image = :image, reason = :reason, parts = :parts, "
                             "organization_id = :organization, external_subscription_id = :subscription, "
                             "transaction_id = :transaction, dead_lettered_at = if_not_exists(dead_lettered_at, :now)",
            ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=to_attributes(values))

    def dead_events(self, organization_id: str, external_subscription_id: str | None = None) -> list[DeadEvent]:
        """The organization's events set aside (of one external subscription id), by subscription and transaction id."""
        query = {"TableName": CONTROL.name, "ConsistentRead": True,
                 "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                 "FilterExpression": "#status = :dead", "ExpressionAttributeNames": {"#status": "status"},
                 "ExpressionAttributeValues": to_attributes({
                     ":pk": keys.organization_pk(organization_id), ":dead": DEAD,
                     ":prefix": keys.dead_events_prefix(external_subscription_id)})}
        found = [_dead_event(from_attributes(item)) for page in self._client.get_paginator("query").paginate(**query)
                 for item in page["Items"]]
        # A hashed key component is checked against the id itself.
        return [dead for dead in found if external_subscription_id in (None, dead.external_subscription_id)]

    def forget(self, dead: DeadEvent) -> None:
        """Remove the event's item once it is replayed."""
        self._client.delete_item(TableName=CONTROL.name, Key=self._key(dead.image))


def _dead_event(item: dict) -> DeadEvent:
    parts = json.loads(item["parts"])
    return DeadEvent(item["organization_id"], item["external_subscription_id"], item["transaction_id"],
                     item["image"], item["reason"], int(item["attempts"]), None if parts is None else tuple(parts),
                     datetime.fromisoformat(item["dead_lettered_at"]))
