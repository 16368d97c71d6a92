"""Draft invoices (a grace period): refreshed from the usage aggregated since they were issued (by the biller when
the aggregator applied late events of their periods, or by `PUT /invoices/{id}/refresh`), and finalized by the
biller at their `finalize_at` or by `PUT /invoices/{id}/finalize`. A refresh prices each billing period's charges
window again from the stored aggregates (the path current usage and the first issue take); the subscription fees
stay as issued. Finalizing waits until every event stored for those windows is applied."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from chalicelib.billing.plan_change import billed_plan
from chalicelib.billing.ports import BillingStores
from chalicelib.billing.readiness import unapplied_events
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.billing_context import BillingContext, billing_context
from chalicelib.domain.billing_steps import after_finalization
from chalicelib.domain.clock import CustomerClock
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import NotFound, NotReadyYet
from chalicelib.domain.invoices.charge_fees import charge_fees
from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.invoices.invoice import BillingPeriod, Invoice, with_fee_lines
from chalicelib.domain.organizations import Organization
from chalicelib.domain.periods import local_day
from chalicelib.domain.plans import Plan
from chalicelib.domain.retries import retrying
from chalicelib.domain.subscriptions import Subscription
from chalicelib.usage.period_usage import stored_usage
from chalicelib.usecases.issuing import InvoiceIssuing
from chalicelib.usecases.ports import UnitOfWork


@dataclass(frozen=True)
class _Billed:
    """One billing period of a draft with what pricing it again reads: `charges` the billing context of the charges
    window it bills (None when it bills no charges)."""

    period: BillingPeriod
    subscription: Subscription
    plan: Plan
    metrics: dict[str, BillableMetric]
    charges: BillingContext | None


class Drafts:
    """A customer's draft invoices on the billing stores: refreshed and finalized by the biller, or by a request."""

    def __init__(self, stores: BillingStores):
        self._stores = stores
        self._issuing = InvoiceIssuing(stores.invoices, stores.credit_notes)

    def refresh(self, unit: UnitOfWork, draft: Invoice, timezone: str, now: datetime) -> Invoice:
        """Store the draft with its charge fees priced from the usage aggregated now (what is not aggregated yet is
        taken by a later refresh), with what `unit` holds, in ONE transaction committed here; StaleWrite when it
        changed since it was read."""
        fresh = self._priced(draft, list(self._billed(draft, timezone)), now)
        self._stores.invoices.stage_replace(unit, draft, fresh)
        unit.commit()
        return fresh

    def finalize(self, customer: Customer, draft: Invoice, timezone: str, now: datetime) -> Invoice | None:
        """Refresh the draft and finalize it in ONE transaction with its subscriptions, whose draft periods it
        closes. It is issued today (the customer's day) when finalized before its issuing date, else on that date: a
        biller run that comes late issues what a timely one would. None while events stored for its charges windows
        are not all applied by the aggregator (nothing is written: try again later)."""
        stores = self._stores
        billed = list(self._billed(draft, timezone))
        if any(unapplied_events(stores, each.subscription, each.charges.terms, each.charges.period)
               for each in billed if each.charges is not None):
            return None
        drafted = {each.subscription.id: each.subscription for each in billed
                   if draft.id in (period.invoice_id for period in each.subscription.draft_periods)}
        unit = stores.unit_of_work()
        for subscription in drafted.values():
            stores.subscriptions.stage_replace(unit, subscription, after_finalization(subscription, draft.id, now))
        return self._issuing.finalize(unit, customer, draft, self._priced(draft, billed, now),
                              issuing_date=min(local_day(now, timezone), draft.issuing_date), now=now)

    def refresh_invoice(self, organization: Organization, invoice_id: str, clock: CustomerClock) -> Invoice:
        """`PUT /invoices/{id}/refresh`: a draft refreshed from the usage aggregated by its customer's "now"; any
        other invoice answered as it is (Lago)."""
        def attempt() -> Invoice:
            invoice, customer, timezone = self._invoice_and_timezone(organization, invoice_id)
            if invoice.status != "draft":
                return invoice
            return self.refresh(self._stores.unit_of_work(), invoice, timezone, clock.now_for(customer.test_clock_id))

        return retrying("invoice", attempt)

    def finalize_invoice(self, organization: Organization, invoice_id: str, clock: CustomerClock) -> Invoice:
        """`PUT /invoices/{id}/finalize`: a draft refreshed and finalized now (numbered, paying from credit notes);
        404 for any other invoice, as Lago (it finds only drafts); 503 `usage_not_aggregated_yet` while events stored
        for its windows are still being aggregated (a moment later it succeeds)."""
        def attempt() -> Invoice:
            invoice, customer, timezone = self._invoice_and_timezone(organization, invoice_id)
            if invoice.status != "draft":
                raise NotFound("invoice")
            finalized = self.finalize(customer, invoice, timezone, clock.now_for(customer.test_clock_id))
            if finalized is None:
                raise NotReadyYet("usage_not_aggregated_yet")
            return finalized

        return retrying("invoice", attempt)

    def _billed(self, draft: Invoice, timezone: str) -> Iterator[_Billed]:
        stores = self._stores
        organization_id = draft.organization_id
        for period in draft.billing_periods:
            subscription = stores.subscriptions.get(organization_id, period.subscription_id)
            plan = stores.plans.get_any(organization_id, period.plan_id)
            assert subscription is not None and plan is not None  # a draft's subscriptions and plans stay stored
            metrics = stores.billable_metrics.get_many(organization_id, plan.billable_metric_ids())
            charges = (None if period.charges_from is None or period.charges_to is None
                       else billing_context(subscription, plan, timezone, period.charges_from))
            yield _Billed(period, subscription, plan, metrics, charges)

    def _priced(self, draft: Invoice, billed: list[_Billed], now: datetime) -> Invoice:
        stores = self._stores
        lines: list[FeeLine] = []
        for each in billed:
            lines += [FeeLine.model_validate(fee.model_dump(exclude={"id", "taxes_amount_cents"}))
                      for fee in draft.fees
                      if fee.subscription_id == each.subscription.id and fee.fee_type == "subscription"]
            if each.charges is not None and each.charges.billed is not None:
                usage = stored_usage(stores, each.subscription, each.plan, each.metrics, each.charges.terms,
                                     each.charges.period)
                plan = billed_plan(stores, each.subscription, each.plan, each.metrics, each.charges.billed)
                lines += charge_fees(each.subscription.id, plan, each.metrics, each.charges, usage)
        return with_fee_lines(draft, lines, now)

    def _invoice_and_timezone(self, organization: Organization, invoice_id: str) -> tuple[Invoice, Customer, str]:
        stores = self._stores
        invoice = stores.invoices.get(organization.id, invoice_id)
        customer = None if invoice is None else stores.customers.get_any(organization.id, invoice.customer_id)
        if invoice is None or customer is None:
            raise NotFound("invoice")
        return invoice, customer, customer.applicable_timezone(organization.timezone)
