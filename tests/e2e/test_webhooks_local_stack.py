"""Webhooks on the local stack as `make run` starts it: an organization's webhook_url on loopback receives
`customer.created`, signed with the key the admin CLI prints, through the stack's own stream and queue pollers."""
from __future__ import annotations

import time

import pytest
from operator_cli import cli
from webhook_receiver import Receiver, verifies

pytestmark = pytest.mark.e2e
DELIVERY_TIMEOUT_SECONDS = 15


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


def test_a_loopback_receiver_gets_a_signed_customer_created(stack, http, receiver):
    organization = http.put("/api/v1/organizations", json={"organization": {"webhook_url": receiver.url}})
    assert organization.status_code == 200, organization.text
    organization_id = organization.json()["organization"]["lago_id"]

    created = http.post("/api/v1/customers", json={"customer": {"external_id": "webhook-e2e", "name": "Hooked"}})
    assert created.status_code == 200, created.text
    customer_id = created.json()["customer"]["lago_id"]

    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.1)
    [received] = receiver.received
    body = received.json()
    assert (body["webhook_type"], body["organization_id"], body["customer"]["lago_id"]) == (
        "customer.created", organization_id, customer_id)
    hmac_key = cli(stack, "webhook-key", "--organization-id", organization_id).stdout.strip()
    assert verifies(received, hmac_key)

    listing = cli(stack, "webhooks", "--organization-id", organization_id, "--status", "delivered").stdout
    assert received.unique_key in listing and "customer.created" in listing
