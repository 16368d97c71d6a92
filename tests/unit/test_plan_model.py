"""The plan model's pure rules: yearly price, bill_charges_monthly, and the stored form of charge properties."""
from __future__ import annotations

from decimal import Decimal

import model_builders as models
import pytest

from chalicelib.domain.charges import stored_properties
from chalicelib.domain.plans import bill_charges_monthly_for
from chalicelib.domain.pricing.charge_models import parse_properties


@pytest.mark.parametrize("interval, yearly", [("weekly", 52_000), ("monthly", 12_000), ("quarterly", 4_000),
                                              ("semiannual", 2_000), ("yearly", 1_000)])
def test_yearly_amount_cents(interval, yearly):
    plan = models.plan(interval=interval)
    assert plan.yearly_amount_cents() == yearly
    assert plan.trial_period == Decimal(0)


@pytest.mark.parametrize("interval, requested, stored", [("yearly", None, False), ("yearly", True, True),
                                                         ("semiannual", True, True), ("monthly", True, None),
                                                         ("weekly", False, None)])
def test_bill_charges_monthly_for(interval, requested, stored):
    assert bill_charges_monthly_for(interval, requested) is stored


def test_stored_properties_keep_the_digits_sent_and_bounds_as_numbers():
    parsed = parse_properties("graduated", {"graduated_ranges": [
        {"from_value": 0, "to_value": Decimal("10"), "per_unit_amount": "0.50", "flat_amount": Decimal("1.0")},
        {"from_value": 11, "to_value": None, "per_unit_amount": "1E+2", "flat_amount": "0"}]})
    assert stored_properties(parsed) == {"graduated_ranges": [
        {"from_value": 0, "to_value": 10, "per_unit_amount": "0.50", "flat_amount": "1.0"},
        {"from_value": 11, "to_value": None, "per_unit_amount": "100", "flat_amount": "0"}]}
    # What is stored parses back to the same properties (one pricing path).
    assert parse_properties("graduated", stored_properties(parsed)) == parsed
