"""Money: a currency's precision from ISO 4217, and fee amounts turned into integer minor units."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from iso4217 import Currency

from chalicelib.domain.errors import ValidationFailed


@lru_cache(maxsize=None)
def currency_exponent(currency: str) -> int:
    """Digits of the minor unit (EUR 2, JPY 0, KWD 3). Codes without one (XAU, XXX) cannot price a fee."""
    try:
        exponent = Currency(currency).exponent
    except ValueError:
        exponent = None
    if exponent is None:
        raise ValidationFailed.single("currency", "value_is_invalid")
    return exponent


def precise_amount_cents(amount: Decimal, currency: str) -> Decimal:
    """The amount in minor units, unrounded (Lago's `precise_amount_cents`)."""
    return amount.scaleb(currency_exponent(currency))


def major_units(minor_units: Decimal | int, currency: str) -> Decimal:
    """Minor units back in the currency's units (1035 EUR cents: 10.35), exactly."""
    return Decimal(minor_units).scaleb(-currency_exponent(currency))


def round_half_up(precise_minor_units: Decimal) -> int:
    """Whole minor units, half-up (away from zero): Lago's rounding, never Python's banker's round()."""
    return int(precise_minor_units.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def amount_cents(amount: Decimal, currency: str) -> int:
    """The amount in minor units, rounded half-up (away from zero) at the currency's precision."""
    return round_half_up(precise_amount_cents(amount, currency))
