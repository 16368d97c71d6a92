"""The billing work queue on SQS (`BILLING_QUEUE_URL`): the WorkQueue port of the biller's fan-out and of test
clocks' advances, and the queue itself for the local stack. Its messages are read by chalicelib/billing/fanout.py."""
from __future__ import annotations

from datetime import datetime

from botocore.client import BaseClient

from chalicelib.billing.fanout import MAX_RECEIVES, WORKER_TIMEOUT_SECONDS, continuation_message, work_message
from chalicelib.domain.test_clocks import TestClock
from chalicelib.queues import billing_queue_url, create_queue_with_dead_letters, sqs_client

_BATCH = 10  # SendMessageBatch's limit


def create_billing_queue(client: BaseClient, name: str = "billing-work") -> str:
    """The work queue and its dead-letter queue (the local stack); returns the queue's URL."""
    # Lambda's guidance: a visibility timeout of six times the function's; messages kept 14 days, as in the template.
    return create_queue_with_dead_letters(client, name, visibility_seconds=6 * WORKER_TIMEOUT_SECONDS,
                                          max_receives=MAX_RECEIVES, retention_seconds=14 * 24 * 3600)


class SqsWorkQueue:
    """The WorkQueue port on the billing queue (`BILLING_QUEUE_URL`)."""

    def is_configured(self) -> bool:
        return billing_queue_url() is not None

    def enqueue(self, customers: list[tuple[str, str]], now: datetime) -> int:
        """Queue one message per customer; raises if any could not be queued (the next hourly run finds the same
        customers due again, and billing them twice is a no-op)."""
        client, url = sqs_client(), billing_queue_url()
        for start in range(0, len(customers), _BATCH):
            entries = [{"Id": str(index), "MessageBody": work_message(organization_id, customer_id, now)}
                       for index, (organization_id, customer_id) in enumerate(customers[start:start + _BATCH])]
            failed = client.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
            if failed:
                raise RuntimeError(f"{len(failed)} billing messages not queued: {failed[0].get('Message')}")
        return len(customers)

    def queue_continuation(self, clock: TestClock, delay_seconds: int) -> None:
        sqs_client().send_message(QueueUrl=billing_queue_url(), MessageBody=continuation_message(clock),
                                  DelaySeconds=delay_seconds)
