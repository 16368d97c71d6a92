"""Plan changes through `POST /api/v1/subscriptions` with the same external id and another plan (lago-semantics
§5.3). An upgrade (yearly base fee not lower) takes effect at once: the old subscription is terminated, the new one
starts at that instant under the same external id, and one invoice holds the old one's final share (its base fee
to the day before the upgrade day, its usage to the upgrade instant) and the new one's start when paid in advance,
as Lago's `upgrading` invoice; usage before and after is billed once, each on its plan. Amounts worked out by hand
in each test."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from builders import create_customer, create_metric, create_plan, subscribe
from interleaving import competing
from test_biller import invoices_of, send
from test_subscriptions import EMPTY_META, SUBSCRIPTION_NOT_FOUND, invalid, listed, path_of, plan_count, post

from chalicelib.domain.money import round_half_up
from chalicelib.store.repositories import repositories
from chalicelib.usage.rebuild import UsageRebuild
from chalicelib.wiring import run_biller

UPGRADE_AT = datetime(2026, 11, 16, 10, tzinfo=UTC)


@pytest.fixture
def plans(api, tenant, api_clock):
    """`basic` (1000 a month, storage at 0.01 EUR a gb) and `pro` (3000 a month, 0.02 EUR a gb), both in arrears
    unless a test says otherwise; customer `cust` on `basic` as `sub` from 1 November 2026 (calendar)."""
    def setup(pay_in_advance: bool = False):
        metric = create_metric(api, "storage", "sum_agg", "gb")
        for code, amount_cents, unit in (("basic", 1000, "0.01"), ("pro", 3000, "0.02")):
            create_plan(api, code, amount_cents=amount_cents, pay_in_advance=pay_in_advance, charges=[{
                "billable_metric_id": metric["lago_id"], "charge_model": "standard", "properties": {"amount": unit}}])
        create_customer(api)
        api_clock.set(datetime(2026, 11, 1, tzinfo=UTC))
        return subscribe(api, plan_code="basic", subscription_at="2026-11-01T00:00:00Z")
    return setup


def upgrade(api, api_clock) -> dict:
    api_clock.set(UPGRADE_AT)
    response = post(api, plan_code="pro")
    assert response.status_code == 200, response.body
    return response.json_body["subscription"]


def summary(invoice) -> tuple:
    return (invoice.sequential_id, invoice.issuing_date.isoformat(),
            [period.invoicing_reason for period in invoice.billing_periods],
            [(fee.fee_type, fee.amount_cents) for fee in invoice.fees])


def test_an_upgrade_mid_month_in_arrears(api, dynamodb, tenant, plans, api_clock):
    org = tenant.organization_id
    old = plans()
    send(dynamodb, org, [("before", datetime(2026, 11, 10, tzinfo=UTC), 10)])
    new = upgrade(api, api_clock)
    assert (new["external_id"], new["plan_code"], new["status"]) == ("sub", "pro", "active")
    assert new["lago_id"] != old["lago_id"] and new["started_at"] == "2026-11-16T10:00:00Z"
    ended = api.get(path_of("sub", "terminated")).json_body["subscription"]
    assert (ended["lago_id"], ended["terminated_at"]) == (old["lago_id"], "2026-11-16T10:00:00Z")
    send(dynamodb, org, [("after", datetime(2026, 11, 20, tzinfo=UTC), 20)])
    # Re-posting the same request is idempotent: the new subscription, no second change.
    assert post(api, plan_code="pro").json_body["subscription"]["lago_id"] == new["lago_id"]
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    assert [summary(invoice) for invoice in invoices_of(org)] == [
        # The old plan's final invoice, at once: 1..15 November (the day before the upgrade) = 15 of 30 days of
        # 1000 = 500; the 10 gb before the upgrade at 0.01 = 10.
        (1, "2026-11-16", ["subscription_terminating"], [("subscription", 500), ("charge", 10)]),
        # The new plan on 1 December: 16..30 November, cumulative rounding round(3000 x 30 / 30) -
        # round(3000 x 15 / 30) = 3000 - 1500 = 1500; the 20 gb after the upgrade at 0.02 = 40.
        (2, "2026-12-01", ["subscription_periodic"], [("subscription", 1500), ("charge", 40)])]
    basic = api.get("/api/v1/plans/basic").json_body["plan"]
    pro = api.get("/api/v1/plans/pro").json_body["plan"]
    assert (basic["active_subscriptions_count"], pro["active_subscriptions_count"]) == (0, 1)


def test_an_upgrade_mid_month_in_advance(api, dynamodb, tenant, plans, api_clock):
    org = tenant.organization_id
    plans(pay_in_advance=True)
    send(dynamodb, org, [("before", datetime(2026, 11, 10, tzinfo=UTC), 10)])
    upgrade(api, api_clock)
    send(dynamodb, org, [("after", datetime(2026, 11, 20, tzinfo=UTC), 20)])
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    assert [summary(invoice) for invoice in invoices_of(org)] == [
        # At the start: November in advance, in full.
        (1, "2026-11-01", ["subscription_starting"], [("subscription", 1000)]),
        # The upgrade, one invoice as Lago's: the old plan's final share (its base fee was paid in advance; the
        # 10 gb at 0.01 = 10) and the new plan's start, 16..30 November in advance = 3000 - round(3000 x 15 / 30)
        # = 1500.
        (2, "2026-11-16", ["subscription_terminating", "subscription_starting"],
         [("charge", 10), ("subscription", 1500)]),
        # 1 December: December in advance, 3000, and November's usage since the upgrade, 20 gb at 0.02 = 40.
        (3, "2026-12-01", ["subscription_periodic"], [("subscription", 3000), ("charge", 40)])]
    # The old plan's unused days, from the upgrade day (the new plan bills it) to 30 November: 15 of 30 days of
    # 1000 = 500 (no VAT here), credited in full to the upgrade's invoice: 10 + 1500 - 500 = 1010 due.
    note = api.get("/api/v1/credit_notes").json_body["credit_notes"][0]
    assert (note["reason"], note["total_amount_cents"], note["balance_amount_cents"]) == ("order_change", 500, 0)
    assert [(invoice.credit_notes_amount_cents, invoice.total_amount_cents) for invoice in invoices_of(org)] == [
        (0, 1000), (500, 10 + 1500 - 500), (0, 3040)]


def lite(api) -> None:
    """`lite`: 500 a month in arrears, storage at 0.005 EUR a gb: cheaper than `basic` per year, a downgrade."""
    metric = api.get("/api/v1/billable_metrics/storage").json_body["billable_metric"]
    create_plan(api, "lite", amount_cents=500, charges=[{
        "billable_metric_id": metric["lago_id"], "charge_model": "standard", "properties": {"amount": "0.005"}}])


def test_a_downgrade_through_the_period_end(api, dynamodb, tenant, plans, api_clock):
    org = tenant.organization_id
    old = plans()
    lite(api)
    send(dynamodb, org, [("before", datetime(2026, 11, 10, tzinfo=UTC), 10)])
    api_clock.set(UPGRADE_AT)
    scheduled = post(api, plan_code="lite").json_body["subscription"]
    # Nothing changes before the period ends: the current subscription shows what is coming.
    assert (scheduled["lago_id"], scheduled["plan_code"], scheduled["status"]) == (old["lago_id"], "basic", "active")
    assert (scheduled["next_plan_code"], scheduled["downgrade_plan_date"]) == ("lite", "2026-12-01")
    assert post(api, plan_code="lite").json_body["subscription"]["downgrade_plan_date"] == "2026-12-01"
    assert invoices_of(org) == []
    # An event stamped after the switch, stored before it: billed on the new plan.
    send(dynamodb, org, [("after", datetime(2026, 12, 5, tzinfo=UTC), 40)])
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    current = api.get(path_of("sub")).json_body["subscription"]
    assert (current["plan_code"], current["previous_plan_code"], current["started_at"]) == (
        "lite", "basic", "2026-12-01T00:00:00Z")
    ended = api.get(path_of("sub", "terminated")).json_body["subscription"]
    assert (ended["lago_id"], ended["terminated_at"], ended["next_plan_code"], ended["downgrade_plan_date"]) == (
        old["lago_id"], "2026-11-30T23:59:59Z", "lite", "2026-12-01")
    run_biller(datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    assert [summary(invoice) for invoice in invoices_of(org)] == [
        # The old plan's last period in full, on its last day: November's 1000 and 10 gb at 0.01 = 10.
        (1, "2026-11-30", ["subscription_terminating"], [("subscription", 1000), ("charge", 10)]),
        # The new plan's December: 500 and 40 gb at 0.005 = 0.20 EUR = 20 cents.
        (2, "2027-01-01", ["subscription_periodic"], [("subscription", 500), ("charge", 20)])]
    assert [plan_count(api, code) for code in ("basic", "lite")] == [0, 1]


def test_terminating_before_the_switch_cancels_the_downgrade(api, dynamodb, tenant, plans, api_clock):
    org = tenant.organization_id
    plans()
    lite(api)
    api_clock.set(UPGRADE_AT)
    post(api, plan_code="lite")
    api_clock.set(datetime(2026, 11, 20, 12, tzinfo=UTC))
    assert api.delete(path_of("sub")).status_code == 200
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    # Only the final invoice: 1..20 November = 20 of 30 days of 1000 = 666.67 -> 667.
    assert [summary(invoice) for invoice in invoices_of(org)] == [
        (1, "2026-11-20", ["subscription_terminating"], [("subscription", 667)])]
    assert api.get(path_of("sub")).status_code == 404
    assert plan_count(api, "lite") == 0


def test_another_downgrade_replaces_the_scheduled_one_and_an_upgrade_cancels_it(api, dynamodb, tenant, plans,
                                                                                api_clock):
    org = tenant.organization_id
    old = plans()
    lite(api)
    create_plan(api, "tiny", amount_cents=100)
    api_clock.set(UPGRADE_AT)
    post(api, plan_code="tiny")
    replaced = post(api, plan_code="lite").json_body["subscription"]
    assert (replaced["lago_id"], replaced["plan_code"]) == (old["lago_id"], "basic")
    assert (replaced["next_plan_code"], replaced["downgrade_plan_date"]) == ("lite", "2026-12-01")
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    current = api.get(path_of("sub")).json_body["subscription"]
    assert (current["plan_code"], current["previous_plan_code"]) == ("lite", "basic")
    # An upgrade while a downgrade is scheduled takes effect at once; the downgrade is gone with the old plan.
    api_clock.set(datetime(2026, 12, 10, tzinfo=UTC))
    assert post(api, plan_code="tiny").json_body["subscription"]["next_plan_code"] == "tiny"
    api_clock.set(datetime(2026, 12, 12, tzinfo=UTC))
    upgraded = post(api, plan_code="pro").json_body["subscription"]
    assert (upgraded["plan_code"], upgraded["next_plan_code"], upgraded["downgrade_plan_date"]) == ("pro", None, None)
    run_biller(datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    assert api.get(path_of("sub")).json_body["subscription"]["plan_code"] == "pro"
    # November on basic, 1000; 1..11 December on lite: 11/31 x 500 = 177.42 -> 177; 12..31 December on pro, cumulative
    # rounding: 3000 - round(3000 x 11 / 31) = 3000 - round(1064.52) = 3000 - 1065 = 1935 (no usage).
    assert [summary(invoice) for invoice in invoices_of(org)] == [
        (1, "2026-11-30", ["subscription_terminating"], [("subscription", 1000)]),
        (2, "2026-12-12", ["subscription_terminating"], [("subscription", 177)]),
        (3, "2027-01-01", ["subscription_periodic"], [("subscription", 1935)])]


def test_two_concurrent_upgrades_make_one_new_subscription(api, tenant, plans, api_clock):
    from interleaving import competing

    plans()
    api_clock.set(UPGRADE_AT)
    # Just before the first upgrade's transaction, the same upgrade runs whole: the first loses its conditions,
    # reads again, and finds the external id already on `pro`: it answers with that subscription.
    with competing("TransactWriteItems", lambda: post(api, plan_code="pro")) as rival:
        mine = post(api, plan_code="pro")
    assert rival[0].status_code == mine.status_code == 200
    assert mine.json_body["subscription"]["lago_id"] == rival[0].json_body["subscription"]["lago_id"]
    terminated = api.get("/api/v1/subscriptions?status=terminated").json_body["subscriptions"]
    assert len(terminated) == 1
    assert [plan_count(api, code) for code in ("basic", "pro")] == [0, 1]


def test_a_termination_racing_an_upgrade_leaves_one_ended_and_one_new(api, tenant, plans, api_clock):
    """The subscription is terminated just before the upgrade's transaction: the upgrade reads again, finds no
    current subscription, and creates the new one as a plain new subscription (nothing half-written)."""
    from interleaving import competing

    plans()
    api_clock.set(UPGRADE_AT)
    with competing("TransactWriteItems", lambda: api.delete(path_of("sub")), times=1) as rival:
        response = post(api, plan_code="pro")
    assert rival[0].status_code == 200 and response.status_code == 200
    # A plain create (its `subscription_at`, here the helper's, after the upgrade instant: pending).
    created = response.json_body["subscription"]
    assert (created["plan_code"], created["status"]) == ("pro", "pending")
    assert repositories().subscriptions.find_current(tenant.organization_id, "sub").id == created["lago_id"]
    assert len(api.get("/api/v1/subscriptions?status=terminated").json_body["subscriptions"]) == 1
    assert [plan_count(api, code) for code in ("basic", "pro")] == [0, 1]


def test_a_pending_subscription_moved_to_another_plan_starts_and_bills_on_it(api, dynamodb, tenant, plans, api_clock):
    org = tenant.organization_id
    plans()
    api_clock.set(UPGRADE_AT)
    assert api.delete(path_of("sub")).status_code == 200  # the fixture's November subscription ends
    subscribe(api, external_id="later", plan_code="basic", subscription_at="2026-12-01T00:00:00Z")
    moved = post(api, external_id="later", plan_code="pro", subscription_at="2026-12-01T00:00:00Z")
    assert (moved.json_body["subscription"]["status"], moved.json_body["subscription"]["plan_code"]) == (
        "pending", "pro")
    listed = api.get("/api/v1/subscriptions?plan_code=pro&status[]=pending").json_body["subscriptions"]
    assert [item["external_id"] for item in listed] == ["later"]
    assert api.get("/api/v1/subscriptions?plan_code=basic&status[]=pending").json_body["subscriptions"] == []
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    run_biller(datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    assert [summary(invoice) for invoice in invoices_of(org)] == [
        # The November subscription, terminated on the 16th: 1..16 November of 1000 = 16/30 x 1000 = 533.33 -> 533.
        (1, "2026-11-16", ["subscription_terminating"], [("subscription", 533)]),
        # The moved one starts on 1 December on `pro` and bills December in arrears: 3000.
        (2, "2027-01-01", ["subscription_periodic"], [("subscription", 3000)])]


def test_an_upgraded_plan_s_minimum_is_prorated_to_the_day_before_the_upgrade_day(api, dynamodb, tenant, api_clock):
    """Lago's true-up counts the days with `Subscription#date_diff_with_timezone`, one less for a subscription an
    upgrade ended (the upgrade day is the new plan's): a 30 EUR monthly minimum on a charge with no usage, upgraded
    on 12 November at 06:00, is due for 1..11 November."""
    org = tenant.organization_id
    metric = create_metric(api, "calls", "count_agg")
    for code, amount_cents in (("small", 1000), ("large", 3000)):
        create_plan(api, code, amount_cents=amount_cents, charges=[{
            "billable_metric_id": metric["lago_id"], "charge_model": "standard", "min_amount_cents": 3000,
            "properties": {"amount": "1"}}])
    create_customer(api)
    api_clock.set(datetime(2026, 11, 1, tzinfo=UTC))
    subscribe(api, plan_code="small", subscription_at="2026-11-01T00:00:00Z")
    api_clock.set(datetime(2026, 11, 12, 6, tzinfo=UTC))
    assert post(api, plan_code="large").status_code == 200
    final = [invoice for invoice in invoices_of(org)
             if [period.invoicing_reason for period in invoice.billing_periods] == ["subscription_terminating"]]
    true_ups = [fee.amount_cents for invoice in final for fee in invoice.fees if fee.true_up_of_charge]
    # 3000 x 11 / 30 = 1100 cents (counting the upgrade day: 3000 x 12 / 30 = 1200).
    assert true_ups == [1100]


def customer_invoices(api) -> list[dict]:
    """The customer's invoices through the API, oldest first, each read in full (fees, billing periods)."""
    listed = api.get("/api/v1/invoices?external_customer_id=cust").json_body["invoices"]
    return [api.get(f"/api/v1/invoices/{invoice['lago_id']}").json_body["invoice"]
            for invoice in sorted(listed, key=lambda invoice: invoice["sequential_id"])]


def test_lago_s_monthly_in_advance_plan_upgraded_to_a_yearly_one_is_one_upgrade_invoice(api, tenant, api_clock):
    """Lago's spec/scenarios/subscriptions/upgrade_spec.rb: a monthly plan of 1000 paid in advance, anniversary from
    29 June 2023 12:12, billed on 29 July and 29 August, upgraded on 28 September 05:00 to a yearly plan of 12000
    paid in advance. Lago counts 4 invoices for the customer: the upgrade's is one, holding the old subscription's
    final share and the new one's start, and the credit note of the old plan's unused day pays part of it."""
    create_plan(api, "monthly", amount_cents=1000, pay_in_advance=True)
    create_plan(api, "yearly", interval="yearly", amount_cents=12_000, pay_in_advance=True)
    create_customer(api)
    api_clock.set(datetime(2023, 6, 29, 12, 12, tzinfo=UTC))
    old = subscribe(api, plan_code="monthly", billing_time="anniversary", subscription_at="2023-06-29T12:12:00Z")
    run_biller(datetime(2023, 7, 29, 12, 12, tzinfo=UTC))
    run_biller(datetime(2023, 8, 29, 12, 12, tzinfo=UTC))
    api_clock.set(datetime(2023, 9, 28, 5, tzinfo=UTC))
    new = subscribe(api, plan_code="yearly", billing_time="anniversary", subscription_at=...)
    assert api.get(path_of("sub", "terminated")).json_body["subscription"]["lago_id"] == old["lago_id"]
    run_biller(datetime(2023, 9, 28, 6, tzinfo=UTC))  # a biller run after the upgrade finds nothing more to issue

    invoices = customer_invoices(api)
    assert len(invoices) == 4
    # 29 June, 29 July, 29 August: a month of 1000 in advance each.
    assert [(invoice["issuing_date"], invoice["fees_amount_cents"]) for invoice in invoices[:3]] == [
        ("2023-06-29", 1000), ("2023-07-29", 1000), ("2023-08-29", 1000)]
    upgrade_invoice = invoices[3]
    assert (upgrade_invoice["issuing_date"], upgrade_invoice["invoice_type"], upgrade_invoice["sequential_id"]) == (
        "2023-09-28", "subscription", 4)
    assert upgrade_invoice["number"].endswith("-004")
    assert [(period["lago_subscription_id"], period["invoicing_reason"])
            for period in upgrade_invoice["billing_periods"]] == [
        (old["lago_id"], "subscription_terminating"), (new["lago_id"], "subscription_starting")]
    final, starting = upgrade_invoice["billing_periods"]
    # As Lago's spec: the old subscription's charges from 29 August to the upgrade instant; the new one's base fee
    # from the upgrade day to the end of its yearly period (the anniversary kept).
    assert (final["charges_from_datetime"], final["charges_to_datetime"]) == (
        "2023-08-29T00:00:00Z", "2023-09-28T05:00:00Z")
    assert (starting["subscription_from_datetime"], starting["subscription_to_datetime"]) == (
        "2023-09-28T00:00:00Z", "2024-06-28T23:59:59Z")
    assert [subscription["lago_id"] for subscription in upgrade_invoice["subscriptions"]] == [
        old["lago_id"], new["lago_id"]]
    # The old plan paid 29 August..28 September (31 days) in advance and has no charge: its final share bills
    # nothing. The yearly plan from the upgrade day, 28 September 2023, to 28 June 2024: 3 + 31 + 30 + 31 + 31 + 29
    # + 31 + 30 + 31 + 28 = 275 days of a 366-day year (29 February 2024): 275 x 12000 / 366 = 9016.39 -> 9016.
    assert sum((3, 31, 30, 31, 31, 29, 31, 30, 31, 28)) == 275
    yearly_fee = round_half_up(Decimal(275) * 12_000 / 366)
    assert yearly_fee == 9016
    assert [(fee["lago_subscription_id"], fee["amount_cents"]) for fee in upgrade_invoice["fees"]] == [
        (new["lago_id"], yearly_fee)]
    # The old plan's unused day, the upgrade day itself (the new plan bills it): 1 x 1000 / 31 = 32.26 -> 32,
    # credited to the upgrade's invoice (Lago's `credit_amount_cents` 32): 9016 - 32 = 8984 due.
    unused_day_credit = round_half_up(Decimal(1) * 1000 / 31)
    assert unused_day_credit == 32
    [note] = api.get("/api/v1/credit_notes?external_customer_id=cust").json_body["credit_notes"]
    assert (note["reason"], note["credit_amount_cents"], note["balance_amount_cents"], note["lago_invoice_id"]) == (
        "order_change", unused_day_credit, 0, invoices[2]["lago_id"])
    assert (upgrade_invoice["credit_notes_amount_cents"], upgrade_invoice["total_amount_cents"]) == (
        unused_day_credit, yearly_fee - unused_day_credit)
    assert [credit["amount_cents"] for credit in upgrade_invoice["credits"]] == [unused_day_credit]


def test_an_upgrade_into_a_trial_bills_the_new_plan_when_the_trial_ends(api, dynamodb, tenant, api_clock):
    """`pro` has a 20-day trial, counted from the external id's first start (1 November): upgraded on the 16th, the
    new subscription is in its trial, so the upgrade's invoice holds only the old plan's final share (Lago leaves a
    start in trial out of it), and the new plan's start is invoiced when the trial ends, on the 21st."""
    org = tenant.organization_id
    create_plan(api, "basic", amount_cents=1000, pay_in_advance=True)
    create_plan(api, "pro", amount_cents=3000, pay_in_advance=True, trial_period=20)
    create_customer(api)
    api_clock.set(datetime(2026, 11, 1, tzinfo=UTC))
    subscribe(api, plan_code="basic", subscription_at="2026-11-01T00:00:00Z")
    upgrade(api, api_clock)
    run_biller(datetime(2026, 11, 21, 1, tzinfo=UTC))
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    assert [summary(invoice) for invoice in invoices_of(org)] == [
        (1, "2026-11-01", ["subscription_starting"], [("subscription", 1000)]),
        # The upgrade: basic's final share bills nothing (paid in advance, no usage); pro's start is in its trial.
        (2, "2026-11-16", ["subscription_terminating"], []),
        # The trial's end: 21..30 November in advance = 3000 - round(3000 x 20 / 30) = 1000.
        (3, "2026-11-21", ["subscription_starting"], [("subscription", 1000)]),
        (4, "2026-12-01", ["subscription_periodic"], [("subscription", 3000)])]
    # basic's unused days, 16..30 November = 15 of 30 days of 1000 = 500: the upgrade's invoice has nothing to pay,
    # so the trial's end takes it.
    assert [(invoice.credit_notes_amount_cents, invoice.total_amount_cents) for invoice in invoices_of(org)] == [
        (0, 1000), (0, 0), (500, 1000 - 500), (0, 3000)]


def schedule_lite(api, plans, api_clock) -> dict:
    """`sub` on basic from 1 November 2026, downgraded to lite on 16 November at 10:00 (for 1 December)."""
    old = plans()
    lite(api)
    api_clock.set(UPGRADE_AT)
    assert post(api, plan_code="lite").status_code == 200
    return old


def test_a_scheduled_downgrade_is_lagos_pending_subscription_until_its_switch(api, dynamodb, tenant, plans,
                                                                               api_clock):
    old = schedule_lite(api, plans, api_clock)
    pending = api.get(path_of("sub", "pending")).json_body["subscription"]
    # Lago's pending subscription on the new plan: not started, linked to the current plan, with the current one's
    # subscription_at and billing time, created when the downgrade was asked.
    assert pending["lago_id"] != old["lago_id"]
    assert {name: pending[name] for name in (
        "external_id", "plan_code", "status", "previous_plan_code", "next_plan_code", "downgrade_plan_date",
        "started_at", "subscription_at", "billing_time", "created_at", "ending_at", "terminated_at", "canceled_at",
        "current_billing_period_started_at", "current_billing_period_ending_at")} == {
        "external_id": "sub", "plan_code": "lite", "status": "pending", "previous_plan_code": "basic",
        "next_plan_code": None, "downgrade_plan_date": None, "started_at": None,
        "subscription_at": "2026-11-01T00:00:00Z", "billing_time": "calendar", "created_at": "2026-11-16T10:00:00Z",
        "ending_at": None, "terminated_at": None, "canceled_at": None, "current_billing_period_started_at": None,
        "current_billing_period_ending_at": None}
    assert pending["plan"]["code"] == "lite"
    current = api.get(path_of("sub")).json_body["subscription"]
    assert (current["lago_id"], current["plan_code"], current["next_plan_code"], current["downgrade_plan_date"]) == (
        old["lago_id"], "basic", "lite", "2026-12-01")
    # Listed where Lago lists it: among the pending ones (the organization's, the plan's, the customer's), not among
    # the active ones; it counts on no plan before it starts (Lago counts active subscriptions).
    ids = lambda query: [item["lago_id"] for item in listed(api, query)["subscriptions"]]  # noqa: E731
    assert ids("?status[]=pending") == [pending["lago_id"]]
    assert ids("?status[]=active&status[]=pending") == [pending["lago_id"], old["lago_id"]]
    assert listed(api, "?status[]=active&status[]=pending")["meta"]["total_count"] == 2
    assert ids("") == [old["lago_id"]]
    assert ids("?plan_code=lite&status[]=pending") == [pending["lago_id"]]
    assert ids("?plan_code=basic&status[]=pending") == []
    assert ids("?external_customer_id=cust&status[]=pending") == [pending["lago_id"]]
    assert listed(api, "?plan_code=lite&status[]=pending")["meta"]["total_count"] == 1
    assert [plan_count(api, code) for code in ("basic", "lite")] == [1, 0]
    # At the switch the pending subscription becomes the active one, keeping its id.
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    switched = api.get(path_of("sub")).json_body["subscription"]
    assert (switched["lago_id"], switched["status"], switched["started_at"], switched["created_at"]) == (
        pending["lago_id"], "active", "2026-12-01T00:00:00Z", "2026-11-16T10:00:00Z")
    assert api.get(path_of("sub", "pending")).json_body == SUBSCRIPTION_NOT_FOUND
    assert listed(api, "?status[]=pending") == {"subscriptions": [], "meta": EMPTY_META}
    assert listed(api, "?status[]=active")["meta"]["total_count"] == 1


def test_canceling_the_pending_subscription_keeps_the_current_plan(api, dynamodb, tenant, plans, api_clock):
    org = tenant.organization_id
    old = schedule_lite(api, plans, api_clock)
    pending_id = api.get(path_of("sub", "pending")).json_body["subscription"]["lago_id"]
    api_clock.set(datetime(2026, 11, 20, 12, tzinfo=UTC))
    canceled = api.delete(path_of("sub", "pending"))
    assert canceled.status_code == 200
    body = canceled.json_body["subscription"]
    assert (body["lago_id"], body["status"], body["canceled_at"], body["plan_code"], body["previous_plan_code"],
            body["plan"]["code"]) == (pending_id, "canceled", "2026-11-20T12:00:00Z", "lite", "basic", "lite")
    current = api.get(path_of("sub")).json_body["subscription"]
    assert (current["lago_id"], current["plan_code"], current["next_plan_code"], current["downgrade_plan_date"]) == (
        old["lago_id"], "basic", None, None)
    assert api.get(path_of("sub", "pending")).json_body == SUBSCRIPTION_NOT_FOUND
    assert api.delete(path_of("sub", "pending")).json_body == SUBSCRIPTION_NOT_FOUND
    assert api.get(path_of("sub", "canceled")).json_body["subscription"]["lago_id"] == pending_id
    assert listed(api, "?status[]=pending")["meta"] == EMPTY_META
    assert listed(api, "?status[]=canceled")["meta"]["total_count"] == 1
    # No switch: November and December are both billed on basic, 1000 each.
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    run_biller(datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    assert api.get(path_of("sub")).json_body["subscription"]["lago_id"] == old["lago_id"]
    assert [summary(invoice) for invoice in invoices_of(org)] == [
        (1, "2026-12-01", ["subscription_periodic"], [("subscription", 1000)]),
        (2, "2027-01-01", ["subscription_periodic"], [("subscription", 1000)])]
    # A downgrade asked again is a new pending subscription.
    api_clock.set(datetime(2027, 1, 5, tzinfo=UTC))
    assert post(api, plan_code="lite").json_body["subscription"]["downgrade_plan_date"] == "2027-02-01"
    again = api.get(path_of("sub", "pending")).json_body["subscription"]
    assert (again["status"], again["plan_code"]) == ("pending", "lite") and again["lago_id"] != pending_id


def test_a_future_dated_event_of_a_canceled_downgrade_waits_for_rebuild_usage(api, dynamodb, tenant, plans,
                                                                                api_clock):
    """Limit (docs/api-coverage.md): an event stamped after the switch and received before the downgrade is canceled
    was aggregated for the pending subscription; once canceled, the subscription that bills its time (basic, in
    December) counts one event short, and the biller waits rather than invoice December without it. The operator's
    `rebuild-usage --apply` routes it again: December is then 1000 + 20 gb at 0.01 = 1200."""
    org = tenant.organization_id
    old = schedule_lite(api, plans, api_clock)
    send(dynamodb, org, [("early", datetime(2026, 12, 2, tzinfo=UTC), 20)])  # stamped after the 1 December switch
    api_clock.set(datetime(2026, 11, 20, 12, tzinfo=UTC))
    assert api.delete(path_of("sub", "pending")).status_code == 200
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    run_biller(datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    assert [summary(invoice)[1] for invoice in invoices_of(org)] == ["2026-12-01"]  # December waits
    report = UsageRebuild(repositories()).rebuild(org, "sub", apply=True)
    assert report.differences and all(difference.key.subscription_id == old["lago_id"]
                                       for difference in report.differences)
    run_biller(datetime(2027, 1, 1, 0, 40, tzinfo=UTC))
    assert [summary(invoice) for invoice in invoices_of(org)][1] == (
        2, "2027-01-01", ["subscription_periodic"], [("subscription", 1000), ("charge", 20 * 1)])


def test_updating_the_pending_subscription_changes_what_starts_at_the_switch(api, dynamodb, tenant, plans,
                                                                             api_clock):
    schedule_lite(api, plans, api_clock)
    # Lago changes its name and ending_at; its subscription_at is its predecessor's (no start of its own): ignored.
    updated = api.put(path_of("sub", "pending"), {"subscription": {
        "name": "Lite from December", "ending_at": "2027-03-01T00:00:00Z", "subscription_at": "2026-11-18T00:00:00Z"}})
    assert updated.status_code == 200, updated.body
    body = updated.json_body["subscription"]
    assert (body["status"], body["name"], body["ending_at"], body["subscription_at"], body["started_at"]) == (
        "pending", "Lite from December", "2027-03-01T00:00:00Z", "2026-11-01T00:00:00Z", None)
    assert api.get(path_of("sub")).json_body["subscription"]["name"] is None
    assert api.put(path_of("sub", "pending"), {"subscription": {"ending_at": "soon"}}).json_body == invalid(
        ending_at="invalid_date")
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    switched = api.get(path_of("sub")).json_body["subscription"]
    assert (switched["plan_code"], switched["name"], switched["ending_at"]) == (
        "lite", "Lite from December", "2027-03-01T00:00:00Z")


def test_ending_the_current_subscription_cancels_its_pending_one(api, dynamodb, tenant, plans, api_clock):
    """Terminated, or upgraded: Lago cancels the downgrade's pending subscription; another downgrade moves it."""
    schedule_lite(api, plans, api_clock)
    create_plan(api, "tiny", amount_cents=100)
    pending_id = api.get(path_of("sub", "pending")).json_body["subscription"]["lago_id"]
    post(api, plan_code="tiny")
    moved = api.get(path_of("sub", "pending")).json_body["subscription"]
    assert (moved["lago_id"], moved["plan_code"], moved["previous_plan_code"]) == (pending_id, "tiny", "basic")
    assert listed(api, "?plan_code=lite&status[]=pending")["meta"] == EMPTY_META
    assert listed(api, "?plan_code=tiny&status[]=pending")["meta"]["total_count"] == 1
    api_clock.set(datetime(2026, 11, 20, 12, tzinfo=UTC))
    upgraded = post(api, plan_code="pro").json_body["subscription"]
    assert (upgraded["plan_code"], upgraded["status"]) == ("pro", "active")
    canceled = api.get(path_of("sub", "canceled")).json_body["subscription"]
    assert (canceled["lago_id"], canceled["plan_code"], canceled["canceled_at"]) == (
        pending_id, "tiny", "2026-11-20T12:00:00Z")
    assert api.get(path_of("sub", "terminated")).json_body["subscription"]["next_plan_code"] == "pro"
    # pro downgraded to lite, then terminated: the pending one is canceled with it, and the terminated one names no
    # next plan.
    post(api, plan_code="lite")
    second_id = api.get(path_of("sub", "pending")).json_body["subscription"]["lago_id"]
    api_clock.set(datetime(2026, 11, 22, tzinfo=UTC))
    assert api.delete(path_of("sub")).status_code == 200
    assert api.get(path_of("sub", "canceled")).json_body["subscription"]["lago_id"] == second_id
    terminated = api.get(path_of("sub", "terminated")).json_body["subscription"]
    assert (terminated["plan_code"], terminated["next_plan_code"], terminated["downgrade_plan_date"]) == (
        "pro", None, None)
    assert listed(api, "?status[]=pending&status[]=active")["meta"] == EMPTY_META
    assert listed(api, "?status[]=canceled")["meta"]["total_count"] == 2


def test_a_cancel_racing_the_switch_finds_nothing_pending(api, dynamodb, tenant, plans, api_clock):
    """The biller switches between the cancel's read and its write: the cancel reads again and finds no pending
    subscription (it has started), as if it came second."""
    schedule_lite(api, plans, api_clock)
    pending_id = api.get(path_of("sub", "pending")).json_body["subscription"]["lago_id"]
    api_clock.set(datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    with competing("TransactWriteItems", lambda: run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))):
        canceled = api.delete(path_of("sub", "pending"))
    assert canceled.json_body == SUBSCRIPTION_NOT_FOUND
    current = api.get(path_of("sub")).json_body["subscription"]
    assert (current["lago_id"], current["plan_code"]) == (pending_id, "lite")
    assert listed(api, "?status[]=pending&status[]=canceled")["meta"] == EMPTY_META
    assert listed(api, "?status[]=active&status[]=terminated")["meta"]["total_count"] == 2


def test_a_downgrade_racing_a_cancel_of_the_pending_one(api, dynamodb, tenant, plans, api_clock):
    """Another downgrade moves the pending subscription between the cancel's read and its write: the cancel reads
    again and cancels it on its new plan; the current one no longer switches."""
    schedule_lite(api, plans, api_clock)
    create_plan(api, "tiny", amount_cents=100)
    with competing("TransactWriteItems", lambda: post(api, plan_code="tiny")) as rival:
        canceled = api.delete(path_of("sub", "pending"))
    assert rival[0].json_body["subscription"]["next_plan_code"] == "tiny"
    assert (canceled.json_body["subscription"]["status"], canceled.json_body["subscription"]["plan_code"]) == (
        "canceled", "tiny")
    assert api.get(path_of("sub")).json_body["subscription"]["next_plan_code"] is None
    assert listed(api, "?status[]=pending")["meta"] == EMPTY_META


def test_downgrade_plan_date_follows_lagos_date_arithmetic_east_of_utc(api, dynamodb, tenant, api_clock):
    """A customer in Europe/Paris: November ends at 2026-11-30T23:00:00Z. Lago shows the day after the UTC day of
    the period's last second while the downgrade is scheduled (1 December), then the UTC day of the switch instant
    (30 November) on the terminated subscription."""
    for code, amount_cents in (("basic", 1000), ("lite", 500)):
        create_plan(api, code, amount_cents=amount_cents)
    create_customer(api, timezone="Europe/Paris")
    api_clock.set(datetime(2026, 11, 1, tzinfo=UTC))
    subscribe(api, plan_code="basic", subscription_at="2026-11-01T00:00:00Z")
    api_clock.set(UPGRADE_AT)
    scheduled = post(api, plan_code="lite").json_body["subscription"]
    assert (scheduled["next_plan_code"], scheduled["downgrade_plan_date"]) == ("lite", "2026-12-01")
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    assert api.get(path_of("sub")).json_body["subscription"]["started_at"] == "2026-11-30T23:00:00Z"
    ended = api.get(path_of("sub", "terminated")).json_body["subscription"]
    assert (ended["terminated_at"], ended["next_plan_code"], ended["downgrade_plan_date"]) == (
        "2026-11-30T22:59:59Z", "lite", "2026-11-30")


def test_the_downgrade_request_names_its_pending_subscription(api, dynamodb, tenant, plans, api_clock):
    """As Lago: the pending subscription takes the request's `name` and, when sent, its `ending_at`; the current one
    keeps its own."""
    plans()
    lite(api)
    api_clock.set(UPGRADE_AT)
    answer = post(api, plan_code="lite", name="Lite plan", ending_at="2027-06-01T00:00:00Z").json_body["subscription"]
    assert (answer["plan_code"], answer["name"], answer["ending_at"]) == ("basic", None, None)
    pending = api.get(path_of("sub", "pending")).json_body["subscription"]
    assert (pending["name"], pending["ending_at"]) == ("Lite plan", "2027-06-01T00:00:00Z")


def test_two_concurrent_downgrades_make_one_pending_subscription(api, dynamodb, tenant, plans, api_clock):
    """Both read the active subscription with no downgrade; the loser's transaction fails on its version, it reads
    again and finds the downgrade asked (Lago's idempotency): one pending subscription, counted once."""
    plans()
    lite(api)
    api_clock.set(UPGRADE_AT)
    with competing("TransactWriteItems", lambda: post(api, plan_code="lite")) as rival:
        mine = post(api, plan_code="lite")
    assert rival[0].status_code == 200 and mine.status_code == 200
    assert mine.json_body["subscription"]["downgrade_plan_date"] == "2026-12-01"
    assert listed(api, "?status[]=pending")["meta"]["total_count"] == 1
    assert len(listed(api, "?status[]=pending")["subscriptions"]) == 1
