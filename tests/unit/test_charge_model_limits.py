"""Issue 15: every charge model prices the largest values its properties and an aggregation accept (15 digits
before the point and 15 after: docs/pricing.md, "Limits") without an error, exact to the cent; one digit more is
refused by each numeric field. Expected cents come from integer arithmetic on L = (10^30 - 1) / 10^15."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.money import amount_cents
from chalicelib.domain.pricing.charge_models import charge_amount, parse_properties
from chalicelib.domain.pricing.usage import Usage

LARGEST = "999999999999999.999999999999999"
L_NUMERATOR, L_DENOMINATOR = 10 ** 30 - 1, 10 ** 15  # L as a fraction
TOO_LARGE = "1000000000000000"
TOO_PRECISE = "0.0000000000000001"


def cents(numerator: int, denominator: int) -> int:
    """numerator / denominator EUR in cents, rounded half-up, in integers."""
    whole, rest = divmod(numerator * 100, denominator)
    return whole + (2 * rest >= denominator)


L_SQUARED = (L_NUMERATOR ** 2, L_DENOMINATOR ** 2)
ONE_RANGE = {"from_value": 0, "to_value": None}
# Each model at the largest values, and its amount for one event of L units worked out as a fraction of EUR.
MODELS = {
    "standard": ({"amount": LARGEST}, L_SQUARED),  # L x L
    # ceil(L / 1) packages of L: 10^15 x L
    "package": ({"amount": LARGEST, "package_size": 1, "free_units": 0}, (10 ** 15 * L_NUMERATOR, L_DENOMINATOR)),
    # L x L + a flat L
    "graduated": ({"graduated_ranges": [{**ONE_RANGE, "per_unit_amount": LARGEST, "flat_amount": LARGEST}]},
                  (L_NUMERATOR ** 2 + L_NUMERATOR * L_DENOMINATOR, L_DENOMINATOR ** 2)),
    "volume": ({"volume_ranges": [{**ONE_RANGE, "per_unit_amount": LARGEST, "flat_amount": LARGEST}]},
               (L_NUMERATOR ** 2 + L_NUMERATOR * L_DENOMINATOR, L_DENOMINATOR ** 2)),
    # L% of L, plus a fixed L for the one event
    "percentage": ({"rate": LARGEST, "fixed_amount": LARGEST},
                   (L_NUMERATOR ** 2 + 100 * L_NUMERATOR * L_DENOMINATOR, 100 * L_DENOMINATOR ** 2)),
    "graduated_percentage": ({"graduated_percentage_ranges": [{**ONE_RANGE, "rate": LARGEST,
                                                               "flat_amount": LARGEST}]},
                             (L_NUMERATOR ** 2 + 100 * L_NUMERATOR * L_DENOMINATOR, 100 * L_DENOMINATOR ** 2)),
}


@pytest.mark.parametrize("model", list(MODELS))
def test_the_largest_values_are_priced_exactly_to_the_cent(model):
    properties, (numerator, denominator) = MODELS[model]
    usage = Usage(Decimal(LARGEST), 1, (Decimal(LARGEST),))
    priced = charge_amount(model, parse_properties(model, properties), usage)
    assert amount_cents(priced, "EUR") == cents(numerator, denominator)


def test_the_expected_amounts_are_the_arithmetic_they_say():
    assert cents(*L_SQUARED) == 10 ** 32 - 200  # (10^15 - 10^-15)^2 EUR = 10^30 - 2 + 10^-30 EUR
    assert cents(10 ** 15 * L_NUMERATOR, L_DENOMINATOR) == 10 ** 32 - 10 ** 2  # 10^15 x L EUR


def _amount_fields(properties: dict, path: tuple = ()):
    """The path of each decimal field set to LARGEST in `properties` (inside ranges too)."""
    for name, value in properties.items():
        if value == LARGEST:
            yield (*path, name)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from _amount_fields(item, (*path, name, index))


def _with(properties: dict, path: tuple, value) -> dict:
    copy = {name: [dict(item) for item in value] if isinstance(value, list) else value
            for name, value in properties.items()}
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


FIELDS = [(model, path) for model, (properties, _) in MODELS.items() for path in _amount_fields(properties)]


@pytest.mark.parametrize(("model", "path"), FIELDS, ids=[f"{model}-{'.'.join(map(str, path))}"
                                                          for model, path in FIELDS])
@pytest.mark.parametrize("refused", [TOO_LARGE, TOO_PRECISE])
def test_one_digit_more_in_any_amount_field_is_refused_naming_it(model, path, refused):
    properties, _ = MODELS[model]
    with pytest.raises(ValidationFailed) as failure:
        parse_properties(model, _with(properties, path, refused))
    assert path[-1] in failure.value.details
