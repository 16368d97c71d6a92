"""The webhooks this service sends (Lago's types, each with the object it carries) and their ids.

A webhook is recorded in the outbox in the same transaction as the change it reports, so none is lost and none is
invented. Its id is derived from what it reports, so a retried transaction names the same webhook; the id is also
the `X-Lago-Unique-Key` a receiver dedupes on (the same for every delivery attempt of one webhook)."""
from __future__ import annotations

import secrets
import uuid
from typing import Literal

WebhookType = Literal["invoice.created", "invoice.drafted", "subscription.started", "subscription.terminated",
                      "customer.created", "fee.created"]
# The object each type carries, under the payload key of the same name (Lago's `object_type`).
OBJECT_TYPES: dict[str, str] = {"invoice.created": "invoice", "invoice.drafted": "invoice",
                                "subscription.started": "subscription", "subscription.terminated": "subscription",
                                "customer.created": "customer", "fee.created": "fee"}
_WEBHOOK_NAMESPACE = uuid.UUID("7f1c2d3e-5a6b-4c8d-9e0f-a1b2c3d4e5f6")


def webhook_id(organization_id: str, webhook_type: WebhookType, object_id: str) -> str:
    """Each object is reported once per type (an invoice is drafted once and finalized once, a subscription starts
    and ends once), so the type and the object's id name the webhook."""
    if webhook_type not in OBJECT_TYPES:
        raise ValueError(f"unknown webhook type {webhook_type!r}")
    return str(uuid.uuid5(_WEBHOOK_NAMESPACE, f"{organization_id}/{webhook_type}/{object_id}"))


def new_hmac_key() -> str:
    """An organization's webhook signing secret (Lago's `hmac_key`): 256 random bits, never shown by the API."""
    return secrets.token_urlsafe(32)
