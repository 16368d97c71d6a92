"""A pay-in-advance fee as stored on its own (`GET /api/v1/fees`): the fee of one event, with what showing it
needs without its invoice. Fees of periodic invoices are read through their invoice."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.invoices.invoice import InvoiceFee, in_advance_fee_id, in_advance_invoice_id
from chalicelib.domain.invoices.totals import fee_taxes_amount_cents


class PayInAdvanceFee(InvoiceFee):
    """`invoice_id` is the invoice billing it (None when the charge is not invoiceable); `created_at` the
    reception time of its event; `taxes_rate` the rate its taxes were computed with (the customer's, else the
    organization's), as on its invoice."""

    organization_id: str
    customer_id: str
    external_subscription_id: str
    invoice_id: str | None = None
    currency: str
    taxes_rate: Decimal | None = None
    created_at: datetime


def stored_fee(line: FeeLine, *, organization_id: str, customer_id: str, external_subscription_id: str,
               currency: str, vat_rate: Decimal | None, created_at: datetime) -> PayInAdvanceFee:
    """The stored form of an event's fee line: the id and taxes its invoice gives it too, and that invoice's id
    when the charge is invoiceable."""
    fee_id = in_advance_fee_id(line)
    return PayInAdvanceFee(
        id=fee_id, taxes_amount_cents=fee_taxes_amount_cents(line, vat_rate), **line.model_dump(),
        organization_id=organization_id, customer_id=customer_id, external_subscription_id=external_subscription_id,
        invoice_id=in_advance_invoice_id(fee_id) if line.invoiceable else None, currency=currency,
        taxes_rate=vat_rate, created_at=created_at)
