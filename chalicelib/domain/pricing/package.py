"""Package: units beyond the free ones are sold in packages of `package_size`; a started package is paid in full."""
from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from chalicelib.domain.pricing.properties import ChargeProperties, DecimalAmount, NonNegativeCount, PositiveCount
from chalicelib.domain.pricing.usage import Usage


class PackageProperties(ChargeProperties):
    amount: DecimalAmount
    package_size: PositiveCount
    free_units: NonNegativeCount = 0


def package_amount(properties: PackageProperties, usage: Usage) -> Decimal:
    paid_units = usage.units - properties.free_units
    if paid_units <= 0:
        return Decimal(0)
    packages = (paid_units / properties.package_size).to_integral_value(rounding=ROUND_CEILING)
    return packages * properties.amount
