"""The invoice as stored: a finalized, immutable snapshot of one customer's shares billed on one day, with its
fees, billing periods, totals and number. `build_invoice` assembles it from the pure shares."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.invoices.numbering import invoice_number
from chalicelib.domain.invoices.shares import InvoicingReason, SubscriptionShare
from chalicelib.domain.invoices.totals import InvoiceTotals, fee_taxes_amount_cents, invoice_totals, payment_status
from chalicelib.domain.subscriptions import Subscription

# Invoice and fee ids are derived from what they bill, so a rerun names the same invoice (uuid5 is a stable hash).
_INVOICE_NAMESPACE = uuid.UUID("5b0b6a8e-4d1c-4f55-9a43-6c3c0f0a9e21")

InvoiceStatus = Literal["finalized", "voided"]
PaymentStatus = Literal["pending", "succeeded", "failed"]


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
    """The snapshot: its totals (`InvoiceTotals`), fees and billing periods, number and statuses."""

    id: str
    organization_id: str
    customer_id: str
    sequential_id: int
    number: str
    issuing_date: date
    invoice_type: Literal["subscription"] = "subscription"
    status: InvoiceStatus = "finalized"
    payment_status: PaymentStatus
    currency: str
    fees: list[InvoiceFee]
    billing_periods: list[BillingPeriod]
    created_at: datetime
    updated_at: datetime
    voided_at: datetime | None = None
    version: int = 1


def invoice_id(organization_id: str, customer_id: str, issuing_date: date, group: str) -> str:
    """The id of the invoice a customer gets on a billing day for `group` (the periodic run, or one
    subscription's start or termination): the same inputs always name the same invoice."""
    return str(uuid.uuid5(_INVOICE_NAMESPACE, f"{organization_id}/{customer_id}/{issuing_date.isoformat()}/{group}"))


def _fee(invoice: str, index: int, line: FeeLine, vat_rate: Decimal | None) -> InvoiceFee:
    return InvoiceFee(id=str(uuid.uuid5(_INVOICE_NAMESPACE, f"{invoice}/fee/{index}")),
                      taxes_amount_cents=fee_taxes_amount_cents(line, vat_rate), **line.model_dump())


def build_invoice(*, invoice: str, organization_id: str, customer_id: str, customer_slug: str, sequential_id: int,
                  issuing_date: date, currency: str, vat_rate: Decimal | None,
                  shares: Sequence[tuple[Subscription, SubscriptionShare]], now: datetime) -> Invoice:
    """The finalized invoice of `shares`, numbered `{slug}-{sequential_id:03d}`. Zero fees are left off (a free
    plan's base fee, a bucket whose usage costs nothing): the invoice lists what is charged."""
    lines = [line for _, share in shares for line in share.fees if line.amount_cents != 0]
    totals = invoice_totals(lines, vat_rate)
    periods = [BillingPeriod(
        subscription_id=subscription.id, external_subscription_id=subscription.external_id,
        plan_id=subscription.plan_id,
        subscription_from=share.base_fee_window.start if share.base_fee_window else None,
        subscription_to=share.base_fee_window.end if share.base_fee_window else None,
        charges_from=share.charges_window.start if share.charges_window else None,
        charges_to=share.charges_window.end if share.charges_window else None,
        invoicing_reason=share.invoicing_reason) for subscription, share in shares]
    return Invoice(
        id=invoice, organization_id=organization_id, customer_id=customer_id, sequential_id=sequential_id,
        number=invoice_number(customer_slug, sequential_id), issuing_date=issuing_date,
        payment_status=payment_status(totals.total_amount_cents), currency=currency,
        fees=[_fee(invoice, index, line, vat_rate) for index, line in enumerate(lines)], billing_periods=periods,
        created_at=now, updated_at=now, **totals.model_dump())
