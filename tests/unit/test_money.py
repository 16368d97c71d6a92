"""Money: ISO 4217 precision, half-up rounding of amounts into integer minor units, and amounts written for people."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.money import (
    amount_cents,
    currency_exponent,
    format_money,
    precise_amount_cents,
    round_half_up,
)
from chalicelib.domain.taxes import tax_on
from chalicelib.domain.validation import within_billing_range


@pytest.mark.parametrize("source, amount, currency, cents", [
    ("lago-semantics §3 standard: 10 × 5.12345", Decimal("51.2345"), "EUR", 5123),
    ("by hand: 51.2345 EUR is 5123.45 cents, .45 rounds down", Decimal("51.2345"), "EUR", 5123),
    ("by hand: half-up at .5 exactly, 0.125 EUR = 12.5 cents -> 13 (banker's would give 12)",
     Decimal("0.125"), "EUR", 13),
    ("by hand: 0.135 EUR = 13.5 cents -> 14", Decimal("0.135"), "EUR", 14),
    ("by hand: JPY has no minor unit, 1234.5 -> 1235", Decimal("1234.5"), "JPY", 1235),
    ("by hand: JPY 1234.49 -> 1234", Decimal("1234.49"), "JPY", 1234),
    ("by hand: KWD has 3 digits, 1.2345 KWD = 1234.5 fils -> 1235", Decimal("1.2345"), "KWD", 1235),
    ("by hand: half-up is away from zero, -0.125 EUR -> -13", Decimal("-0.125"), "EUR", -13),
    ("by hand: zero", Decimal("0"), "USD", 0),
])
def test_amount_cents_rounds_half_up_at_the_currency_precision(source, amount, currency, cents):
    assert amount_cents(amount, currency) == cents


def test_precise_amount_cents_keeps_every_digit():
    assert precise_amount_cents(Decimal("51.2345"), "EUR") == Decimal("5123.45")
    assert precise_amount_cents(Decimal("1.2345"), "KWD") == Decimal("1234.5")
    assert precise_amount_cents(Decimal("1234.5"), "JPY") == Decimal("1234.5")


def test_currency_exponents_come_from_iso_4217():
    assert (currency_exponent("EUR"), currency_exponent("JPY"), currency_exponent("KWD")) == (2, 0, 3)


@pytest.mark.parametrize("currency", ["XAU", "XXX", "EURO", "eur"])
def test_a_currency_without_a_minor_unit_is_refused(currency):
    with pytest.raises(ValidationFailed) as refused:
        amount_cents(Decimal("1"), currency)
    assert refused.value.details == {"currency": ["value_is_invalid"]}


amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, allow_infinity=False,
                      places=6)


@given(amount=amounts, currency=st.sampled_from(["EUR", "JPY", "KWD", "CLF"]))
def test_amount_cents_is_within_half_a_minor_unit_of_the_exact_amount(amount, currency):
    exact = precise_amount_cents(amount, currency)
    rounded = amount_cents(amount, currency)
    assert abs(rounded - exact) <= Decimal("0.5")
    if abs(rounded - exact) == Decimal("0.5"):
        assert abs(rounded) > abs(exact)  # a tie goes away from zero


def test_rounding_and_taxes_stay_exact_whatever_the_size():
    # 2 x 10^32 - 400 + 0.5 cents: half-up gives 2 x 10^32 - 399 (Python's default 28 digits could not quantize it).
    assert round_half_up(Decimal(f"{2 * 10 ** 32 - 400}.5")) == 2 * 10 ** 32 - 399
    # 20 % of 2 x 10^32 - 400 cents: 4 x 10^31 - 80, every digit (28 digits would have given 4 x 10^31).
    assert tax_on(2 * 10 ** 32 - 400, Decimal(20)) == 4 * 10 ** 31 - 80
    assert precise_amount_cents(Decimal("999999999999999.999999999999999"), "EUR") == Decimal(
        "99999999999999999.9999999999999")


@pytest.mark.parametrize(("number", "within"), [
    ("999999999999999.999999999999999", True),  # 15 digits each side: the largest
    ("-999999999999999.999999999999999", True),
    ("1000000000000000", False),  # 16 digits before the point
    ("1E+15", False),
    ("0.0000000000000001", False),  # 16 after
    ("0.100000000000000000000", True),  # trailing zeros do not count
    ("0", True),
    ("0E-40", True),
])
def test_the_billing_range_is_15_digits_before_and_after_the_point(number, within):
    assert within_billing_range(Decimal(number)) is within


@pytest.mark.parametrize("minor_units, currency, written", [
    (1234, "EUR", "€12.34"),            # 1234 cents: 12 euros 34
    (123450, "EUR", "€1,234.50"),       # 1234.50: the trailing zero kept, a comma every three digits
    (0, "EUR", "€0.00"),
    (5, "USD", "$0.05"),
    (-5, "USD", "-$0.05"),              # the sign before the symbol
    (123456789, "GBP", "£1,234,567.89"),
    (1200, "JPY", "¥1,200"),            # JPY has no minor unit: 1200 yen, no decimals
    (1234, "KWD", "KWD 1.234"),         # KWD has 3 decimals and no symbol in the table: its code
    (100000, "CHF", "CHF 1,000.00"),
])
def test_an_amount_is_written_in_major_units_with_its_currencys_decimals(minor_units, currency, written):
    assert format_money(minor_units, currency) == written
