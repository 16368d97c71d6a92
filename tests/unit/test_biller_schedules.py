"""Whatever the schedule of its runs (hourly, late, bunched, repeated, or one run after weeks of outage), the
biller issues the same invoices with the same numbers and dates: a hypothesis property against a single run at the
end, without and with a grace period (each invoice a draft first, finalized by a later run), on the in-memory stores
(tests/unit/billing_world.py; their writes pinned to DynamoDB's by tests/integration/test_billing_port_contracts.py).
Each example bills a busy organization built afresh. On DynamoDB, tests/integration/test_biller.py runs a late and
bunched schedule."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache

import pytest
from billing_world import BillingWorld
from hypothesis import given, settings
from hypothesis import strategies as st

FIRST = datetime(2026, 11, 1, tzinfo=UTC)
LAST = datetime(2027, 1, 5, 2, tzinfo=UTC)
HOURS = int((LAST - FIRST) / timedelta(hours=1))
Issued = tuple[str, int | None, str, date, tuple[str, ...], int, int, int]


def busy_organization(grace_days: int) -> BillingWorld:
    """An organization with a grace period of `grace_days`, plan `startup` (1000 cents a month in arrears, 0.01 EUR a
    gb of storage), and customers with a 20 % VAT rate: `cust` with a subscription from 10 October, one pending until
    5 November and one ending 20 December; `other` on anniversary billing from 15 November; usage in November and
    December. Subscribed on 20 October: creating the subscriptions bills nothing at once."""
    world = BillingWorld(datetime(2026, 10, 20, tzinfo=UTC))
    world.configure(billing_configuration={"invoice_grace_period": grace_days})
    world.storage_plan("0.01")
    for customer in ("cust", "other"):
        world.customer(customer, vat_rate=20)
    world.subscribe("sub", "cust", "2026-10-10T00:00:00Z")
    world.subscribe("sub-later", "cust", "2026-11-05T00:00:00Z")
    world.subscribe("sub-ending", "cust", "2026-10-10T00:00:00Z", ending_at="2026-12-20T00:00:00Z")
    world.subscribe("sub-other", "other", "2026-11-15T00:00:00Z", billing_time="anniversary")
    for external_id, day, gb in (("sub", datetime(2026, 11, 3), 35), ("sub-later", datetime(2026, 11, 20), 7),
                                 ("sub-ending", datetime(2026, 12, 2), 11), ("sub-other", datetime(2026, 12, 1), 5)):
        world.send(external_id, day.replace(tzinfo=UTC), gb)
    return world


def issued(world: BillingWorld) -> list[Issued]:
    customers = world.stores.customers
    names = {customers.find_by_external_id(world.organization.id, name).id: name for name in ("cust", "other")}
    return sorted((names[invoice.customer_id], invoice.sequential_id, invoice.status, invoice.issuing_date,
                   tuple(period.invoicing_reason for period in invoice.billing_periods), invoice.fees_amount_cents,
                   invoice.taxes_amount_cents, invoice.total_amount_cents)
                  for invoice in world.invoices())


@cache
def one_run_at_the_end(grace_days: int) -> list[Issued]:
    """What a single biller run at the end issues to the busy organization."""
    world = busy_organization(grace_days)
    world.run_biller(LAST)
    return issued(world)


@pytest.mark.parametrize("grace_days", [0, 3])
@settings(max_examples=100, deadline=None)
@given(hours=st.lists(st.integers(0, HOURS), max_size=12))
def test_any_schedule_of_runs_issues_what_one_run_at_the_end_issues(grace_days, hours):
    expected = one_run_at_the_end(grace_days)
    # cust: 1 November (October of `sub` and `sub-ending`), 1 December (November of all three), 20 December
    # (`sub-ending`'s final invoice), 1 January (December of `sub` and `sub-later`); other: 15 December. With a
    # grace period each is a draft dated that many days later, finalized (numbered) by the end.
    billing_days = [("cust", 1, date(2026, 11, 1)), ("cust", 2, date(2026, 12, 1)), ("cust", 3, date(2026, 12, 20)),
                    ("cust", 4, date(2027, 1, 1)), ("other", 1, date(2026, 12, 15))]
    assert [(name, number, status, day) for name, number, status, day, *_ in expected] == [
        (name, number, "finalized", day + timedelta(days=grace_days)) for name, number, day in billing_days]

    world = busy_organization(grace_days)
    for hour in sorted(hours):
        world.run_biller(FIRST + timedelta(hours=hour))
    world.run_biller(LAST)
    world.run_biller(LAST)
    assert issued(world) == expected
