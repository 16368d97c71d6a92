"""The invoice as stored: one customer's shares billed on one day, with its fees, billing periods, totals and
number. `build_invoice` assembles it from the pure shares; it is then either finalized at once (numbered, an
immutable snapshot) or kept as a draft through the customer's grace period."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.invoices.numbering import invoice_number
from chalicelib.domain.invoices.shares import InvoicingReason, SubscriptionShare
from chalicelib.domain.invoices.totals import InvoiceTotals, fee_taxes_amount_cents, invoice_totals, payment_status
from chalicelib.domain.subscriptions import Subscription

# Invoice and fee ids are derived from what they bill, so a rerun names the same invoice (uuid5 is a stable hash).
_INVOICE_NAMESPACE = uuid.UUID("5b0b6a8e-4d1c-4f55-9a43-6c3c0f0a9e21")

InvoiceStatus = Literal["draft", "finalized", "voided"]
PaymentStatus = Literal["pending", "succeeded", "failed"]


class AppliedCredit(BaseModel):
    """Part of a credit note's balance consumed by the invoice (Lago's `credits` entry of type credit_note): taken
    from the total including taxes."""

    credit_note_id: str
    amount_cents: int


class InvoiceFee(FeeLine):
    """One fee of an invoice: a `FeeLine` with its id and its share of the taxes (display only: the invoice's
    taxes are rounded once on the sum)."""

    id: str
    taxes_amount_cents: int


class BillingPeriod(BaseModel):
    """What one subscription's share billed (Lago's `billing_periods` entry); half-open windows."""

    subscription_id: str
    external_subscription_id: str
    plan_id: str
    subscription_from: datetime | None = None
    subscription_to: datetime | None = None
    charges_from: datetime | None = None
    charges_to: datetime | None = None
    invoicing_reason: InvoicingReason


class Invoice(InvoiceTotals):
    """The snapshot: its totals (`InvoiceTotals`), fees and billing periods, number and statuses.

    A draft (a grace period) has no sequential id and the organization's `PREFIX-DRAFT` as its number; its charge
    fees follow late usage until `finalize_at`, when it is numbered and takes the customer's credit notes."""

    id: str
    organization_id: str
    customer_id: str
    test_clock_id: str | None = None  # its customer's: a draft's finalization is left to that clock's advances
    sequential_id: int | None = None
    number: str
    issuing_date: date
    finalize_at: datetime | None = None
    invoice_type: Literal["subscription"] = "subscription"
    status: InvoiceStatus = "finalized"
    payment_status: PaymentStatus
    currency: str
    fees: list[InvoiceFee]
    billing_periods: list[BillingPeriod]
    credits: list[AppliedCredit] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    finalized_at: datetime | None = None
    voided_at: datetime | None = None
    version: int = 1


def invoice_id(organization_id: str, customer_id: str, issuing_date: date, group: str) -> str:
    """The id of the invoice a customer gets on a billing day for `group` (the periodic run, or one
    subscription's start or termination): the same inputs always name the same invoice."""
    return str(uuid.uuid5(_INVOICE_NAMESPACE, f"{organization_id}/{customer_id}/{issuing_date.isoformat()}/{group}"))


def in_advance_fee_id(line: FeeLine) -> str:
    """The fee one event of a pay-in-advance charge produces: an event goes to one bucket of each charge, so the
    subscription, the charge and the event's transaction_id name it, whatever redelivers the event."""
    if line.charge_id is None or line.event_transaction_id is None:
        raise ValueError("only the fee of a pay-in-advance charge's event is named by the event")
    return str(uuid.uuid5(_INVOICE_NAMESPACE,
                          f"in_advance/{line.subscription_id}/{line.charge_id}/{line.event_transaction_id}"))


def in_advance_invoice_id(fee_id: str) -> str:
    """The invoice of an invoiceable pay-in-advance fee: one per fee, named by it alone (not by a date that a
    timezone change could move), so a second delivery of the event names the same invoice."""
    return str(uuid.uuid5(_INVOICE_NAMESPACE, f"in_advance_invoice/{fee_id}"))


def _fee(invoice: str, index: int, line: FeeLine, vat_rate: Decimal | None) -> InvoiceFee:
    # A pay-in-advance fee keeps the id its event gives it: the invoice lists the fee `GET /fees` shows.
    fee_id = str(uuid.uuid5(_INVOICE_NAMESPACE, f"{invoice}/fee/{index}"))
    if line.event_transaction_id is not None:
        fee_id = in_advance_fee_id(line)
    return InvoiceFee(id=fee_id, taxes_amount_cents=fee_taxes_amount_cents(line, vat_rate), **line.model_dump())


def _billing_period(subscription: Subscription, share: SubscriptionShare) -> BillingPeriod:
    return BillingPeriod(
        subscription_id=subscription.id, external_subscription_id=subscription.external_id,
        plan_id=subscription.plan_id,
        subscription_from=share.base_fee_window.start if share.base_fee_window else None,
        subscription_to=share.base_fee_window.end if share.base_fee_window else None,
        charges_from=share.charges_window.start if share.charges_window else None,
        charges_to=share.charges_window.end if share.charges_window else None,
        invoicing_reason=share.invoicing_reason)


def build_invoice(*, invoice: str, organization_id: str, customer_id: str, draft_number: str, issuing_date: date,
                  currency: str, vat_rate: Decimal | None, shares: Sequence[tuple[Subscription, SubscriptionShare]],
                  now: datetime) -> Invoice:
    """The invoice of `shares`, not numbered yet: a draft named `draft_number` (`drafted_invoice` keeps it so,
    `finalized_invoice` numbers it). Zero fees are left off (a free plan's base fee, a bucket whose usage costs
    nothing): the invoice lists what is charged, and the fee of a pay-in-advance event whatever its amount."""
    lines = [line for _, share in shares for line in share.fees]
    return _with_fees(Invoice(
        id=invoice, organization_id=organization_id, customer_id=customer_id, number=draft_number,
        issuing_date=issuing_date, status="draft", payment_status="pending", currency=currency, fees=[],
        billing_periods=[_billing_period(subscription, share) for subscription, share in shares],
        created_at=now, updated_at=now, **invoice_totals([], vat_rate).model_dump()), lines, vat_rate)


def _with_fees(invoice: Invoice, lines: Sequence[FeeLine], vat_rate: Decimal | None) -> Invoice:
    # A pay-in-advance event's fee is its invoice's reason: kept even at 0 (Lago issues that invoice too).
    charged = [line for line in lines if line.amount_cents != 0 or line.event_transaction_id is not None]
    totals = invoice_totals(charged, vat_rate, sum(credit.amount_cents for credit in invoice.credits))
    # A draft is not payable yet: it stays `pending` (Lago's default) until it is finalized.
    status = payment_status(totals.total_amount_cents) if invoice.status == "finalized" else "pending"
    return invoice.model_copy(update={
        "fees": [_fee(invoice.id, index, line, vat_rate) for index, line in enumerate(charged)],
        "payment_status": status, **totals.model_dump()})


def with_fee_lines(invoice: Invoice, lines: Sequence[FeeLine], now: datetime) -> Invoice:
    """A draft with its fees replaced (a refresh from the usage aggregated since), totals computed again."""
    if invoice.status != "draft":
        raise ValueError("only a draft's fees change")
    return _with_fees(invoice, lines, invoice.taxes_rate).model_copy(update={
        "updated_at": now, "version": invoice.version + 1})


def drafted_invoice(invoice: Invoice, finalize_at: datetime) -> Invoice:
    """The draft as the grace period leaves it until `finalize_at` (its issuing date's start)."""
    return invoice.model_copy(update={"finalize_at": finalize_at})


def finalized_invoice(invoice: Invoice, *, sequential_id: int, customer_slug: str, issuing_date: date,
                      credits: Sequence[AppliedCredit], now: datetime) -> Invoice:
    """The invoice numbered `{slug}-{sequential_id:03d}` and finalized on `issuing_date`, paying `credits` (at most
    its total including taxes) from the customer's credit notes: an immutable snapshot from then on."""
    if invoice.status != "draft":
        raise ValueError("only a draft is finalized")
    credited = sum(credit.amount_cents for credit in credits)
    if credited > invoice.sub_total_including_taxes_amount_cents:
        raise ValueError("credits cannot exceed what the invoice charges")
    lines = [FeeLine.model_validate(fee.model_dump(exclude={"id", "taxes_amount_cents"})) for fee in invoice.fees]
    numbered = invoice.model_copy(update={
        "status": "finalized", "sequential_id": sequential_id, "number": invoice_number(customer_slug, sequential_id),
        "issuing_date": issuing_date, "finalize_at": None, "credits": list(credits), "finalized_at": now,
        "updated_at": now, "version": invoice.version + 1})
    return _with_fees(numbered, lines, invoice.taxes_rate)
