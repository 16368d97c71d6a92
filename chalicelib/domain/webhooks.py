"""The webhooks this service sends (Lago's types, each with the object it carries) and their ids.

A webhook is recorded in the outbox in the same transaction as the change it reports, so none is lost and none is
invented. Its id is derived from what it reports, so a retried transaction names the same webhook; the id is also
the `X-Lago-Unique-Key` a receiver dedupes on (the same for every delivery attempt of one webhook)."""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

WebhookType = Literal["invoice.created", "invoice.drafted", "subscription.started", "subscription.terminated",
                      "customer.created", "fee.created"]
# The object each type carries, under the payload key of the same name (Lago's `object_type`).
OBJECT_TYPES: dict[str, str] = {"invoice.created": "invoice", "invoice.drafted": "invoice",
                                "subscription.started": "subscription", "subscription.terminated": "subscription",
                                "customer.created": "customer", "fee.created": "fee"}
_WEBHOOK_NAMESPACE = uuid.UUID("7f1c2d3e-5a6b-4c8d-9e0f-a1b2c3d4e5f6")

# pending: to deliver (also between retries); delivered: a receiver answered 2xx; skipped: the organization had no
# webhook_url; failed: every attempt failed, or the URL was refused (an admin can re-send it).
WebhookStatus = Literal["pending", "delivered", "skipped", "failed"]
DELIVERABLE_STATUSES: tuple[str, ...] = ("pending", "failed")
# Lago's success answers; anything else (a redirect too: never followed) is a failed attempt.
SUCCESS_STATUS_CODES = frozenset({200, 201, 202, 204})
# Lago gives up after 3 attempts; here a receiver may be down for a day and lose nothing: 12 attempts, the delay
# doubling from the base (60 s by default) up to SQS's longest visibility timeout, 12 h: about 29 h in all.
MAX_ATTEMPTS = 12
MAX_RETRY_DELAY_SECONDS = 12 * 3600


class Webhook(BaseModel):
    """An outbox item: what to report, and how its delivery went. `payload` is the exact body sent, rendered at the
    first attempt; `leased_until` (epoch seconds) marks an attempt under way, so two deliveries never overlap."""

    id: str
    organization_id: str
    webhook_type: str
    object_type: str
    object_id: str
    status: WebhookStatus
    attempts: int = 0
    created_at: datetime
    payload: str | None = None
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    leased_until: int | None = None


def retry_delay_seconds(attempt: int, base_seconds: int) -> int:
    """How long to wait after failed attempt number `attempt` (1-based) before the next one."""
    delay: int = base_seconds * 2 ** (attempt - 1)  # typeshed types a power by a variable as Any
    return min(delay, MAX_RETRY_DELAY_SECONDS)


def webhook_id(organization_id: str, webhook_type: WebhookType, object_id: str) -> str:
    """Each object is reported once per type (an invoice is drafted once and finalized once, a subscription starts
    and ends once), so the type and the object's id name the webhook."""
    if webhook_type not in OBJECT_TYPES:
        raise ValueError(f"unknown webhook type {webhook_type!r}")
    return str(uuid.uuid5(_WEBHOOK_NAMESPACE, f"{organization_id}/{webhook_type}/{object_id}"))


def new_hmac_key() -> str:
    """An organization's webhook signing secret (Lago's `hmac_key`): 256 random bits, never shown by the API."""
    return secrets.token_urlsafe(32)
