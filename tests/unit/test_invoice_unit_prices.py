"""The invoice page's unit prices: whole minor units through format_money, finer prices with every digit they have."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.rendering.console_invoices import unit_price


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    (Decimal("10"), "EUR", "€10.00"),
    (Decimal("0.01"), "EUR", "€0.01"),
    (Decimal("1234.5"), "USD", "$1,234.50"),
    (Decimal("0.0001"), "EUR", "€0.0001"),  # a hundredth of a cent is not €0.00
    (Decimal("1200"), "JPY", "¥1,200"),
    (Decimal("0.5"), "JPY", "¥0.5"),
    (Decimal("1.2345"), "KWD", "KWD 1.2345"),
    (Decimal("-0.005"), "EUR", "-€0.005"),
])
def test_unit_prices(amount, currency, shown):
    assert unit_price(amount, currency) == shown
