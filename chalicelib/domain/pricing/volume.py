"""Volume: all units at the price of the one range the total falls in, plus that range's flat amount."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from chalicelib.domain.pricing.properties import ChargeProperties
from chalicelib.domain.pricing.ranges import Ranges, UnitPriceRange, range_containing, ranges_rule
from chalicelib.domain.pricing.usage import Usage


class VolumeProperties(ChargeProperties):
    volume_ranges: Annotated[Ranges[UnitPriceRange], ranges_rule("volume_ranges")]


def volume_amount(properties: VolumeProperties, usage: Usage) -> Decimal:
    """U × per_unit_amount + flat_amount of the range the full units fall in. On a prorated charge the range is
    chosen from the full (un-prorated) units and prices the prorated U (Lago's VolumeService#number_of_units):
    300 full units pick 201-∞ at 0.5 + 50, so 198.6 prorated units cost 149.30, not 198.60 at 101-200's price."""
    tier = range_containing(properties.volume_ranges, usage.units if usage.full_units is None else usage.full_units)
    return usage.units * tier.per_unit_amount + tier.flat_amount
