"""The fee one event of a pay-in-advance charge produces, and the invoice share that bills it on its own invoice
(Lago's `in_advance_charge` invoice). Pure: the usage layer (chalicelib/usage/in_advance.py) reads the state and
stores what these give."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.domain.aggregations.pay_in_advance import InAdvanceStep
from chalicelib.domain.aggregations.windows import Window
from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.invoices.shares import SubscriptionShare
from chalicelib.domain.money import amount_cents, precise_amount_cents
from chalicelib.domain.periods import Period
from chalicelib.domain.plans import Charge
from chalicelib.domain.pricing.groups import UNGROUPED, PricingGroup
from chalicelib.domain.pricing.in_advance import in_advance_amount

ZERO = Decimal(0)
ONE = Decimal(1)


def days_left_share(window: Window, timestamp_ms: int) -> Decimal:
    """A prorated charge's share of the period an event still covers: from its local day (or the window's first
    day, for an event before it) to the window's last day, both included, over the full period's days."""
    days_left = window.days - window.day_offset(max(timestamp_ms, window.start_ms))
    return Decimal(days_left) / Decimal(window.charges_duration_days)


def in_advance_fee(subscription_id: str, charge: Charge, filter_index: int | None, step: InAdvanceStep, *,
                   window: Period, currency: str, transaction_id: str, proration: Decimal = ONE,
                   grouped_by: PricingGroup = UNGROUPED) -> FeeLine:
    """The fee of the event `transaction_id`: the units it raised the period's mark by, priced by the difference
    of the bucket's prices (`in_advance_amount`), rounded half-up at the currency's precision; `window` is the
    charges window it is billed in; `total_aggregated_units` the total after the event (of its pricing group
    `grouped_by`, whose running total and mark the step is of)."""
    amount = in_advance_amount(charge.charge_model, charge.bucket_properties(filter_index), step, proration)
    units = step.units
    return FeeLine(fee_type="charge", subscription_id=subscription_id, charge_id=charge.id, filter_index=filter_index,
                   true_up_of_charge=False, units=units, total_aggregated_units=step.after.total, events_count=1,
                   amount_cents=amount_cents(amount, currency),
                   precise_amount_cents=precise_amount_cents(amount, currency),
                   precise_unit_amount=amount / units if units else ZERO, from_datetime=window.start,
                   to_datetime=window.end, pay_in_advance=True, event_transaction_id=transaction_id,
                   invoiceable=charge.invoiceable, grouped_by=grouped_by)


def in_advance_share(fee: FeeLine) -> SubscriptionShare:
    """The one share of an in-advance fee's invoice: its charges window, no base fee."""
    return SubscriptionShare(fee.subscription_id, "in_advance_charge", None, Period(fee.from_datetime, fee.to_datetime),
                             (fee,))
