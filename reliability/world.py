"""The service as one process runs it on moto: the real tables, one organization, the app behind the API Gateway
emulation, the stream and queue event sources of the local stack, and the instants the handlers read. A scenario
prepares it once; `restore()` puts the tables back as prepared before each faulted run (a deep copy: milliseconds,
where building it again takes a fifth of a second)."""
from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from unittest import mock

import boto3
from chalice.test import Client
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from chalicelib.billing.work_queue import create_billing_queue
from chalicelib.control_plane import organization_use_cases
from chalicelib.local import moto_fixes
from chalicelib.local.gateway import ApiGatewayEmulation
from chalicelib.local.queue_poller import QueuePoller
from chalicelib.local.stream_poller import StreamPoller
from chalicelib.store.repositories import repositories, reset_repositories
from chalicelib.store.tables import EVENTS, WEBHOOKS, create_tables
from chalicelib.webhooks.queue import QUEUE_VISIBILITY_SECONDS, create_webhook_queues
from reliability.receiver import Receiver

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
# As the tests run: fake credentials, no endpoint, Streams reachable under moto (reference: local-runtime-notes.md).
ENVIRONMENT = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
               "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled", "AWS_EC2_METADATA_DISABLED": "true",
               "WEBHOOK_ALLOW_PRIVATE_URLS": "true"}  # the receiver listens on loopback
# The handlers that read the wall clock, pinned to the scenario's instant as the tests pin them.
_API_CLOCKS = ("chalicelib.api.subscriptions.utc_now", "chalicelib.api.invoices.utc_now",
               "chalicelib.api.customers.utc_now", "chalicelib.api.current_usage.utc_now",
               "chalicelib.api.events.utc_now_ms")


@dataclass
class Answer:
    status_code: int
    body: dict


class Api:
    """The app as a client with the organization's API key calls it."""

    def __init__(self, http, api_key: str):
        self._http = http
        self._headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"}

    def request(self, method: str, path: str, body: dict | None = None) -> Answer:
        response = self._http.request(method, path, headers=self._headers,
                                      body=json.dumps(body).encode() if body is not None else None)
        return Answer(response.status_code, json.loads(response.body) if response.body else {})

    def ok(self, method: str, path: str, body: dict | None = None) -> dict:
        """A request that must succeed (the scenario's setup and its final reads)."""
        answer = self.request(method, path, body)
        if answer.status_code != 200:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.body}")
        return answer.body


class DeliveryClock:
    """The webhook sender's "now": each attempt one queue visibility timeout after the previous one, as SQS brings
    back the message of a crashed attempt only then (so its lease has run out)."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=QUEUE_VISIBILITY_SECONDS + 1)
        return self.now


@dataclass
class World:
    api: Api
    organization_id: str
    receiver: Receiver
    now: datetime = datetime(2026, 1, 15, tzinfo=UTC)
    # Events that got a 200, by transaction_id: (external subscription id, value).
    accepted: dict[str, tuple[str, int]] = field(default_factory=dict)
    _snapshot: tuple | None = None
    _runs: int = 0
    _queues: tuple[str, str] | None = None
    _queues_of_run: int = -1  # the run the queues were last emptied for

    @property
    def client(self):
        """The DynamoDB client every repository uses: the one the faults are injected on."""
        return repositories().client

    def clock(self) -> datetime:
        return self.now

    def snapshot(self) -> None:
        self._snapshot = (copy.deepcopy(_tables()), dict(self.accepted), self.now)

    def restore(self) -> None:
        tables, accepted, now = self._snapshot
        dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables = copy.deepcopy(tables)
        self.accepted, self.now = dict(accepted), now
        self.receiver.received.clear()
        self._runs += 1

    def _run_queues(self) -> tuple[str, str]:
        """The webhook queue (the app finds it in WEBHOOK_QUEUE_URL) and the billing work queue, emptied of what an
        earlier run left (SQS allows one purge a minute), made at the first run that needs them."""
        if self._queues is None:
            self._queues = (_received_at_once(create_webhook_queues(_client("sqs"))),
                            _received_at_once(create_billing_queue(_client("sqs"))))
            os.environ["WEBHOOK_QUEUE_URL"] = self._queues[0]  # within world()'s patched environment
        if self._queues_of_run != self._runs:
            for url in self._queues:
                _emptied(url)
            self._queues_of_run = self._runs
        return self._queues

    @property
    def billing_queue_url(self) -> str:
        return self._run_queues()[1]

    def events_stream(self, handler, batch_size: int) -> StreamPoller:
        return _stream_poller(EVENTS.name, handler, batch_size)

    def webhooks_stream(self, handler) -> StreamPoller:
        self._run_queues()
        return _stream_poller(WEBHOOKS.name, handler, 100)

    def webhook_queue(self, handler) -> QueuePoller:
        return QueuePoller(_client("sqs"), self._run_queues()[0], handler, 5, threading.Event())

    def billing_queue(self, handler) -> QueuePoller:
        return QueuePoller(_client("sqs"), self._run_queues()[1], handler, 10, threading.Event())


@cache
def _client(service: str):
    """The harness's own clients (the app builds its own): one per service, within one moto mock."""
    return boto3.client(service)


def _tables() -> dict:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables


def _stream_poller(table: str, handler, batch_size: int) -> StreamPoller:
    arn = _client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    return StreamPoller(_client("dynamodbstreams"), arn, handler, batch_size, threading.Event())


def _emptied(url: str) -> None:
    """Every message deleted: all are visible (`_received_at_once`, `_delay_elapsed`)."""
    sqs = _client("sqs")
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(messages)])


def _received_at_once(url: str) -> str:
    """A message not deleted is received again at the next poll: the visibility timeout has passed (the
    delivery clock says so)."""
    _client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    return url


def _delay_elapsed(params, **_) -> None:
    """A retry delay the app sets on a message has elapsed at once (the delivery clock has moved on by more)."""
    params["VisibilityTimeout"] = 0


@contextmanager
def world() -> Iterator[World]:
    """A fresh world: moto, the tables, an organization and its API key, the queues, a webhook receiver."""
    import app

    moto_fixes.install()  # as the local stack and the tests run moto
    with ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, ENVIRONMENT))
        stack.enter_context(mock_aws(config={"core": {"mock_credentials": True, "reset_boto3_session": False}}))
        reset_repositories()
        stack.callback(reset_repositories)
        stack.callback(_client.cache_clear)
        create_tables(_client("dynamodb"))
        organization, api_key = organization_use_cases().create("Reliability")
        http = stack.enter_context(Client(app.app, stage_name="dev", project_dir=str(ROOT))).http
        http._local_gateway = ApiGatewayEmulation(app.app, http._config)  # as in the deployed API
        receiver = stack.enter_context(Receiver())
        built = World(Api(http, api_key), organization.id, receiver)
        for target in _API_CLOCKS:
            stack.enter_context(mock.patch(target, built.clock))
        stack.enter_context(mock.patch("chalicelib.webhooks.delivery.utc_now", DeliveryClock(built.now)))
        # Clients are created per call from the default session: its emitter reaches every SQS call of the app.
        events = boto3._get_default_session().events
        events.register("before-parameter-build.sqs.ChangeMessageVisibility", _delay_elapsed)
        stack.callback(events.unregister, "before-parameter-build.sqs.ChangeMessageVisibility", _delay_elapsed)
        yield built
