"""Gathering what an invoice, a fee or a credit note shows of the records it names (its customer, subscriptions,
plans, metrics, its invoice, the credit notes paying it), each read once for a whole page, so that the renderer
(chalicelib/rendering) reads nothing itself. Used by the API's invoice, fee and credit-note routes and by webhooks."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from chalicelib.domain.credit_notes import CreditNote
from chalicelib.domain.customers import Customer
from chalicelib.domain.fees import PayInAdvanceFee
from chalicelib.domain.invoices.invoice import Invoice, InvoiceFee
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plans import Plan
from chalicelib.domain.readers import (
    CreditNoteReader,
    CustomerReader,
    InvoiceReader,
    MetricReader,
    PlanReader,
    SubscriptionReader,
)
from chalicelib.domain.subscriptions import Subscription
from chalicelib.memo import Memo
from chalicelib.rendering.invoices import InvoiceRecords


class RecordReaders(Protocol):
    """The repositories the records are read from (chalicelib/store/repositories.Repositories is one)."""

    @property
    def customers(self) -> CustomerReader: ...

    @property
    def subscriptions(self) -> SubscriptionReader: ...

    @property
    def plans(self) -> PlanReader: ...

    @property
    def billable_metrics(self) -> MetricReader: ...

    @property
    def invoices(self) -> InvoiceReader: ...

    @property
    def credit_notes(self) -> CreditNoteReader: ...


def plan_codes(plans: PlanReader, organization_id: str, subscriptions: Iterable[Subscription]) -> Mapping[str, str]:
    """The codes of the plans the subscriptions' plan changes name (previous, next), which the subscription object
    shows: one read per distinct plan."""
    ids = {plan_id for subscription in subscriptions
           for plan_id in (subscription.previous_plan_id, subscription.next_plan_id) if plan_id}
    return {plan_id: plan.code for plan_id in ids if (plan := plans.get_any(organization_id, plan_id)) is not None}


class _Gathering:
    """The records one organization's shown objects name, each read once."""

    def __init__(self, readers: RecordReaders, organization: Organization):
        self.organization = organization
        organization_id = organization.id
        self._readers = readers
        self.customers: Memo[str, Customer | None] = Memo(
            lambda customer_id: readers.customers.get_any(organization_id, customer_id))
        self.subscriptions: Memo[str, Subscription | None] = Memo(
            lambda subscription_id: readers.subscriptions.get(organization_id, subscription_id))
        self.plans: Memo[str, Plan | None] = Memo(lambda plan_id: readers.plans.get_any(organization_id, plan_id))
        self.invoices: Memo[str, Invoice | None] = Memo(
            lambda invoice_id: readers.invoices.get(organization_id, invoice_id))
        self.credit_notes: Memo[str, CreditNote | None] = Memo(
            lambda credit_note_id: readers.credit_notes.get(organization_id, credit_note_id))
        self.metric_ids: set[str] = set()

    def subscription(self, subscription_id: str) -> Plan | None:
        """The subscription and its plan; the plan."""
        subscription = self.subscriptions(subscription_id)
        return self.plans(subscription.plan_id) if subscription is not None else None

    def fee(self, fee: InvoiceFee) -> None:
        """A fee's subscription, plan and, for a charge, the charge's metric."""
        plan = self.subscription(fee.subscription_id)
        if plan is None or fee.fee_type == "subscription" or fee.charge_id is None:
            return
        charge = next((charge for charge in plan.charges if charge.id == fee.charge_id), None)
        if charge is not None:
            self.metric_ids.add(charge.billable_metric_id)

    def invoice(self, invoice: Invoice) -> None:
        self.customers(invoice.customer_id)
        for period in invoice.billing_periods:
            self.subscription(period.subscription_id)
        for fee in invoice.fees:
            self.fee(fee)
        for credit in invoice.credits:
            note = self.credit_notes(credit.credit_note_id)
            if note is not None:
                self.invoices(note.invoice_id)  # its number names the credit note

    def stored_fee(self, fee: PayInAdvanceFee) -> None:
        if fee.invoice_id:
            self.invoices(fee.invoice_id)
        self.customers(fee.customer_id)
        self.fee(fee)

    def credit_note(self, note: CreditNote) -> None:
        self.customers(note.customer_id)
        invoice = self.invoices(note.invoice_id)
        fees = {fee.id: fee for fee in invoice.fees} if invoice else {}
        for item in note.items:
            if item.fee_id in fees:
                self.fee(fees[item.fee_id])

    def records(self) -> InvoiceRecords:
        metrics = (self._readers.billable_metrics.get_many(self.organization.id, self.metric_ids)
                   if self.metric_ids else {})
        return InvoiceRecords(self.organization, customers=self.customers.answers(),
                              subscriptions=self.subscriptions.answers(), plans=self.plans.answers(),
                              metrics=metrics, invoices=self.invoices.answers(),
                              credit_notes=self.credit_notes.answers())


class GatherShownRecords:
    """What the renderer needs to show invoices, pay-in-advance fees and credit notes of one organization."""

    def __init__(self, readers: RecordReaders):
        self._readers = readers

    def __call__(self, organization: Organization, *, invoices: Iterable[Invoice] = (),
                 fees: Iterable[PayInAdvanceFee] = (), credit_notes: Iterable[CreditNote] = ()) -> InvoiceRecords:
        gathering = _Gathering(self._readers, organization)
        for invoice in invoices:
            gathering.invoice(invoice)
        for fee in fees:
            gathering.stored_fee(fee)
        for note in credit_notes:
            gathering.credit_note(note)
        return gathering.records()
