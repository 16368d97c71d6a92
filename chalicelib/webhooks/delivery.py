"""The webhook queue's handler: one attempt per message. A webhook is delivered at most once at a time (a lease
on its item), its body rendered once and kept (every attempt sends the same bytes), and a failed attempt comes
back after a growing delay until the last one, which marks it failed and leaves the message to the dead-letter
queue. What each step writes: docs/webhooks.md."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.domain.clock import utc_now
from chalicelib.domain.webhooks import (
    DELIVERABLE_STATUSES,
    MAX_ATTEMPTS,
    SUCCESS_STATUS_CODES,
    Webhook,
    retry_delay_seconds,
)
from chalicelib.observability import WEBHOOKS_FAILED, count, logger
from chalicelib.webhooks.addresses import RefusedUrl, resolve_target
from chalicelib.webhooks.payloads import render_payload
from chalicelib.webhooks.ports import SigningKeys, WebhookStores
from chalicelib.webhooks.queue import DELIVERY_TIMEOUT_SECONDS, delay_next_receive
from chalicelib.webhooks.signing import delivery_headers
from chalicelib.webhooks.transport import TransportFailure, post

# How long an attempt holds its webhook: the delivery function's timeout (a crashed attempt frees it by then; the
# queue's visibility timeout, longer, brings its message back after that).
LEASE_SECONDS = DELIVERY_TIMEOUT_SECONDS
DEFAULT_RETRY_BASE_SECONDS = 60
_processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def retry_base_seconds() -> int:
    return int(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", DEFAULT_RETRY_BASE_SECONDS))


def private_urls_allowed() -> bool:
    """Only the local stack sets WEBHOOK_ALLOW_PRIVATE_URLS=true (its receivers listen on loopback)."""
    return os.environ.get("WEBHOOK_ALLOW_PRIVATE_URLS", "false").lower() == "true"


@dataclass(frozen=True)
class Verdict:
    """What becomes of the message: `settled` (deleted), or visible again in `retry_in_seconds`. After the last
    attempt that is at once: its receive count has reached the queue's maxReceiveCount, so the next receive moves
    it to the dead-letter queue."""

    settled: bool
    retry_in_seconds: int = 0


SETTLED = Verdict(settled=True)


class NotDelivered(Exception):
    """The message's webhook was not delivered by this attempt; SQS brings it back (or dead-letters it)."""


class WebhookDelivery:
    """Delivering the webhooks of the webhook stores, each signed with its organization's key."""

    def __init__(self, stores: WebhookStores, signing_keys: SigningKeys):
        self._stores = stores
        self._signing_keys = signing_keys

    def deliver_queued(self, raw_event: dict[str, Any], context: LambdaContext | None) -> PartialItemFailureResponse:
        """The SQS handler: each message's attempt; the ones to retry are reported in `batchItemFailures` after their
        visibility was set to the retry delay."""
        def attempt(record: SQSRecord) -> None:
            message = json.loads(record.body)
            verdict = self.deliver(message["organization_id"], message["webhook_id"],
                                   int(record.attributes.approximate_receive_count), utc_now())
            if not verdict.settled:
                delay_next_receive(record.receipt_handle, verdict.retry_in_seconds)
                raise NotDelivered(message["webhook_id"])

        return process_partial_response(event=raw_event, record_handler=attempt, processor=_processor,
                                        context=context)

    def deliver(self, organization_id: str, webhook_id: str, attempt: int, now: datetime) -> Verdict:
        """Attempt number `attempt` (the message's receive count) of one webhook."""
        stores = self._stores
        webhooks = stores.webhooks
        webhook = webhooks.get(organization_id, webhook_id)
        if webhook is None or webhook.status not in DELIVERABLE_STATUSES:
            return SETTLED  # delivered, skipped, or gone with the TTL: a redelivered message changes nothing
        organization = stores.organizations.get(organization_id)
        if not organization.webhook_url:
            webhooks.mark_skipped(webhook)
            return SETTLED
        claimed = webhooks.claim(webhook, now, LEASE_SECONDS)
        if claimed is None:
            return SETTLED  # done meanwhile, or another attempt holds it (its own message carries on)
        try:
            payload = claimed.payload or webhooks.keep_payload(claimed, render_payload(stores, organization, claimed))
        except Exception as failure:  # noqa: BLE001 - retried like a failed post, then failed (re-sendable)
            logger.exception("webhook payload not rendered", extra={"webhook_id": webhook_id})
            return self._failed_attempt(claimed, attempt, None, f"payload not rendered: {failure}", now)
        body = payload.encode("utf-8")
        status_code = error = None
        try:
            target = resolve_target(organization.webhook_url, allow_private=private_urls_allowed())
            signing_key = self._signing_keys.webhook_key(organization_id)
            status_code = post(target, body, delivery_headers(body, signing_key, webhook_id))
        except RefusedUrl as refused:
            logger.warning("webhook URL refused", extra={"webhook_id": webhook_id, "reason": str(refused)})
            webhooks.record_attempt(claimed, "failed", None, f"refused: {refused}", now)
            count(WEBHOOKS_FAILED)
            return SETTLED  # permanent: no retry can change the answer
        except (TransportFailure, OSError) as failure:  # OSError: the host did not resolve
            error = str(failure)
        if status_code in SUCCESS_STATUS_CODES:
            webhooks.record_attempt(claimed, "delivered", status_code, None, now)
            return SETTLED
        return self._failed_attempt(claimed, attempt, status_code, error, now)

    def _failed_attempt(self, claimed: Webhook, attempt: int, status_code: int | None, error: str | None,
                        now: datetime) -> Verdict:
        """An attempt that did not deliver: retried after a growing delay, or, the last one, failed."""
        last = attempt >= MAX_ATTEMPTS
        logger.warning("webhook attempt failed", extra={"webhook_id": claimed.id, "attempt": attempt,
                                                        "status_code": status_code, "error": error, "last": last})
        self._stores.webhooks.record_attempt(claimed, "failed" if last else "pending", status_code, error, now)
        if last:
            count(WEBHOOKS_FAILED)
        return Verdict(settled=False,
                       retry_in_seconds=0 if last else retry_delay_seconds(attempt, retry_base_seconds()))
