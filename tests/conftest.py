"""Shared fixtures: an in-process moto DynamoDB with the real tables, the app behind the API Gateway
emulation, and organizations with their API keys; and the local stack the end-to-end and browser tests drive."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from chalice.test import Client
from hypothesis import settings
from local_stack import RunningStack, running_stack
from moto import mock_aws
from moto_tables import Seed, TablesSnapshot

from chalicelib.control_plane import organization_use_cases
from chalicelib.local import moto_fixes
from chalicelib.local.gateway import ApiGatewayEmulation
from chalicelib.setup_cache import CONTAINER_SETUP
from chalicelib.store.repositories import reset_repositories
from chalicelib.store.tables import create_tables

ROOT = Path(__file__).resolve().parents[1]

moto_fixes.install()  # as the local stack runs moto: requests at the cost of what they touch
# No example database under CI: the examples are the same every run, and parallel workers share no file.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=100, database=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    """The local stack as `make run` starts it, one per test process (each `make test` worker), shared by the
    end-to-end and browser modules, each in an organization of its own; its clean stop is checked at the end."""
    with running_stack() as running:
        yield running


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch):
    """Fake credentials and no endpoint override: nothing in a test can reach a real AWS account."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "BILLING_API_KEY"):
        monkeypatch.delenv(name, raising=False)


# The tables as the deployment defines them, empty.
EMPTY_TABLES = Seed()


@pytest.fixture
def dynamodb(aws_environment):
    """A fresh in-memory DynamoDB holding the tables exactly as the deployment defines them.

    boto3's default session is kept between tests (moto would reset it), so each test does not reload
    botocore's service models: that halves the cost of a test. The empty tables are a copy of the ones the first
    test of the process created (a millisecond, where creating them takes twenty). The data is fresh all the same."""
    with mock_aws(config={"core": {"mock_credentials": True, "reset_boto3_session": False}}):
        reset_repositories()
        CONTAINER_SETUP.clear()  # a fresh backend, as a fresh container would meet it
        client = boto3.client("dynamodb")
        EMPTY_TABLES.value(lambda: create_tables(client))
        yield client
        reset_repositories()
        CONTAINER_SETUP.clear()


@pytest.fixture
def tables_snapshot(dynamodb) -> TablesSnapshot:
    return TablesSnapshot()


@dataclass
class Tenant:
    organization_id: str
    api_key: str
    name: str


def _tenant(name: str) -> Tenant:
    organization, api_key = organization_use_cases().create(name)
    return Tenant(organization.id, api_key, name)


# The organization "Lago Corp" on empty tables.
TENANT = Seed()


@pytest.fixture
def tenant(dynamodb) -> Tenant:
    """The organization "Lago Corp" and its key: on empty tables, a copy of the tables in which the first test of the
    process created it (the same ids each time: a millisecond, where creating it takes thirty)."""
    return TENANT.value(lambda: _tenant("Lago Corp"))


@pytest.fixture
def other_tenant(tenant) -> Tenant:
    return _tenant("Other Inc")


class Api:
    """The app over the API Gateway emulation, as a client with an API key would call it."""

    def __init__(self, http, api_key: str | None):
        self._http = http
        self.api_key = api_key

    def request(self, method: str, path: str, body=None, *, api_key: str | None = "default",
                headers: dict | None = None, raw: bytes | None = None):
        key = self.api_key if api_key == "default" else api_key
        sent = {"Content-Type": "application/json"}
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        sent.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        return self._http.request(method, path, headers=sent, body=data)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def chalice_http(dynamodb):
    from app import app

    with Client(app, stage_name="dev", project_dir=str(ROOT)) as client:
        http = client.http
        # As in the deployed API: path ids percent-decoded, unknown routes answered by the gateway.
        http._local_gateway = ApiGatewayEmulation(app, http._config)
        yield http


@pytest.fixture
def api(chalice_http, tenant) -> Api:
    return Api(chalice_http, tenant.api_key)


@pytest.fixture
def other_api(chalice_http, other_tenant) -> Api:
    return Api(chalice_http, other_tenant.api_key)


class ApiClock:
    """The API's "now": subscription changes, the billing a request does at once, and finalizing a draft.
    `set(instant)` moves it."""

    def __init__(self, monkeypatch, now: datetime):
        self.now = now
        for target in ("chalicelib.api.subscriptions.utc_now", "chalicelib.api.invoices.utc_now"):
            monkeypatch.setattr(target, lambda: self.now)

    def set(self, instant: datetime) -> None:
        self.now = instant


@pytest.fixture
def api_clock(monkeypatch) -> ApiClock:
    """Pinned at 2026-01-15 unless a test sets it: after the usual backdated starts, before their first boundary,
    so that creating a subscription bills nothing at once unless the test means it to."""
    return ApiClock(monkeypatch, datetime(2026, 1, 15, tzinfo=UTC))
