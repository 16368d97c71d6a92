"""The in-memory twin of the webhook outbox (chalicelib/store/webhooks.py): a pending webhook staged with the change it
reports, on condition that it is not recorded yet, then moved through its delivery, each move conditioned on the state
it moves from, as the adapter's conditional updates are. tests/integration/test_billing_port_contracts.py runs one
suite against both."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fakes.unit_of_work import in_memory

from chalicelib.domain.webhooks import DELIVERABLE_STATUSES, OBJECT_TYPES, Webhook, WebhookType, webhook_id
from chalicelib.usecases.ports import UnitOfWork


class InMemoryOutbox:
    """The Outbox port and the WebhookStore port (chalicelib/webhooks/ports.py): what was queued, by (organization,
    webhook id), and its delivery's state."""

    def __init__(self) -> None:
        self.queued: dict[tuple[str, str], Webhook] = {}

    def stage_webhook(self, unit: UnitOfWork, organization_id: str, webhook_type: WebhookType, object_id: str,
                      now: datetime) -> None:
        """A pending webhook written with the change it reports: StaleWrite if it was queued before."""
        webhook = Webhook(id=webhook_id(organization_id, webhook_type, object_id), organization_id=organization_id,
                          webhook_type=webhook_type, object_type=OBJECT_TYPES[webhook_type], object_id=object_id,
                          status="pending", created_at=now)
        key = (organization_id, webhook.id)
        in_memory(unit).add(lambda: key not in self.queued, lambda: self.queued.__setitem__(key, webhook),
                            item=("webhook", *key))

    # ------------------------------------------------------------------------------------------- reads
    def get(self, organization_id: str, webhook: str) -> Webhook | None:
        return self.queued.get((organization_id, webhook))

    def list(self, organization_id: str, status: str | None = None) -> list[Webhook]:
        """The organization's webhooks, oldest first."""
        return sorted((webhook for (organization, _), webhook in self.queued.items()
                       if organization == organization_id and status in (None, webhook.status)),
                      key=lambda webhook: (webhook.created_at, webhook.id))

    # --------------------------------------------------------------------------------------- delivery
    def _update(self, webhook: Webhook, condition: Callable[[Webhook], bool], **changes: Any) -> Webhook | None:
        """The webhook as it is after `changes`, or None (nothing changed) when `condition` does not hold of it."""
        current = self.get(webhook.organization_id, webhook.id)
        if current is None or not condition(current):
            return None
        updated = current.model_copy(update=changes)
        self.queued[(webhook.organization_id, webhook.id)] = updated
        return updated

    def claim(self, webhook: Webhook, now: datetime, lease_seconds: int) -> Webhook | None:
        """Start an attempt, held until `now + lease_seconds`; None if it is no longer deliverable or held."""
        epoch = int(now.timestamp())
        current = self.get(webhook.organization_id, webhook.id)
        attempts = current.attempts + 1 if current else 1
        return self._update(webhook, lambda held: _deliverable(held) and (
            held.leased_until is None or held.leased_until < epoch),
            attempts=attempts, leased_until=epoch + lease_seconds, last_attempt_at=now)

    def keep_payload(self, webhook: Webhook, payload: str) -> str:
        """The first payload stored wins."""
        if self._update(webhook, lambda held: held.payload is None, payload=payload):
            return payload
        kept = self.get(webhook.organization_id, webhook.id)
        assert kept is not None and kept.payload is not None  # kept by an earlier render
        return kept.payload

    def mark_skipped(self, webhook: Webhook) -> None:
        self._update(webhook, _deliverable, status="skipped")

    def record_attempt(self, claimed: Webhook, status: str, status_code: int | None, error: str | None,
                       now: datetime) -> None:
        """The outcome of the attempt `claimed` holds; nothing if its lease was lost."""
        self._update(claimed, lambda held: claimed.leased_until is not None
                     and held.leased_until == claimed.leased_until,
                     status=status, last_status_code=status_code, last_error=error, leased_until=None,
                     delivered_at=now if status == "delivered" else None)

    def mark_for_resend(self, webhook: Webhook) -> bool:
        return self._update(webhook, lambda held: held.status == "failed", status="pending") is not None


def _deliverable(webhook: Webhook) -> bool:
    return webhook.status in DELIVERABLE_STATUSES
