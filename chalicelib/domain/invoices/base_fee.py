"""The subscription fee of a base-fee window: the plan's amount prorated over the full plan period."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.money import major_units
from chalicelib.domain.periods import BillingTerms, Period, prorated_base_fee, trial_end
from chalicelib.domain.plans import Plan

ONE = Decimal(1)


def trial_ends_at(plan: Plan, initial_started_at: datetime) -> datetime | None:
    """The end of the plan's trial counted from the external id's first start; None without a trial."""
    return trial_end(initial_started_at, plan.trial_period) if plan.trial_period else None


def subscription_fee(subscription_id: str, plan: Plan, terms: BillingTerms, window: Period,
                     initial_started_at: datetime) -> FeeLine | None:
    """`prorated_base_fee` over the plan period containing `window`; None when no day is billed (a trial
    covering the window). A free plan's fee of 0 over billed days is in the share (as Lago computes it); the
    invoice leaves zero fees off (`build_invoice`)."""
    fee = prorated_base_fee(plan.amount_cents, window, terms.plan_periods.period_at(window.start), terms.timezone,
                            trial_ends_at(plan, initial_started_at))
    if fee.days == 0:
        return None
    return FeeLine(fee_type="subscription", subscription_id=subscription_id, charge_id=None, filter_index=None,
                   true_up_of_charge=False, units=ONE, total_aggregated_units=ONE, events_count=0,
                   amount_cents=fee.amount_cents, precise_amount_cents=fee.precise_amount_cents,
                   precise_unit_amount=major_units(fee.amount_cents, plan.amount_currency),
                   from_datetime=window.start, to_datetime=window.end, pay_in_advance=plan.pay_in_advance)
