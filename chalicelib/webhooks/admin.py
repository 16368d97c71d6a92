"""The admin's webhook commands (the CLI's): list an organization's webhooks, re-send the failed ones."""
from __future__ import annotations

from chalicelib.domain.clock import iso_z
from chalicelib.domain.webhooks import Webhook
from chalicelib.webhooks.ports import WebhookQueue, WebhookStore


def webhook_line(webhook: Webhook) -> str:
    outcome = webhook.last_error or (f"status_code={webhook.last_status_code}" if webhook.last_status_code else "")
    return (f"{webhook.id}  {webhook.webhook_type}  {webhook.object_id}  {webhook.status}  "
            f"attempts={webhook.attempts}  created_at={iso_z(webhook.created_at)}  {outcome}").rstrip()


class WebhookAdmin:
    """`webhooks` and `resend-webhooks` on the webhook store and queue."""

    def __init__(self, webhooks: WebhookStore, queue: WebhookQueue):
        self._webhooks = webhooks
        self._queue = queue

    def listed(self, organization_id: str, status: str | None = None) -> list[Webhook]:
        """The organization's webhooks (in `status`), oldest first."""
        return self._webhooks.list(organization_id, status)

    def resend_failed(self, organization_id: str) -> list[str]:
        """Queue each failed webhook again and set it back to pending; returns their ids. Queued first: if the
        command stops between the two writes, the message still delivers the webhook (a failed one is deliverable),
        and running the command again queues only what is still failed."""
        resent = []
        for webhook in self._webhooks.list(organization_id, status="failed"):
            self._queue.enqueue(organization_id, webhook.id)
            self._webhooks.mark_for_resend(webhook)
            resent.append(webhook.id)
        return resent
