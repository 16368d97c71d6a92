"""The SQS client the biller's fan-out and the webhook sender share: built lazily for whatever AWS_ENDPOINT_URL
names (moto locally, SQS in AWS), with standard retries."""
from __future__ import annotations

import os

import boto3
from botocore.config import Config


def billing_queue_url() -> str | None:
    """The billing work queue (the biller's fan-out, test clocks' advances), when the deployment has one."""
    return os.environ.get("BILLING_QUEUE_URL") or None


def sqs_client():
    return boto3.client("sqs", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                        config=Config(retries={"mode": "standard", "max_attempts": 5}))
