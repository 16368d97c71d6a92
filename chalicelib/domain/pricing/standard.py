"""Standard: every unit at one price."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.domain.pricing.properties import ChargeProperties, DecimalAmount
from chalicelib.domain.pricing.usage import Usage


class StandardProperties(ChargeProperties):
    amount: DecimalAmount


def standard_amount(properties: StandardProperties, usage: Usage) -> Decimal:
    return usage.units * properties.amount
