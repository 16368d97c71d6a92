"""Invoices of billing situations, each expected amount worked out by hand in the test: a grid of every
interval x calendar/anniversary x in advance/in arrears for a subscription started mid-period, starts on the
29th to 31st, trials and terminations mid-period, then the examples of Lago's specs quoted in
lago-semantics.md, each named after its section."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import model_builders as models
import pytest
from model_builders import charge, metric, started_subscription

from chalicelib.domain.aggregations.base import AggregationResult, accumulate
from chalicelib.domain.aggregations.events import UsageEvent
from chalicelib.domain.aggregations.registry import aggregation_for
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.aggregations.windows import Window, epoch_ms
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.billing_context import subscription_terms
from chalicelib.domain.invoices import (
    StoredUsage,
    invoice_number,
    invoice_totals,
    payment_status,
    periodic_share,
    starting_share,
    termination_share,
)
from chalicelib.domain.periods import from_datetime, to_datetime
from chalicelib.domain.plans import Charge, Plan
from chalicelib.domain.subscriptions import Subscription

VAT = Decimal(20)
CALLS = metric("calls")
THREE_CALLS = StoredUsage({("c-calls", None, ()): 3})  # 3 x 1.00 EUR = 300 cents on every grid invoice


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up (both positive)."""
    return (2 * numerator + denominator) // (2 * denominator)


def at(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def plan(interval: str = "monthly", pay_in_advance: bool = False, *charges: Charge, **options) -> Plan:
    """A plan of `interval`; the 1.00 EUR charge on calls unless given `charges`."""
    return models.plan(*(charges or [charge("c-calls", "calls", "1")]), interval=interval, pay_in_advance=pay_in_advance,
                       **options)


def periodic(sub: Subscription, billed: Plan, billing_at: datetime, usage: StoredUsage = THREE_CALLS,
             metrics: dict | None = None):
    return periodic_share(sub, billed, metrics or {"calls": CALLS}, subscription_terms(sub, billed, "UTC"), billing_at, usage,
                          initial_started_at=sub.started_at)


def base_fee(share) -> int:
    (fee,) = [fee for fee in share.fees if fee.fee_type == "subscription"]
    return fee.amount_cents


def assert_invoice(share, base_cents: int, charges_cents: int = 300) -> None:
    """The invoice of this share alone: its fees and VAT 20 % on their sum, rounded once."""
    totals = invoice_totals(share.fees, VAT)
    assert (base_fee(share), totals.fees_amount_cents - base_cents) == (base_cents, charges_cents)
    assert totals.total_amount_cents == base_cents + charges_cents + half_up((base_cents + charges_cents) * 20, 100)


# --- the grid: a subscription started at 10:00 UTC mid-period ------------------------------------------------
# (interval, billing_time, start day, end of the first period (exclusive), end of the second, days billed of
#  the first period, days of that full period)
GRID = [
    # calendar week Mon 16 .. Sun 22 March 2026; started Wed 18: 18..22 = 5 days of 7
    ("weekly", "calendar", date(2026, 3, 18), date(2026, 3, 23), date(2026, 3, 30), 5, 7),
    # anniversary weeks from Wednesday 18: 18..24 March, a full 7 days
    ("weekly", "anniversary", date(2026, 3, 18), date(2026, 3, 25), date(2026, 4, 1), 7, 7),
    # March 2026: 15..31 = 17 days of 31
    ("monthly", "calendar", date(2026, 3, 15), date(2026, 4, 1), date(2026, 5, 1), 17, 31),
    # 15 March .. 14 April = 17 + 14 = 31 days, a full period
    ("monthly", "anniversary", date(2026, 3, 15), date(2026, 4, 15), date(2026, 5, 15), 31, 31),
    # Q1 2026 = 31 + 28 + 31 = 90 days; 10 Feb .. 31 Mar = 19 + 31 = 50
    ("quarterly", "calendar", date(2026, 2, 10), date(2026, 4, 1), date(2026, 7, 1), 50, 90),
    # 10 Feb .. 9 May = 19 + 31 + 30 + 9 = 89 days, a full period
    ("quarterly", "anniversary", date(2026, 2, 10), date(2026, 5, 10), date(2026, 8, 10), 89, 89),
    # H1 2026 = 31 + 28 + 31 + 30 + 31 + 30 = 181 days; 20 May .. 30 June = 12 + 30 = 42
    ("semiannual", "calendar", date(2026, 5, 20), date(2026, 7, 1), date(2027, 1, 1), 42, 181),
    # 20 May .. 19 Nov = 12 + 30 + 31 + 31 + 30 + 31 + 19 = 184 days, a full period
    ("semiannual", "anniversary", date(2026, 5, 20), date(2026, 11, 20), date(2027, 5, 20), 184, 184),
    # 2026 = 365 days; 1 Oct .. 31 Dec = 31 + 30 + 31 = 92
    ("yearly", "calendar", date(2026, 10, 1), date(2027, 1, 1), date(2028, 1, 1), 92, 365),
    # 1 Oct 2026 .. 30 Sep 2027 = 365 days (no 29 February), a full period
    ("yearly", "anniversary", date(2026, 10, 1), date(2027, 10, 1), date(2028, 10, 1), 365, 365),
]
GRID_IDS = [f"{interval}-{billing_time}" for interval, billing_time, *_ in GRID]


@pytest.mark.parametrize(("interval", "billing_time", "start", "first_end", "second_end", "days", "full_days"),
                         GRID, ids=GRID_IDS)
def test_in_arrears_the_first_period_is_billed_at_its_end(interval, billing_time, start, first_end, second_end,
                                                          days, full_days):
    assert ((first_end - start).days, second_end > first_end) == (days, True)  # the table's day counts
    share = periodic(started_subscription(at(start, 10), billing_time), plan(interval), at(first_end, 7))
    assert (share.base_fee_window.start, share.base_fee_window.end) == (at(start), at(first_end))
    assert (share.charges_window.start, share.charges_window.end) == (at(start, 10), at(first_end))
    assert_invoice(share, half_up(1000 * days, full_days))


@pytest.mark.parametrize(("interval", "billing_time", "start", "first_end", "second_end", "days", "full_days"),
                         GRID, ids=GRID_IDS)
def test_in_advance_the_first_days_are_billed_at_the_start_and_the_next_period_at_its_start(
        interval, billing_time, start, first_end, second_end, days, full_days):
    sub, in_advance = started_subscription(at(start, 10), billing_time), plan(interval, True)
    starting = starting_share(sub, in_advance, "UTC", initial_started_at=sub.started_at)
    assert (starting.base_fee_window.start, starting.base_fee_window.end) == (at(start), at(first_end))
    assert_invoice(starting, half_up(1000 * days, full_days), charges_cents=0)
    share = periodic(sub, in_advance, at(first_end, 7))
    assert (share.base_fee_window.start, share.base_fee_window.end) == (at(first_end), at(second_end))
    assert (share.charges_window.start, share.charges_window.end) == (at(start, 10), at(first_end))
    assert_invoice(share, 1000)


@pytest.mark.parametrize(("interval", "last_month", "plan_end"), [("semiannual", date(2026, 6, 1), date(2026, 7, 1)),
                                                                  ("yearly", date(2026, 12, 1), date(2027, 1, 1))])
def test_charges_billed_monthly_between_plan_periods(interval, last_month, plan_end):
    """Plan started 1 Jan 2026: on 1 March only February's charges; at the plan period's end, its base fee too."""
    sub, monthly_charges = started_subscription(at(date(2026, 1, 1))), plan(interval, bill_charges_monthly=True)
    march = periodic(sub, monthly_charges, at(date(2026, 3, 1), 6))
    assert (march.base_fee_window, march.charges_window.start, march.charges_window.end) == (
        None, at(date(2026, 2, 1)), at(date(2026, 3, 1)))
    assert invoice_totals(march.fees, VAT).total_amount_cents == 300 + 60  # 3 calls, VAT 300 x 20 / 100
    last = periodic(sub, monthly_charges, at(plan_end, 6))
    assert (last.charges_window.start, last.charges_window.end) == (at(last_month), at(plan_end))
    assert_invoice(last, 1000)


# --- starts on the 29th to the 31st --------------------------------------------------------------------------
# (case, interval, billing_time, start, billing day, window billed [from, to), expected base fee)
MONTH_ENDS = [
    # 31 Jan 2022 anniversary: February has no 31st, so the period ends on the 27th: 31 Jan..27 Feb = 1 + 27 = 28 days
    ("31 Jan anniversary, first period", "monthly", "anniversary", date(2022, 1, 31), date(2022, 2, 28), date(2022, 1, 31), date(2022, 2, 28), 1000),
    # then 28 Feb..30 Mar = 1 + 30 = 31 days, back on the 31st
    ("31 Jan anniversary, second period", "monthly", "anniversary", date(2022, 1, 31), date(2022, 3, 31), date(2022, 2, 28), date(2022, 3, 31), 1000),
    # 30 Jan 2026 anniversary: 30 Jan..27 Feb, then 28 Feb..29 Mar
    ("30 Jan anniversary, second period", "monthly", "anniversary", date(2026, 1, 30), date(2026, 3, 30), date(2026, 2, 28), date(2026, 3, 30), 1000),
    # 29 Jan 2026 calendar: 29..31 Jan = 3 days of 31: 1000 x 3 / 31 = 96.77
    ("29 Jan calendar", "monthly", "calendar", date(2026, 1, 29), date(2026, 2, 1), date(2026, 1, 29), date(2026, 2, 1), half_up(1000 * 3, 31)),
    # 30 Jan 2026 calendar: 30..31 Jan = 2 days of 31: 64.52
    ("30 Jan calendar", "monthly", "calendar", date(2026, 1, 30), date(2026, 2, 1), date(2026, 1, 30), date(2026, 2, 1), half_up(1000 * 2, 31)),
    # 29 Feb 2024 calendar: 1 day of February's 29: 34.48
    ("29 Feb 2024 calendar", "monthly", "calendar", date(2024, 2, 29), date(2024, 3, 1), date(2024, 2, 29), date(2024, 3, 1), half_up(1000 * 1, 29)),
    # 29 Feb 2024 yearly anniversary: billed on 28 Feb 2025 for 29 Feb 2024..27 Feb 2025 (365 days)
    ("29 Feb 2024 yearly anniversary", "yearly", "anniversary", date(2024, 2, 29), date(2025, 2, 28), date(2024, 2, 29), date(2025, 2, 28), 1000),
    # 31 Aug 2026 quarterly anniversary: 30 November has no 31st: 31 Aug..29 Nov = 1 + 30 + 31 + 29 = 91 days
    ("31 Aug quarterly anniversary", "quarterly", "anniversary", date(2026, 8, 31), date(2026, 11, 30), date(2026, 8, 31), date(2026, 11, 30), 1000),
    # 31 Dec 2026 calendar yearly: 1 day of 365: 2.74
    ("31 Dec yearly calendar", "yearly", "calendar", date(2026, 12, 31), date(2027, 1, 1), date(2026, 12, 31), date(2027, 1, 1), half_up(1000 * 1, 365)),
]


@pytest.mark.parametrize(("interval", "billing_time", "start", "billing_day", "window_from", "window_to", "cents"),
                         [case[1:] for case in MONTH_ENDS], ids=[case[0] for case in MONTH_ENDS])
def test_starts_on_the_29th_to_the_31st(interval, billing_time, start, billing_day, window_from, window_to, cents):
    share = periodic(started_subscription(at(start), billing_time), plan(interval), at(billing_day, 1))
    assert (share.base_fee_window.start, share.base_fee_window.end) == (at(window_from), at(window_to))
    assert_invoice(share, cents)


# --- trials ------------------------------------------------------------------------------------------------
# (case, interval, pay_in_advance, start, trial days, billing day, expected base fee)
TRIALS = [
    # Mon 16 March + 3 days: ends Thu 19; 19..22 = 4 days of 7
    ("weekly calendar, trial ends mid-week", "weekly", False, date(2026, 3, 16), 3, date(2026, 3, 23),
     half_up(1000 * 4, 7)),
    # 1 Jan + 45 days = 15 Feb; Q1 = 90 days; 15 Feb..31 Mar = 14 + 31 = 45
    ("quarterly calendar, trial ends mid-quarter", "quarterly", False, date(2026, 1, 1), 45, date(2026, 4, 1),
     half_up(1000 * 45, 90)),
    # 1 March + 40 days = 10 April; in advance, April billed on the 1st: 10..30 April = 21 days of 30
    ("monthly in advance, trial ends in the next period", "monthly", True, date(2026, 3, 1), 40, date(2026, 4, 1),
     half_up(1000 * 21, 30)),
    # 1 March + 10 days: over before April, billed in full in advance
    ("monthly in advance, trial over", "monthly", True, date(2026, 3, 1), 10, date(2026, 4, 1), 1000),
    # 1 Jan + 30 days = 31 Jan; 2026 = 365 days; 31 Jan..31 Dec = 365 - 30 = 335
    ("yearly calendar, trial ends in January", "yearly", False, date(2026, 1, 1), 30, date(2027, 1, 1),
     half_up(1000 * 335, 365)),
]


@pytest.mark.parametrize(("interval", "pay_in_advance", "start", "trial_days", "billing_day", "cents"),
                         [case[1:] for case in TRIALS], ids=[case[0] for case in TRIALS])
def test_trials(interval, pay_in_advance, start, trial_days, billing_day, cents):
    share = periodic(started_subscription(at(start)), plan(interval, pay_in_advance, trial_period=Decimal(trial_days)),
                     at(billing_day, 1))
    assert_invoice(share, cents)


# --- terminations mid-period (in arrears) --------------------------------------------------------------------
# (case, interval, billing_time, start, termination, expected base fee)
TERMINATIONS = [
    # Mon 16 .. Wed 18 March = 3 days of 7
    ("weekly calendar", "weekly", "calendar", datetime(2026, 3, 16), datetime(2026, 3, 18, 15), half_up(1000 * 3, 7)),
    # 1..10 March = 10 days of 31
    ("monthly calendar", "monthly", "calendar", datetime(2026, 3, 1), datetime(2026, 3, 10, 8), half_up(1000 * 10, 31)),
    # Q1: 1 Jan .. 14 Feb = 31 + 14 = 45 days of 90
    ("quarterly calendar", "quarterly", "calendar", datetime(2026, 1, 1), datetime(2026, 2, 14, 23),
     half_up(1000 * 45, 90)),
    # H1: 1 Jan .. 31 Mar = 31 + 28 + 31 = 90 days of 181
    ("semiannual calendar", "semiannual", "calendar", datetime(2026, 1, 1), datetime(2026, 3, 31),
     half_up(1000 * 90, 181)),
    # 2026: 1 Jan .. 2 Jul = 31 + 28 + 31 + 30 + 31 + 30 + 2 = 183 days of 365
    ("yearly calendar", "yearly", "calendar", datetime(2026, 1, 1), datetime(2026, 7, 2), half_up(1000 * 183, 365)),
    # anniversary on the 15th: period 15 March .. 14 April (31 days); 15..20 March = 6 days
    ("monthly anniversary", "monthly", "anniversary", datetime(2026, 1, 15), datetime(2026, 3, 20),
     half_up(1000 * 6, 31)),
    # started and terminated in one calendar month, 15..20 March: the days after the 14 first of 31, rounded
    # cumulatively (docs/periods.md): round(1000 x 20 / 31) - round(1000 x 14 / 31) = 645 - 452 (Lago: 194)
    ("calendar, started and terminated mid-month", "monthly", "calendar", datetime(2026, 3, 15),
     datetime(2026, 3, 20), half_up(1000 * 20, 31) - half_up(1000 * 14, 31)),
]


@pytest.mark.parametrize(("interval", "billing_time", "start", "terminated", "cents"),
                         [case[1:] for case in TERMINATIONS], ids=[case[0] for case in TERMINATIONS])
def test_terminations(interval, billing_time, start, terminated, cents):
    sub = started_subscription(start.replace(tzinfo=UTC), billing_time, terminated_at=terminated.replace(tzinfo=UTC))
    share = termination_share(sub, plan(interval), {"calls": CALLS}, subscription_terms(sub, plan(interval), "UTC"), THREE_CALLS,
                              initial_started_at=sub.started_at)
    assert share.charges_window.end == terminated.replace(tzinfo=UTC) + timedelta(seconds=1)
    assert_invoice(share, cents)


# --- Lago's examples (lago-semantics.md), named after their section -------------------------------------------
# (case, interval, billing_time, start, billing day, Lago's from_datetime and to_datetime)
LAGO_PERIODS = [
    ("§5.1 calendar monthly, billing 2022-03-01 bills 2022-02-01..02-28", "calendar", date(2022, 1, 10),
     date(2022, 3, 1), "2022-02-01T00:00:00Z", "2022-02-28T23:59:59Z"),
    ("§5.1 sub 2021-02-02 anniversary, billing 2022-03-02 bills 2022-02-02..03-01", "anniversary", date(2021, 2, 2),
     date(2022, 3, 2), "2022-02-02T00:00:00Z", "2022-03-01T23:59:59Z"),
    ("§5.1 sub 31 Jan 2022 anniversary, first period ends 02-27", "anniversary", date(2022, 1, 31),
     date(2022, 2, 28), "2022-01-31T00:00:00Z", "2022-02-27T23:59:59Z"),
    ("§5.1 sub 31 Jan 2022 anniversary, next period starts 02-28", "anniversary", date(2022, 1, 31),
     date(2022, 3, 31), "2022-02-28T00:00:00Z", "2022-03-30T23:59:59Z"),
    ("§8.4 sub 31 Aug anniversary, period ends 29 Sep", "anniversary", date(2022, 8, 31), date(2022, 9, 30),
     "2022-08-31T00:00:00Z", "2022-09-29T23:59:59Z"),
    ("§8.4 sub 31 Aug anniversary, next starts 30 Sep", "anniversary", date(2022, 8, 31), date(2022, 10, 31),
     "2022-09-30T00:00:00Z", "2022-10-30T23:59:59Z"),
]


@pytest.mark.parametrize(("billing_time", "start", "billing_day", "shown_from", "shown_to"),
                         [case[1:] for case in LAGO_PERIODS], ids=[case[0] for case in LAGO_PERIODS])
def test_lago_period_boundaries(billing_time, start, billing_day, shown_from, shown_to):
    share = periodic(started_subscription(at(start), billing_time), plan(), at(billing_day, 2))
    (fee,) = [fee for fee in share.fees if fee.fee_type == "subscription"]
    window = share.base_fee_window
    assert (from_datetime(window), to_datetime(window)) == (shown_from, shown_to)
    assert (from_datetime(share.charges_window), to_datetime(share.charges_window)) == (shown_from, shown_to)
    assert (fee.from_datetime, fee.to_datetime) == (window.start, window.end)
    assert fee.amount_cents == 1000  # every one a full period (§5.2: anniversary first period at full price)


def test_section_5_1_first_period_base_fee_from_midnight_charges_from_the_start_instant():
    share = periodic(started_subscription(datetime(2022, 3, 17, 14, 30, 5, tzinfo=UTC)), plan(), at(date(2022, 4, 1)))
    assert from_datetime(share.base_fee_window) == "2022-03-17T00:00:00Z"
    assert from_datetime(share.charges_window) == "2022-03-17T14:30:05Z"
    assert_invoice(share, half_up(1000 * 15, 31))  # §5.2: 17..31 March = 15 days x 1000 / 31


def test_section_5_1_pay_in_advance_bills_the_period_starting_today_and_charges_of_the_one_ended():
    share = periodic(started_subscription(at(date(2022, 1, 1))), plan("monthly", True), at(date(2022, 3, 1)))
    assert (to_datetime(share.base_fee_window), to_datetime(share.charges_window)) == ("2022-03-31T23:59:59Z",
                                                                                      "2022-02-28T23:59:59Z")
    assert_invoice(share, 1000)


def test_section_5_2_trial_covering_the_whole_period_bills_no_base_fee():
    share = periodic(started_subscription(at(date(2022, 3, 1))), plan(trial_period=Decimal(31)), at(date(2022, 4, 1)))
    assert [fee.fee_type for fee in share.fees] == ["charge"]  # the trial ends 1 April: March is free


def test_section_5_2_trial_is_not_granted_again_on_resubscription():
    sub = started_subscription(at(date(2022, 3, 1)))
    trial = plan(trial_period=Decimal(31))
    share = periodic_share(sub, trial, {"calls": CALLS}, subscription_terms(sub, trial, "UTC"), at(date(2022, 4, 1)),
                           THREE_CALLS, initial_started_at=at(date(2021, 6, 1)))  # first start of the external id
    assert_invoice(share, 1000)


def test_section_5_2_pay_in_advance_plan_in_trial_creates_no_invoice_at_start():
    sub = started_subscription(at(date(2022, 3, 10)))
    share = starting_share(sub, plan("monthly", True, trial_period=Decimal(14)), "UTC",
                           initial_started_at=sub.started_at)
    assert (share.base_fee_window, share.fees) == (None, ())


def test_section_5_2_termination_bills_from_the_period_start_through_the_termination_day():
    sub = started_subscription(at(date(2022, 1, 1)), terminated_at=datetime(2022, 2, 14, 9, tzinfo=UTC))
    share = termination_share(sub, plan(), {"calls": CALLS}, subscription_terms(sub, plan(), "UTC"), THREE_CALLS, initial_started_at=sub.started_at)
    assert to_datetime(share.charges_window) == "2022-02-14T09:00:00Z"
    assert_invoice(share, half_up(1000 * 14, 28))  # 1..14 February = 14 days of 28: 500


def test_section_3_true_up_700_used_min_1000_is_300():
    minimum = charge("c-min", "calls", "1", min_amount_cents=1000)
    share = periodic(started_subscription(at(date(2022, 1, 1))), plan("monthly", False, minimum, amount_cents=0),
                     at(date(2022, 4, 1)), StoredUsage({("c-min", None, ()): 7}))  # March: a full 31-day month
    assert [(fee.true_up_of_charge, fee.amount_cents) for fee in share.fees[1:]] == [(False, 700),
                                                                                     (True, 1000 * 31 // 31 - 700)]


def test_section_2_filters_spec_europe_usa_france_and_the_default_bucket():
    filtered_metric = metric("m", {"region": ["europe", "usa"], "country": ["france"]})
    filtered = charge("c", "m", "10.12345", filters=[
        {"values": {"region": ["europe"]}, "properties": {"amount": "20"}},
        {"values": {"region": ["usa"]}, "properties": {"amount": "50"}},
        {"values": {"country": ["france"]}, "properties": {"amount": "10.12345"}}])
    # events {}, {usa}, {europe}, {europe}, {france}
    usage = StoredUsage({("c", 0, ()): 2, ("c", 1, ()): 1, ("c", 2, ()): 1, ("c", None, ()): 1})
    share = periodic(started_subscription(at(date(2022, 1, 1))), plan("monthly", False, filtered), at(date(2022, 3, 1)),
                     usage, {"m": filtered_metric})
    # europe 2 x 20 = 40.00, usa 50.00, france 10.12345 -> 10.12, default 10.12345 -> 10.12
    assert [(fee.filter_index, fee.units, fee.amount_cents) for fee in share.fees[1:]] == [
        (0, 2, 4000), (1, 1, 5000), (2, 1, 1012), (None, 1, 1012)]


def sum_metric(recurring: bool) -> BillableMetric:
    return metric("m", None, "sum_agg", "v", recurring=recurring)


@pytest.mark.parametrize(("recurring", "units"), [(True, 2 * Decimal("2.5") + 4 * 12), (False, 4 * 12)],
                         ids=["§1.1 recurring sum 2 old x 2.5 + 4 x 12 -> 53", "§1.1 non-recurring sum -> 48"])
def test_section_1_1_recurring_sum(recurring, units):
    usage = StoredUsage({("c", None, ()): Totals(Decimal(48), 4)},
                        openings={("c", None, ()): AggregationResult.of(Decimal(5), 2)})  # 2 events x 2.5 before
    share = periodic(started_subscription(at(date(2022, 1, 1))), plan("monthly", False, charge("c", "m", "1")),
                     at(date(2022, 3, 1)), usage, {"m": sum_metric(recurring)})
    (fee,) = share.fees[1:]
    assert (fee.units, fee.amount_cents) == (units, int(units * 100))


def test_section_1_3_prorated_sum_5_plus_12_x_6_31_twice():
    # anniversary from 9 June 2022: the period 9 July .. 8 August has 23 + 8 = 31 days; events of 12 on 3 August
    # weigh 3..8 August = 6 days of 31; the 5 carried from before the period weighs fully.
    window = Window(epoch_ms(at(date(2022, 7, 9))), epoch_ms(at(date(2022, 8, 9))), 31)
    events = [UsageEvent(f"t{n}", epoch_ms(datetime(2022, 8, 3, 12, tzinfo=UTC)), {"v": 12}) for n in (1, 2)]
    state = accumulate(aggregation_for("sum_agg", "v", recurring=True, prorated=True), events, window)
    usage = StoredUsage({("c", None, ()): state}, openings={("c", None, ()): AggregationResult.of(Decimal(5), 1)})
    share = periodic(started_subscription(at(date(2022, 6, 9)), "anniversary"),
                     plan("monthly", False, charge("c", "m", "1", prorated=True)), at(date(2022, 8, 9)), usage,
                     {"m": sum_metric(True)})
    (fee,) = share.fees[1:]
    assert fee.units == Decimal("9.64517")  # 5 + 12 x 6 / 31 + 12 x 6 / 31 = 9.645161..., up at 5 decimals
    assert (fee.total_aggregated_units, fee.amount_cents) == (5 + 12 + 12, 965)  # 964.517 cents, half-up


def test_section_1_5_pay_in_advance_charges_are_not_on_the_periodic_invoice():
    in_advance = charge("c-calls", "calls", "1", pay_in_advance=True)
    share = periodic(started_subscription(at(date(2022, 1, 1))), plan("monthly", False, in_advance), at(date(2022, 3, 1)))
    assert [fee.fee_type for fee in share.fees] == ["subscription"]


def test_section_6_invoice_amounts_taxes_once_status_and_number():
    share = periodic(started_subscription(at(date(2022, 3, 15))), plan(amount_cents=999), at(date(2022, 4, 1)),
                     StoredUsage({("c-calls", None, ()): 1}))
    # base 999 x 17 / 31 = 547.84 -> 548; charges 1 x 1.00 = 100; VAT 20 % of 648 = 129.6 -> 130, once
    totals = invoice_totals(share.fees, VAT)
    assert (totals.fees_amount_cents, totals.taxes_amount_cents, totals.total_amount_cents) == (
        half_up(999 * 17, 31) + 100, 130, 548 + 100 + 130)
    assert payment_status(totals.total_amount_cents) == "pending"
    assert invoice_number("LAG-1A2B-001", 1) == "LAG-1A2B-001-001"
