"""The biller's schedule on DynamoDB, as wiring: one schedule of runs (on time, repeated, late, then one run after
weeks of outage) issues what a single run at the end issues, with a grace period (each invoice a draft first,
finalized by a later run). The property over any schedule, without and with a grace period, runs on the in-memory
stores: tests/unit/test_biller_schedules.py. The organization is built once: the single run starts from it, and the
schedule from its tables put back as built."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from billing_fixtures import storage_catalog
from builders import subscribe

from chalicelib.control_plane import organization_use_cases
from chalicelib.store.repositories import repositories
from chalicelib.wiring import run_biller

FIRST = datetime(2026, 11, 1, tzinfo=UTC)
LAST = datetime(2027, 1, 5, 2, tzinfo=UTC)


def busy_organization(api, grace_days: int) -> str:
    """A fresh organization with a grace period of `grace_days`: `cust` with a subscription from 10 October, one
    pending until 5 November and one ending 20 December; `other` on anniversary billing from 15 November; usage in
    November and December."""
    organization, api_key = organization_use_cases().create("Schedules")
    api = type(api)(api._http, api_key)  # the suite's API client, with this organization's key
    assert api.put("/api/v1/organizations", {"organization": {"billing_configuration": {
        "invoice_grace_period": grace_days}}}).status_code == 200
    storage_catalog(api)
    subscribe(api, external_id="sub", external_customer_id="cust", subscription_at="2026-10-10T00:00:00Z")
    subscribe(api, external_id="sub-later", external_customer_id="cust", subscription_at="2026-11-05T00:00:00Z")
    subscribe(api, external_id="sub-ending", external_customer_id="cust", subscription_at="2026-10-10T00:00:00Z",
              ending_at="2026-12-20T00:00:00Z")
    subscribe(api, external_id="sub-other", external_customer_id="other", subscription_at="2026-11-15T00:00:00Z",
              billing_time="anniversary")
    for external_id, day, gb in (("sub", datetime(2026, 11, 3), 35), ("sub-later", datetime(2026, 11, 20), 7),
                                 ("sub-ending", datetime(2026, 12, 2), 11), ("sub-other", datetime(2026, 12, 1), 5)):
        send_to(organization.id, external_id, day.replace(tzinfo=UTC), gb)
    return organization.id


def send_to(organization_id: str, external_id: str, at: datetime, gb: int) -> None:
    from usage_fixtures import event_item, store_and_deliver

    from chalicelib.domain.aggregations.windows import epoch_ms

    item = event_item(organization_id, f"{external_id}-{at.isoformat()}", epoch_ms(at), "storage", {"gb": gb},
                      external_subscription_id=external_id)
    store_and_deliver(repositories().client, [item])


def issued(organization_id: str) -> list[tuple]:
    stores = repositories()
    names = {stores.customers.find_by_external_id(organization_id, name).id: name for name in ("cust", "other")}
    return sorted((names[invoice.customer_id], invoice.sequential_id, invoice.status, invoice.issuing_date,
                   tuple(period.invoicing_reason for period in invoice.billing_periods), invoice.fees_amount_cents,
                   invoice.taxes_amount_cents, invoice.total_amount_cents)
                  for invoice in stores.invoices.list_page(organization_id, 1, 100))


@pytest.fixture
def one_run_at_the_end(api, api_clock, tables_snapshot, grace_days) -> tuple[str, list[tuple]]:
    """The busy organization's id and what a single biller run at the end issues to it; the tables as they were
    before that run are in `tables_snapshot`."""
    api_clock.set(datetime(2026, 10, 20, tzinfo=UTC))  # creating the subscriptions bills nothing at once
    organization_id = busy_organization(api, grace_days)
    tables_snapshot.take()
    run_biller(LAST)
    return organization_id, issued(organization_id)


@pytest.mark.parametrize("grace_days", [3])
def test_a_late_and_bunched_schedule_issues_what_one_run_at_the_end_issues(one_run_at_the_end, tables_snapshot,
                                                                            grace_days):
    organization_id, expected = one_run_at_the_end
    # cust: 1 November (October of `sub` and `sub-ending`), 1 December (November of all three), 20 December
    # (`sub-ending`'s final invoice), 1 January (December of `sub` and `sub-later`); other: 15 December. Each a
    # draft dated 3 days later, finalized (numbered) by the end.
    billing_days = [("cust", 1, date(2026, 11, 1)), ("cust", 2, date(2026, 12, 1)), ("cust", 3, date(2026, 12, 20)),
                    ("cust", 4, date(2027, 1, 1)), ("other", 1, date(2026, 12, 15))]
    assert [(name, number, status, day) for name, number, status, day, *_ in expected] == [
        (name, number, "finalized", day + timedelta(days=grace_days)) for name, number, day in billing_days]

    tables_snapshot.restore()
    for run in (FIRST, FIRST, datetime(2026, 12, 1, 1, tzinfo=UTC), datetime(2026, 12, 4, 12, tzinfo=UTC), LAST,
                LAST):
        run_biller(run)
    assert issued(organization_id) == expected
