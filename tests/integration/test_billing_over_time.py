"""Billing over time as operators use it (docs/billing-over-time.md), through the API, the hourly biller's handler
and the admin CLI: a subscription created with a past date bills no history, the hourly biller and a replay bill
from its creation on, a backfill bills the history on purpose (each period once, oldest first, drafts through their
grace period), the future is refused with nothing written, and unbillable events are listed with their reason.
Every amount is worked out in the test."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from builders import create_customer, create_metric, create_plan, send_event, subscribe
from in_advance_fixtures import drain, stream_poller

from chalicelib import cli
from chalicelib.billing.replay import BillerReplay, FutureInstant, Replay
from chalicelib.store.repositories import repositories
from chalicelib.wiring import run_biller

PRICE_CENTS_PER_GB = 50  # 0.50 EUR a GB
BASE_FEE = 1000


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def event_stream(dynamodb):
    return stream_poller(dynamodb)


@pytest.fixture
def catalog(api):
    """Customer `acme` (no tax), plan `startup`: monthly, calendar, in arrears, 1000 cents, `storage` (sum of gb)
    at 0.50 EUR a GB."""
    storage = create_metric(api, "storage", "sum_agg", "gb")
    create_customer(api, "acme")
    create_plan(api, charges=[{"billable_metric_id": storage["lago_id"], "charge_model": "standard",
                               "properties": {"amount": "0.50"}}])


def subscribe_acme(api, **fields) -> dict:
    """Customer `acme` on plan `startup` as subscription `sub-1` from 1 September 2026, unless `fields` say otherwise."""
    return subscribe(api, **{"external_customer_id": "acme", "external_id": "sub-1",
                             "subscription_at": "2026-09-01T00:00:00Z", **fields})


def send(api, transaction_id: str, timestamp: datetime, gb: int, external_id: str = "sub-1") -> None:
    send_event(api, transaction_id, "storage", external_id, timestamp, {"gb": gb})


def invoices(api, customer: str = "acme") -> list[dict]:
    """The customer's invoices, read one by one (with their fees and billing periods), oldest number first, drafts
    (not numbered yet) last."""
    response = api.get(f"/api/v1/invoices?external_customer_id={customer}&per_page=100")
    assert response.status_code == 200, response.body
    read = [api.get(f"/api/v1/invoices/{listed['lago_id']}").json_body["invoice"]
            for listed in response.json_body["invoices"]]
    return sorted(read, key=lambda invoice: (invoice["sequential_id"] is None, invoice["sequential_id"] or 0,
                                             invoice["issuing_date"]))


def summary(invoice: dict) -> tuple:
    """(issuing date, charges window start, base fee, charge fees, total) of an invoice."""
    period, = invoice["billing_periods"]
    base = [fee["amount_cents"] for fee in invoice["fees"] if fee["item"]["type"] == "subscription"]
    charges = [fee["amount_cents"] for fee in invoice["fees"] if fee["item"]["type"] == "charge"]
    return invoice["issuing_date"], period["charges_from_datetime"], base, charges, invoice["total_amount_cents"]


def replay(stores, at_: datetime, *, backfill: bool = False, now: datetime | None = None, **scope) -> dict:
    return BillerReplay(stores).run(Replay(at=at_, backfill=backfill, **scope), current_time=now or at_)


def unbillable(api, external_id: str = "sub-1") -> list[tuple[str, str]]:
    response = api.get(f"/api/v1/events?external_subscription_id={external_id}&billable=false")
    assert response.status_code == 200, response.body
    return [(event["transaction_id"], event["unbillable_reason"]) for event in response.json_body["events"]]


# ---------------------------------------------------------------------------------------------- creation


@pytest.mark.parametrize("pay_in_advance", [False, True], ids=["in-arrears", "in-advance"])
def test_creating_a_subscription_dated_three_months_back_issues_no_invoice(api, api_clock, catalog, pay_in_advance):
    """Created 7 December 2026 12:00 with `subscription_at` 7 September: active since then, no invoice at once, and
    its current period is December's (the migration rule): nothing of September to November is ever billed
    without a backfill, not even by the hourly biller running late."""
    if pay_in_advance:
        create_plan(api, "advance", pay_in_advance=True)
    api_clock.set(at(2026, 12, 7, 12))
    subscription = subscribe_acme(api, subscription_at="2026-09-07T00:00:00Z",
                                   plan_code="advance" if pay_in_advance else "startup")
    assert (subscription["status"], subscription["started_at"]) == ("active", "2026-09-07T00:00:00Z")
    assert (subscription["current_billing_period_started_at"], subscription["current_billing_period_ending_at"]) == (
        "2026-12-01T00:00:00Z", "2026-12-31T23:59:59Z")
    assert invoices(api) == []
    assert run_biller(at(2026, 12, 7, 13))["invoices_created"] == 0
    # The first invoice it gets by itself is December's, on 1 January: the base fee of a month it started before
    # (in arrears: December's; in advance: January's) and December's usage (none: no charge fee, as Lago).
    assert run_biller(at(2027, 1, 1, 0, 30))["invoices_created"] == 1
    (first,) = invoices(api)
    assert summary(first) == ("2027-01-01", "2026-12-01T00:00:00Z", [BASE_FEE], [], BASE_FEE)


def test_a_pay_in_advance_subscription_dated_earlier_today_gets_its_starting_invoice_at_once(api, api_clock,
                                                                                          catalog):
    """Lago's "today": dated 00:00 and created 09:00 the same day, the starting invoice (all of a 31-day December)
    is issued by the request."""
    create_plan(api, "advance", pay_in_advance=True)
    api_clock.set(at(2026, 12, 1, 9))
    subscribe_acme(api, subscription_at="2026-12-01T00:00:00Z", plan_code="advance")
    (starting,) = invoices(api)
    assert (starting["issuing_date"], starting["total_amount_cents"]) == ("2026-12-01", BASE_FEE)


# ------------------------------------------------------------------------------- the worked timeline


def test_the_worked_timeline_backfills_the_2700_cents_of_september(api, api_clock, catalog, event_stream,
                                                                   monkeypatch):
    """docs/billing-over-time.md, "A worked timeline"."""
    stores = repositories()
    api_clock.set(at(2026, 10, 15, 10))
    subscription = subscribe_acme(api)
    assert subscription["current_billing_period_started_at"] == "2026-10-01T00:00:00Z"
    send(api, "sep-10", at(2026, 9, 10), 30)
    send(api, "sep-20", at(2026, 9, 20), 24)
    send(api, "oct-12", at(2026, 10, 12), 10)
    drain(event_stream)
    assert invoices(api) == []

    # 1 November 00:30, the hourly biller: October only, 1000 + 10 GB x 50 = 1500.
    assert run_biller(at(2026, 11, 1, 0, 30))["invoices_created"] == 1
    october, = invoices(api)
    assert summary(october) == ("2026-11-01", "2026-10-01T00:00:00Z", [BASE_FEE], [10 * PRICE_CENTS_PER_GB],
                                BASE_FEE + 10 * PRICE_CENTS_PER_GB)

    # A replay of 2 November without --backfill bills nothing from before the creation.
    assert replay(stores, at(2026, 11, 2, 9))["invoices_created"] == 0
    # With --backfill: September, dated its billing day (1 October), numbered next: 1000 + 54 GB x 50 = 2700.
    outcome = replay(stores, at(2026, 11, 2, 9), backfill=True)
    assert (outcome["customers_due"], outcome["invoices_created"]) == (1, 1)
    october, september = invoices(api)
    assert september["sequential_id"] == october["sequential_id"] + 1
    assert (30 + 24) * PRICE_CENTS_PER_GB == 2700
    assert summary(september) == ("2026-10-01", "2026-09-01T00:00:00Z", [BASE_FEE], [2700], BASE_FEE + 2700)
    assert september["billing_periods"][0]["invoicing_reason"] == "subscription_periodic"
    # The same command again: nothing.
    assert replay(stores, at(2026, 11, 2, 9, 10), backfill=True)["invoices_created"] == 0

    # Events now: one of a finalized period, one from before the subscription started; kept and listed.
    api_clock.set(at(2026, 11, 2, 9, 15))
    send(api, "sep-25", at(2026, 9, 25), 4)
    send(api, "aug-20", at(2026, 8, 20), 2)
    drain(event_stream)
    assert unbillable(api) == [("sep-25", "period_finalized"), ("aug-20", "before_subscription_start")]
    assert len(invoices(api)) == 2

    # The future is refused, in the CLI's words, and nothing is written.
    monkeypatch.setattr("chalicelib.domain.clock.utc_now", lambda: at(2026, 11, 2, 9, 20))
    with pytest.raises(FutureInstant, match=r"^--at 2027-03-01T01:00:00Z is in the future; simulate it with a "
                                            r"test clock$"):
        replay(stores, at(2027, 3, 1, 1), now=at(2026, 11, 2, 9, 20))
    assert len(invoices(api)) == 2


# ------------------------------------------------------------------------------------------- the CLI


def test_the_cli_refuses_the_future_with_exit_2_and_writes_nothing(api, api_clock, catalog, monkeypatch, capsys,
                                                                  dynamodb):
    api_clock.set(at(2026, 10, 15, 10))
    subscribe_acme(api)
    before = dynamodb.scan(TableName="billing-control")["Items"]
    monkeypatch.setattr("chalicelib.domain.clock.utc_now", lambda: at(2026, 11, 2, 9, 20))
    assert cli.main(["bill", "--at", "2027-03-01T01:00:00Z", "--backfill"]) == 2
    printed = capsys.readouterr()
    assert printed.err == "error: --at 2027-03-01T01:00:00Z is in the future; simulate it with a test clock\n"
    assert printed.out == ""
    assert dynamodb.scan(TableName="billing-control")["Items"] == before


def test_the_cli_reports_progress_on_stderr_and_its_summary_on_stdout(api, api_clock, catalog, monkeypatch, capsys):
    """Three months of history (June to August) backfilled by one run as of 1 September 01:00, which defaults to
    now: one invoice a month, oldest first, 1000 each (no usage)."""
    api_clock.set(at(2026, 8, 15))
    subscribe_acme(api, subscription_at="2026-06-01T00:00:00Z")
    monkeypatch.setattr("chalicelib.domain.clock.utc_now", lambda: at(2026, 9, 1, 1))
    assert cli.main(["bill", "--backfill"]) == 0
    printed = capsys.readouterr()
    assert json.loads(printed.out) == {"at": "2026-09-01T01:00:00Z", "backfill": True, "customers_due": 1,
                                       "customers_waiting": 0, "customers_failed": 0, "invoices_created": 3}
    assert printed.err.splitlines() == ["customers 0/1 done, 0 invoices so far",
                                        "customers 1/1 done, 3 invoices so far"]
    assert [summary(invoice)[:2] for invoice in invoices(api)] == [
        ("2026-07-01", "2026-06-01T00:00:00Z"), ("2026-08-01", "2026-07-01T00:00:00Z"),
        ("2026-09-01", "2026-08-01T00:00:00Z")]


# ------------------------------------------------------------------------------------------- backfills


def test_a_backfill_bills_each_history_period_once_oldest_first_then_stops_at_the_live_one(api, api_clock, catalog,
                                                                                          event_stream):
    """Created 20 May with `subscription_at` 1 January (calendar): history January to April.
    A backfill as of 1 March bills January and February; one as of 15 May, March and April; May is live (the hourly
    biller's, on 1 June). 7 GB in each month: 350 cents of usage each."""
    stores = repositories()
    api_clock.set(at(2026, 5, 20))
    subscribe_acme(api, subscription_at="2026-01-01T00:00:00Z")
    for month in range(1, 6):
        send(api, f"m{month}", at(2026, month, 10), 7)
    drain(event_stream)
    assert replay(stores, at(2026, 3, 1, 1), backfill=True)["invoices_created"] == 2
    assert replay(stores, at(2026, 5, 15), backfill=True)["invoices_created"] == 2
    assert replay(stores, at(2026, 5, 20, 1), backfill=True)["invoices_created"] == 0
    assert run_biller(at(2026, 6, 1, 0, 30))["invoices_created"] == 1
    assert replay(stores, at(2026, 6, 1, 1), backfill=True)["invoices_created"] == 0
    assert [summary(invoice) for invoice in invoices(api)] == [
        (f"2026-{month + 1:02d}-01", f"2026-{month:02d}-01T00:00:00Z", [BASE_FEE], [7 * PRICE_CENTS_PER_GB],
         BASE_FEE + 7 * PRICE_CENTS_PER_GB) for month in range(1, 6)]
    assert [invoice["sequential_id"] for invoice in invoices(api)] == [1, 2, 3, 4, 5]
    assert unbillable(api) == []


def test_backfilled_drafts_go_through_their_grace_period(api, api_clock, catalog, event_stream):
    """A 3-day grace period: September backfilled as of 2 October is a draft until 4 October (1 October + 3 days);
    the hourly biller run of 4 October 00:30 finalizes it, and a late event of September arriving on 3 October is on
    it: 1000 + (10 + 6) GB x 50 = 1800."""
    stores = repositories()
    create_customer(api, "acme", name="Acme", billing_configuration={"invoice_grace_period": 3})
    api_clock.set(at(2026, 10, 1, 12))
    subscribe_acme(api)
    send(api, "sep-10", at(2026, 9, 10), 10)
    drain(event_stream)
    assert replay(stores, at(2026, 10, 2), backfill=True)["invoices_created"] == 1
    (draft,) = invoices(api)
    assert (draft["status"], draft["issuing_date"], draft["total_amount_cents"]) == ("draft", "2026-10-04", 1500)
    send(api, "sep-30", at(2026, 9, 30, 23), 6)  # a late event: the draft takes it in
    drain(event_stream)
    assert unbillable(api) == []
    assert run_biller(at(2026, 10, 4, 0, 30))["invoices_created"] == 1
    (final,) = invoices(api)
    assert (final["status"], final["sequential_id"], final["total_amount_cents"]) == (
        "finalized", 1, BASE_FEE + 16 * PRICE_CENTS_PER_GB)


def test_a_backfill_past_the_grace_period_issues_and_finalizes_the_draft_in_one_run(api, api_clock, catalog):
    create_customer(api, "acme", name="Acme", billing_configuration={"invoice_grace_period": 3})
    api_clock.set(at(2026, 10, 20))
    subscribe_acme(api)
    assert replay(repositories(), at(2026, 10, 20, 1), backfill=True)["invoices_created"] == 1  # issued, finalized
    (september,) = invoices(api)
    assert (september["status"], september["sequential_id"], september["issuing_date"]) == (
        "finalized", 1, "2026-10-04")


def test_a_pay_in_advance_history_bills_its_starting_invoice_then_each_period(api, api_clock, catalog):
    """In advance, dated 10 September, created 15 October: no invoice at once (a past day, Lago's rule). The backfill
    bills the starting invoice (10..30 September: 21 of 30 days of 1000 = 700) and 1 October's (October's base fee,
    September's usage: none); November's periodic invoice (November's fee, October's usage) is the hourly biller's."""
    create_plan(api, "advance", pay_in_advance=True)
    api_clock.set(at(2026, 10, 15))
    subscribe_acme(api, subscription_at="2026-09-10T00:00:00Z", plan_code="advance")
    assert invoices(api) == []
    assert replay(repositories(), at(2026, 10, 15, 1), backfill=True)["invoices_created"] == 2
    starting, first_periodic = invoices(api)
    assert 1000 * 21 // 30 == 700
    assert (starting["issuing_date"], starting["total_amount_cents"]) == ("2026-09-10", 700)
    assert starting["billing_periods"][0]["invoicing_reason"] == "subscription_starting"
    assert summary(first_periodic) == ("2026-10-01", "2026-09-10T00:00:00Z", [BASE_FEE], [], BASE_FEE)
    assert run_biller(at(2026, 11, 1, 0, 30))["invoices_created"] == 1
    assert summary(invoices(api)[-1]) == ("2026-11-01", "2026-10-01T00:00:00Z", [BASE_FEE], [], BASE_FEE)


def test_a_terminated_subscriptions_history_can_still_be_backfilled(api, api_clock, catalog):
    """Created 15 October dated 1 September, terminated 20 October (its final invoice at once: 1..20 October, 20
    of 31 days = 645); September is still history, billed by a backfill."""
    api_clock.set(at(2026, 10, 15))
    subscribe_acme(api)
    api_clock.set(at(2026, 10, 20, 12))
    assert api.delete("/api/v1/subscriptions/sub-1").status_code == 200
    (final,) = invoices(api)
    assert final["total_amount_cents"] == 645  # round(1000 x 20 / 31) = round(645.16)
    assert replay(repositories(), at(2026, 10, 21), backfill=True)["invoices_created"] == 1
    assert summary(invoices(api)[-1]) == ("2026-10-01", "2026-09-01T00:00:00Z", [BASE_FEE], [], BASE_FEE)


def test_a_backdated_subscription_starts_after_the_last_termination_of_its_external_id(api, api_clock, catalog):
    """Lago's clamp: `sub-1` terminated 10 October 12:00 (billed to then); the same external id created again on
    15 October, dated 1 September, starts at the termination instant: nothing before it is billed twice."""
    api_clock.set(at(2026, 10, 1))
    subscribe_acme(api, subscription_at="2026-10-01T00:00:00Z")
    api_clock.set(at(2026, 10, 10, 12))
    assert api.delete("/api/v1/subscriptions/sub-1").status_code == 200
    api_clock.set(at(2026, 10, 15))
    again = subscribe_acme(api)
    assert again["started_at"] == "2026-10-10T12:00:00Z"
    assert replay(repositories(), at(2026, 10, 15, 1), backfill=True)["invoices_created"] == 0


def test_narrowing_to_an_organization_and_to_customers(api, other_api, api_clock, tenant, other_tenant):
    """Customers `a` and `b` in both organizations, each with a month of history (September, created 15 October):
    `--organization-id` bills the first organization's two; `--external-customer-id a` then bills only the other
    organization's `a`; the last run bills what is left, `b` of the other organization."""
    api_clock.set(at(2026, 10, 15))
    for client in (api, other_api):
        create_plan(client)
        for customer in ("a", "b"):
            create_customer(client, customer)
            subscribe_acme(client, external_id=f"sub-{customer}", external_customer_id=customer)
    stores = repositories()
    now = at(2026, 10, 15, 1)
    assert replay(stores, now, backfill=True, organization_id=tenant.organization_id)["invoices_created"] == 2
    assert replay(stores, now, backfill=True, external_customer_ids=("a",))["invoices_created"] == 1
    assert [len(invoices(other_api, customer)) for customer in ("a", "b")] == [1, 0]
    assert replay(stores, now, backfill=True)["invoices_created"] == 1
    assert [len(invoices(client, customer)) for client in (api, other_api) for customer in ("a", "b")] == [1] * 4


# ------------------------------------------------------------------------------------- unbillable events


def test_unbillable_events_are_listed_with_their_reason_and_paginated(api, api_clock, catalog, event_stream):
    """Dated 1 October, created 1 October; terminated 20 October 12:00. Before the start (30 September), after the
    end (21 October), in October (billed by the final invoice), then one in October after that invoice."""
    api_clock.set(at(2026, 10, 1))
    subscribe_acme(api, subscription_at="2026-10-01T00:00:00Z")
    send(api, "before", at(2026, 9, 30), 1)
    send(api, "during", at(2026, 10, 5), 2)
    drain(event_stream)
    api_clock.set(at(2026, 10, 20, 12))
    assert api.delete("/api/v1/subscriptions/sub-1").status_code == 200
    send(api, "after", at(2026, 10, 21), 3)
    send(api, "late", at(2026, 10, 6), 4)
    drain(event_stream)
    assert unbillable(api) == [("after", "after_subscription_end"), ("late", "period_finalized"),
                               ("before", "before_subscription_start")]
    page = api.get("/api/v1/events?external_subscription_id=sub-1&billable=false&per_page=2&page=2").json_body
    assert ([event["transaction_id"] for event in page["events"]], page["meta"]["total_count"]) == (["before"], 3)
    billable = api.get("/api/v1/events?external_subscription_id=sub-1&billable=true").json_body
    assert [(event["transaction_id"], event["unbillable_reason"]) for event in billable["events"]] == [
        ("during", None)]
    assert api.get("/api/v1/events/during").json_body["event"]["unbillable_reason"] is None
    # The final invoice billed `during` only: 2 GB x 50.
    (final,) = invoices(api)
    assert [fee["amount_cents"] for fee in final["fees"] if fee["item"]["type"] == "charge"] == [100]


def test_a_billable_filter_other_than_true_or_false_is_422(api, catalog):
    response = api.get("/api/v1/events?external_subscription_id=sub-1&billable=maybe")
    assert response.status_code == 422
    assert response.json_body["error_details"] == {"billable": ["value_is_invalid"]}
