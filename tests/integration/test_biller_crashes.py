"""The biller crashed before each of its writes in turn, or losing each write's answer, then rerun; and a second
biller run to completion before each write of the first: every time, exactly one invoice per customer and billing day, each period billed
once, gapless numbers and the same amounts. The scenario: two customers, one of them with a subscription the
biller activates, one it terminates at its ending_at, and usage."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from billing_fixtures import storage_catalog
from builders import subscribe
from interleaving import on_transaction
from moto_tables import Seed
from test_biller import send

from chalicelib.store.repositories import repositories
from chalicelib.wiring import run_biller


class Crash(BaseException):
    """The biller's Lambda dying before a write reaches DynamoDB (not an error it could catch)."""


WRITES = ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem")


def crashing_after(writes: int):
    """Register hooks that let `writes` write calls through, then crash the process at the next one."""
    seen = {"n": 0}

    def hook(**_):
        seen["n"] += 1
        if seen["n"] > writes:
            raise Crash()

    events = repositories().client.meta.events
    for operation in WRITES:
        events.register(f"before-call.dynamodb.{operation}", hook)
    return lambda: [events.unregister(f"before-call.dynamodb.{operation}", hook) for operation in WRITES]


AT = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
# One transaction each: cust's October invoice, the activation (5 November), the termination (20 November),
# the final invoice, cust's November invoice; other's October and November invoices.
CLEAN_RUN_WRITES = 7
# Every invoice (customer, sequential id, issuing date, fees), the amounts worked out by hand:
EXPECTED = [
    # October from the 10th, 22 of 31 days of 1000 = 709.68 -> 710, for `sub` and `sub-ending`.
    ("cust", 1, date(2026, 11, 1), 710 + 710),
    # `sub-ending` ends 20 November 00:00: 1..20 November billed, 20 of 30 days = 666.67 -> 667.
    ("cust", 2, date(2026, 11, 20), 667),
    # `sub`: November in full and 35 gb at 0.01; `sub-later` from 5 November: cumulative rounding,
    # round(1000 x 30 / 30) - round(1000 x 4 / 30) = 1000 - 133 = 867.
    ("cust", 3, date(2026, 12, 1), 1000 + 35 + 867),
    ("other", 1, date(2026, 11, 1), 710),
    ("other", 2, date(2026, 12, 1), 1000),
]


# The scenario, set up once per process.
BUSY_MONTH = Seed()


@pytest.fixture
def busy_month(api, dynamodb, tenant, api_clock):
    api_clock.set(datetime(2026, 10, 20, tzinfo=UTC))
    BUSY_MONTH.value(lambda: set_up_the_month(api, dynamodb, tenant), tenant)
    return tenant.organization_id


def set_up_the_month(api, dynamodb, tenant) -> None:
    storage_catalog(api)
    subscribe(api, external_id="sub", external_customer_id="cust", subscription_at="2026-10-10T00:00:00Z")
    subscribe(api, external_id="sub-ending", external_customer_id="cust", subscription_at="2026-10-10T00:00:00Z",
              ending_at="2026-11-20T00:00:00Z")
    subscribe(api, external_id="sub-later", external_customer_id="cust", subscription_at="2026-11-05T00:00:00Z")
    subscribe(api, external_id="sub-other", external_customer_id="other", subscription_at="2026-10-10T00:00:00Z")
    send(dynamodb, tenant.organization_id, [("a", datetime(2026, 11, 3, tzinfo=UTC), 35)])


def invoices(organization_id: str) -> list[tuple]:
    stores = repositories()
    external = {customer: stores.customers.find_by_external_id(organization_id, customer).id
                for customer in ("cust", "other")}
    names = {customer_id: name for name, customer_id in external.items()}
    return sorted((names[invoice.customer_id], invoice.sequential_id, invoice.issuing_date, invoice.fees_amount_cents)
                  for invoice in stores.invoices.list_page(organization_id, 1, 100))


def test_a_clean_run_issues_the_month_with_one_write_per_change(busy_month):
    writes = []

    def count(model, **_):
        if model.name in ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem"):
            writes.append(model.name)

    events = repositories().client.meta.events
    events.register("before-call.dynamodb", count)
    try:
        assert run_biller(AT)["invoices_created"] == len(EXPECTED)
    finally:
        events.unregister("before-call.dynamodb", count)
    assert writes == ["TransactWriteItems"] * CLEAN_RUN_WRITES
    assert invoices(busy_month) == EXPECTED


@pytest.mark.parametrize("allowed", range(CLEAN_RUN_WRITES))
def test_crashed_before_each_write_then_rerun(busy_month, allowed):
    unregister = crashing_after(allowed)
    try:
        with pytest.raises(Crash):
            run_biller(AT)
    finally:
        unregister()
    assert len(invoices(busy_month)) < len(EXPECTED)
    run_biller(AT)
    assert run_biller(AT)["invoices_created"] == 0
    assert invoices(busy_month) == EXPECTED


@pytest.mark.parametrize("before", range(1, CLEAN_RUN_WRITES + 1))
def test_a_second_biller_run_before_each_write_of_the_first(busy_month, before):
    """The competitor runs whole just before the first biller's `before`-th transaction (its own calls pass)."""
    competitor = []
    with on_transaction(before, lambda: competitor.append(run_biller(AT))):
        first = run_biller(AT)
    assert len(competitor) == 1
    # Between them, every invoice once: the first issued those before its `before`-th write, the other the rest.
    assert first["invoices_created"] + competitor[0]["invoices_created"] == len(EXPECTED)
    assert run_biller(AT)["invoices_created"] == 0
    assert invoices(busy_month) == EXPECTED


@pytest.mark.parametrize("lost", range(CLEAN_RUN_WRITES))
def test_a_lost_transaction_response_then_rerun(busy_month, lost):
    """The `lost`-th transaction is applied but its answer never arrives (the Lambda dies waiting)."""
    calls = {"n": 0}

    def lose_response(**_):
        calls["n"] += 1
        if calls["n"] == lost + 1:
            raise Crash()

    events = repositories().client.meta.events
    events.register("after-call.dynamodb.TransactWriteItems", lose_response)
    try:
        with pytest.raises(Crash):
            run_biller(AT)
    finally:
        events.unregister("after-call.dynamodb.TransactWriteItems", lose_response)
    run_biller(AT)
    assert run_biller(AT)["invoices_created"] == 0
    assert invoices(busy_month) == EXPECTED
