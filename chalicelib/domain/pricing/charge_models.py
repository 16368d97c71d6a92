"""The registry of charge models: a charge's `charge_model` name to its properties model and its pricing function.
The biller and current usage both price through `charge_amount`, so a period's usage equals its invoice."""
from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any, Callable, Generic, NamedTuple, TypeVar

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.money import MONEY, STORED
from chalicelib.domain.pricing.graduated import GraduatedProperties, graduated_amount
from chalicelib.domain.pricing.graduated_percentage import GraduatedPercentageProperties, graduated_percentage_amount
from chalicelib.domain.pricing.package import PackageProperties, package_amount
from chalicelib.domain.pricing.percentage import PercentageProperties, percentage_amount
from chalicelib.domain.pricing.properties import ChargeProperties
from chalicelib.domain.pricing.standard import StandardProperties, standard_amount
from chalicelib.domain.pricing.usage import Usage
from chalicelib.domain.pricing.volume import VolumeProperties, volume_amount

Properties = TypeVar("Properties", bound=ChargeProperties)


class ChargeModel(NamedTuple, Generic[Properties]):
    properties: type[Properties]
    amount: Callable[[Properties, Usage], Decimal]


# Each model prices its own properties; which model a charge has is known only at run time.
CHARGE_MODELS: dict[str, ChargeModel[Any]] = {
    "standard": ChargeModel(StandardProperties, standard_amount),
    "graduated": ChargeModel(GraduatedProperties, graduated_amount),
    "package": ChargeModel(PackageProperties, package_amount),
    "percentage": ChargeModel(PercentageProperties, percentage_amount),
    "volume": ChargeModel(VolumeProperties, volume_amount),
    "graduated_percentage": ChargeModel(GraduatedPercentageProperties, graduated_percentage_amount),
}


def charge_model(name: str) -> ChargeModel[Any]:
    """The model called `name`; any other name (custom and dynamic included) is `value_is_invalid`."""
    try:
        return CHARGE_MODELS[name]
    except KeyError:
        raise ValidationFailed.single("charge_model", "value_is_invalid") from None


def parse_properties(name: str, payload: object) -> ChargeProperties:
    """A charge's `properties` (or a filter's) validated for its model."""
    properties: type[ChargeProperties] = charge_model(name).properties
    return properties.parse(payload)


def charge_amount(name: str, properties: ChargeProperties, usage: Usage) -> Decimal:
    """The fee amount in currency units, computed in MONEY's precision and kept to the 38 digits a stored amount has.
    Negative units or a negative amount give 0, as in Lago."""
    if usage.units < 0:
        return Decimal(0)
    with localcontext(MONEY):
        return STORED.plus(max(charge_model(name).amount(properties, usage), Decimal(0)))
