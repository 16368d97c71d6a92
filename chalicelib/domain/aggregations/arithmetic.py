"""Exact decimal arithmetic for stored aggregates, and the roundings Lago applies to aggregated units."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Underflow,
)
from functools import reduce

ZERO = Decimal(0)

# DynamoDB keeps 38 significant digits (exponents as boto3's serializer allows) and refuses a number that needs
# more; so does this context: a sum or product that would lose a digit raises decimal.Inexact, never rounds.
EXACT = Context(prec=38, Emin=-128, Emax=126, traps=[InvalidOperation, DivisionByZero, Overflow, Underflow, Inexact])

_METRIC_ROUNDINGS = {"round": ROUND_HALF_UP, "ceil": ROUND_CEILING, "floor": ROUND_FLOOR}


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    return reduce(EXACT.add, values, ZERO)


def _quantized(value: Decimal, decimals: int, rounding: str) -> Decimal:
    # Room for every integer digit, the decimals kept and a carry, so quantize never runs out of precision.
    context = Context(prec=max(value.adjusted() + 1, 1) + max(decimals, 0) + 1)
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=rounding, context=context)


def ceil_at(value: Decimal, decimals: int) -> Decimal:
    """Rounded toward +infinity at `decimals` places (Ruby's BigDecimal#ceil(decimals))."""
    return _quantized(value, decimals, ROUND_CEILING)


def ceil_quotient(numerator: Decimal, denominator: int, decimals: int) -> Decimal:
    """numerator / denominator rounded up at `decimals` places, exactly: the division keeps more digits than the
    result and rounds toward +infinity, so it can never fall below a grid point the exact quotient is above."""
    divisor = Decimal(denominator)
    digits = max(numerator.adjusted() - divisor.adjusted(), 0) + decimals + 3
    return ceil_at(Context(prec=digits, rounding=ROUND_CEILING).divide(numerator, divisor), decimals)


def round_units(units: Decimal, rounding_function: str | None, rounding_precision: int | None) -> Decimal:
    """A metric's optional `rounding_function` (round half-up, ceil, floor) at `rounding_precision` decimals
    (0 when unset; negative rounds to tens, hundreds...), applied to aggregated units."""
    if rounding_function is None:
        return units
    return _quantized(units, rounding_precision or 0, _METRIC_ROUNDINGS[rounding_function])
