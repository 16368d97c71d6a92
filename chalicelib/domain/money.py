"""Money: a currency's precision from ISO 4217, and fee amounts turned into integer minor units."""
from __future__ import annotations

from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

from iso4217 import Currency

from chalicelib.domain.errors import ValidationFailed

# Digits of the minor unit of each ISO 4217 code that has one; codes without one (XAU, XXX) cannot price a fee.
_MINOR_UNIT_DIGITS = {currency.value: currency.exponent for currency in Currency if currency.exponent is not None}
# The currencies a customer, a plan or an organization may be in (the API's description lists them).
BILLABLE_CURRENCIES = tuple(sorted(_MINOR_UNIT_DIGITS))


def currency_exponent(currency: str) -> int:
    """Digits of the minor unit (EUR 2, JPY 0, KWD 3)."""
    exponent = _MINOR_UNIT_DIGITS.get(currency)
    if exponent is None:
        raise ValidationFailed.single("currency", "value_is_invalid")
    return exponent


# Money arithmetic on what the API accepts (docs/pricing.md, "Limits"): a product of two numbers of 30 digits is exact
# in it, a quotient (a rate, a package, a proration) rounded at its 80th digit, far below a cent.
MONEY = Context(prec=80, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])
# What DynamoDB stores: an amount kept unrounded (a fee's precise amount) is brought to 38 significant digits, which
# moves nothing at the cent for any amount the limits allow.
STORED = Context(prec=38, rounding=ROUND_HALF_EVEN)


def precise_amount_cents(amount: Decimal, currency: str) -> Decimal:
    """The amount in minor units, unrounded (Lago's `precise_amount_cents`), every digit kept."""
    return amount.scaleb(currency_exponent(currency), context=_exact_for(amount))


def major_units(minor_units: Decimal | int, currency: str) -> Decimal:
    """Minor units back in the currency's units (1035 EUR cents: 10.35), exactly."""
    return Decimal(minor_units).scaleb(-currency_exponent(currency))


def _exact_for(number: Decimal) -> Context:
    """A context with room for every digit of `number` and a carry: rescaling or rounding it never runs out."""
    return Context(prec=max(len(number.as_tuple().digits), number.adjusted() + 1, 1) + 2)


def round_half_up(precise_minor_units: Decimal) -> int:
    """Whole minor units, half-up (away from zero): Lago's rounding, never Python's banker's round(); whatever the
    number's size."""
    return int(precise_minor_units.quantize(Decimal(1), rounding=ROUND_HALF_UP,
                                            context=_exact_for(precise_minor_units)))


def amount_cents(amount: Decimal, currency: str) -> int:
    """The amount in minor units, rounded half-up (away from zero) at the currency's precision."""
    return round_half_up(precise_amount_cents(amount, currency))


# The symbols people know a currency by; any other currency is written with its code.
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩"}


def format_money(minor_units: int, currency: str) -> str:
    """An amount for people: major units with the currency's decimals, a dot, thousands commas, and its symbol
    ("€1,234.50", "-$0.05", "¥1,200") or its code ("KWD 1.234")."""
    digits = f"{abs(major_units(minor_units, currency)):,.{currency_exponent(currency)}f}"
    sign = "-" if minor_units < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{currency} {digits}"
