"""The local stand-in for Lambda's SQS event source mapping: Lambda-shaped records (with the receive count), the
messages the handler did not report deleted, the reported ones back after their visibility, none deleted when
the handler fails."""
from __future__ import annotations

import threading

import boto3
import pytest

from chalicelib.local.queue_poller import QueuePoller


@pytest.fixture
def queue(dynamodb) -> str:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    for body in ("one", "two"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    return url


def poller(url: str, handler) -> QueuePoller:
    return QueuePoller(boto3.client("sqs"), url, handler, 10, threading.Event())


def test_records_are_lambda_shaped_and_reported_ones_come_back(queue):
    batches = []

    def handler(event, context):
        batches.append(event["Records"])
        return {"batchItemFailures": [{"itemIdentifier": record["messageId"]} for record in event["Records"]
                                      if record["body"] == "two"]}

    source = poller(queue, handler)
    assert source.poll_once() == 2
    assert source.poll_once() == 1  # only the reported one (visibility 0: at once)
    assert source.poll_once() == 1

    first = {record["body"]: record for record in batches[0]}
    assert set(first) == {"one", "two"}
    record = first["one"]
    assert (record["eventSource"], record["awsRegion"]) == ("aws:sqs", "us-east-1")
    assert record["eventSourceARN"].endswith(":work")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert [record["body"] for record in batches[2]] == ["two"]
    assert batches[2][0]["attributes"]["ApproximateReceiveCount"] == "3"


def test_a_failed_invocation_deletes_nothing(queue):
    def broken(event, context):
        raise RuntimeError("handler crashed")

    assert poller(queue, broken).poll_once() == 2
    assert poller(queue, lambda event, context: {"batchItemFailures": []}).poll_once() == 2
    assert poller(queue, broken).poll_once() == 0
