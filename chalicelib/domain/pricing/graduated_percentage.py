"""Graduated percentage: graduated ranges whose units are charged a percentage `rate` instead of a unit price."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from chalicelib.domain.pricing.properties import ChargeProperties, DecimalAmount
from chalicelib.domain.pricing.ranges import Range, Ranges, ranges_rule, tiers_reached
from chalicelib.domain.pricing.usage import Usage


class GraduatedPercentageRange(Range):
    rate: DecimalAmount
    flat_amount: DecimalAmount


class GraduatedPercentageProperties(ChargeProperties):
    graduated_percentage_ranges: Annotated[Ranges[GraduatedPercentageRange], ranges_rule("graduated_percentage_ranges")]


def graduated_percentage_amount(properties: GraduatedPercentageProperties, usage: Usage) -> Decimal:
    """Σ over reached ranges of units × rate / 100 + flat_amount; U = 0 still pays the first flat amount."""
    return sum((units * tier.rate / 100 + tier.flat_amount
                for tier, units in tiers_reached(properties.graduated_percentage_ranges, usage.units)), Decimal(0))
