"""The webhook outbox: each change that Lago reports with a webhook writes its outbox item in its own transaction, so
a stored change always has its webhook and a refused one never does. Subscriptions report entering `active`
(`subscription.started`) and `terminated` (`subscription.terminated`), whoever makes the change: the API, the
biller (activation at `subscription_at`, termination at `ending_at`, a downgrade's switch) or an upgrade."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from builders import create_customer, create_plan, subscribe
from interleaving import competing
from test_subscriptions import FUTURE, PAST, path_of, post

from chalicelib.domain.errors import StaleWrite
from chalicelib.domain.webhooks import webhook_id
from chalicelib.store.repositories import repositories
from chalicelib.wiring import run_biller

CUSTOMERS = "/api/v1/customers"


def outbox(tenant) -> list[tuple[str, str]]:
    """(webhook type, object id) of every outbox item of the organization, sorted (changes made in one second,
    or one transaction, have no order between them)."""
    return sorted((webhook.webhook_type, webhook.object_id)
                  for webhook in repositories().webhooks.list(tenant.organization_id))


def subscription_webhooks(tenant) -> list[tuple[str, str]]:
    return [entry for entry in outbox(tenant) if entry[0].startswith("subscription.")]


def started(subscription: dict) -> tuple[str, str]:
    return "subscription.started", subscription["lago_id"]


def terminated(subscription: dict) -> tuple[str, str]:
    return "subscription.terminated", subscription["lago_id"]


@pytest.fixture
def ready(api):
    return create_customer(api), create_plan(api)


def test_a_customer_created_writes_one_pending_customer_created(api, tenant):
    customer = create_customer(api, "acme")
    create_customer(api, "acme", name="Renamed")  # an update: Lago sends customer.updated, not built here

    [webhook] = repositories().webhooks.list(tenant.organization_id)
    assert (webhook.webhook_type, webhook.object_type, webhook.object_id) == (
        "customer.created", "customer", customer["lago_id"])
    assert webhook.id == webhook_id(tenant.organization_id, "customer.created", customer["lago_id"])
    assert (webhook.status, webhook.attempts, webhook.payload) == ("pending", 0, None)


def test_a_customer_create_that_loses_its_external_id_writes_no_webhook(api, tenant):
    """The competitor's create takes the external id between the read and the transaction: the refused
    transaction (its lookup condition, still read at index 2) writes nothing, and the request updates the
    winner."""
    with competing("TransactWriteItems", lambda: create_customer(api, "acme", name="First")) as winner:
        answer = api.post(CUSTOMERS, {"customer": {"external_id": "acme", "name": "Second"}})

    assert answer.status_code == 200, answer.body
    assert answer.json_body["customer"]["lago_id"] == winner[0]["lago_id"]
    assert outbox(tenant) == [("customer.created", winner[0]["lago_id"])]


def test_an_active_subscription_starts_and_terminates_once_each(api, tenant, ready):
    created = subscribe(api)
    api.put(path_of("sub"), {"subscription": {"name": "Renamed"}})  # active to active: nothing to report

    assert subscription_webhooks(tenant) == [started(created)]
    assert api.delete(path_of("sub")).status_code == 200
    assert subscription_webhooks(tenant) == sorted([started(created), terminated(created)])


def test_a_pending_subscription_reports_its_start_and_nothing_when_canceled(api, tenant, ready):
    pending = subscribe(api, subscription_at=FUTURE)
    assert subscription_webhooks(tenant) == []

    api.put(path_of("sub", "pending"), {"subscription": {"subscription_at": PAST}})  # moved into the past
    assert subscription_webhooks(tenant) == [started(pending)]

    canceled = subscribe(api, external_id="other", subscription_at=FUTURE)
    assert api.delete(path_of("other", "pending")).status_code == 200
    assert terminated(canceled) not in subscription_webhooks(tenant)
    assert len(subscription_webhooks(tenant)) == 1


def test_the_biller_reports_an_activation_and_an_ending_at_termination(api, tenant, ready, api_clock):
    api_clock.set(datetime(2026, 1, 15, tzinfo=UTC))
    pending = subscribe(api, subscription_at="2026-02-01T00:00:00Z", ending_at="2026-03-10T00:00:00Z")
    assert pending["status"] == "pending"

    run_biller(datetime(2026, 2, 1, 0, 30, tzinfo=UTC))
    assert subscription_webhooks(tenant) == [started(pending)]
    run_biller(datetime(2026, 2, 1, 0, 30, tzinfo=UTC))  # a rerun changes nothing, so reports nothing
    run_biller(datetime(2026, 3, 10, 0, 30, tzinfo=UTC))
    assert subscription_webhooks(tenant) == sorted([started(pending), terminated(pending)])


def test_an_upgrade_terminates_one_and_starts_the_other(api, tenant, ready, api_clock):
    create_plan(api, "pro", amount_cents=3000)
    api_clock.set(datetime(2026, 11, 1, tzinfo=UTC))
    old = subscribe(api, subscription_at="2026-11-01T00:00:00Z")
    api_clock.set(datetime(2026, 11, 16, tzinfo=UTC))

    new = post(api, plan_code="pro").json_body["subscription"]

    assert new["lago_id"] != old["lago_id"]
    assert subscription_webhooks(tenant) == sorted([started(old), terminated(old), started(new)])


def test_a_downgrade_reports_at_its_switch(api, tenant, ready, api_clock):
    create_plan(api, "lite", amount_cents=500)
    api_clock.set(datetime(2026, 11, 1, tzinfo=UTC))
    old = subscribe(api, subscription_at="2026-11-01T00:00:00Z")
    api_clock.set(datetime(2026, 11, 16, tzinfo=UTC))
    post(api, plan_code="lite")
    assert subscription_webhooks(tenant) == [started(old)]  # only scheduled

    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))

    successor = api.get(path_of("sub")).json_body["subscription"]
    assert successor["plan_code"] == "lite"
    assert subscription_webhooks(tenant) == sorted([started(old), terminated(old), started(successor)])


def test_a_refused_status_change_writes_no_webhook(api, tenant, ready):
    created = subscribe(api, subscription_at=FUTURE)
    store = repositories().subscriptions
    previous = store.get(tenant.organization_id, created["lago_id"])
    api.put(path_of("sub", "pending"), {"subscription": {"name": "Moved on"}})  # the version read is now stale
    activated = previous.model_copy(update={"status": "active", "started_at": datetime(2026, 11, 17, tzinfo=UTC)})

    with pytest.raises(StaleWrite):
        store.replace(previous, activated)

    assert subscription_webhooks(tenant) == []
