"""Graduated: each range prices the units that fall in it, plus its flat amount once reached."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from chalicelib.domain.pricing.properties import ChargeProperties
from chalicelib.domain.pricing.ranges import Ranges, UnitPriceRange, ranges_rule, tiers_reached
from chalicelib.domain.pricing.usage import Usage


class GraduatedProperties(ChargeProperties):
    graduated_ranges: Annotated[Ranges[UnitPriceRange], ranges_rule("graduated_ranges")]


def graduated_amount(properties: GraduatedProperties, usage: Usage) -> Decimal:
    """Σ over reached ranges of units × per_unit_amount + flat_amount; U = 0 still pays the first flat amount."""
    return sum((units * tier.per_unit_amount + tier.flat_amount
                for tier, units in tiers_reached(properties.graduated_ranges, usage.units)), Decimal(0))
