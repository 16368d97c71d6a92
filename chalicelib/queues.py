"""The SQS client the biller's fan-out and the webhook sender share: built lazily for whatever AWS_ENDPOINT_URL
names (moto locally, SQS in AWS), with standard retries."""
from __future__ import annotations

import json
import os

import boto3
from botocore.client import BaseClient
from botocore.config import Config


def billing_queue_url() -> str | None:
    """The billing work queue (the biller's fan-out, test clocks' advances), when the deployment has one."""
    return os.environ.get("BILLING_QUEUE_URL") or None


def create_queue_with_dead_letters(client: BaseClient, name: str, *, visibility_seconds: int, max_receives: int,
                                   retention_seconds: int) -> str:
    """A queue and its dead-letter queue (`<name>-dead-letters`, where a message goes after `max_receives` receives),
    as the deployment template defines them, for the local stack and the tests; returns the queue's URL."""
    retention = {"MessageRetentionPeriod": str(retention_seconds)}
    dead_letters_url = client.create_queue(QueueName=f"{name}-dead-letters", Attributes=retention)["QueueUrl"]
    dead_letters_arn = client.get_queue_attributes(QueueUrl=dead_letters_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    url: str = client.create_queue(QueueName=name, Attributes={
        **retention, "VisibilityTimeout": str(visibility_seconds),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_letters_arn, "maxReceiveCount": max_receives})})[
        "QueueUrl"]
    return url


def sqs_client() -> BaseClient:
    return boto3.client("sqs", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                        config=Config(retries={"mode": "standard", "max_attempts": 5}))
