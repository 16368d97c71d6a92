"""Volume: all units at the price of the one range the total falls in, plus that range's flat amount."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.domain.pricing.properties import ChargeProperties
from chalicelib.domain.pricing.ranges import UnitPriceRange, range_containing, ranges_field
from chalicelib.domain.pricing.usage import Usage


class VolumeProperties(ChargeProperties):
    volume_ranges: ranges_field(UnitPriceRange, "volume_ranges")


def volume_amount(properties: VolumeProperties, usage: Usage) -> Decimal:
    tier = range_containing(properties.volume_ranges, usage.units)
    return usage.units * tier.per_unit_amount + tier.flat_amount
