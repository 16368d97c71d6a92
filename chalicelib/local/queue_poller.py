"""Local stand-in for Lambda's SQS event source mapping: receives a queue's messages, calls the queue's handler with
a Lambda-shaped event and deletes the messages it did not report in `batchItemFailures` (with
ReportBatchItemFailures, as the template sets it); the reported ones come back when their visibility ends."""
from __future__ import annotations

import threading

from botocore.client import BaseClient
from chalice.local import LambdaContext

from chalicelib.local.polling import LambdaHandler, PollingThread
from chalicelib.observability import logger


def lambda_sqs_record(message: dict, queue_arn: str, region: str) -> dict:
    """A ReceiveMessage message in the shape Lambda delivers it."""
    return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
            "attributes": message.get("Attributes", {}), "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
            "awsRegion": region}


class QueuePoller(PollingThread):
    def __init__(self, sqs_client: BaseClient, queue_url: str, handler: LambdaHandler, batch_size: int,
                 stop: threading.Event):
        super().__init__(f"queue-poller-{queue_url.rsplit('/', 1)[-1]}", stop)
        self._client = sqs_client
        self._queue_url = queue_url
        self._queue_arn = sqs_client.get_queue_attributes(QueueUrl=queue_url,
                                                          AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._handler = handler
        self._batch_size = batch_size

    def poll_once(self) -> int:
        """Receive what is visible now and hand it to the handler; returns the number of messages received."""
        messages = self._client.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=self._batch_size,
                                                MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"],
                                                WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [lambda_sqs_record(message, self._queue_arn, self._client.meta.region_name)
                             for message in messages]}
        try:
            result = self._handler(event, LambdaContext("local-queue-handler", 512)) or {}
            failed = {failure["itemIdentifier"] for failure in result.get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - as Lambda: a failed invocation returns the whole batch to the queue
            logger.exception("queue handler failed")
            failed = {message["MessageId"] for message in messages}
        for message in messages:
            if message["MessageId"] not in failed:
                self._client.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)
