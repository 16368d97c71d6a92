"""Taxes as this service applies them: the applicable `vat_rate` (the customer's, else the organization's), in
percent, on amounts in minor units; exact until the one half-up rounding Lago does (docs/api-coverage.md)."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, localcontext

from chalicelib.domain.money import MONEY, round_half_up


def tax_on(amount: Decimal | int, vat_rate: Decimal | None) -> Decimal:
    """`vat_rate` percent of `amount`, exactly (a tax on amounts of any accepted size); none without a rate."""
    if not vat_rate:
        return Decimal(0)
    with localcontext(MONEY):
        return Decimal(amount) * vat_rate / 100


def taxes_amount_cents(fee_amounts_cents: Iterable[int], vat_rate: Decimal | None) -> int:
    """Lago's invoice rule: the rate applied to the sum of the fees, rounded once, half-up."""
    return round_half_up(tax_on(sum(fee_amounts_cents), vat_rate))
