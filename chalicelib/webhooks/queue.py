"""The webhook queue: the outbox's stream handler sends each new webhook to it (one message per webhook:
`{"organization_id", "webhook_id"}`), and the delivery handler pushes a failed message's next receive back by
its retry delay."""
from __future__ import annotations

import json
import os
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.client import BaseClient

from chalicelib.domain.errors import DomainError
from chalicelib.domain.webhooks import MAX_ATTEMPTS
from chalicelib.queues import create_queue_with_dead_letters, sqs_client

# The delivery handler's placeholder ARN; the deployment template points the event source at the real queue.
WEBHOOK_QUEUE_ARN_PLACEHOLDER = "arn:aws:sqs:us-east-1:000000000000:billing-webhooks"
# The delivery function's timeout: a batch of 5 attempts of at most ~10 s each, with room to spare.
DELIVERY_TIMEOUT_SECONDS = 120
# Lambda's guidance: a queue's visibility timeout of six times its function's timeout.
QUEUE_VISIBILITY_SECONDS = 6 * DELIVERY_TIMEOUT_SECONDS
# Messages outlive every retry (about 29 h) with days to spare.
MESSAGE_RETENTION_SECONDS = 14 * 24 * 3600


def redrive_policy(dead_letter_queue_arn: str) -> dict[str, Any]:
    """After its last attempt's receive, a message moves to the dead-letter queue."""
    return {"deadLetterTargetArn": dead_letter_queue_arn, "maxReceiveCount": MAX_ATTEMPTS}


def create_webhook_queues(client: BaseClient, name: str = "billing-webhooks") -> str:
    """The webhook queue and its dead-letter queue (local stack and tests); returns the queue's URL."""
    return create_queue_with_dead_letters(client, name, visibility_seconds=QUEUE_VISIBILITY_SECONDS,
                                          max_receives=MAX_ATTEMPTS, retention_seconds=MESSAGE_RETENTION_SECONDS)
_processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


class QueueNotConfigured(DomainError):
    """WEBHOOK_QUEUE_URL is not set (in AWS: the stack's WebhookQueueUrl output)."""


def webhook_queue_url() -> str:
    url = os.environ.get("WEBHOOK_QUEUE_URL")
    if not url:
        raise QueueNotConfigured("WEBHOOK_QUEUE_URL is not set (the stack's WebhookQueueUrl output)")
    return url


def queue_message(organization_id: str, webhook_id: str) -> str:
    return json.dumps({"organization_id": organization_id, "webhook_id": webhook_id}, separators=(",", ":"))


def enqueue(organization_id: str, webhook_id: str) -> None:
    sqs_client().send_message(QueueUrl=webhook_queue_url(), MessageBody=queue_message(organization_id, webhook_id))


class SqsWebhookQueue:
    """The WebhookQueue port on the webhook queue."""

    def enqueue(self, organization_id: str, webhook_id: str) -> None:
        enqueue(organization_id, webhook_id)


def delay_next_receive(receipt_handle: str, seconds: int) -> None:
    """The message comes back `seconds` from now (its visibility timeout), not at the queue's default."""
    sqs_client().change_message_visibility(QueueUrl=webhook_queue_url(), ReceiptHandle=receipt_handle,
                                           VisibilityTimeout=seconds)


def queue_new_webhooks(raw_event: dict[str, Any], context: LambdaContext | None) -> PartialItemFailureResponse:
    """The webhooks table's stream handler: queue each webhook inserted pending. A record that could not be queued
    is reported, so the stream redelivers from it; a record queued twice is delivered once (delivery.py)."""
    def queue(record: DynamoDBRecord) -> None:
        assert record.dynamodb is not None  # a stream record always carries its change
        image = record.dynamodb.new_image
        if record.event_name == DynamoDBRecordEventName.INSERT and image.get("status") == "pending":
            enqueue(image["organization_id"], image["id"])

    return process_partial_response(event=raw_event, record_handler=queue, processor=_processor, context=context)
