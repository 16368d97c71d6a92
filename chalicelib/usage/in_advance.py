"""Pay-in-advance charges in the stream aggregator: each event routed to such a charge gets its fee at once, in
ONE transaction per event and charge: the charge bucket's state (running total and high-water mark) conditioned
on the revision read, for unique count the value's presence item, the fee (conditioned on its absence) with its
list copies, its `fee.created` webhook and, for an invoiceable charge, its own invoice, numbered in the
customer's sequence and paying from its credit notes (`InvoiceIssuing`, the one issuing path).

Exactly once: the fee's id is derived from (subscription, charge, transaction_id) and the invoice's from the fee,
so a redelivered record, a retried batch or a re-ingested event finds them taken and the whole transaction is
refused: nothing is applied twice. A state, value or sequence that moved since it was read refuses it too: it
is read again (bounded attempts; then the record is reported failed and redelivered). docs/pay-in-advance.md."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from chalicelib.domain.aggregate_keys import AggregateKey
from chalicelib.domain.aggregations.events import UsageEvent, distinct_value, is_add_operation, numeric_property
from chalicelib.domain.aggregations.pay_in_advance import InAdvanceStep, advance, presence_change
from chalicelib.domain.aggregations.windows import epoch_ms, from_epoch_ms
from chalicelib.domain.billing_context import context_at
from chalicelib.domain.current_usage import unique_count_values_period_ms
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import Contention, FeeAlreadyCreated, InvoiceAlreadyIssued, StaleWrite
from chalicelib.domain.fees import stored_fee
from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.invoices.in_advance import days_left_share, in_advance_fee, in_advance_share
from chalicelib.domain.invoices.invoice import build_invoice
from chalicelib.domain.invoices.numbering import draft_invoice_number
from chalicelib.domain.organizations import Organization
from chalicelib.domain.periods import local_day
from chalicelib.domain.pricing.groups import PricingGroup
from chalicelib.memo import Memo
from chalicelib.usage.ports import UsageStores
from chalicelib.usage.routing import InAdvanceCharge, Routed
from chalicelib.usecases.issuing import InvoiceIssuing
from chalicelib.usecases.ports import UnitOfWork

MAX_ATTEMPTS = 8
ONE = Decimal(1)


class InAdvanceBilling:
    """Bills the pay-in-advance charges of events; the customer and organization are read once per instance (one
    per stream batch)."""

    def __init__(self, stores: UsageStores):
        self._stores = stores
        self._issuing = InvoiceIssuing(stores.invoices, stores.credit_notes)
        self._customers: Memo[tuple[str, str], tuple[Customer, Organization]] = Memo(self._read_customer)

    def bill(self, routed: Routed, received_at: datetime) -> None:
        """Create the fee of `routed.event` for its pay-in-advance charge, dated `received_at` (the event's
        reception: a replay gives the same fee and invoice); nothing if an earlier delivery created it."""
        for _ in range(MAX_ATTEMPTS):
            try:
                self._create_fee(routed, received_at)
                return
            except (FeeAlreadyCreated, InvoiceAlreadyIssued):
                return  # created by an earlier delivery of the event
            except StaleWrite:
                continue  # the state, a value or the customer's invoice sequence moved: read again
        raise Contention(f"pay-in-advance fee of {routed.event.transaction_id}")

    def _create_fee(self, routed: Routed, received_at: datetime) -> None:
        charge, event = routed.in_advance, routed.event
        assert charge is not None  # only a pay-in-advance charge's route is billed
        subscription = charge.subscription
        organization_id = subscription.organization_id
        customer, organization = self._customers((organization_id, subscription.customer_id))
        # A recurring metric's total runs over the subscription, a metered one's over its period.
        key = replace(routed.key, period_start_ms=unique_count_values_period_ms(
            charge.metric.recurring, epoch_ms(charge.period.start)))
        unit = self._stores.unit_of_work()
        state = self._stores.in_advance.state(key)
        step = advance(state.value, self._delta(unit, key, charge, event), epoch_ms(charge.period.start))
        line = _fee_line(charge, step, event, key.group)
        currency = charge.plan.amount_currency
        vat_rate = customer.applicable_vat_rate(organization.vat_rate)
        fee = stored_fee(line, organization_id=organization_id, customer_id=customer.id,
                         external_subscription_id=subscription.external_id, currency=currency, vat_rate=vat_rate,
                         created_at=received_at)
        self._stores.in_advance.stage_state(unit, key, step.after, state.revision)
        self._stores.webhooks.stage_webhook(unit, organization_id, "fee.created", fee.id, received_at)
        self._stores.fees.stage_create(unit, fee)
        if fee.invoice_id is None:
            unit.commit()
            return
        timezone = charge.terms.timezone
        draft = build_invoice(
            invoice=fee.invoice_id, organization_id=organization_id, customer_id=customer.id,
            draft_number=draft_invoice_number(organization.document_number_prefix),
            issuing_date=local_day(received_at, timezone), currency=currency, vat_rate=vat_rate,
            shares=[(subscription, in_advance_share(line))], now=received_at)
        # Finalized at once whatever the grace period: Lago never drafts an in-advance charge's invoice.
        self._issuing.issue(unit, customer, draft, grace_days=0, timezone=timezone, now=received_at)

    def _delta(self, unit: UnitOfWork, key: AggregateKey, charge: InAdvanceCharge, event: UsageEvent) -> Decimal:
        """How the event moves the bucket's total, staging the write that goes with it (a unique-count value's
        presence): count +1; sum its value (0 when not numeric); unique count +1, -1 or 0 by the value's state."""
        metric = charge.metric
        if metric.aggregation_type == "count_agg":
            return ONE
        if metric.aggregation_type == "sum_agg":
            return numeric_property(event, metric.field_name) or Decimal(0)
        value = distinct_value(event, metric.field_name)
        if value is None:
            return Decimal(0)
        presence = self._stores.in_advance.presence(key, value)
        change = presence_change(presence.value, is_add_operation(event))
        if change != 0:
            self._stores.in_advance.stage_presence(unit, key, value, change > 0, presence.revision)
        return Decimal(change)

    def _read_customer(self, key: tuple[str, str]) -> tuple[Customer, Organization]:
        organization_id, customer_id = key
        customer = self._stores.customers.get_any(organization_id, customer_id)
        assert customer is not None  # a subscription's customer stays stored (a purge deletes its events too)
        return customer, self._stores.organizations.get(organization_id)



def _fee_line(charge: InAdvanceCharge, step: InAdvanceStep, event: UsageEvent, group: PricingGroup) -> FeeLine:
    """The event's fee, in the period its mark is of: the event's own, or for a recurring metric's late event the
    later one it counts in; a prorated charge pays the days left in it."""
    assert step.after.mark_period_ms is not None  # `advance` sets the mark's period
    context = context_at(charge.terms, from_epoch_ms(step.after.mark_period_ms))
    # The mark's period is one the subscription bills charges in: the event's own, or a later one.
    assert context.window is not None and context.billed is not None
    proration = ONE
    if charge.charge.prorated:
        proration = days_left_share(context.window, event.timestamp_ms)
    return in_advance_fee(charge.subscription.id, charge.charge, charge.filter_index, step,
                          window=context.billed, currency=charge.plan.amount_currency,
                          transaction_id=event.transaction_id, proration=proration, grouped_by=group)
