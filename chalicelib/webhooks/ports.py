"""What the webhook use cases need from outside (typing.Protocol ports): the webhooks' records, the records a
payload renders, the signing keys and the queue. The DynamoDB and SQS adapters implement them; the composition roots
(chalicelib/wiring.py, app.py, chalicelib/cli.py) hand them in."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chalicelib.domain.readers import FeeReader
from chalicelib.domain.webhooks import Webhook
from chalicelib.usecases.ports import OrganizationStore
from chalicelib.usecases.shown_records import RecordReaders


class WebhookStore(Protocol):
    def get(self, organization_id: str, webhook: str) -> Webhook | None: ...
    def list(self, organization_id: str, status: str | None = None) -> list[Webhook]: ...
    def claim(self, webhook: Webhook, now: datetime, lease_seconds: int) -> Webhook | None: ...
    def keep_payload(self, webhook: Webhook, payload: str) -> str: ...
    def mark_skipped(self, webhook: Webhook) -> None: ...
    def record_attempt(self, claimed: Webhook, status: str, status_code: int | None, error: str | None,
                       now: datetime) -> None: ...
    def mark_for_resend(self, webhook: Webhook) -> bool: ...


class PayloadReaders(RecordReaders, Protocol):
    """The records a webhook's payload shows (an invoice's also name its metrics and credit notes)."""

    @property
    def fees(self) -> FeeReader: ...


class WebhookStores(PayloadReaders, Protocol):
    """Everything a delivery reads and writes."""

    @property
    def webhooks(self) -> WebhookStore: ...
    @property
    def organizations(self) -> OrganizationStore: ...


class SigningKeys(Protocol):
    """The key that signs an organization's webhooks (the organization use cases create one where none is)."""

    def webhook_key(self, organization_id: str) -> str: ...


class WebhookQueue(Protocol):
    """Where a webhook waits for its delivery."""

    def enqueue(self, organization_id: str, webhook_id: str) -> None: ...
