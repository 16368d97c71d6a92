"""The in-memory twin of the webhook outbox (chalicelib/store/webhooks.py): a pending webhook staged with the change it
reports, on condition that it is not recorded yet, and read back as the adapter reads it. Delivery (claims, attempts)
is not faked. tests/integration/test_billing_port_contracts.py runs one suite against both."""
from __future__ import annotations

from datetime import datetime

from fakes.unit_of_work import in_memory

from chalicelib.domain.webhooks import OBJECT_TYPES, Webhook, WebhookType, webhook_id
from chalicelib.usecases.ports import UnitOfWork


class InMemoryOutbox:
    """The Outbox port and the webhooks' reads: what was queued, by (organization, webhook id)."""

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

    def get(self, organization_id: str, webhook: str) -> Webhook | None:
        return self.queued.get((organization_id, webhook))

    def list(self, organization_id: str, status: str | None = None) -> list[Webhook]:
        """The organization's webhooks, oldest first."""
        return sorted((webhook for (organization, _), webhook in self.queued.items()
                       if organization == organization_id and status in (None, webhook.status)),
                      key=lambda webhook: (webhook.created_at, webhook.id))
