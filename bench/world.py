"""The app on an in-process moto, driven through its public surfaces: the HTTP API as API Gateway calls it (Chalice's
test client with the gateway emulation the tests use), the events table's stream delivered to the stream handler as
Lambda's event source does (the local stack's poller), and the biller as its schedule runs it."""
from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from chalice.test import Client
from moto import mock_aws

from bench.meter import METER
from chalicelib.control_plane import organization_use_cases
from chalicelib.local import moto_fixes
from chalicelib.local.gateway import ApiGatewayEmulation
from chalicelib.local.stream_poller import StreamPoller
from chalicelib.setup_cache import CONTAINER_SETUP
from chalicelib.store.repositories import repositories, reset_repositories
from chalicelib.store.tables import EVENTS, create_tables
from chalicelib.wiring import run_biller

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENT = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled", "AWS_EC2_METADATA_DISABLED": "true"}


class RequestFailed(SystemExit):
    """A request of the scenario was refused: the path did not run."""


def cold_container() -> None:
    """Forget what a Lambda container keeps between invocations: the repositories' client and the setup cache."""
    reset_repositories()
    CONTAINER_SETUP.clear()


def month_start(moment: datetime, months_later: int = 0) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months_later
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


class World:
    """Fresh tables, one organization and its key; `with World() as world:`."""

    def __init__(self) -> None:
        self._mock = mock_aws()
        self.started = month_start(datetime.now(UTC))

    def __enter__(self) -> World:
        self._environment = dict(os.environ)
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "BILLING_QUEUE_URL"):
            os.environ.pop(name, None)
        os.environ.update(ENVIRONMENT)
        self._mock.start()
        moto_fixes.install()
        # Built before the counting is installed: Lambda's own stream reads are not the app's requests.
        self._streams = boto3.client("dynamodbstreams")
        METER.install()
        cold_container()
        create_tables(repositories().client)
        arn = repositories().client.describe_table(TableName=EVENTS.name)["Table"]["LatestStreamArn"]
        from chalicelib.handlers.usage_stream import handle_stream_batch
        self._poller = StreamPoller(self._streams, arn, handle_stream_batch, 100, threading.Event())
        from app import app
        self._client = Client(app, stage_name="dev", project_dir=str(ROOT))
        self._http = self._client.__enter__().http
        self._http._local_gateway = ApiGatewayEmulation(app, self._http._config)
        _, self.api_key = organization_use_cases().create("Bench Corp")
        return self

    def __exit__(self, *details: Any) -> None:
        self._client.__exit__(*details)
        cold_container()
        self._mock.stop()
        os.environ.clear()
        os.environ.update(self._environment)

    def request(self, method: str, path: str, body: Any = None) -> dict:
        response = self._http.request(method, path, headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {self.api_key}"},
                                      body=json.dumps(body).encode() if body is not None else None)
        if response.status_code != 200:
            raise RequestFailed(f"{method} {path}: {response.status_code} {response.body[:500]!r}")
        return json.loads(response.body)

    def metric(self, code: str, aggregation_type: str, field_name: str) -> dict:
        return self.request("POST", "/api/v1/billable_metrics", {"billable_metric": {
            "name": code, "code": code, "aggregation_type": aggregation_type, "field_name": field_name}})[
            "billable_metric"]

    def plan(self, code: str, metric: dict) -> dict:
        """Monthly, 1000 cents in arrears, one standard charge of 1 EUR a unit on the metric."""
        return self.request("POST", "/api/v1/plans", {"plan": {
            "name": code, "code": code, "interval": "monthly", "amount_cents": 1000, "amount_currency": "EUR",
            "pay_in_advance": False, "charges": [{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                                                  "properties": {"amount": "1"}}]}})["plan"]

    def subscribe(self, customer: str, plan_code: str) -> str:
        """A customer and its subscription (same external id) from the start of this month; the subscription's id."""
        self.request("POST", "/api/v1/customers", {"customer": {"external_id": customer, "name": customer}})
        self.request("POST", "/api/v1/subscriptions", {"subscription": {
            "external_customer_id": customer, "plan_code": plan_code, "external_id": customer,
            "subscription_at": self.started.strftime("%Y-%m-%dT%H:%M:%SZ")}})
        return customer

    def send_batch(self, events: list[dict]) -> None:
        self.request("POST", "/api/v1/events/batch", {"events": events})

    def send_event(self, event: dict) -> None:
        self.request("POST", "/api/v1/events", {"event": event})

    def current_usage(self, customer: str) -> dict:
        return self.request("GET", f"/api/v1/customers/{customer}/current_usage?external_subscription_id={customer}")

    def deliver_stream(self) -> int:
        """Every record the events table's stream holds, delivered to the stream handler; how many."""
        delivered = 0
        while (count := self._poller.poll_once()) > 0:
            delivered += count
        return delivered

    def run_biller(self, now: datetime) -> dict[str, Any]:
        return run_biller(now)
