"""Recurring metrics across a plan change (lago-semantics §1.1, §5.3): Lago's recurring queries select every event of
the external subscription id, so the seats counted before an upgrade or a downgrade are still counted after it, on
the new plan; an upgraded subscription's final invoice leaves out the recurring charges in arrears (not prorated)
that the new plan also charges, which bills them for the whole period. Amounts worked out by hand in each test; the
same rule for any seats around an upgrade, as a property on the in-memory stores:
tests/unit/test_recurring_seats_around_an_upgrade.py."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from builders import create_customer, create_metric, create_plan, subscribe
from test_biller import invoices_of
from test_plan_changes import UPGRADE_AT, summary
from test_recurring_usage import current_usage, recurring, send
from test_subscriptions import post
from usage_fixtures import event_item

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.wiring import run_biller


def seat_event(org: str, transaction_id: str, at: datetime, seats: int) -> dict:
    return event_item(org, transaction_id, epoch_ms(at), "seats", {"n": seats})


def user_event(org: str, transaction_id: str, at: datetime, user: str, operation: str = "add") -> dict:
    return event_item(org, transaction_id, epoch_ms(at), "users", {"user": user, "operation_type": operation})


@pytest.fixture
def catalog(api, api_clock):
    """`seats` (recurring sum of n), `users` (recurring unique count of user) and `storage` (recurring sum of gb);
    plans in arrears, calendar monthly: `basic` 1000 (seats and users 1 EUR, storage 0.5 EUR), `pro` 3000 (seats and
    users 2 EUR; no storage), `lite` 500 (seats 0.5 EUR). Customer `cust` on `basic` as `sub` from 1 November 2026."""
    metrics = {code: create_metric(api, code, "sum_agg" if field != "user" else "unique_count_agg", field)
               for code, field in (("seats", "n"), ("users", "user"), ("storage", "gb"))}
    for code in metrics:
        recurring(api, code)

    def charges(**prices: str) -> list[dict]:
        return [{"billable_metric_id": metrics[code]["lago_id"], "charge_model": "standard",
                 "properties": {"amount": amount}} for code, amount in prices.items()]

    create_plan(api, "basic", amount_cents=1000, charges=charges(seats="1", users="1", storage="0.5"))
    create_plan(api, "pro", amount_cents=3000, charges=charges(seats="2", users="2"))
    create_plan(api, "lite", amount_cents=500, charges=charges(seats="0.5"))
    create_customer(api)
    api_clock.set(datetime(2026, 11, 1, tzinfo=UTC))
    return subscribe(api, plan_code="basic", subscription_at="2026-11-01T00:00:00Z")


def change_plan(api, api_clock, plan_code: str) -> dict:
    api_clock.set(UPGRADE_AT)
    response = post(api, plan_code=plan_code)
    assert response.status_code == 200, response.body
    return response.json_body["subscription"]


def test_an_upgrade_carries_the_seats_to_the_new_plan_which_bills_them_once(api, dynamodb, tenant, catalog,
                                                                           api_clock, monkeypatch):
    org = tenant.organization_id
    send(dynamodb, [seat_event(org, "s1", datetime(2026, 11, 10, tzinfo=UTC), 10),
                    event_item(org, "g1", epoch_ms(datetime(2026, 11, 11, tzinfo=UTC)), "storage", {"gb": 4})])
    change_plan(api, api_clock, "pro")
    send(dynamodb, [seat_event(org, "s2", datetime(2026, 11, 20, tzinfo=UTC), 2)])
    # On the new plan, the 10 seats from before the upgrade and the 2 after: 12 at 2 EUR.
    usage = current_usage(api, monkeypatch, datetime(2026, 11, 25, tzinfo=UTC))
    assert usage["seats"] == ("12.0", 2, 12 * 200)
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    run_biller(datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    assert [summary(invoice) for invoice in invoices_of(org)] == [
        # The old plan's final invoice: 1..15 November of 1000 = 15/30 x 1000 = 500; its seats are left to the new
        # plan (which charges seats); storage, which the new plan does not charge, is billed here: 4 x 0.5 = 200.
        (1, "2026-11-16", ["subscription_terminating"], [("subscription", 500), ("charge", 200)]),
        # The new plan on 1 December: 16..30 November = 3000 - round(3000 x 15 / 30) = 1500, and 12 seats x 200.
        (2, "2026-12-01", ["subscription_periodic"], [("subscription", 1500), ("charge", 2400)]),
        # December: the 12 seats recur.
        (3, "2027-01-01", ["subscription_periodic"], [("subscription", 3000), ("charge", 2400)])]


def test_a_downgrade_bills_the_old_period_on_the_old_plan_and_carries_the_seats(api, dynamodb, tenant, catalog,
                                                                               api_clock):
    org = tenant.organization_id
    send(dynamodb, [seat_event(org, "s1", datetime(2026, 11, 10, tzinfo=UTC), 10)])
    change_plan(api, api_clock, "lite")
    send(dynamodb, [seat_event(org, "s2", datetime(2026, 12, 5, tzinfo=UTC), 2)])
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    run_biller(datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    assert [summary(invoice) for invoice in invoices_of(org)] == [
        # November in full on the old plan, seats included (a downgrade takes over nothing): 1000 + 10 x 100.
        (1, "2026-11-30", ["subscription_terminating"], [("subscription", 1000), ("charge", 1000)]),
        # December on `lite`: 500, and the 10 seats carried plus 2 = 12 at 0.5 EUR = 600.
        (2, "2027-01-01", ["subscription_periodic"], [("subscription", 500), ("charge", 600)])]


def test_an_upgrade_carries_the_users_added_and_removed_across_it(api, dynamodb, tenant, catalog, api_clock,
                                                                  monkeypatch):
    org = tenant.organization_id
    send(dynamodb, [user_event(org, f"u{n}", datetime(2026, 11, 10, n, tzinfo=UTC), f"user-{n}") for n in (1, 2, 3)])
    change_plan(api, api_clock, "pro")
    send(dynamodb, [user_event(org, "r1", datetime(2026, 11, 20, tzinfo=UTC), "user-1", "remove"),
                    user_event(org, "u4", datetime(2026, 11, 21, tzinfo=UTC), "user-4")])
    # Users 2, 3 (before the upgrade) and 4 (after) are active at the period's end; user 1 was removed: 3 x 2 EUR.
    assert current_usage(api, monkeypatch, datetime(2026, 11, 25, tzinfo=UTC))["users"][::2] == ("3.0", 600)
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    assert [summary(invoice) for invoice in invoices_of(org)] == [
        (1, "2026-11-16", ["subscription_terminating"], [("subscription", 500)]),
        (2, "2026-12-01", ["subscription_periodic"], [("subscription", 1500), ("charge", 600)])]


def test_a_subscription_of_the_same_external_id_for_another_customer_carries_nothing(api, dynamodb, tenant, catalog,
                                                                                     api_clock, monkeypatch):
    org = tenant.organization_id
    send(dynamodb, [seat_event(org, "s1", datetime(2026, 11, 10, tzinfo=UTC), 10)])
    api_clock.set(UPGRADE_AT)
    assert api.delete("/api/v1/subscriptions/sub").status_code == 200
    create_customer(api, "other")
    subscribe(api, external_customer_id="other", plan_code="pro", subscription_at="2026-11-16T10:00:00Z")
    send(dynamodb, [seat_event(org, "s2", datetime(2026, 11, 20, tzinfo=UTC), 2)])
    response = api.get("/api/v1/customers/other/current_usage?external_subscription_id=sub")
    assert response.status_code == 200, response.body
    seats = [charge for charge in response.json_body["customer_usage"]["charges_usage"]
             if charge["billable_metric"]["code"] == "seats"]
    assert (seats[0]["units"], seats[0]["amount_cents"]) == ("2.0", 2 * 200)


def test_a_prorated_recurring_charge_is_billed_on_both_sides_of_an_upgrade_by_days(api, dynamodb, tenant, catalog,
                                                                                   api_clock, monkeypatch):
    """A prorated charge is billed by the old plan up to the upgrade (Lago leaves out only unprorated ones) and
    by the new plan from it, the carried seats weighing all of its days."""
    org = tenant.organization_id
    licences = create_metric(api, "licences", "sum_agg", "n")
    recurring(api, "licences")
    for code, amount_cents, amount in (("basic-p", 1000, "1"), ("pro-p", 3000, "2")):
        create_plan(api, code, amount_cents=amount_cents, charges=[{
            "billable_metric_id": licences["lago_id"], "charge_model": "standard", "prorated": True,
            "properties": {"amount": amount}}])
    subscribe(api, external_id="psub", plan_code="basic-p", subscription_at="2026-11-01T00:00:00Z")
    send(dynamodb, [event_item(org, "l1", epoch_ms(datetime(2026, 11, 10, tzinfo=UTC)), "licences", {"n": 10},
                               external_subscription_id="psub")])
    api_clock.set(UPGRADE_AT)
    assert post(api, external_id="psub", plan_code="pro-p").status_code == 200
    send(dynamodb, [event_item(org, "l2", epoch_ms(datetime(2026, 11, 20, tzinfo=UTC)), "licences", {"n": 2},
                               external_subscription_id="psub")])
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    reasons = {(invoice.id, period.subscription_id): period.invoicing_reason
               for invoice in invoices_of(org) for period in invoice.billing_periods}
    fees = {reasons[(invoice.id, fee.subscription_id)]: (fee.units, fee.amount_cents)
            for invoice in invoices_of(org) for fee in invoice.fees
            if fee.fee_type == "charge" and fee.subscription_id != catalog["lago_id"]}
    # Old plan, window 1..16 November of a 30-day period: 10 licences from the 10th weigh 7 days:
    # 10 x 7 / 30 = 2.333... -> 2.33334 (Lago rounds the units up at 5 decimals) x 1 EUR = 233.334 -> 233 cents.
    assert fees["subscription_terminating"] == (Decimal("2.33334"), 233)
    # New plan, window 16..30 November (15 days): the 10 carried weigh all 15 days, 10 x 15 / 30 = 5; the 2 from
    # the 20th weigh 11 days, 2 x 11 / 30 = 0.7333...; 5.73333... -> 5.73334 x 2 EUR = 1146.668 -> 1147 cents.
    assert fees["subscription_periodic"] == (Decimal("5.73334"), 1147)


def test_an_upgrade_bills_the_carried_prorated_units_to_the_day_before_the_upgrade_day(api, dynamodb, tenant,
                                                                                        api_clock):
    """Lago's `Subscription#date_diff_with_timezone` (spec/scenarios/invoices/invoices_spec.rb, "when pay in advance
    subscription is upgraded": 5 carried units on the old plan are 11/29 x 500 = 190 cents when upgraded on
    12 February): units carried in from earlier periods are billed one day less on the upgraded side, since the
    new plan bills the upgrade day. The same case in November (30 days), upgraded on the 12th at 06:00."""
    org = tenant.organization_id
    licences = create_metric(api, "licences", "sum_agg", "n")
    recurring(api, "licences")
    for code, amount_cents in (("small", 2900), ("large", 29000)):
        create_plan(api, code, amount_cents=amount_cents, pay_in_advance=True, charges=[{
            "billable_metric_id": licences["lago_id"], "charge_model": "standard", "prorated": True,
            "properties": {"amount": "1"}}])
    create_customer(api)
    api_clock.set(datetime(2026, 10, 1, tzinfo=UTC))
    subscribe(api, external_id="psub", plan_code="small", subscription_at="2026-10-01T00:00:00Z")
    send(dynamodb, [event_item(org, "l1", epoch_ms(datetime(2026, 10, 2, tzinfo=UTC)), "licences", {"n": 5},
                               external_subscription_id="psub")])
    run_biller(datetime(2026, 11, 1, 0, 30, tzinfo=UTC))
    api_clock.set(datetime(2026, 11, 12, 6, tzinfo=UTC))
    assert post(api, external_id="psub", plan_code="large").status_code == 200
    run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    reasons = {(invoice.id, period.subscription_id): period.invoicing_reason
               for invoice in invoices_of(org) for period in invoice.billing_periods}
    fees = {(reasons[(invoice.id, fee.subscription_id)], fee.from_datetime.date().isoformat()):
            (fee.units, fee.amount_cents) for invoice in invoices_of(org) for fee in invoice.fees
            if fee.fee_type == "charge"}
    # Old plan, 1..11 November (the 12th is the new plan's): 5 x 11 / 30 = 1.8333... -> 1.83334 x 1 EUR
    # = 183.334 -> 183 cents (counting the upgrade day, 5 x 12 / 30 = 2 -> 200 cents).
    assert fees[("subscription_terminating", "2026-11-01")] == (Decimal("1.83334"), 183)
    # New plan, 12..30 November (19 days): 5 x 19 / 30 = 3.1666... -> 3.16667 x 1 EUR = 316.667 -> 317 cents.
    assert fees[("subscription_periodic", "2026-11-12")] == (Decimal("3.16667"), 317)


def test_under_a_grace_period_the_upgraded_final_draft_leaves_the_seats_to_the_new_plan(api, dynamodb, tenant, catalog,
                                                                                        api_clock):
    """The old plan's final invoice is a draft while the customer's grace period runs; refreshing and finalizing it
    price its charges again, and must leave out the seats the new plan bills, as the invoice issued at once does."""
    org = tenant.organization_id
    assert api.put("/api/v1/customers/cust", {"customer": {
        "billing_configuration": {"invoice_grace_period": 3}}}).status_code == 200
    send(dynamodb, [seat_event(org, "s1", datetime(2026, 11, 10, tzinfo=UTC), 10)])
    change_plan(api, api_clock, "pro")
    draft = api.get("/api/v1/invoices?status=draft").json_body["invoices"]
    assert len(draft) == 1
    assert api.put(f"/api/v1/invoices/{draft[0]['lago_id']}/refresh").status_code == 200
    api_clock.set(datetime(2026, 11, 17, tzinfo=UTC))
    finalized = api.put(f"/api/v1/invoices/{draft[0]['lago_id']}/finalize")
    assert finalized.status_code == 200, finalized.body
    # 1..15 November of 1000 = 500; no seats (the new plan bills the 10 for the whole month).
    assert [(fee["item"]["type"], fee["amount_cents"]) for fee in finalized.json_body["invoice"]["fees"]] == [
        ("subscription", 500)]
