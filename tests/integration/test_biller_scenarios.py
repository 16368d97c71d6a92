"""Billing situations driven end to end THROUGH THE BILLER (`run_biller(now)`): catalog and subscriptions
created through the API (backdated or future `subscription_at`, with "now" pinned), events through the stream
handler, then the invoices the biller issued read back from the store. Every expected amount is worked out in
the test (days of the period, VAT 20 % rounded once half up on the sum), never pasted from a run.

- a grid: every interval x calendar/anniversary x in advance/in arrears, started mid-period, billed by one run
  after the second boundary (the missed periods in time order, numbers 1..n);
- starts on the 29th, 30th and 31st (anniversary monthly clamps to the month's last day);
- trials, a pending subscription activated, an `ending_at` termination, one invoice per customer per day;
- Lago's invariant "usage at period end equals the invoice" (current_usage just before the end);
- Lago's examples of lago-semantics.md, each named after its section."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import count

import pytest
from builders import create_customer, create_metric, create_plan, standard_charge, subscribe
from test_subscriptions import path_of
from usage_fixtures import event_item, store_and_deliver

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.store.repositories import repositories
from chalicelib.wiring import run_biller

VAT = 20  # percent, on every customer of this file
_transactions = count(1)


# --- helpers -------------------------------------------------------------------------------------------------


def round_half_up(value: Decimal) -> int:
    """Whole cents, half up (Lago's rounding)."""
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def prorated(amount_cents: int, days: int, full_days: int) -> int:
    """`days` of a `full_days` period of a plan costing `amount_cents`."""
    return round_half_up(Decimal(amount_cents) * days / full_days)


def taxes_of(fees_cents: int) -> int:
    """VAT on the invoice: once, on the sum of its fees."""
    return round_half_up(Decimal(fees_cents) * VAT / 100)


def at(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def clock(api_clock):
    """The API's clock, from 20 November 2026 unless a test sets it."""
    api_clock.set(datetime(2026, 11, 20, 12, tzinfo=UTC))
    return api_clock


def setup_subscription(api, clock, *, subscription_at: datetime, created: datetime | None = None,
                       customer: str = "cust", plan_code: str = "startup", external_id: str = "sub",
                       new_customer: bool = True, new_plan: bool = True, subscription_fields: dict | None = None,
                       **plan_fields) -> dict:
    """A customer (VAT 20 %), a plan (1000 cents monthly in arrears unless `plan_fields` say otherwise) and a
    subscription created through the API at `created` (default: as it starts, so the biller bills all its periods;
    a subscription created after a period it started in ended would leave that period to a backfill, the
    migration rule of test_billing_over_time.py)."""
    if new_customer:
        create_customer(api, customer, billing_configuration={"vat_rate": VAT})
    if new_plan:
        create_plan(api, plan_code, **plan_fields)
    clock.set(created or subscription_at)
    return subscribe(api, external_customer_id=customer, plan_code=plan_code, external_id=external_id,
                     subscription_at=iso(subscription_at), **(subscription_fields or {}))


def send(dynamodb, organization_id: str, code: str, events: list[tuple[datetime, dict]],
         external_subscription_id: str = "sub") -> None:
    """Store the events as ingestion would and deliver them to the stream aggregator."""
    store_and_deliver(dynamodb, [event_item(organization_id, f"tx-{next(_transactions)}", epoch_ms(instant), code,
                                            properties, external_subscription_id) for instant, properties in events])


def invoices_of(organization_id: str) -> list:
    """The organization's invoices in numbering order."""
    return sorted(repositories().invoices.list_page(organization_id, 1, 100),
                  key=lambda invoice: (invoice.customer_id, invoice.sequential_id))


def bill(now: datetime, organization_id: str) -> list:
    """Run the biller at `now`; the organization's invoices afterwards."""
    run_biller(now)
    return invoices_of(organization_id)


def windows(invoice) -> list[tuple]:
    """Each billing period of the invoice: (subscription from, to, charges from, to), half-open."""
    return [(period.subscription_from, period.subscription_to, period.charges_from, period.charges_to)
            for period in invoice.billing_periods]


def base_fees(invoice) -> list[int]:
    return [fee.amount_cents for fee in invoice.fees if fee.fee_type == "subscription"]


def charge_fees(invoice) -> list[int]:
    return [fee.amount_cents for fee in invoice.fees if fee.fee_type == "charge"]


def assert_totals(invoice, fees_cents: int) -> None:
    """Fees, VAT 20 % once on their sum, and the total."""
    assert (invoice.fees_amount_cents, invoice.taxes_amount_cents, invoice.total_amount_cents) == (
        fees_cents, taxes_of(fees_cents), fees_cents + taxes_of(fees_cents))


def assert_numbered(organization_id: str, invoices: list, customer: str = "cust") -> None:
    """Sequential ids 1..n in time order, numbers `{slug}-{seq:03d}`."""
    slug = repositories().customers.find_by_external_id(organization_id, customer).slug
    assert [invoice.sequential_id for invoice in invoices] == list(range(1, len(invoices) + 1))
    assert [invoice.number for invoice in invoices] == [f"{slug}-{n:03d}" for n in range(1, len(invoices) + 1)]
    assert [invoice.issuing_date for invoice in invoices] == sorted(invoice.issuing_date for invoice in invoices)


# --- the grid: every interval x calendar/anniversary x in advance/in arrears, started mid-period -------------
# (interval, billing_time, start day (10:00 UTC), first boundary, second, third, days billed of the first
#  period, days of that full period)
GRID = [
    # calendar week Mon 16 .. Sun 22 March 2026; started Wed 18: 18..22 = 5 days of 7
    ("weekly", "calendar", date(2026, 3, 18), date(2026, 3, 23), date(2026, 3, 30), date(2026, 4, 6), 5, 7),
    # anniversary weeks from Wednesday 18: 18..24 March, a full 7 days
    ("weekly", "anniversary", date(2026, 3, 18), date(2026, 3, 25), date(2026, 4, 1), date(2026, 4, 8), 7, 7),
    # March 2026: 15..31 = 17 days of 31
    ("monthly", "calendar", date(2026, 3, 15), date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1), 17, 31),
    # 15 March .. 14 April = 17 + 14 = 31 days, a full period
    ("monthly", "anniversary", date(2026, 3, 15), date(2026, 4, 15), date(2026, 5, 15), date(2026, 6, 15), 31, 31),
    # Q1 2026 = 31 + 28 + 31 = 90 days; 10 Feb .. 31 Mar = 19 + 31 = 50
    ("quarterly", "calendar", date(2026, 2, 10), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1), 50, 90),
    # 10 Feb .. 9 May = 19 + 31 + 30 + 9 = 89 days, a full period
    ("quarterly", "anniversary", date(2026, 2, 10), date(2026, 5, 10), date(2026, 8, 10), date(2026, 11, 10),
     89, 89),
    # H1 2026 = 31 + 28 + 31 + 30 + 31 + 30 = 181 days; 20 May .. 30 June = 12 + 30 = 42
    ("semiannual", "calendar", date(2026, 5, 20), date(2026, 7, 1), date(2027, 1, 1), date(2027, 7, 1), 42, 181),
    # 20 May .. 19 Nov = 12 + 30 + 31 + 31 + 30 + 31 + 19 = 184 days, a full period
    ("semiannual", "anniversary", date(2026, 5, 20), date(2026, 11, 20), date(2027, 5, 20), date(2027, 11, 20),
     184, 184),
    # 2026 = 365 days; 1 Oct .. 31 Dec = 31 + 30 + 31 = 92
    ("yearly", "calendar", date(2026, 10, 1), date(2027, 1, 1), date(2028, 1, 1), date(2029, 1, 1), 92, 365),
    # 1 Oct 2026 .. 30 Sep 2027 = 365 days (no 29 February), a full period
    ("yearly", "anniversary", date(2026, 10, 1), date(2027, 10, 1), date(2028, 10, 1), date(2029, 10, 1), 365, 365),
]
GRID_IDS = [f"{interval}-{billing_time}" for interval, billing_time, *_ in GRID]
GRID_ARGS = ("interval", "billing_time", "start", "first", "second", "third", "days", "full_days")


@pytest.mark.parametrize(GRID_ARGS, GRID, ids=GRID_IDS)
def test_grid_in_arrears_each_period_billed_at_its_end_in_order(api, tenant, clock, interval, billing_time, start,
                                                                 first, second, third, days, full_days):
    """In arrears, started at 10:00 mid-period, created then; one run an hour after the second boundary
    issues the first (prorated calendar / full anniversary) period's invoice then the second's, numbered 1, 2."""
    assert ((first - start).days, second > first, third > second) == (days, True, True)  # the table's day counts
    setup_subscription(api, clock, subscription_at=at(start, 10), interval=interval,
                       subscription_fields={"billing_time": billing_time})
    org = tenant.organization_id
    invoices = bill(at(second, 1), org)
    assert [invoice.issuing_date for invoice in invoices] == [first, second]
    opening, following = invoices
    # first period: base fee from the start day's midnight, charges from the start instant
    assert windows(opening) == [(at(start), at(first), at(start, 10), at(first))]
    assert base_fees(opening) == [prorated(1000, days, full_days)]
    assert_totals(opening, prorated(1000, days, full_days))
    assert windows(following) == [(at(first), at(second), at(first), at(second))]
    assert base_fees(following) == [1000]
    assert_totals(following, 1000)
    assert [period.invoicing_reason for invoice in invoices for period in invoice.billing_periods] == [
        "subscription_periodic", "subscription_periodic"]
    assert_numbered(org, invoices)


@pytest.mark.parametrize(GRID_ARGS, GRID, ids=GRID_IDS)
def test_grid_in_advance_starting_invoice_then_each_period_at_its_start(api, tenant, clock, interval, billing_time,
                                                                        start, first, second, third, days,
                                                                        full_days):
    """Paid in advance, started at 10:00 mid-period, created then; one run an hour after the second
    boundary issues the starting invoice (the first days, prorated; a full anniversary period), then on each
    boundary the period starting that day with the charges of the one that ended, numbered 1, 2, 3."""
    setup_subscription(api, clock, subscription_at=at(start, 10), interval=interval, pay_in_advance=True,
                       subscription_fields={"billing_time": billing_time})
    org = tenant.organization_id
    invoices = bill(at(second, 1), org)
    assert [invoice.issuing_date for invoice in invoices] == [start, first, second]
    starting, at_first, at_second = invoices
    assert [period.invoicing_reason for period in starting.billing_periods] == ["subscription_starting"]
    assert windows(starting) == [(at(start), at(first), None, None)]
    assert_totals(starting, prorated(1000, days, full_days))
    # the next period's base fee, in full, and the charges of the first period (from the start instant)
    assert windows(at_first) == [(at(first), at(second), at(start, 10), at(first))]
    assert_totals(at_first, 1000)
    assert windows(at_second) == [(at(second), at(third), at(first), at(second))]
    assert_totals(at_second, 1000)
    assert_numbered(org, invoices)


# --- starts on the 29th, 30th, 31st: anniversary monthly clamps to the month's last day -----------------------
# (case, start, first billing day = end of the first period (exclusive), second billing day)
MONTH_ENDS = [
    # 31 Jan 2022: no 31 February, the first period is 31 Jan..27 Feb, the next 28 Feb..30 Mar (back on the 31st)
    ("31 Jan 2022", date(2022, 1, 31), date(2022, 2, 28), date(2022, 3, 31)),
    # 30 Jan 2026: 30 Jan..27 Feb, then 28 Feb..29 Mar
    ("30 Jan 2026", date(2026, 1, 30), date(2026, 2, 28), date(2026, 3, 30)),
    # 29 Jan 2026 (2026 not leap): 29 Jan..27 Feb, then 28 Feb..28 Mar
    ("29 Jan 2026", date(2026, 1, 29), date(2026, 2, 28), date(2026, 3, 29)),
    # 29 Jan 2024 (leap): 29 February exists, no clamp: 29 Jan..28 Feb, then 29 Feb..28 Mar
    ("29 Jan 2024 leap year", date(2024, 1, 29), date(2024, 2, 29), date(2024, 3, 29)),
    # 31 Mar 2026: no 31 April: 31 Mar..29 Apr, then 30 Apr..30 May
    ("31 Mar 2026", date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)),
]


# (case, interval, start, the first three billing days)
LONG_ANNIVERSARIES = [
    # 30 Nov 2025 quarterly: no 30 February: 30 Nov..27 Feb, then 28 Feb..29 May, then back on the 30th
    ("30 Nov quarterly", "quarterly", date(2025, 11, 30), (date(2026, 2, 28), date(2026, 5, 30), date(2026, 8, 30))),
    # 29 Feb 2024 yearly: billed 28 February in the years without a 29th, then on 29 February 2028
    ("29 Feb 2024 yearly", "yearly", date(2024, 2, 29),
     (date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29))),
]


@pytest.mark.parametrize(("interval", "start", "billing_days"), [case[1:] for case in LONG_ANNIVERSARIES],
                         ids=[case[0] for case in LONG_ANNIVERSARIES])
def test_long_anniversary_periods_clamp_without_dragging(api, tenant, clock, interval, start, billing_days):
    """Quarterly/yearly anniversary in arrears started on a day some months lack: each period a full period at
    full price, from the previous billing day to the next."""
    setup_subscription(api, clock, subscription_at=at(start), interval=interval,
                       subscription_fields={"billing_time": "anniversary"})
    org = tenant.organization_id
    invoices = bill(at(billing_days[-1], 1), org)
    assert [invoice.issuing_date for invoice in invoices] == list(billing_days)
    starts = (start, *billing_days[:-1])
    assert [windows(invoice) for invoice in invoices] == [[(at(begin), at(end), at(begin), at(end))]
                                                          for begin, end in zip(starts, billing_days)]
    assert all(base_fees(invoice) == [1000] for invoice in invoices)


@pytest.mark.parametrize(("start", "first", "second"), [case[1:] for case in MONTH_ENDS],
                         ids=[case[0] for case in MONTH_ENDS])
def test_anniversary_monthly_on_the_29th_to_31st_clamps_to_the_months_last_day(api, tenant, clock, start, first,
                                                                               second):
    """Anniversary monthly in arrears: billed on the anniversary day, or on the month's last day when it has
    none; the clamp never drags the next period. Each period is a full period at full price."""
    setup_subscription(api, clock, subscription_at=at(start), subscription_fields={"billing_time": "anniversary"})
    org = tenant.organization_id
    assert bill(at(first) - timedelta(hours=1), org) == []  # the day before the clamped day: nothing yet
    invoices = bill(at(second, 2), org)
    assert [invoice.issuing_date for invoice in invoices] == [first, second]
    assert [windows(invoice) for invoice in invoices] == [[(at(start), at(first), at(start), at(first))],
                                                          [(at(first), at(second), at(first), at(second))]]
    assert [base_fees(invoice) for invoice in invoices] == [[1000], [1000]]
    assert_numbered(org, invoices)


# --- trials ---------------------------------------------------------------------------------------------------


def test_trial_covering_the_whole_first_period_bills_no_base_fee_then_the_full_next(api, tenant, clock):
    """Calendar monthly in arrears from 1 March 2026 with a 31-day trial (ends 1 April): March free, April full."""
    setup_subscription(api, clock, subscription_at=at(date(2026, 3, 1)), trial_period=31)
    org = tenant.organization_id
    invoices = bill(at(date(2026, 5, 1), 1), org)
    march, april = invoices
    # March: the periodic invoice bills no base fee; 0 total, so payment succeeded (§6)
    assert (march.issuing_date, base_fees(march), march.payment_status) == (date(2026, 4, 1), [], "succeeded")
    assert_totals(march, 0)
    assert (april.issuing_date, base_fees(april)) == (date(2026, 5, 1), [1000])
    assert_totals(april, 1000)
    assert_numbered(org, invoices)


@pytest.mark.parametrize("started, plan_fields, base_fee_cents", [
    pytest.param(date(2026, 3, 1), {"trial_period": 10}, prorated(1000, 21, 31),
                 id="a 10-day trial from 1 March 2026 ends 11 March: 11..31 March, 21 of 31 days"),
    pytest.param(date(2022, 3, 15), {"amount_cents": 999}, prorated(999, 17, 31),
                 id="section 5.2 calendar, 999 from 15 March 2022: 15..31 March, 17 of 31 days, 547.84 -> 548"),
])
def test_a_first_period_bills_the_days_from_the_start_or_the_trial_end(api, tenant, clock, started, plan_fields,
                                                                      base_fee_cents):
    """Calendar monthly in arrears: the first invoice, on 1 April, bills the days of March that were billable."""
    setup_subscription(api, clock, subscription_at=at(started), **plan_fields)
    (march,) = bill(at(date(started.year, 4, 1), 1), tenant.organization_id)
    assert base_fees(march) == [base_fee_cents]
    assert_totals(march, base_fee_cents)


# --- a pending subscription activated, an ending_at terminated --------------------------------------------------


def test_pending_subscription_is_activated_by_the_biller_and_billed_from_its_start(api, tenant, clock):
    """Created 20 November 2026 for 15 January 2027 10:00 (pending); calendar monthly in arrears."""
    setup_subscription(api, clock, subscription_at=at(date(2027, 1, 15), 10), created=at(date(2026, 11, 20)))
    assert api.get(path_of("sub", "pending")).json_body["subscription"]["status"] == "pending"
    org = tenant.organization_id
    assert bill(at(date(2027, 1, 1), 1), org) == []  # not started yet
    assert api.get(path_of("sub", "pending")).json_body["subscription"]["status"] == "pending"
    (january,) = bill(at(date(2027, 2, 1), 1), org)
    assert api.get(path_of("sub")).json_body["subscription"]["status"] == "active"
    assert windows(january) == [(at(date(2027, 1, 15)), at(date(2027, 2, 1)), at(date(2027, 1, 15), 10),
                                 at(date(2027, 2, 1)))]
    # 15..31 January: 17 of 31 days
    assert_totals(january, prorated(1000, 17, 31))


def test_ending_at_terminates_with_a_final_invoice_of_the_days_and_usage_to_date(api, dynamodb, tenant, clock):
    """Calendar monthly in arrears from 1 October 2026, `ending_at` 10 December 12:00, a standard charge of
    1 EUR per call; 3 calls on 5 December. One run on 11 December: October, November, then the final invoice."""
    calls = create_metric(api, "calls")
    setup_subscription(api, clock, subscription_at=at(date(2026, 10, 1)), created=at(date(2026, 10, 20)),
                       charges=[standard_charge(calls)],
                       subscription_fields={"ending_at": iso(at(date(2026, 12, 10), 12))})
    org = tenant.organization_id
    send(dynamodb, org, "calls", [(at(date(2026, 12, 5), hour), {}) for hour in (1, 2, 3)])
    invoices = bill(at(date(2026, 12, 11)), org)
    assert [invoice.issuing_date for invoice in invoices] == [date(2026, 11, 1), date(2026, 12, 1),
                                                               date(2026, 12, 10)]
    final = invoices[-1]
    assert [period.invoicing_reason for period in final.billing_periods] == ["subscription_terminating"]
    ended = at(date(2026, 12, 10), 12, 0, 1)  # the termination instant, closed: to 12:00:00 included
    assert windows(final) == [(at(date(2026, 12, 1)), ended, at(date(2026, 12, 1)), ended)]
    # 1..10 December: 10 of 31 days; 3 calls x 1.00 EUR
    assert (base_fees(final), charge_fees(final)) == ([prorated(1000, 10, 31)], [300])
    assert_totals(final, prorated(1000, 10, 31) + 300)
    assert api.get(path_of("sub", "terminated")).json_body["subscription"]["status"] == "terminated"
    assert bill(at(date(2027, 1, 1), 1), org) == invoices  # nothing after the end
    assert_numbered(org, invoices)


def test_pending_subscription_canceled_before_its_start_is_never_billed(api, tenant, clock):
    """§5.3 a pending subscription (15 January 2027) canceled on 20 November 2026: nothing to activate or bill."""
    setup_subscription(api, clock, subscription_at=at(date(2027, 1, 15), 10), created=at(date(2026, 11, 20)))
    assert api.delete(path_of("sub", "pending")).status_code == 200
    assert bill(at(date(2027, 3, 1), 1), tenant.organization_id) == []


def test_pending_pay_in_advance_subscription_gets_its_starting_invoice_on_activation(api, tenant, clock):
    """Created 20 November 2026, pay-in-advance calendar monthly from 15 January 2027 10:00, `ending_at`
    10 March 2027: the starting invoice on 15 January (15..31 January = 17 of 31 days), February and March in
    advance, then a final invoice with no base fee (March was paid in advance) and no usage."""
    setup_subscription(api, clock, subscription_at=at(date(2027, 1, 15), 10), created=at(date(2026, 11, 20)),
                       pay_in_advance=True, subscription_fields={"ending_at": "2027-03-10T00:00:00Z"})
    org = tenant.organization_id
    invoices = bill(at(date(2027, 3, 11), 1), org)
    assert [(invoice.issuing_date, period.invoicing_reason) for invoice in invoices
            for period in invoice.billing_periods] == [
        (date(2027, 1, 15), "subscription_starting"), (date(2027, 2, 1), "subscription_periodic"),
        (date(2027, 3, 1), "subscription_periodic"), (date(2027, 3, 10), "subscription_terminating")]
    assert [base_fees(invoice) for invoice in invoices] == [[prorated(1000, 17, 31)], [1000], [1000], []]
    assert windows(invoices[1]) == [(at(date(2027, 2, 1)), at(date(2027, 3, 1)), at(date(2027, 1, 15), 10),
                                     at(date(2027, 2, 1)))]
    assert_totals(invoices[-1], 0)
    assert_numbered(org, invoices)


def test_section_5_2_started_and_terminated_mid_month_rounds_cumulatively(api, tenant, clock):
    """§5.2 calendar in arrears started 15 March 2026, `ending_at` 20 March 12:00: 15..20 March = 6 days of 31.
    Lago bills round(6 x 1000 / 31) = round(193.55) = 194; this project rounds cumulatively from the period's
    first day (docs/periods.md, "Departures"): round(1000 x 20 / 31) - round(1000 x 14 / 31) = 645 - 452 = 193,
    so that the pieces of a split period add up to the full fee."""
    setup_subscription(api, clock, subscription_at=at(date(2026, 3, 15)),
                       subscription_fields={"ending_at": "2026-03-20T12:00:00Z"})
    (final,) = bill(at(date(2026, 3, 21)), tenant.organization_id)
    assert base_fees(final) == [round_half_up(Decimal(1000) * 20 / 31) - round_half_up(Decimal(1000) * 14 / 31)]
    assert base_fees(final) == [193]


def test_section_7_event_after_ending_at_is_not_on_the_final_invoice(api, dynamodb, tenant, clock):
    """§7 calendar monthly in arrears from 1 November 2026, `ending_at` 10 December 12:00, 1 EUR per call: a call
    at 11:00 and one at 12:10, delivered before the biller's 13:00 run that terminates the subscription."""
    calls = create_metric(api, "calls")
    setup_subscription(api, clock, subscription_at=at(date(2026, 11, 1)), created=at(date(2026, 11, 20)),
                       charges=[standard_charge(calls)],
                       subscription_fields={"ending_at": iso(at(date(2026, 12, 10), 12))})
    org = tenant.organization_id
    bill(at(date(2026, 12, 1), 1), org)
    send(dynamodb, org, "calls", [(at(date(2026, 12, 10), 11), {}), (at(date(2026, 12, 10), 12, 10), {})])
    final = bill(at(date(2026, 12, 10), 13), org)[-1]
    assert windows(final)[0][3] == at(date(2026, 12, 10), 12, 0, 1)  # ending_at is the last second billed
    assert charge_fees(final) == [100]  # only the 11:00 call


def test_events_after_a_termination_are_not_billed(api, dynamodb, tenant, clock):
    """§7 calendar in arrears from 1 January 2022, 1 EUR per call, the biller idle since; a call on 5 February
    and 9 March, terminated 10 March 09:00, then calls dated 10 March 10:00 and 12 March arrive. One run on
    1 April: January, February (its call), then the final (1..10 March = 10 of 31 days, the 9 March call only)."""
    calls = create_metric(api, "calls")
    setup_subscription(api, clock, subscription_at=at(date(2022, 1, 1)), charges=[standard_charge(calls)])
    org = tenant.organization_id
    send(dynamodb, org, "calls", [(at(date(2022, 2, 5)), {}), (at(date(2022, 3, 9)), {})])
    clock.set(at(date(2022, 3, 10), 9))
    assert api.delete(path_of("sub")).status_code == 200
    send(dynamodb, org, "calls", [(at(date(2022, 3, 10), 10), {}), (at(date(2022, 3, 12)), {})])
    invoices = bill(at(date(2022, 4, 1), 1), org)
    assert [(invoice.issuing_date, base_fees(invoice), charge_fees(invoice)) for invoice in invoices] == [
        (date(2022, 2, 1), [1000], []), (date(2022, 3, 1), [1000], [100]),
        (date(2022, 3, 10), [prorated(1000, 10, 31)], [100])]
    assert_numbered(org, invoices)


# --- one invoice per customer per billing day ------------------------------------------------------------------


def test_two_subscriptions_of_one_customer_billed_the_same_day_share_one_invoice(api, tenant, clock):
    """Calendar monthly in arrears: `a` from 1 October 2026, `b` from 15 October; both billed 1 November."""
    setup_subscription(api, clock, subscription_at=at(date(2026, 10, 1)), external_id="a")
    setup_subscription(api, clock, subscription_at=at(date(2026, 10, 15)), external_id="b", new_customer=False,
                       new_plan=False)
    org = tenant.organization_id
    (invoice,) = bill(at(date(2026, 11, 1), 1), org)
    assert sorted(period.external_subscription_id for period in invoice.billing_periods) == ["a", "b"]
    # a: all October; b: 15..31 October = 17 of 31 days
    assert sorted(base_fees(invoice)) == sorted([1000, prorated(1000, 17, 31)])
    assert_totals(invoice, 1000 + prorated(1000, 17, 31))
    assert_numbered(org, [invoice])


def test_in_advance_and_in_arrears_subscriptions_billed_the_same_day_share_one_invoice(api, tenant, clock):
    """`a` pay-in-advance from 10 October 2026 (its starting invoice apart), `b` in arrears from 20 October:
    on 1 November one invoice with `a`'s November base fee and `b`'s 20..31 October (12 of 31 days)."""
    setup_subscription(api, clock, subscription_at=at(date(2026, 10, 10)), external_id="a", pay_in_advance=True)
    setup_subscription(api, clock, subscription_at=at(date(2026, 10, 20)), external_id="b", plan_code="arrears",
                       new_customer=False)
    org = tenant.organization_id
    starting, periodic = bill(at(date(2026, 11, 1), 1), org)
    assert (starting.issuing_date, base_fees(starting)) == (date(2026, 10, 10), [prorated(1000, 22, 31)])
    by_subscription = {period.external_subscription_id: period for period in periodic.billing_periods}
    assert (by_subscription["a"].subscription_from, by_subscription["a"].subscription_to) == (
        at(date(2026, 11, 1)), at(date(2026, 12, 1)))
    assert (by_subscription["b"].subscription_from, by_subscription["b"].subscription_to) == (
        at(date(2026, 10, 20)), at(date(2026, 11, 1)))
    assert sorted(base_fees(periodic)) == sorted([1000, prorated(1000, 12, 31)])
    assert_totals(periodic, 1000 + prorated(1000, 12, 31))
    assert_numbered(org, [starting, periodic])


def test_two_customers_billed_the_same_day_get_one_invoice_each(api, tenant, clock):
    """Two customers on the same calendar monthly plan from 1 October 2026: each its own invoice, each 001."""
    setup_subscription(api, clock, subscription_at=at(date(2026, 10, 1)), customer="c1", external_id="s1")
    setup_subscription(api, clock, subscription_at=at(date(2026, 10, 1)), customer="c2", external_id="s2",
                       new_plan=False)
    org = tenant.organization_id
    invoices = bill(at(date(2026, 11, 1), 1), org)
    assert len(invoices) == 2
    customers = repositories().customers
    assert sorted(invoice.customer_id for invoice in invoices) == sorted(
        customers.find_by_external_id(org, external_id).id for external_id in ("c1", "c2"))
    for invoice in invoices:
        assert (invoice.sequential_id, base_fees(invoice)) == (1, [1000])
        assert_totals(invoice, 1000)


# --- usage: the invoice equals the usage shown at the period end -------------------------------------------------


GRADUATED_STORAGE = {"graduated_ranges": [
    {"from_value": 0, "to_value": 100, "per_unit_amount": "0.10", "flat_amount": "1"},
    {"from_value": 101, "to_value": None, "per_unit_amount": "0.05", "flat_amount": "2"}]}
# (billing_time, pay_in_advance, subscription start, the period's last hour, its billing day)
USAGE_PERIODS = [
    # calendar from 1 October: November, billed 1 December
    ("calendar", False, date(2026, 10, 1), at(date(2026, 11, 30), 23), date(2026, 12, 1)),
    # in advance: the 1 December invoice carries November's charges (and December's base fee)
    ("calendar", True, date(2026, 10, 1), at(date(2026, 11, 30), 23), date(2026, 12, 1)),
    # anniversary from 2 October: 2 November .. 1 December, billed 2 December
    ("anniversary", False, date(2026, 10, 2), at(date(2026, 12, 1), 23), date(2026, 12, 2)),
]


@pytest.mark.parametrize(("billing_time", "pay_in_advance", "start", "last_hour", "billing_day"), USAGE_PERIODS,
                         ids=["calendar-in-arrears", "calendar-in-advance", "anniversary-in-arrears"])
def test_usage_at_period_end_equals_the_invoice(api, dynamodb, tenant, clock, monkeypatch, billing_time,
                                                pay_in_advance, start, last_hour, billing_day):
    """Monthly plan with a graduated `storage` charge (sum of gb: 0-100 at 0.10 EUR/gb + 1 EUR flat, 101+ at
    0.05 EUR/gb + 2 EUR flat); 60 + 70 gb in the second period. The current usage read in the period's last hour
    is the charge fee of the invoice the biller issues on the billing day."""
    storage = create_metric(api, "storage", "sum_agg", "gb")
    setup_subscription(api, clock, subscription_at=at(start), created=at(date(2026, 11, 20)), charges=[{
        "billable_metric_id": storage["lago_id"], "charge_model": "graduated", "properties": GRADUATED_STORAGE}],
        pay_in_advance=pay_in_advance, subscription_fields={"billing_time": billing_time})
    org = tenant.organization_id
    send(dynamodb, org, "storage", [(at(date(2026, 11, 3)), {"gb": 60}), (last_hour - timedelta(hours=2),
                                                                          {"gb": 70})])
    monkeypatch.setattr("chalicelib.api.current_usage.utc_now", lambda: last_hour)
    response = api.get("/api/v1/customers/cust/current_usage?external_subscription_id=sub")
    assert response.status_code == 200, response.body
    usage = response.json_body["customer_usage"]
    # 130 gb: tier 1 = 100 x 0.10 + 1 = 11 EUR; tier 2 = (130 - 101 + 1) x 0.05 + 2 = 3.50 EUR -> 1450 cents
    expected = round_half_up((100 * Decimal("0.10") + 1 + (130 - 101 + 1) * Decimal("0.05") + 2) * 100)
    assert (usage["amount_cents"], usage["taxes_amount_cents"]) == (expected, taxes_of(expected))
    invoice = bill(at(billing_day, 0, 30), org)[-1]
    assert invoice.issuing_date == billing_day
    assert charge_fees(invoice) == [usage["amount_cents"]]
    assert_totals(invoice, 1000 + usage["amount_cents"])



LAGO_VOLUME = {"volume_ranges": [
    {"from_value": 0, "to_value": 100, "per_unit_amount": "2", "flat_amount": "10"},
    {"from_value": 101, "to_value": 200, "per_unit_amount": "1", "flat_amount": "0"},
    {"from_value": 201, "to_value": None, "per_unit_amount": "0.5", "flat_amount": "50"}]}


def test_prorated_volume_prices_the_prorated_units_at_the_range_of_the_full_units(api, dynamodb, tenant, clock,
                                                                                   monkeypatch):
    """Lago's volume spec "when charge is prorated" (198.6 units, 300 full -> 149.3) as a period: a prorated
    volume charge on a recurring sum of seats, 66 seats from 1 March, 234 more on 14 April. April's current usage
    read in its last hour is the charge fee of the invoice of 1 May."""
    seats = create_metric(api, "seats", "sum_agg", "n", recurring=True)
    setup_subscription(api, clock, subscription_at=at(date(2026, 3, 1)), charges=[{
        "billable_metric_id": seats["lago_id"], "charge_model": "volume",
        "prorated": True, "properties": LAGO_VOLUME}])
    org = tenant.organization_id
    send(dynamodb, org, "seats", [(at(date(2026, 3, 1), 10), {"n": 66}), (at(date(2026, 4, 14), 10), {"n": 234})])
    # March: 66 seats all of its 31 days -> 66 x 31/31 = 66, full 66 -> 0-100: 66 x 2 + 10 = 142.00
    march = bill(at(date(2026, 4, 1), 0, 30), org)[-1]
    assert charge_fees(march) == [14200]
    # April: 66 + 234 x 17/30 (14..30 April) = 66 + 132.6 = 198.6 prorated, 66 + 234 = 300 full -> 201-∞:
    # 198.6 x 0.5 + 50 = 149.30 (the prorated units' range 101-200 would give 198.6 x 1 = 198.60)
    expected = round_half_up((66 + Decimal(234) * 17 / 30) * Decimal("0.5") * 100 + 50 * 100)
    assert expected == 14930
    monkeypatch.setattr("chalicelib.api.current_usage.utc_now", lambda: at(date(2026, 4, 30), 23))
    response = api.get("/api/v1/customers/cust/current_usage?external_subscription_id=sub")
    assert response.status_code == 200, response.body
    assert response.json_body["customer_usage"]["amount_cents"] == expected
    april = bill(at(date(2026, 5, 1), 0, 30), org)[-1]
    assert april.issuing_date == date(2026, 5, 1)
    assert charge_fees(april) == [expected]
    assert_totals(april, 1000 + expected)


def test_each_missed_period_bills_its_own_usage_split_at_the_boundaries(api, dynamodb, tenant, clock):
    """Calendar monthly in arrears from 1 January 2022, 1 EUR per call: a call at 31 January 23:59:59, two at
    1 February 00:00:00, one on 5 March; one run on 1 April bills January 1, February 2, March 1."""
    calls = create_metric(api, "calls")
    setup_subscription(api, clock, subscription_at=at(date(2022, 1, 1)), charges=[standard_charge(calls)])
    org = tenant.organization_id
    send(dynamodb, org, "calls", [(at(date(2022, 1, 31), 23, 59, 59), {}), (at(date(2022, 2, 1)), {}),
                                  (at(date(2022, 2, 1)), {}), (at(date(2022, 3, 5)), {})])
    invoices = bill(at(date(2022, 4, 1), 1), org)
    assert [(invoice.issuing_date, charge_fees(invoice)) for invoice in invoices] == [
        (date(2022, 2, 1), [100]), (date(2022, 3, 1), [200]), (date(2022, 4, 1), [100])]
    assert [invoice.total_amount_cents for invoice in invoices] == [1100 + taxes_of(1100), 1200 + taxes_of(1200),
                                                                    1100 + taxes_of(1100)]
    assert_numbered(org, invoices)


def test_graduated_charge_without_usage_still_bills_the_first_tiers_flat_fee(api, tenant, clock):
    """§3/§8.7 graduated tiers 0-10 at 10 EUR + 2 EUR flat, 11+ at 5 EUR + 3 EUR flat; no event in March 2026:
    the invoice carries the first tier's 2 EUR flat fee."""
    storage = create_metric(api, "storage", "sum_agg", "gb")
    setup_subscription(api, clock, subscription_at=at(date(2026, 3, 1)), charges=[{
        "billable_metric_id": storage["lago_id"], "charge_model": "graduated",
        "properties": {"graduated_ranges": [
            {"from_value": 0, "to_value": 10, "per_unit_amount": "10", "flat_amount": "2"},
            {"from_value": 11, "to_value": None, "per_unit_amount": "5", "flat_amount": "3"}]}}])
    (march,) = bill(at(date(2026, 4, 1), 1), tenant.organization_id)
    assert charge_fees(march) == [200]
    assert_totals(march, 1000 + 200)


# --- timezones, monthly charges of a yearly plan, terminations ---------------------------------------------------
# (timezone, start instant (UTC), the last run before local midnight, local start day's midnight in UTC, the
#  billing day's local midnight in UTC, days billed of October's 31)
TIMEZONES = [
    # Paris (UTC+2 in October, +1 from 25 October): 15 Oct 12:00 local; 1 November starts at 31 Oct 23:00 UTC
    ("Europe/Paris", datetime(2026, 10, 15, 10, tzinfo=UTC), datetime(2026, 10, 31, 22, 30, tzinfo=UTC),
     datetime(2026, 10, 14, 22, tzinfo=UTC), datetime(2026, 10, 31, 23, tzinfo=UTC), 17),  # 15..31 October
    # New York (UTC-4 until 1 November 02:00): 15 Oct 02:00 UTC is 14 Oct 22:00 local; 1 November at 04:00 UTC
    ("America/New_York", datetime(2026, 10, 15, 2, tzinfo=UTC), datetime(2026, 11, 1, 3, 30, tzinfo=UTC),
     datetime(2026, 10, 14, 4, tzinfo=UTC), datetime(2026, 11, 1, 4, tzinfo=UTC), 18),  # 14..31 October
]


@pytest.mark.parametrize(("timezone", "started", "before", "local_start", "local_boundary", "days"), TIMEZONES,
                         ids=[case[0] for case in TIMEZONES])
def test_periods_and_billing_day_follow_the_customers_timezone(api, tenant, clock, timezone, started, before,
                                                               local_start, local_boundary, days):
    """§5 calendar monthly in arrears for a customer in `timezone`: billed when 1 November begins locally, for
    the local days of October from the start day."""
    create_customer(api, "cust", timezone=timezone, billing_configuration={"vat_rate": VAT})
    setup_subscription(api, clock, subscription_at=started, new_customer=False)
    org = tenant.organization_id
    assert bill(before, org) == []  # still 31 October locally
    (october,) = bill(local_boundary + timedelta(minutes=30), org)
    assert october.issuing_date == date(2026, 11, 1)
    assert windows(october) == [(local_start, local_boundary, started, local_boundary)]
    assert_totals(october, prorated(1000, days, 31))


def test_anniversary_day_and_clamp_follow_the_customers_timezone(api, tenant, clock):
    """§5.1 anniversary monthly for a customer in Tokyo (UTC+9), started 30 January 16:00 UTC = 31 January
    01:00 local: billed on 28 February local (no 31st), then on 31 March local, each period at full price."""
    create_customer(api, "cust", timezone="Asia/Tokyo", billing_configuration={"vat_rate": VAT})
    setup_subscription(api, clock, subscription_at=datetime(2026, 1, 30, 16, tzinfo=UTC), new_customer=False,
                       subscription_fields={"billing_time": "anniversary"})
    tokyo_midnight = [datetime(2026, 1, 30, 15, tzinfo=UTC), datetime(2026, 2, 27, 15, tzinfo=UTC),
                      datetime(2026, 3, 30, 15, tzinfo=UTC)]  # 31 Jan, 28 Feb, 31 Mar 00:00 local
    invoices = bill(datetime(2026, 3, 30, 16, tzinfo=UTC), tenant.organization_id)
    assert [invoice.issuing_date for invoice in invoices] == [date(2026, 2, 28), date(2026, 3, 31)]
    assert [windows(invoice)[0][:2] for invoice in invoices] == [(tokyo_midnight[0], tokyo_midnight[1]),
                                                                 (tokyo_midnight[1], tokyo_midnight[2])]
    assert [base_fees(invoice) for invoice in invoices] == [[1000], [1000]]


def test_weekly_days_are_counted_in_local_days_across_a_daylight_saving_change(api, tenant, clock):
    """Weekly calendar in arrears for a customer in Paris, started Wednesday 21 October 2026 12:00 local; the
    week ends Sunday 25 October, the day clocks go back (a 25-hour day); `ending_at` 4 November 11:00 local."""
    create_customer(api, "cust", timezone="Europe/Paris", billing_configuration={"vat_rate": VAT})
    setup_subscription(api, clock, subscription_at=datetime(2026, 10, 21, 10, tzinfo=UTC), new_customer=False,
                       interval="weekly", created=at(date(2026, 10, 22)),
                       subscription_fields={"ending_at": "2026-11-04T10:00:00Z"})
    invoices = bill(at(date(2026, 11, 10)), tenant.organization_id)
    assert [invoice.issuing_date for invoice in invoices] == [date(2026, 10, 26), date(2026, 11, 2),
                                                               date(2026, 11, 4)]
    # 21..25 October = 5 of 7 days; the week of 26 October in full; 2..4 November = 3 of 7 days
    assert [base_fees(invoice) for invoice in invoices] == [[prorated(1000, 5, 7)], [1000], [prorated(1000, 3, 7)]]
    assert windows(invoices[0])[0][:2] == (datetime(2026, 10, 20, 22, tzinfo=UTC),  # 21 Oct 00:00 CEST
                                           datetime(2026, 10, 25, 23, tzinfo=UTC))  # 26 Oct 00:00 CET


def test_yearly_plan_with_charges_billed_monthly(api, dynamodb, tenant, clock):
    """§4 bill_charges_monthly: yearly calendar plan from 15 January 2022, 1 EUR per call; calls on 20 January,
    1 February and 5 December. Each month its charges; on 1 January 2023 the base fee for 15 January .. 31
    December (351 of 365 days) with December's charges."""
    calls = create_metric(api, "calls")
    setup_subscription(api, clock, subscription_at=at(date(2022, 1, 15)), interval="yearly",
                       bill_charges_monthly=True, charges=[standard_charge(calls)])
    org = tenant.organization_id
    send(dynamodb, org, "calls", [(at(date(2022, 1, 20)), {}), (at(date(2022, 2, 1)), {}),
                                  (at(date(2022, 12, 5)), {})])
    invoices = bill(at(date(2023, 1, 1), 1), org)
    assert [invoice.issuing_date for invoice in invoices] == [date(2022, month, 1) for month in range(2, 13)] + [
        date(2023, 1, 1)]
    assert all(base_fees(invoice) == [] for invoice in invoices[:-1])
    assert [invoice.fees_amount_cents for invoice in invoices[:2]] == [100, 100]  # January, February: 1 call each
    assert all(invoice.fees_amount_cents == 0 for invoice in invoices[2:-1])
    last = invoices[-1]
    assert windows(last) == [(at(date(2022, 1, 15)), at(date(2023, 1, 1)), at(date(2022, 12, 1)),
                              at(date(2023, 1, 1)))]
    # 15 January .. 31 December 2022 = 365 - 14 = 351 days of 365; 1 call in December
    assert (base_fees(last), charge_fees(last)) == ([prorated(1000, 351, 365)], [100])
    assert_totals(last, prorated(1000, 351, 365) + 100)
    assert_numbered(org, invoices)


def test_pay_in_advance_termination_bills_only_the_usage_to_date(api, dynamodb, tenant, clock):
    """§5.3 pay-in-advance plan from 1 January 2022, 1 EUR per call, 2 calls in February, terminated 14
    February 09:00: the final invoice has no base fee (February was paid on the 1st) and the calls from 1 February
    to the termination, paid by the credit note of February's unused days (15 to 28: 14 of 28 days)."""
    calls = create_metric(api, "calls")
    setup_subscription(api, clock, subscription_at=at(date(2022, 1, 1)), pay_in_advance=True,
                       charges=[standard_charge(calls)])
    org = tenant.organization_id
    send(dynamodb, org, "calls", [(at(date(2022, 2, 3)), {}), (at(date(2022, 2, 10)), {})])
    bill(at(date(2022, 2, 1), 1), org)
    clock.set(at(date(2022, 2, 14), 9))
    assert api.delete(path_of("sub")).status_code == 200
    invoices = bill(at(date(2022, 3, 14)), org)
    final = invoices[-1]
    assert (final.issuing_date, [period.invoicing_reason for period in final.billing_periods]) == (
        date(2022, 2, 14), ["subscription_terminating"])
    assert windows(final) == [(None, None, at(date(2022, 2, 1)), at(date(2022, 2, 14), 9, 0, 1))]
    assert (base_fees(final), charge_fees(final)) == ([], [200])
    # The credit note: 1000 x 14 / 28 = 500, with 20 % VAT 600; the final invoice takes what it charges, 200 + 40.
    credit_note_cents = round_half_up(Decimal(1000 * 14) / 28 * (100 + VAT) / 100)
    assert credit_note_cents == 600
    assert (final.fees_amount_cents, final.taxes_amount_cents, final.credit_notes_amount_cents,
            final.total_amount_cents, final.payment_status) == (200, taxes_of(200), 200 + taxes_of(200), 0, "succeeded")
    assert_numbered(org, invoices)


def test_termination_on_a_billing_day_gets_its_own_invoice_after_the_periodic_one(api, tenant, clock):
    """Calendar in arrears from 1 January 2022, terminated 1 March 00:30: the periodic invoice for February,
    then the final one for 1 March alone (1 of 31 days)."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 1, 1)))
    org = tenant.organization_id
    clock.set(at(date(2022, 3, 1), 0, 30))
    assert api.delete(path_of("sub")).status_code == 200
    invoices = bill(at(date(2022, 3, 1), 1), org)
    assert [(invoice.issuing_date, period.invoicing_reason) for invoice in invoices
            for period in invoice.billing_periods] == [
        (date(2022, 2, 1), "subscription_periodic"), (date(2022, 3, 1), "subscription_periodic"),
        (date(2022, 3, 1), "subscription_terminating")]
    assert [base_fees(invoice) for invoice in invoices] == [[1000], [1000], [prorated(1000, 1, 31)]]
    assert_numbered(org, invoices)


def test_fractional_trial_bills_from_the_day_it_ends(api, tenant, clock):
    """§5.2 trial of 1.5 days from 1 March 2026 00:00: it ends 2 March 12:00; 2..31 March = 30 of 31 days."""
    setup_subscription(api, clock, subscription_at=at(date(2026, 3, 1)), trial_period=1.5)
    (march,) = bill(at(date(2026, 4, 1), 1), tenant.organization_id)
    assert base_fees(march) == [prorated(1000, 30, 31)]


# --- Lago's examples (lago-semantics.md), named after their section ----------------------------------------------


def test_section_5_1_anniversary_sub_2021_02_02_billed_2022_03_02_for_02_02_to_03_01(api, tenant, clock):
    """§5.1 anniversary sub 2021-02-02 billed 2022-03-02 for 02-02..03-01: thirteen missed periods, in order."""
    setup_subscription(api, clock, subscription_at=at(date(2021, 2, 2)),
                       subscription_fields={"billing_time": "anniversary"})
    org = tenant.organization_id
    invoices = bill(at(date(2022, 3, 2), 1), org)
    # the 2nd of every month from March 2021 to March 2022: 10 + 3 = 13 invoices
    assert [invoice.issuing_date for invoice in invoices] == [
        date(2021 + (month - 1) // 12, (month - 1) % 12 + 1, 2) for month in range(3, 3 + 13)]
    last = invoices[-1]
    assert windows(last) == [(at(date(2022, 2, 2)), at(date(2022, 3, 2)), at(date(2022, 2, 2)),
                              at(date(2022, 3, 2)))]  # [02-02 00:00:00, 03-01 23:59:59]
    assert all(base_fees(invoice) == [1000] for invoice in invoices)
    assert_numbered(org, invoices)


def test_section_5_1_calendar_billing_2022_03_01_bills_02_01_to_02_28(api, tenant, clock):
    """§5.1 calendar monthly: billing 2022-03-01 bills [02-01, 02-28 23:59:59]."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 1, 10)))
    org = tenant.organization_id
    invoices = bill(at(date(2022, 3, 1), 1), org)
    assert windows(invoices[-1]) == [(at(date(2022, 2, 1)), at(date(2022, 3, 1)), at(date(2022, 2, 1)),
                                      at(date(2022, 3, 1)))]
    assert [base_fees(invoice) for invoice in invoices] == [[prorated(1000, 22, 31)], [1000]]  # 10..31 Jan: 22/31


def test_section_5_1_sub_31_jan_first_period_ends_02_27(api, tenant, clock):
    """§5.1 sub 31 Jan 2022 anniversary: the first period ends 2022-02-27 23:59:59, billed 02-28."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 1, 31)),
                       subscription_fields={"billing_time": "anniversary"})
    org = tenant.organization_id
    (first,) = bill(at(date(2022, 2, 28), 1), org)
    assert (first.issuing_date, windows(first)[0][:2]) == (date(2022, 2, 28), (at(date(2022, 1, 31)),
                                                                               at(date(2022, 2, 28))))
    assert_totals(first, 1000)


def test_section_8_4_sub_31_aug_period_ends_29_sep_next_starts_30_sep(api, tenant, clock):
    """§8.4 sub 31 Aug 2022 anniversary: 31 Aug..29 Sep billed 30 Sep, then 30 Sep..30 Oct billed 31 Oct."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 8, 31)),
                       subscription_fields={"billing_time": "anniversary"})
    org = tenant.organization_id
    invoices = bill(at(date(2022, 10, 31), 1), org)
    assert [(invoice.issuing_date, windows(invoice)[0][:2]) for invoice in invoices] == [
        (date(2022, 9, 30), (at(date(2022, 8, 31)), at(date(2022, 9, 30)))),
        (date(2022, 10, 31), (at(date(2022, 9, 30)), at(date(2022, 10, 31))))]


def test_section_5_1_first_period_base_fee_from_midnight_charges_from_the_start_instant(api, dynamodb, tenant,
                                                                                         clock):
    """§5.1 first period: started 17 March 2022 14:30:05; a call at 10:00 that day is before the start and not
    billed, one at 15:00 is; the base fee counts the whole day: 17..31 March = 15 of 31 days."""
    calls = create_metric(api, "calls")
    setup_subscription(api, clock, subscription_at=datetime(2022, 3, 17, 14, 30, 5, tzinfo=UTC),
                       charges=[standard_charge(calls)])
    org = tenant.organization_id
    send(dynamodb, org, "calls", [(at(date(2022, 3, 17), 10), {}), (at(date(2022, 3, 17), 15), {})])
    (march,) = bill(at(date(2022, 4, 1), 1), org)
    assert windows(march) == [(at(date(2022, 3, 17)), at(date(2022, 4, 1)),
                               datetime(2022, 3, 17, 14, 30, 5, tzinfo=UTC), at(date(2022, 4, 1)))]
    assert (base_fees(march), charge_fees(march)) == ([prorated(1000, 15, 31)], [100])
    assert_totals(march, prorated(1000, 15, 31) + 100)


def test_section_5_1_pay_in_advance_bills_the_period_starting_today_and_charges_of_the_one_ended(api, dynamodb,
                                                                                                 tenant, clock):
    """§5.1 pay-in-advance plan from 1 January 2022 with 1 EUR per call; 4 calls in February. The 1 March
    invoice carries March's base fee and February's charges."""
    calls = create_metric(api, "calls")
    setup_subscription(api, clock, subscription_at=at(date(2022, 1, 1)), pay_in_advance=True,
                       charges=[standard_charge(calls)])
    org = tenant.organization_id
    send(dynamodb, org, "calls", [(at(date(2022, 2, day)), {}) for day in (2, 9, 16, 23)])
    invoices = bill(at(date(2022, 3, 1), 1), org)
    assert [invoice.issuing_date for invoice in invoices] == [date(2022, 1, 1), date(2022, 2, 1), date(2022, 3, 1)]
    march = invoices[-1]
    assert windows(march) == [(at(date(2022, 3, 1)), at(date(2022, 4, 1)), at(date(2022, 2, 1)),
                               at(date(2022, 3, 1)))]
    assert (base_fees(march), charge_fees(march)) == ([1000], [400])
    assert_totals(march, 1400)
    assert_numbered(org, invoices)


def test_section_5_2_anniversary_in_arrears_first_period_is_full_price(api, tenant, clock):
    """§5.2 anniversary in arrears from 15 March 2022: 15 March..14 April is a full period, 1000."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 3, 15), 9),
                       subscription_fields={"billing_time": "anniversary"})
    org = tenant.organization_id
    (first,) = bill(at(date(2022, 4, 15), 1), org)
    assert (first.issuing_date, base_fees(first)) == (date(2022, 4, 15), [1000])


def test_section_5_2_termination_day_billed(api, tenant, clock):
    """§5.2 calendar in arrears from 1 January 2022, terminated (DELETE) on 14 February 09:00: 1..14 February
    = 14 of 28 days on the final invoice."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 1, 1)))
    org = tenant.organization_id
    bill(at(date(2022, 2, 1), 1), org)
    clock.set(at(date(2022, 2, 14), 9))
    assert api.delete(path_of("sub")).status_code == 200
    invoices = bill(at(date(2022, 2, 14), 10), org)
    final = invoices[-1]
    assert (final.issuing_date, [period.invoicing_reason for period in final.billing_periods]) == (
        date(2022, 2, 14), ["subscription_terminating"])
    assert base_fees(final) == [prorated(1000, 14, 28)]  # 500
    assert_totals(final, prorated(1000, 14, 28))
    assert_numbered(org, invoices)


def test_section_5_2_trial_covering_the_whole_period_bills_no_base_fee(api, tenant, clock):
    """§5.2 trial covering the whole period: calendar from 1 March 2022, 31-day trial: no base fee for March."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 3, 1)), trial_period=31)
    org = tenant.organization_id
    (march,) = bill(at(date(2022, 4, 1), 1), org)
    assert (march.issuing_date, base_fees(march)) == (date(2022, 4, 1), [])
    assert_totals(march, 0)


def test_section_5_2_pay_in_advance_plan_in_trial_creates_no_invoice_at_start(api, tenant, clock):
    """§5.2 pay-in-advance plan with a 14-day trial from 10 March 2022: no starting invoice while the trial runs;
    when it ends (24 March) the rest of March, 24..31 = 8 of 31 days (Lago's free-trial billing); on 1 April the
    April base fee in full."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 3, 10)), pay_in_advance=True, trial_period=14)
    org = tenant.organization_id
    assert bill(at(date(2022, 3, 11)), org) == []
    invoices = bill(at(date(2022, 4, 1), 1), org)
    assert [(invoice.issuing_date, base_fees(invoice)) for invoice in invoices] == [
        (date(2022, 3, 24), [prorated(1000, 8, 31)]), (date(2022, 4, 1), [1000])]


def test_section_5_2_pay_in_advance_trial_end_bills_the_rest_of_its_period_then_the_next_in_full(api, tenant, clock):
    """§5.2 pay-in-advance plan with a 14-day trial from 10 March 2022 (ends 24 March 00:00): at the trial's end an
    invoice `subscription_starting` over the first period's base-fee window, billing 24..31 March (8 of 31 days of
    1000 = 258.06 -> 258); on 1 April the April base fee in full, with March's (empty) charges window."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 3, 10)), pay_in_advance=True, trial_period=14)
    org = tenant.organization_id
    assert bill(at(date(2022, 3, 23), 23), org) == []  # the trial's last hour
    (trial_end,) = bill(at(date(2022, 3, 24)), org)
    assert windows(trial_end) == [(at(date(2022, 3, 10)), at(date(2022, 4, 1)), None, None)]
    assert trial_end.billing_periods[0].invoicing_reason == "subscription_starting"
    assert_totals(trial_end, 258)
    april = bill(at(date(2022, 4, 1), 1), org)[-1]
    assert windows(april) == [(at(date(2022, 4, 1)), at(date(2022, 5, 1)), at(date(2022, 3, 10)),
                               at(date(2022, 4, 1)))]
    assert_totals(april, 1000)


@pytest.mark.parametrize(("billing_time", "start", "trial_days", "amount_cents", "trial_end", "expected"), [
    # Calendar, a 7-day trial from 4 March ending on the 11th: 11..31 March = 21 of 31 days of 3500 = 2370.97
    # -> 2371 (Lago's case).
    ("calendar", date(2022, 3, 4), 7, 3500, date(2022, 3, 11), 2371),
    # Anniversary from 10 April (periods 10th to 9th), a 14-day trial ending on the 24th: 24 April..9 May = 16 of
    # 30 days of 3000 = 1600 (Lago's case; before the trial-end step, nothing until 10 May's full 3000).
    ("anniversary", date(2022, 4, 10), 14, 3000, date(2022, 4, 24), 1600),
])
def test_section_5_2_a_trial_ending_in_the_first_period_bills_its_rest_that_day(
        api, tenant, clock, billing_time, start, trial_days, amount_cents, trial_end, expected):
    setup_subscription(api, clock, subscription_at=at(start), pay_in_advance=True, trial_period=trial_days,
                       amount_cents=amount_cents, subscription_fields={"billing_time": billing_time})
    (invoice,) = bill(at(trial_end, 1), tenant.organization_id)
    assert (invoice.issuing_date, base_fees(invoice)) == (trial_end, [expected])


def test_section_5_2_pay_in_advance_trial_ending_in_the_next_period_bills_its_remaining_days(api, tenant, clock):
    """§5.2 pay-in-advance calendar monthly from 1 March 2026 with a 40-day trial (ends 10 April): no base fee
    for March; on 1 April 10..30 April = 21 of 30 days; on 1 May the full May."""
    setup_subscription(api, clock, subscription_at=at(date(2026, 3, 1)), pay_in_advance=True, trial_period=40)
    invoices = [invoice for invoice in bill(at(date(2026, 5, 1), 1), tenant.organization_id) if invoice.fees]
    assert [(invoice.issuing_date, base_fees(invoice)) for invoice in invoices] == [
        (date(2026, 4, 1), [prorated(1000, 21, 30)]), (date(2026, 5, 1), [1000])]


def test_section_6_pay_in_advance_fee_billed_at_creation_is_not_billed_again_the_same_day(api, tenant, clock):
    """§6 pay-in-advance calendar monthly from 1 March 2022 00:00: the starting invoice bills all March (31 of
    31 days); runs later that day bill nothing more; 1 April bills April with March's charges."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 3, 1)), pay_in_advance=True)
    org = tenant.organization_id
    (starting,) = bill(at(date(2022, 3, 1), 5), org)
    assert (windows(starting), base_fees(starting)) == ([(at(date(2022, 3, 1)), at(date(2022, 4, 1)), None,
                                                          None)], [prorated(1000, 31, 31)])
    assert bill(at(date(2022, 3, 1), 23), org) == [starting]
    invoices = bill(at(date(2022, 4, 1), 5), org)
    assert windows(invoices[-1]) == [(at(date(2022, 4, 1)), at(date(2022, 5, 1)), at(date(2022, 3, 1)),
                                      at(date(2022, 4, 1)))]
    assert_numbered(org, invoices)


def test_section_5_1_anniversary_in_advance_from_31_jan_clamps_and_returns_to_the_31st(api, tenant, clock):
    """§5.1 anniversary pay-in-advance from 31 January 2022 10:00: the starting invoice for 31 Jan..27 Feb at
    full price (§5.2), then 28 Feb..30 Mar with January's charges window, then 31 Mar..29 Apr."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 1, 31), 10), pay_in_advance=True,
                       subscription_fields={"billing_time": "anniversary"})
    org = tenant.organization_id
    invoices = bill(at(date(2022, 3, 31), 1), org)
    assert [windows(invoice) for invoice in invoices] == [
        [(at(date(2022, 1, 31)), at(date(2022, 2, 28)), None, None)],
        [(at(date(2022, 2, 28)), at(date(2022, 3, 31)), at(date(2022, 1, 31), 10), at(date(2022, 2, 28)))],
        [(at(date(2022, 3, 31)), at(date(2022, 4, 30)), at(date(2022, 2, 28)), at(date(2022, 3, 31)))]]
    assert [base_fees(invoice) for invoice in invoices] == [[1000], [1000], [1000]]
    assert_numbered(org, invoices)


def test_runs_every_six_hours_issue_the_same_invoices_as_one_late_run(api, tenant, clock):
    """Weekly calendar pay-in-advance from Wednesday 18 March 2026 10:00, the biller every 6 hours to 7 April:
    the starting invoice (18..22 March = 5 of 7 days), then each Monday the week starting, once each."""
    setup_subscription(api, clock, subscription_at=at(date(2026, 3, 18), 10), interval="weekly",
                       pay_in_advance=True)
    org = tenant.organization_id
    instant = at(date(2026, 3, 18), 11)
    while instant < at(date(2026, 4, 7)):
        run_biller(instant)
        instant += timedelta(hours=6)
    invoices = invoices_of(org)
    mondays = [date(2026, 3, 23), date(2026, 3, 30), date(2026, 4, 6)]
    assert [invoice.issuing_date for invoice in invoices] == [date(2026, 3, 18), *mondays]
    assert [base_fees(invoice) for invoice in invoices] == [[prorated(1000, 5, 7)], [1000], [1000], [1000]]
    assert [windows(invoice)[0][:2] for invoice in invoices[1:]] == [
        (at(monday), at(monday + timedelta(days=7))) for monday in mondays]
    assert_numbered(org, invoices)


def test_section_3_min_amount_true_up_700_to_1000_gives_300(api, dynamodb, tenant, clock):
    """§3 min_amount true-up 700 -> 1000 gives 300: a 0-cent plan from 1 March 2022, 1 EUR per call with
    min_amount_cents 1000; 7 calls in March (a full 31-day month)."""
    calls = create_metric(api, "calls")
    setup_subscription(api, clock, subscription_at=at(date(2022, 3, 1)), amount_cents=0,
                       charges=[standard_charge(calls, min_amount_cents=1000)])
    org = tenant.organization_id
    send(dynamodb, org, "calls", [(at(date(2022, 3, day)), {}) for day in range(1, 8)])
    (march,) = bill(at(date(2022, 4, 1), 1), org)
    charges = [(fee.true_up_of_charge, fee.amount_cents) for fee in march.fees if fee.fee_type == "charge"]
    # used 7 x 1.00 = 700; prorated minimum 1000 x 31 / 31 = 1000; true-up 1000 - 700
    assert charges == [(False, 700), (True, prorated(1000, 31, 31) - 700)]
    assert_totals(march, 1000)


def test_section_6_taxes_rounded_once_on_the_sum_of_the_fees(api, tenant, clock):
    """§6 taxes rounded once: two subscriptions of 1003 cents on one invoice; per fee 200.6 -> 201 twice = 402,
    once on the sum 2006 x 20 % = 401.2 -> 401."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 3, 1)), amount_cents=1003, external_id="a")
    setup_subscription(api, clock, subscription_at=at(date(2022, 3, 1)), external_id="b", new_customer=False,
                       new_plan=False)
    org = tenant.organization_id
    (march,) = bill(at(date(2022, 4, 1), 1), org)
    assert base_fees(march) == [1003, 1003]
    assert march.taxes_amount_cents == round_half_up(Decimal(1003 + 1003) * 20 / 100) == 401
    assert_totals(march, 2006)


def test_section_6_a_second_run_the_same_day_issues_nothing_more(api, tenant, clock):
    """§6 idempotency: a periodic run repeated the same day (and later) is a no-op."""
    setup_subscription(api, clock, subscription_at=at(date(2022, 3, 1)))
    org = tenant.organization_id
    first = bill(at(date(2022, 4, 1), 1), org)
    assert run_biller(at(date(2022, 4, 1), 5))["invoices_created"] == 0
    assert run_biller(at(date(2022, 4, 30), 5))["invoices_created"] == 0
    assert invoices_of(org) == first
