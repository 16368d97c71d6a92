"""The webhook outbox in the webhooks table: `outbox_put` is the transaction action a change joins to its own
writes (the invoice, the subscription, the customer...), so the webhook exists exactly when the change does. The
table's stream then feeds the delivery queue (docs/webhooks.md)."""
from __future__ import annotations

from datetime import datetime, timedelta

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from chalicelib.domain.webhooks import DELIVERABLE_STATUSES, OBJECT_TYPES, Webhook, WebhookType, webhook_id
from chalicelib.store import keys
from chalicelib.store.dynamo import from_attributes, is_condition_failure, set_or_remove, to_attributes
from chalicelib.store.tables import WEBHOOKS
from chalicelib.store.unit_of_work import on_dynamodb
from chalicelib.usecases.ports import UnitOfWork

# A webhook's record (its payload, attempts and outcome) is kept this long, then DynamoDB's TTL removes it.
RETENTION = timedelta(days=90)


# The condition that a delivery may start: pending, or failed (an admin's re-send queues it before resetting it).
_DELIVERABLE_VALUES = {f":{status}": status for status in DELIVERABLE_STATUSES}
_DELIVERABLE = f"#status IN ({', '.join(_DELIVERABLE_VALUES)})"


def outbox_put(organization_id: str, webhook_type: WebhookType, object_id: str, now: datetime) -> dict:
    """A TransactWriteItems Put of a pending webhook. Conditioned on its absence: a webhook's delivery state is
    never reset (the change it reports cannot happen twice, so the condition only ever holds)."""
    webhook = webhook_id(organization_id, webhook_type, object_id)
    item = {"pk": keys.organization_pk(organization_id), "sk": keys.webhook_sk(webhook), "id": webhook,
            "organization_id": organization_id, "webhook_type": webhook_type,
            "object_type": OBJECT_TYPES[webhook_type], "object_id": object_id, "status": "pending", "attempts": 0,
            "created_at": now, "expires_at": int((now + RETENTION).timestamp())}
    return {"Put": {"TableName": WEBHOOKS.name, "Item": to_attributes(item),
                    "ConditionExpression": "attribute_not_exists(pk)"}}


class WebhookRepository:
    """The outbox items of the webhooks table: read, listed, and moved through their delivery. Every change is
    conditioned on the state it moves from, so a redelivered message or a second handler changes nothing."""

    def __init__(self, client: BaseClient):
        self._client = client

    def _key(self, organization_id: str, webhook: str) -> dict:
        return to_attributes({"pk": keys.organization_pk(organization_id), "sk": keys.webhook_sk(webhook)})

    @staticmethod
    def stage_webhook(unit: UnitOfWork, organization_id: str, webhook_type: WebhookType, object_id: str,
                      now: datetime) -> None:
        """A pending webhook (`outbox_put`) written with the change it reports, staged in that change's unit."""
        on_dynamodb(unit).add(outbox_put(organization_id, webhook_type, object_id, now))

    def get(self, organization_id: str, webhook: str) -> Webhook | None:
        response = self._client.get_item(TableName=WEBHOOKS.name, ConsistentRead=True,
                                         Key=self._key(organization_id, webhook))
        return Webhook.model_validate(from_attributes(response["Item"])) if "Item" in response else None

    def list(self, organization_id: str, status: str | None = None) -> list[Webhook]:
        """The organization's webhooks (all that the retention keeps), oldest first; an admin listing."""
        query = {"TableName": WEBHOOKS.name, "ConsistentRead": True,
                 "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                 "ExpressionAttributeValues": to_attributes({":pk": keys.organization_pk(organization_id),
                                                             ":prefix": keys.webhook_sk("")})}
        if status is not None:
            query["FilterExpression"] = "#status = :status"
            query["ExpressionAttributeNames"] = {"#status": "status"}
            query["ExpressionAttributeValues"].update(to_attributes({":status": status}))
        webhooks = [Webhook.model_validate(from_attributes(item))
                    for page in self._client.get_paginator("query").paginate(**query) for item in page["Items"]]
        return sorted(webhooks, key=lambda webhook: (webhook.created_at, webhook.id))

    def _update(self, webhook: Webhook, update: dict, condition: str, condition_values: dict) -> Webhook | None:
        """An UpdateItem of `webhook` (`update`: its expression, names and values); the item as it is after it,
        or None if `condition` did not hold. `#status` names the status in either."""
        names = {**update.get("ExpressionAttributeNames", {}), "#status": "status"}
        used = update["UpdateExpression"] + condition
        request = {"TableName": WEBHOOKS.name, "Key": self._key(webhook.organization_id, webhook.id),
                   "UpdateExpression": update["UpdateExpression"], "ConditionExpression": condition,
                   "ExpressionAttributeNames": {alias: name for alias, name in names.items() if alias in used},
                   "ExpressionAttributeValues": {**update.get("ExpressionAttributeValues", {}),
                                                 **to_attributes(condition_values)},
                   "ReturnValues": "ALL_NEW"}
        try:
            response = self._client.update_item(**request)
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        return Webhook.model_validate(from_attributes(response["Attributes"]))

    def claim(self, webhook: Webhook, now: datetime, lease_seconds: int) -> Webhook | None:
        """Start an attempt: count it and hold the webhook until `now + lease_seconds` (the longest an attempt can
        take). None if it is delivered or skipped meanwhile, or another attempt holds it."""
        epoch = int(now.timestamp())
        update = {"UpdateExpression": "SET attempts = attempts + :one, leased_until = :until, last_attempt_at = :now",
                  "ExpressionAttributeValues": to_attributes({":one": 1, ":until": epoch + lease_seconds,
                                                              ":now": now})}
        return self._update(webhook, update, f"{_DELIVERABLE} AND (attribute_not_exists(leased_until) OR "
                                             "leased_until < :epoch)", {**_DELIVERABLE_VALUES, ":epoch": epoch})

    def keep_payload(self, webhook: Webhook, payload: str) -> str:
        """Store the rendered body unless one is stored already; returns the stored one (the first render wins,
        so every attempt sends the same bytes)."""
        if self._update(webhook, set_or_remove({"payload": payload}), "attribute_not_exists(payload)", {}):
            return payload
        return self.get(webhook.organization_id, webhook.id).payload

    def mark_skipped(self, webhook: Webhook) -> None:
        self._update(webhook, set_or_remove({"status": "skipped"}), _DELIVERABLE, _DELIVERABLE_VALUES)

    def record_attempt(self, claimed: Webhook, status: str, status_code: int | None, error: str | None,
                       now: datetime) -> None:
        """The outcome of the attempt `claimed` holds: its status (delivered, pending for a retry, failed), the
        receiver's status code or the error. Nothing if the lease was lost (another attempt records its own)."""
        update = set_or_remove({"status": status, "last_status_code": status_code, "last_error": error,
                                "leased_until": None, "delivered_at": now if status == "delivered" else None})
        self._update(claimed, update, "leased_until = :lease", {":lease": claimed.leased_until})

    def mark_for_resend(self, webhook: Webhook) -> bool:
        """A failed webhook back to pending (an admin's re-send); False if it is no longer failed."""
        return self._update(webhook, set_or_remove({"status": "pending"}), "#status = :failed",
                            {":failed": "failed"}) is not None
