"""The credit note a pay-in-advance subscription gets when it ends before the period it paid for (termination,
upgrade): the fee that paid for the period containing its termination is found among the customer's invoices of that
plan period, and its unused days credited (chalicelib/domain/credit_notes.py)."""
from __future__ import annotations

from datetime import datetime

from chalicelib.billing.ports import BillingStores
from chalicelib.domain.billing_context import subscription_terms
from chalicelib.domain.credit_notes import CreditNote, termination_credit_note
from chalicelib.domain.invoices.invoice import Invoice, InvoiceFee
from chalicelib.domain.periods import local_day
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription


def _paying_fee(invoices: list[Invoice], subscription: Subscription,
                terminated_at: datetime) -> tuple[Invoice, InvoiceFee] | None:
    """The in-advance subscription fee of `subscription` whose window holds its termination, with its invoice (a
    voided invoice gives nothing back: Lago)."""
    for invoice in invoices:
        if invoice.status == "voided":
            continue
        for fee in invoice.fees:
            if (fee.fee_type == "subscription" and fee.pay_in_advance and fee.subscription_id == subscription.id
                    and fee.from_datetime <= terminated_at < fee.to_datetime):
                return invoice, fee
    return None


def credit_for_termination(stores: BillingStores, subscription: Subscription, plan: Plan, timezone: str,
                           now: datetime) -> CreditNote | None:
    """The credit note of a terminated subscription's unused paid days, or None (a plan paid in arrears, a trial,
    nothing left of the period). Reads the customer's invoices issued since its plan period began."""
    if not plan.pay_in_advance or subscription.terminated_at is None:
        return None
    full_period = subscription_terms(subscription, plan, timezone).plan_periods.period_at(subscription.terminated_at)
    since = local_day(full_period.start, timezone).isoformat()
    found = _paying_fee(stores.invoices.of_customer_since(subscription.organization_id, subscription.customer_id,
                                                          since), subscription, subscription.terminated_at)
    if found is None:
        return None
    invoice, fee = found
    return termination_credit_note(
        fee=fee, invoice=invoice, plan_amount_cents=plan.amount_cents, full_period=full_period,
        terminated_at=subscription.terminated_at, upgrade=subscription.terminated_by_upgrade, timezone=timezone,
        sequential_id=stores.credit_notes.last_sequence(subscription.organization_id, invoice.id) + 1, now=now)
