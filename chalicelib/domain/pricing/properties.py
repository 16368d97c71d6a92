"""The base of every charge model's `properties`, its field types, and Lago's error code for each field."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.validation import WholeNumber, within_billing_range

# Lago's code for any fault in a field (missing, wrong type, negative); rules spanning several fields
# raise their own code (see `invalid`).
FIELD_CODES = {
    "amount": "invalid_amount",
    "per_unit_amount": "invalid_amount",
    "flat_amount": "invalid_amount",
    "per_transaction_min_amount": "invalid_amount",
    "per_transaction_max_amount": "invalid_amount",
    "rate": "invalid_rate",
    "fixed_amount": "invalid_fixed_amount",
    "package_size": "invalid_package_size",
    "free_units": "invalid_free_units",
    "free_units_per_events": "invalid_free_units_per_events",
    "free_units_per_total_aggregation": "invalid_free_units_per_total_aggregation",
    "graduated_ranges": "invalid_graduated_ranges",
    "volume_ranges": "invalid_volume_ranges",
    "graduated_percentage_ranges": "invalid_graduated_percentage_ranges",
    "pricing_group_keys": "invalid_type",
}


def invalid(code: str, field: str | None = None) -> PydanticCustomError:
    """An error whose type is the Lago code itself, reported under `field` (default: where it was raised)."""
    return PydanticCustomError(code, code.replace("_", " "), {"lago_field": field})


def _finite_decimal(value: object, *, text_allowed: bool) -> Decimal:
    # JSON numbers arrive as Decimal; a float is refused, never rounded into one.
    types = (str, int, Decimal) if text_allowed else (int, Decimal)
    if isinstance(value, bool) or not isinstance(value, types):
        raise ValueError("not a decimal number")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError("not a decimal number") from None
    if not number.is_finite():
        raise ValueError("not a finite number")
    if not within_billing_range(number):
        raise ValueError("more than 15 digits before or after the decimal point")
    return number


# Lago takes amounts and rates as decimal strings ("0.01"); numbers are accepted too.
DecimalAmount = Annotated[Decimal, BeforeValidator(partial(_finite_decimal, text_allowed=True)), Field(ge=0)]
# Range bounds are JSON numbers, as in Lago.
Number = Annotated[Decimal, BeforeValidator(partial(_finite_decimal, text_allowed=False))]
PositiveCount = Annotated[WholeNumber, Field(gt=0)]
NonNegativeCount = Annotated[WholeNumber, Field(ge=0)]


def _lago_details(error: ValidationError) -> dict[str, list[str]]:
    # Keyed by field name, as Lago does (`per_unit_amount`, not its path inside `graduated_ranges`).
    details: dict[str, list[str]] = {}
    for item in error.errors():
        context = item.get("ctx") or {}
        names = [part for part in item["loc"] if isinstance(part, str)]
        coded = [name for name in names if name in FIELD_CODES]
        field = context.get("lago_field") or (coded or names or ["base"])[-1]
        code = item["type"] if "lago_field" in context else FIELD_CODES.get(field, "value_is_invalid")
        codes = details.setdefault(field, [])
        if code not in codes:
            codes.append(code)
    return details


def _group_keys(value: object) -> tuple[str, ...] | None:
    """Lago's rule (Charges::Validators::BaseService): null or a list of non-blank strings; an empty list is none."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(key, str) and key.strip() for key in value):
        raise ValueError("not a list of keys")
    return tuple(value) or None


class ChargeProperties(BaseModel):
    """A charge model's validated `properties`; unknown keys are dropped, as Lago's params filter does.
    `pricing_group_keys` (any model) prices each combination of the events' values of those keys on its own
    (chalicelib/domain/pricing/groups.py)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    pricing_group_keys: Annotated[tuple[str, ...] | None, BeforeValidator(_group_keys)] = None

    @model_validator(mode="before")
    @classmethod
    def _older_group_keys(cls, data: object) -> object:
        """Lago still takes `grouped_by`, the older name, when `pricing_group_keys` is absent (null); the error of
        a bad list names the field that was sent."""
        if isinstance(data, dict) and data.get("pricing_group_keys") is None and "grouped_by" in data:
            try:
                return {**data, "pricing_group_keys": _group_keys(data["grouped_by"])}
            except ValueError:
                raise invalid("invalid_type", "grouped_by") from None
        return data

    @classmethod
    def parse(cls, payload: object) -> Self:
        """Validated properties, or ValidationFailed keyed by Lago's field names (`{"amount": ["invalid_amount"]}`)."""
        try:
            return cls.model_validate(payload)
        except ValidationError as error:
            raise ValidationFailed(_lago_details(error)) from error
