"""What the webhook tests share: a real HTTP receiver on loopback (tests/webhook_receiver.py), and the delivery
path as deployed (the webhooks table's stream, its handler, the SQS queue in moto, the delivery handler) driven step
by step by the local stack's own pollers, with every ChangeMessageVisibility recorded through a botocore hook."""
from __future__ import annotations

import threading

import boto3
import pytest
from webhook_receiver import Receiver

from chalicelib.local.queue_poller import QueuePoller
from chalicelib.local.stream_poller import StreamPoller
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import WEBHOOKS
from chalicelib.webhooks.queue import create_webhook_queues

RETRY_BASE_SECONDS = 1


class Pipeline:
    """The webhooks table's stream and the webhook queue, each pumped on demand by the local stack's pollers into
    the app's handlers."""

    def __init__(self, queue_url: str):
        import app

        self.queue_url = queue_url
        self.sqs = boto3.client("sqs")
        stream_arn = boto3.client("dynamodb").describe_table(TableName=WEBHOOKS.name)["Table"]["LatestStreamArn"]
        self.stream = StreamPoller(boto3.client("dynamodbstreams"), stream_arn, app.queue_webhooks, 100,
                                   threading.Event())
        self.queue = QueuePoller(self.sqs, queue_url, app.deliver_webhooks, 5, threading.Event())
        self.visibility_changes: list[int] = []

    def record_visibility(self, params, **_) -> None:
        self.visibility_changes.append(params["VisibilityTimeout"])

    def pump_stream(self) -> int:
        return self.stream.poll_once()

    def pump_queue(self) -> int:
        return self.queue.poll_once()

    def run(self) -> None:
        """The stream, then the queue until nothing is visible."""
        self.pump_stream()
        while self.pump_queue():
            pass

    def messages_in(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    @property
    def dead_letters_url(self) -> str:
        return self.sqs.get_queue_url(QueueName="billing-webhooks-dead-letters")["QueueUrl"]


@pytest.fixture
def pipeline(dynamodb, monkeypatch) -> Pipeline:
    queue_url = create_webhook_queues(boto3.client("sqs"))
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", queue_url)
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", str(RETRY_BASE_SECONDS))
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_URLS", "true")  # the receiver listens on loopback
    running = Pipeline(queue_url)
    # Clients are created per call, from the default session: a hook on its emitter sees every one of them.
    events = boto3._get_default_session().events
    events.register("before-parameter-build.sqs.ChangeMessageVisibility", running.record_visibility)
    yield running
    events.unregister("before-parameter-build.sqs.ChangeMessageVisibility", running.record_visibility)


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


def hmac_key_of(organization_id: str) -> str:
    return repositories().organizations.hmac_key(organization_id, "unused: every organization has one")


def set_webhook_url(api, url: str | None) -> None:
    response = api.put("/api/v1/organizations", {"organization": {"webhook_url": url}})
    assert response.status_code == 200, response.body
