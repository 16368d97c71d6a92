"""The charge fees of a charges window: one per charge, bucket and pricing group, priced by `price_period_usage`
(the path current usage takes, so usage at period end equals the invoice), the min-amount true-ups, and the renewal
of the pay-in-advance charges on recurring metrics for the period that follows."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from chalicelib.domain.aggregations.base import AggregationResult
from chalicelib.domain.aggregations.registry import AggregateState
from chalicelib.domain.aggregations.windows import Window, days_billed
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.billing_context import BillingContext, context_at
from chalicelib.domain.current_usage import BucketKey, BucketUsage, ChargeUsage, price_period_usage
from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.money import amount_cents, major_units, precise_amount_cents
from chalicelib.domain.periods import Period, days_in
from chalicelib.domain.plans import Plan
from chalicelib.domain.pricing.in_advance import in_advance_price
from chalicelib.domain.pricing.transactions import TransactionValues
from chalicelib.domain.pricing.true_up import true_up_amount_cents

ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(frozen=True)
class StoredUsage:
    """The stored aggregates of one charges period, as `price_period_usage` takes them: each bucket's state
    (a bucket without one had no event), each recurring bucket's opening (the previous period's result), and
    what percentage charges with free allowances or per-transaction bounds read of their events' values."""

    states: Mapping[BucketKey, AggregateState]
    openings: Mapping[BucketKey, AggregationResult] = field(default_factory=dict)
    event_values: Mapping[BucketKey, TransactionValues] = field(default_factory=dict)


def arrears_charges(plan: Plan) -> Plan:
    """The plan with the charges a period's invoice bills in arrears. Pay-in-advance charges are left out: each
    event pays its own fee (chalicelib/usage/in_advance.py); those on recurring metrics are renewed here too
    (`in_advance_renewals`)."""
    return plan.model_copy(update={"charges": [charge for charge in plan.charges if not charge.pay_in_advance]})


def renewed_charges(plan: Plan, metrics: Mapping[str, BillableMetric]) -> Plan:
    """The plan with its invoiceable pay-in-advance charges on recurring metrics. Those not invoiceable Lago bills
    as fees without an invoice, which this service does not do (docs/pay-in-advance.md, Departures)."""
    return plan.model_copy(update={"charges": [
        charge for charge in plan.charges
        if charge.pay_in_advance and charge.invoiceable and metrics[charge.billable_metric_id].recurring]})


def in_advance_renewals(subscription_id: str, plan: Plan, metrics: Mapping[str, BillableMetric],
                        context: BillingContext, window: Window, usage: StoredUsage) -> tuple[FeeLine, ...]:
    """Lago's periodic invoice bills a pay-in-advance charge on a recurring metric for the charges period that
    follows `context`'s (`window` what its aggregations read): the units carried into it (the total at the end of
    `context`'s period), in full, at the period's start; within the period each event then pays only above them
    (the mark opens at that total: `pay_in_advance.advance`). The units are the un-prorated total (a prorated
    charge's events paid the days left; the renewal pays the whole period, as Lago), priced as in advance. Nothing
    when the subscription ends before that period starts (Lago: nothing for a terminated subscription), nor for a
    bucket carrying no units."""
    renewal = context_at(context.terms, context.period.end).billed
    renewed = renewed_charges(plan, metrics)
    if renewal is None or not renewed.charges:
        return ()
    currency = plan.amount_currency
    carried = price_period_usage(renewed, metrics, window, usage.states, currency, None, opening=usage.openings)
    fees = []
    for charge_usage in carried.charges:
        charge = charge_usage.charge
        for bucket in charge_usage.buckets:
            units = bucket.total_aggregated_units
            if units <= 0:
                continue
            amount = in_advance_price(charge.charge_model, charge.bucket_properties(bucket.filter_index), units,
                                      bucket.events_count)
            fees.append(_bucket_fee(subscription_id, renewal, replace(
                bucket, units=units, amount=amount, amount_cents=amount_cents(amount, currency)), charge.id, currency))
    return tuple(fees)


def charge_fees(subscription_id: str, plan: Plan, metrics: Mapping[str, BillableMetric], context: BillingContext,
                usage: StoredUsage) -> tuple[FeeLine, ...]:
    """The fees of the charges window `context` bills: per charge, in `price_period_usage`'s order, its buckets'
    fees (filters, then the default bucket) leaving out the empty ones (0 units, 0 cents, no event), then its
    true-up when `min_amount_cents`, prorated to the window's local days, is not reached; last, the renewals of
    pay-in-advance charges on recurring metrics for the next period (`in_advance_renewals`)."""
    window, aggregation_window = context.billed, context.window
    if window is None or aggregation_window is None:
        raise ValueError(f"the charges period {context.period} bills nothing")
    priced = price_period_usage(arrears_charges(plan), metrics, aggregation_window, usage.states,
                                plan.amount_currency, None, opening=usage.openings, event_values=usage.event_values)
    billed = days_billed(days_in(window, context.terms.timezone), aggregation_window.upgraded)
    fees: list[FeeLine] = []
    for charge_usage in priced.charges:
        fees.extend(_bucket_fee(subscription_id, window, bucket, charge_usage.charge.id, plan.amount_currency)
                    for bucket in charge_usage.buckets if not bucket.empty)
        true_up = _true_up_cents(charge_usage, aggregation_window.charges_duration_days, billed)
        if true_up > 0:
            fees.append(_true_up_fee(subscription_id, window, charge_usage.charge.id, true_up, plan.amount_currency))
    return (*fees, *in_advance_renewals(subscription_id, plan, metrics, context, aggregation_window, usage))


def _true_up_cents(charge_usage: ChargeUsage, charges_duration_days: int, billed_days: int) -> int:
    minimum = charge_usage.charge.min_amount_cents
    if not minimum:
        return 0
    return true_up_amount_cents(minimum, charges_duration_days, billed_days,
                                [bucket.amount_cents for bucket in charge_usage.buckets])


def _bucket_fee(subscription_id: str, window: Period, bucket: BucketUsage, charge_id: str, currency: str) -> FeeLine:
    return FeeLine(fee_type="charge", subscription_id=subscription_id, charge_id=charge_id,
                   filter_index=bucket.filter_index, true_up_of_charge=False, units=bucket.units,
                   total_aggregated_units=bucket.total_aggregated_units, events_count=bucket.events_count,
                   amount_cents=bucket.amount_cents, precise_amount_cents=precise_amount_cents(bucket.amount, currency),
                   precise_unit_amount=bucket.amount / bucket.units if bucket.units else ZERO,
                   from_datetime=window.start, to_datetime=window.end, pay_in_advance=False,
                   grouped_by=bucket.group)


def _true_up_fee(subscription_id: str, window: Period, charge_id: str, amount_cents: int, currency: str) -> FeeLine:
    """One unit at the true-up's amount, in the charge's window, as Lago shows it."""
    amount = Decimal(amount_cents)
    return FeeLine(fee_type="charge", subscription_id=subscription_id, charge_id=charge_id, filter_index=None,
                   true_up_of_charge=True, units=ONE, total_aggregated_units=ONE, events_count=0,
                   amount_cents=amount_cents, precise_amount_cents=amount,
                   precise_unit_amount=major_units(amount, currency),
                   from_datetime=window.start, to_datetime=window.end, pay_in_advance=False)


def left_to_the_next_plan(plan: Plan, metrics: Mapping[str, BillableMetric], next_plan: Plan) -> Plan:
    """The plan whose charges an upgraded subscription's final invoice bills (Lago): without its charges in arrears
    and not prorated on a recurring metric the new plan also charges. The new subscription carries those units in
    and bills them for the whole period: billing them on the old plan too would bill them twice."""
    taken_over = next_plan.billable_metric_ids()
    return plan.model_copy(update={"charges": [
        charge for charge in plan.charges
        if charge.pay_in_advance or charge.prorated or not metrics[charge.billable_metric_id].recurring
        or charge.billable_metric_id not in taken_over]})
