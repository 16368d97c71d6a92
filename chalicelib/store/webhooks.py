"""The webhook outbox in the webhooks table: `outbox_put` is the transaction action a change joins to its own
writes (the invoice, the subscription, the customer...), so the webhook exists exactly when the change does. The
table's stream then feeds the delivery queue (docs/webhooks.md)."""
from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.webhooks import OBJECT_TYPES, WebhookType, webhook_id
from chalicelib.store import keys
from chalicelib.store.dynamo import to_attributes
from chalicelib.store.tables import WEBHOOKS

# A webhook's record (its payload, attempts and outcome) is kept this long, then DynamoDB's TTL removes it.
RETENTION = timedelta(days=90)


def webhook_sk(webhook: str) -> str:
    return f"WEBHOOK{keys.SEPARATOR}{webhook}"


def outbox_put(organization_id: str, webhook_type: WebhookType, object_id: str, now: datetime) -> dict:
    """A TransactWriteItems Put of a pending webhook. Conditioned on its absence: a webhook's delivery state is
    never reset (the change it reports cannot happen twice, so the condition only ever holds)."""
    webhook = webhook_id(organization_id, webhook_type, object_id)
    item = {"pk": keys.organization_pk(organization_id), "sk": webhook_sk(webhook), "id": webhook,
            "organization_id": organization_id, "webhook_type": webhook_type,
            "object_type": OBJECT_TYPES[webhook_type], "object_id": object_id, "status": "pending", "attempts": 0,
            "created_at": now, "expires_at": int((now + RETENTION).timestamp())}
    return {"Put": {"TableName": WEBHOOKS.name, "Item": to_attributes(item),
                    "ConditionExpression": "attribute_not_exists(pk)"}}
