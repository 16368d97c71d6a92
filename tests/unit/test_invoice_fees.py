"""The fees of one subscription's invoice, each rule worked out by hand: the prorated base fee (full
period, calendar start, in advance, termination day, trials, DST), the charge fees priced as current usage
prices them (empty buckets left off, pay-in-advance charges out), the min-amount true-up, the invoice's
taxes rounded once on the sum, its payment status and its number."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import model_builders as models
import pytest
from model_builders import charge, metric, started_subscription

from chalicelib.domain.billing_context import charges_window, subscription_terms
from chalicelib.domain.current_usage import price_period_usage
from chalicelib.domain.invoices import StoredUsage, periodic_share, starting_share, termination_share
from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.invoices.numbering import credit_note_number, draft_invoice_number, invoice_number
from chalicelib.domain.invoices.totals import fee_taxes_amount_cents, invoice_totals, payment_status
from chalicelib.domain.plans import Charge, Plan
from chalicelib.domain.subscriptions import Subscription

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PARIS = "Europe/Paris"
NONE_USED = StoredUsage(states={})


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def paris(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(PARIS)).astimezone(UTC)


def plan(amount_cents: int = 1000, *charges: Charge, interval: str = "monthly", **options) -> Plan:
    return models.plan(*charges, amount_cents=amount_cents, interval=interval, **options)


def periodic(sub: Subscription, billing_plan: Plan, billing_at: datetime, usage: StoredUsage = NONE_USED,
             metrics: dict | None = None, timezone: str = "UTC", initial_started_at: datetime | None = None):
    return periodic_share(sub, billing_plan, metrics or {}, subscription_terms(sub, billing_plan, timezone), billing_at, usage,
                          initial_started_at=initial_started_at or sub.started_at)


def fee_line(amount_cents: int) -> FeeLine:
    return FeeLine(fee_type="charge", subscription_id="sub", charge_id="c", filter_index=None, true_up_of_charge=False,
                   units=Decimal(1), total_aggregated_units=Decimal(1), events_count=1, amount_cents=amount_cents,
                   precise_amount_cents=Decimal(amount_cents), precise_unit_amount=Decimal(amount_cents) / 100,
                   from_datetime=NOW, to_datetime=utc(2026, 2, 1), pay_in_advance=False)


# --- the base fee -----------------------------------------------------------------------------------------

def test_a_full_month_in_arrears_bills_the_plan_amount():
    share = periodic(started_subscription(utc(2026, 1, 10)), plan(), utc(2026, 3, 1, 5))
    (fee,) = share.fees
    assert (fee.fee_type, fee.charge_id, fee.amount_cents, fee.precise_amount_cents) == ("subscription", None, 1000,
                                                                                        Decimal(1000))
    assert (fee.from_datetime, fee.to_datetime) == (utc(2026, 2, 1), utc(2026, 3, 1))  # February, 1st to 28th
    assert (fee.units, fee.events_count, fee.pay_in_advance) == (Decimal(1), 0, False)
    assert share.invoicing_reason == "subscription_periodic"


def test_a_calendar_plan_started_on_the_15th_bills_17_days_of_31():
    share = periodic(started_subscription(utc(2026, 3, 15, 10, 30)), plan(), utc(2026, 4, 1))
    (fee,) = share.fees
    # 15..31 March = 31 - 15 + 1 = 17 days of 31: 1000 x 17 / 31 = 548.387
    assert fee.precise_amount_cents == Decimal(1000) * 17 / 31
    assert fee.amount_cents == 1000 * 17 // 31 == 548
    assert fee.from_datetime == utc(2026, 3, 15)  # the base fee from 00:00 of the start day
    assert share.charges_window.start == utc(2026, 3, 15, 10, 30)  # the charges from the start instant


def test_a_pay_in_advance_plan_bills_the_first_days_at_the_start_then_the_next_period_in_advance():
    sub, in_advance = started_subscription(utc(2026, 3, 15, 10, 30)), plan(pay_in_advance=True)
    start = starting_share(sub, in_advance, "UTC", initial_started_at=sub.started_at)
    (first,) = start.fees
    assert (start.invoicing_reason, start.charges_window) == ("subscription_starting", None)
    assert (first.amount_cents, first.pay_in_advance) == (1000 * 17 // 31, True)  # 15..31 March: 17 of 31
    assert (first.from_datetime, first.to_datetime) == (utc(2026, 3, 15), utc(2026, 4, 1))
    share = periodic(sub, in_advance, utc(2026, 4, 1))
    (april,) = share.fees
    assert (april.amount_cents, april.from_datetime, april.to_datetime) == (1000, utc(2026, 4, 1), utc(2026, 5, 1))
    assert share.charges_window.start == utc(2026, 3, 15, 10, 30)  # March's charges, billed with April's fee
    assert share.charges_window.end == utc(2026, 4, 1)


def test_a_plan_paid_in_arrears_bills_nothing_at_its_start():
    sub = started_subscription(utc(2026, 3, 15))
    assert starting_share(sub, plan(), "UTC", initial_started_at=sub.started_at).fees == ()


def test_termination_bills_the_termination_day():
    sub = started_subscription(utc(2026, 1, 1), terminated_at=utc(2026, 3, 10, 0, 0))
    share = termination_share(sub, plan(), {}, subscription_terms(sub, plan(), "UTC"), NONE_USED, initial_started_at=sub.started_at)
    (fee,) = share.fees
    # 1..10 March = 10 days of 31, the 10th billed though terminated at 00:00: 1000 x 10 / 31 = 322.58
    assert fee.amount_cents == (1000 * 10 + 31 // 2) // 31 == 323
    assert share.invoicing_reason == "subscription_terminating"
    assert share.charges_window.end == utc(2026, 3, 10, 0, 0, 1)  # up to and including the termination second


def test_termination_of_a_pay_in_advance_plan_bills_no_base_fee():
    sub = started_subscription(utc(2026, 1, 1), terminated_at=utc(2026, 3, 10))
    in_advance = plan(pay_in_advance=True)
    share = termination_share(sub, in_advance, {}, subscription_terms(sub, in_advance, "UTC"), NONE_USED, initial_started_at=sub.started_at)
    assert (share.base_fee_window, share.fees) == (None, ())


def test_a_trial_covering_the_period_leaves_the_base_fee_off():
    sub = started_subscription(utc(2026, 3, 1))
    share = periodic(sub, plan(trial_period=Decimal(40)), utc(2026, 4, 1))  # trial to 10 April
    assert share.base_fee_window is not None and share.fees == ()


def test_a_trial_ending_mid_period_bills_from_its_end_day():
    sub = started_subscription(utc(2026, 3, 1))
    (fee,) = periodic(sub, plan(trial_period=Decimal(10)), utc(2026, 4, 1)).fees
    # trial 1 March 00:00 + 10 days = 11 March 00:00; 11..31 March = 21 days of 31: 1000 x 21 / 31 = 677.42
    assert fee.amount_cents == 1000 * 21 // 31 == 677


def test_a_trial_is_counted_from_the_first_start_of_the_external_id():
    resubscribed = started_subscription(utc(2026, 3, 1))
    (fee,) = periodic(resubscribed, plan(trial_period=Decimal(10)), utc(2026, 4, 1),
                      initial_started_at=utc(2026, 1, 1)).fees  # trial over on 11 January
    assert fee.amount_cents == 1000


def test_a_trial_hides_the_pay_in_advance_fee_at_the_start():
    sub = started_subscription(utc(2026, 3, 15))
    share = starting_share(sub, plan(pay_in_advance=True, trial_period=Decimal(30)), "UTC",
                           initial_started_at=sub.started_at)
    assert share.fees == ()


def test_a_free_plan_keeps_its_zero_fee():
    (fee,) = periodic(started_subscription(utc(2026, 1, 1)), plan(0), utc(2026, 3, 1)).fees
    assert fee.amount_cents == 0


def test_paris_days_across_the_march_clock_change():
    # Started 15 March 00:00 in Paris (14 March 23:00 UTC); March 2026 loses an hour on the 29th but keeps 31 days.
    sub = started_subscription(paris(2026, 3, 15))
    (fee,) = periodic(sub, plan(), paris(2026, 4, 1, 9), timezone=PARIS).fees
    assert fee.amount_cents == 1000 * 17 // 31  # 15..31 March: 17 days of 31, as in UTC
    assert (fee.from_datetime, fee.to_datetime) == (utc(2026, 3, 14, 23), utc(2026, 3, 31, 22))


def test_paris_october_is_a_full_month_of_745_hours():
    (fee,) = periodic(started_subscription(paris(2026, 9, 1)), plan(), paris(2026, 11, 1), timezone=PARIS).fees
    # 1 October 00:00 +02 to 1 November 00:00 +01: 31 days and the hour given back on the 25th
    assert (fee.from_datetime, fee.to_datetime) == (utc(2026, 9, 30, 22), utc(2026, 10, 31, 23))
    assert fee.to_datetime - fee.from_datetime == timedelta(hours=31 * 24 + 1)
    assert fee.amount_cents == 1000


# --- the charge fees --------------------------------------------------------------------------------------

CALLS = metric("calls", {"region": ["eu", "us"]})
CALLS_CHARGE = charge("c-calls", "calls", "1", filters=[{"values": {"region": ["eu"]}, "properties": {"amount": "2"}},
                                                        {"values": {"region": ["us"]}, "properties": {"amount": "3"}}])
MARCH = started_subscription(utc(2026, 3, 1))


def test_one_fee_per_bucket_used_and_the_empty_buckets_left_off():
    usage = StoredUsage(states={("c-calls", 1, ()): 4, ("c-calls", None, ()): 7})  # no event in Europe
    share = periodic(MARCH, plan(1000, CALLS_CHARGE), utc(2026, 4, 1), usage, {"calls": CALLS})
    assert [(fee.fee_type, fee.charge_id, fee.filter_index, fee.units, fee.events_count, fee.amount_cents)
            for fee in share.fees] == [("subscription", None, None, 1, 0, 1000),
                                       ("charge", "c-calls", 1, 4, 4, 4 * 300),   # us: 4 x 3.00
                                       ("charge", "c-calls", None, 7, 7, 7 * 100)]  # default: 7 x 1.00
    us = share.fees[1]
    assert (us.from_datetime, us.to_datetime) == (utc(2026, 3, 1), utc(2026, 4, 1))
    assert (us.precise_amount_cents, us.precise_unit_amount) == (Decimal(1200), Decimal(3))


def test_charge_fees_equal_current_usage_at_the_period_end():
    states = {("c-calls", 0, ()): 3, ("c-calls", 1, ()): 4, ("c-calls", None, ()): 7}
    billed = plan(1000, CALLS_CHARGE)
    share = periodic(MARCH, billed, utc(2026, 4, 1), StoredUsage(states), {"calls": CALLS})
    terms = subscription_terms(MARCH, billed, "UTC")
    usage = price_period_usage(billed, {"calls": CALLS}, charges_window(terms, share.charges_window), states, "EUR",
                               None)
    assert sum(fee.amount_cents for fee in share.fees if fee.fee_type == "charge") == usage.amount_cents


def test_pay_in_advance_charges_are_not_on_the_periodic_invoice():
    in_advance = charge("c-advance", "calls", "5", pay_in_advance=True, invoiceable=True)
    share = periodic(MARCH, plan(1000, in_advance), utc(2026, 4, 1), StoredUsage({("c-advance", None, ()): 2}),
                     {"calls": metric("calls")})
    assert [fee.fee_type for fee in share.fees] == ["subscription"]


def test_true_up_of_700_used_against_a_minimum_of_1000_is_300():
    minimum = charge("c-min", "calls", "1", min_amount_cents=1000)
    share = periodic(MARCH, plan(0, minimum), utc(2026, 4, 1), StoredUsage({("c-min", None, ()): 7}),
                     {"calls": metric("calls")})
    used, true_up = share.fees[1:]
    assert (used.amount_cents, used.true_up_of_charge) == (7 * 100, False)
    # full 31-day month: 1000 x 31 / 31 - 700
    assert (true_up.fee_type, true_up.charge_id, true_up.true_up_of_charge) == ("charge", "c-min", True)
    assert (true_up.amount_cents, true_up.units, true_up.events_count) == (1000 - 700, Decimal(1), 0)


def test_true_up_counts_every_filter_and_is_prorated_to_the_days_billed():
    minimum = charge("c-min", "calls", "1", min_amount_cents=1000,
                     filters=[{"values": {"region": ["eu"]}, "properties": {"amount": "0.5"}}])
    sub = started_subscription(utc(2026, 3, 15, 12))
    share = periodic(sub, plan(0, minimum), utc(2026, 4, 1), StoredUsage({("c-min", 0, ()): 2, ("c-min", None, ()): 1}),
                     {"calls": metric("calls", {"region": ["eu"]})})
    true_up = share.fees[-1]
    # 15..31 March = 17 days of 31: 1000 x 17 / 31 = 548.387; used 2 x 50 + 1 x 100 = 200; 348.387 -> 348
    assert true_up.amount_cents == 1000 * 17 // 31 - (2 * 50 + 1 * 100) == 348


def test_no_true_up_once_the_minimum_is_reached():
    minimum = charge("c-min", "calls", "1", min_amount_cents=1000)
    share = periodic(MARCH, plan(0, minimum), utc(2026, 4, 1), StoredUsage({("c-min", None, ()): 12}),
                     {"calls": metric("calls")})
    assert [fee.true_up_of_charge for fee in share.fees] == [False, False]  # base fee 0 and 12 x 1.00


def test_a_minimum_without_usage_is_billed_whole():
    minimum = charge("c-min", "calls", "1", min_amount_cents=1000)
    share = periodic(MARCH, plan(0, minimum), utc(2026, 4, 1), NONE_USED, {"calls": metric("calls")})
    assert [(fee.true_up_of_charge, fee.amount_cents) for fee in share.fees] == [(False, 0), (True, 1000)]


# --- totals, taxes, status, numbers -----------------------------------------------------------------------

def test_taxes_are_the_rate_on_the_sum_rounded_once():
    totals = invoice_totals([fee_line(1000), fee_line(35)], Decimal(20))
    # (1000 + 35) x 20 / 100 = 207
    assert (totals.fees_amount_cents, totals.taxes_amount_cents, totals.total_amount_cents) == (1035, 207, 1242)
    assert totals.taxes_rate == Decimal(20)


def test_taxes_on_the_sum_differ_from_the_sum_of_each_fees_taxes():
    fees = [fee_line(333), fee_line(333)]
    # 666 x 20 / 100 = 133.2 -> 133; each fee alone 66.6 -> 67, which would add up to 134
    assert invoice_totals(fees, Decimal(20)).taxes_amount_cents == 133
    assert [fee_taxes_amount_cents(fee, Decimal(20)) for fee in fees] == [67, 67]


def test_totals_without_a_rate_and_the_zero_credits():
    totals = invoice_totals([fee_line(500)], None)
    assert (totals.coupons_amount_cents, totals.credit_notes_amount_cents,
            totals.progressive_billing_credit_amount_cents, totals.prepaid_credit_amount_cents) == (0, 0, 0, 0)
    assert (totals.sub_total_excluding_taxes_amount_cents, totals.taxes_amount_cents,
            totals.sub_total_including_taxes_amount_cents, totals.total_amount_cents,
            totals.total_due_amount_cents, totals.taxes_rate) == (500, 0, 500, 500, 500, None)


@pytest.mark.parametrize(("total", "status"), [(1, "pending"), (0, "succeeded"), (-5, "succeeded")])
def test_payment_status(total, status):
    assert payment_status(total) == status


@pytest.mark.parametrize(("sequence", "number"), [(1, "LAG-1234-001-001"), (7, "LAG-1234-001-007"),
                                                  (999, "LAG-1234-001-999"), (1000, "LAG-1234-001-1000")])
def test_invoice_numbers(sequence, number):
    assert invoice_number("LAG-1234-001", sequence) == number


def test_draft_number_and_sequences_start_at_one():
    assert draft_invoice_number("LAG-1234") == "LAG-1234-DRAFT"
    assert credit_note_number("LAG-1234-001-007", 1) == "LAG-1234-001-007-CN001"
    with pytest.raises(ValueError):
        credit_note_number("LAG-1234-001-007", 0)
    with pytest.raises(ValueError):
        invoice_number("LAG-1234-001", 0)
