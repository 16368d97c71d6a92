"""An invoice's amounts from its fees (Lago's Invoices::ComputeAmountsFromFees, legacy single vat rate) and the
credit notes it consumes, and its payment status. Coupons, progressive billing and prepaid credits are not
modelled: 0."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.taxes import taxes_amount_cents


class InvoiceTotals(BaseModel):
    fees_amount_cents: int
    coupons_amount_cents: int
    credit_notes_amount_cents: int
    progressive_billing_credit_amount_cents: int
    prepaid_credit_amount_cents: int
    sub_total_excluding_taxes_amount_cents: int
    taxes_amount_cents: int
    sub_total_including_taxes_amount_cents: int
    total_amount_cents: int
    total_due_amount_cents: int
    taxes_rate: Decimal | None = None


def invoice_totals(fees: Iterable[FeeLine], vat_rate: Decimal | None, credit_notes: int = 0) -> InvoiceTotals:
    """`vat_rate` (percent) is the applicable one: the customer's, else the organization's. Taxes are the rate
    on the sum of the fees, rounded once half-up, so they may differ from the sum of the fees' own taxes.
    `credit_notes` (minor units) is what the invoice takes from credit notes, after taxes (as Lago)."""
    amounts = [fee.amount_cents for fee in fees]
    fees_amount = sum(amounts)
    coupons = progressive_billing_credit = prepaid_credit = 0
    excluding_taxes = fees_amount - progressive_billing_credit - coupons
    taxes = taxes_amount_cents(amounts, vat_rate)
    including_taxes = excluding_taxes + taxes
    total = including_taxes - credit_notes - prepaid_credit
    return InvoiceTotals(fees_amount_cents=fees_amount, coupons_amount_cents=coupons,
                         credit_notes_amount_cents=credit_notes,
                         progressive_billing_credit_amount_cents=progressive_billing_credit,
                         prepaid_credit_amount_cents=prepaid_credit,
                         sub_total_excluding_taxes_amount_cents=excluding_taxes, taxes_amount_cents=taxes,
                         sub_total_including_taxes_amount_cents=including_taxes, total_amount_cents=total,
                         total_due_amount_cents=total, taxes_rate=vat_rate)


def fee_taxes_amount_cents(fee: FeeLine, vat_rate: Decimal | None) -> int:
    """A fee's own taxes, as its line shows them: round half-up(amount × rate / 100)."""
    return taxes_amount_cents([fee.amount_cents], vat_rate)


def payment_status(total_amount_cents: int) -> Literal["pending", "succeeded"]:
    """Nothing to pay is paid: succeeded when the total is not positive, else pending."""
    return "pending" if total_amount_cents > 0 else "succeeded"
