"""What the webhook tests share: a real HTTP receiver on loopback, and the delivery path as deployed (the webhooks
table's stream, its handler, the SQS queue in moto, the delivery handler) driven step by step by the local stack's
own pollers, with every ChangeMessageVisibility recorded through a botocore event hook."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from chalicelib.local.queue_poller import QueuePoller
from chalicelib.local.stream_poller import StreamPoller
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import WEBHOOKS
from chalicelib.webhooks.queue import create_webhook_queues

RETRY_BASE_SECONDS = 1


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str

    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def unique_key(self) -> str:
        return self.headers["X-Lago-Unique-Key"]


@dataclass
class Receiver:
    """An http.server on 127.0.0.1 that answers each request with the next scripted reaction (a status code, or
    "drop": close the connection without an answer), then 200; it records every request it read."""

    script: list = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self, port: int = 0, tls: ssl.SSLContext | None = None) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Received(dict(self.headers.items()), body, self.path))
                reaction = receiver.script.pop(0) if receiver.script else 200
                if reaction == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.send_response(reaction)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def verifies(received: Received, hmac_key: str) -> bool:
    """A receiver's check, as docs/webhooks.md shows it: HMAC-SHA256 of the raw body, base64, compared."""
    expected = base64.b64encode(hmac.new(hmac_key.encode(), received.body, hashlib.sha256).digest()).decode()
    return (received.headers["X-Lago-Signature-Algorithm"] == "hmac"
            and hmac.compare_digest(expected, received.headers["X-Lago-Signature"]))


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
