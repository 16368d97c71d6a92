"""Purging a customer (chalicelib/store/customer_purge.py): two customers of one organization with the same history,
built through the API (a terminated subscription, one upgraded, usage aggregated by the events stream, invoices, credit
notes, pay-in-advance fees, periodic invoices); one is purged. Every table is scanned (tests only) to check that no
item names the purged customer's ids any more, that the other customer's items are untouched, and that the counters
read as if the purged customer's subscriptions had never been counted. Then a rerun, a purge interrupted at each of
its writes, an external subscription id reused by another customer, and a deleted customer whose external id was
taken again."""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from builders import create_customer, create_metric, create_plan, subscribe
from in_advance_fixtures import drain
from test_subscriptions import listed, path_of, post
from usage_fixtures import event_item, store_events

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.subscriptions import STATUSES
from chalicelib.store import keys
from chalicelib.store.customer_purge import purge_customer
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import ALL_TABLES, CONTROL
from chalicelib.wiring import run_biller

JANUARY_1 = "2026-01-01T00:00:00Z"


@pytest.fixture
def catalog(api, tenant) -> dict[str, dict]:
    """Metrics `storage` (sum of gb, in arrears at 0.01 EUR) and `seats` (sum of seats, paid in advance at 1 EUR);
    plans `basic` (1000 a month) and `pro` (3000 a month), both paid in advance and charging both metrics."""
    storage = create_metric(api, "storage", "sum_agg", "gb")
    seats = create_metric(api, "seats", "sum_agg", "seats")
    charges = [{"billable_metric_id": storage["lago_id"], "charge_model": "standard", "properties": {"amount": "0.01"}},
               {"billable_metric_id": seats["lago_id"], "charge_model": "standard", "properties": {"amount": "1"},
                "pay_in_advance": True}]
    return {code: create_plan(api, code, amount_cents=amount_cents, pay_in_advance=True, charges=charges)
            for code, amount_cents in (("basic", 1000), ("pro", 3000))}


def customer_with_history(api, api_clock, event_stream, name: str) -> None:
    """Customer `<name>-customer` (VAT 20 %): `<name>-ended` on basic from 1 January, terminated on the 10th (its
    unused days credited); `<name>-main` on basic from 1 January, upgraded to pro on the 12th; storage and seats
    events on the 15th, aggregated, the seats paid in advance."""
    external_customer_id = f"{name}-customer"
    create_customer(api, external_id=external_customer_id, billing_configuration={"vat_rate": 20})
    for external_id in (f"{name}-ended", f"{name}-main"):
        api_clock.set(datetime(2026, 1, 1, tzinfo=UTC))
        subscribe(api, external_customer_id=external_customer_id, external_id=external_id, plan_code="basic",
                  subscription_at=JANUARY_1)
    api_clock.set(datetime(2026, 1, 10, 10, tzinfo=UTC))
    assert api.delete(path_of(f"{name}-ended")).status_code == 200
    api_clock.set(datetime(2026, 1, 12, 10, tzinfo=UTC))
    upgraded = post(api, external_customer_id=external_customer_id, external_id=f"{name}-main", plan_code="pro")
    assert upgraded.status_code == 200, upgraded.body
    at = epoch_ms(datetime(2026, 1, 15, tzinfo=UTC)) // 1000
    for transaction_id, code, properties in (("storage", "storage", {"gb": 100}), ("seats-1", "seats", {"seats": 3}),
                                             ("seats-2", "seats", {"seats": 2})):
        response = api.post("/api/v1/events", {"event": {
            "transaction_id": f"{name}-{transaction_id}", "external_subscription_id": f"{name}-main", "code": code,
            "timestamp": at, "properties": properties}})
        assert response.status_code == 200, response.body
    drain(event_stream)


@pytest.fixture
def two_customers(api, tenant, api_clock, reception, event_stream, catalog) -> dict:
    """`gone` and `kept` with the same history, then a grace period of 3 days, so that January's invoices of 1 February
    are drafts; the ids naming `gone`'s items."""
    for name in ("gone", "kept"):
        customer_with_history(api, api_clock, event_stream, name)
        grace = {"customer": {"billing_configuration": {"invoice_grace_period": 3}}}
        assert api.put(f"/api/v1/customers/{name}-customer", grace).status_code == 200
    run_biller(datetime(2026, 2, 1, 0, 30, tzinfo=UTC))
    return {"catalog": catalog, "gone": identifiers(tenant.organization_id, "gone-customer")}


def identifiers(organization_id: str, external_customer_id: str) -> dict:
    """The customer's lago_id and every id its items can be named by (its external ids too)."""
    stores = repositories()
    customer = stores.customers.find_by_external_id(organization_id, external_customer_id)
    subscriptions = stores.subscriptions.of_customer(organization_id, customer.id, STATUSES)
    invoices = stores.invoices.list_page(organization_id, 1, 100, customer_id=customer.id)
    notes = stores.credit_notes.list_page(organization_id, 1, 100, customer_id=customer.id)
    fees = stores.fees.list_page(organization_id, 1, 100, customer_id=customer.id)
    # Invoices: basic's two starting ones, `-ended`'s final one, the upgrade's (basic's final share and pro's start
    # on one, as Lago), one per seats fee, January's draft.
    assert (len(subscriptions), len(invoices), len(notes), len(fees)) == (3, 7, 2, 2)
    ids = {customer.id, external_customer_id, *(subscription.id for subscription in subscriptions),
           *(subscription.external_id for subscription in subscriptions), *(invoice.id for invoice in invoices),
           *(note.id for note in notes), *(fee.id for fee in fees)}
    return {"customer_id": customer.id, "ids": ids}


def table_items(dynamodb) -> dict[tuple[str, str, str], dict]:
    """Every item of the four tables, by (table, pk, sk)."""
    paginator = dynamodb.get_paginator("scan")
    return {(spec.name, item["pk"]["S"], item["sk"]["S"]): item for spec in ALL_TABLES
            for page in paginator.paginate(TableName=spec.name) for item in page["Items"]}


def naming(items: dict, ids: set[str]) -> set[tuple[str, str, str]]:
    """The keys of the items whose key or attributes hold one of `ids`."""
    return {key for key, item in items.items() if any(name in json.dumps([key, item]) for name in ids)}


def counter_keys(organization_id: str, catalog: dict[str, dict]) -> set[tuple[str, str, str]]:
    """The items a purge moves counts on: the organization's subscription and customer counters, each plan and its
    subscription counter, and the organization itself (its setup version)."""
    sort_keys = [keys.SUBSCRIPTION_COUNTER_SK, keys.CUSTOMER_COUNTER_SK, keys.ORGANIZATION_SK,
                 *(sort_key for plan in catalog.values()
                   for sort_key in (keys.PLANS.sk(plan["lago_id"]), keys.plan_subscription_counter_sk(plan["lago_id"])))]
    return {(CONTROL.name, keys.organization_pk(organization_id), sort_key) for sort_key in sort_keys}


def assert_purged(api, dynamodb, organization_id: str, scenario: dict, before: dict) -> None:
    """Nothing names the purged customer; every other item is as it was, counters aside, which read as the kept
    customer's alone."""
    after = table_items(dynamodb)
    assert naming(after, scenario["gone"]["ids"]) == set()
    counters = counter_keys(organization_id, scenario["catalog"])
    doomed = naming(before, scenario["gone"]["ids"])
    assert {key: item for key, item in after.items() if key not in counters} == {
        key: item for key, item in before.items() if key not in doomed | counters}
    plans = {code: api.get(f"/api/v1/plans/{code}").json_body["plan"] for code in ("basic", "pro")}
    assert {code: plan["active_subscriptions_count"] for code, plan in plans.items()} == {"basic": 0, "pro": 1}
    assert {status: listed(api, f"?status[]={status}")["meta"]["total_count"] for status in STATUSES} == {
        "active": 1, "pending": 0, "terminated": 2, "canceled": 0}
    assert [listed(api, f"?plan_code={code}&status[]=active&status[]=terminated")["meta"]["total_count"]
            for code in ("basic", "pro")] == [2, 1]
    assert api.get("/api/v1/customers").json_body["meta"]["total_count"] == 1
    assert api.get("/api/v1/customers/gone-customer").status_code == 404


def test_a_purge_deletes_every_item_of_the_customer_and_uncounts_its_subscriptions(api, dynamodb, tenant,
                                                                                   two_customers):
    org, customer_id = tenant.organization_id, two_customers["gone"]["customer_id"]
    before = table_items(dynamodb)
    doomed = naming(before, two_customers["gone"]["ids"])
    # Every table held some of it (events, usage aggregates and pay-in-advance state, webhooks), a draft too.
    assert {table for table, _, _ in doomed} == {spec.name for spec in ALL_TABLES}
    assert any(sort_key.startswith(keys.customer_drafts_prefix(customer_id)) for _, _, sort_key in doomed)
    assert purge_customer(repositories(), org, customer_id) == len(doomed)
    assert_purged(api, dynamodb, org, two_customers, before)
    # The kept customer's draft is finalized and its invoices numbered on, without a gap.
    run_biller(datetime(2026, 2, 4, 0, 30, tzinfo=UTC))
    invoices = repositories().invoices.list_page(org, 1, 100)
    kept = repositories().customers.find_by_external_id(org, "kept-customer")
    assert {invoice.customer_id for invoice in invoices} == {kept.id}
    assert sorted(invoice.sequential_id for invoice in invoices) == list(range(1, len(invoices) + 1))


def test_a_second_purge_deletes_nothing(api, dynamodb, tenant, two_customers):
    org, customer_id = tenant.organization_id, two_customers["gone"]["customer_id"]
    before = table_items(dynamodb)
    assert purge_customer(repositories(), org, customer_id) > 0
    purged = table_items(dynamodb)
    assert purge_customer(repositories(), org, customer_id) == 0
    assert table_items(dynamodb) == purged
    assert_purged(api, dynamodb, org, two_customers, before)


@contextmanager
def before_each_write(hook):
    """`hook` called before each DynamoDB write (BatchWriteItem, TransactWriteItems) of the repositories' client."""
    events = repositories().client.meta.events
    names = [f"before-call.dynamodb.{operation}" for operation in ("BatchWriteItem", "TransactWriteItems")]
    for name in names:
        events.register(name, hook)
    try:
        yield
    finally:
        for name in names:
            events.unregister(name, hook)


def failing_after(writes: int):
    """A hook that lets `writes` writes through, then refuses every one."""
    done = []

    def hook(**_):
        if len(done) == writes:
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "write")
        done.append(1)
    return hook


# The writes of a whole purge of `gone` (asserted below): a crash before each of them in turn.
PURGE_WRITES = 14


def test_a_purge_interrupted_at_any_write_is_completed_by_the_next(api, dynamodb, tenant, two_customers,
                                                                    tables_snapshot):
    """A crash before each of the purge's writes in turn, each from the same world (the tables put back as built),
    then a rerun: the tables end exactly as after a purge never interrupted (counters included)."""
    org, customer_id = tenant.organization_id, two_customers["gone"]["customer_id"]
    before = table_items(dynamodb)
    tables_snapshot.take()
    purge_customer(repositories(), org, customer_id)
    assert_purged(api, dynamodb, org, two_customers, before)
    purged = table_items(dynamodb)
    for crash_before_write in range(PURGE_WRITES):
        tables_snapshot.restore()
        with before_each_write(failing_after(crash_before_write)), pytest.raises(ClientError, match="injected"):
            purge_customer(repositories(), org, customer_id)
        left = naming(table_items(dynamodb), two_customers["gone"]["ids"])
        assert purge_customer(repositories(), org, customer_id) == len(left), crash_before_write
        assert table_items(dynamodb) == purged, crash_before_write


def test_the_crashes_cover_every_write_of_the_purge(dynamodb, tenant, two_customers):
    writes = []
    with before_each_write(lambda **_: writes.append(1)):
        purge_customer(repositories(), tenant.organization_id, two_customers["gone"]["customer_id"])
    assert len(writes) == PURGE_WRITES


def test_events_of_a_reused_external_subscription_id_stay_with_the_other_customer(api, dynamodb, tenant, api_clock,
                                                                                   catalog):
    """`shared` named `gone`'s subscription until 10 January, then `kept`'s: only `gone`'s event goes."""
    org = tenant.organization_id
    for name in ("gone", "kept"):
        create_customer(api, external_id=name)
    api_clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    subscribe(api, external_customer_id="gone", external_id="shared", plan_code="basic", subscription_at=JANUARY_1)
    api_clock.set(datetime(2026, 1, 10, tzinfo=UTC))
    assert api.delete(path_of("shared")).status_code == 200
    kept = subscribe(api, external_customer_id="kept", external_id="shared", plan_code="basic",
                     subscription_at="2026-01-10T00:00:00Z")
    customer_ids = {name: repositories().customers.find_by_external_id(org, name).id for name in ("gone", "kept")}
    store_events(dynamodb, [
        {**event_item(org, f"{name}-event", epoch_ms(at), "storage", {"gb": 1}, "shared"),
         "lago_customer_id": customer_ids[name]}
        for name, at in (("gone", datetime(2026, 1, 5, tzinfo=UTC)), ("kept", datetime(2026, 1, 15, tzinfo=UTC)))])

    purge_customer(repositories(), org, customer_ids["gone"])
    events = api.get("/api/v1/events?external_subscription_id=shared").json_body["events"]
    assert [event["transaction_id"] for event in events] == ["kept-event"]
    assert api.get(path_of("shared")).json_body["subscription"]["lago_id"] == kept["lago_id"]
    assert [subscription.id for subscription in repositories().subscriptions.history(org, "shared")] == [
        kept["lago_id"]]


def test_a_deleted_customer_is_purged_without_the_external_id_its_successor_took(api, tenant, catalog):
    org = tenant.organization_id
    create_customer(api, external_id="cust")
    deleted = repositories().customers.find_by_external_id(org, "cust")
    assert api.delete("/api/v1/customers/cust").status_code == 200
    successor = create_customer(api, external_id="cust")
    # Its deleted copy and its `customer.created` webhook.
    assert purge_customer(repositories(), org, deleted.id) == 2
    assert repositories().customers.get_any(org, deleted.id) is None
    assert api.get("/api/v1/customers/cust").json_body["customer"]["lago_id"] == successor["lago_id"]
    assert api.get("/api/v1/customers").json_body["meta"]["total_count"] == 1
