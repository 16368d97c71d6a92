"""The plan model's pure rules: yearly price, bill_charges_monthly, and the stored form of charge properties."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from chalicelib.domain.charges import stored_properties
from chalicelib.domain.plans import Plan, bill_charges_monthly_for
from chalicelib.domain.pricing.charge_models import parse_properties

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("interval, yearly", [("weekly", 52_000), ("monthly", 12_000), ("quarterly", 4_000),
                                              ("semiannual", 2_000), ("yearly", 1_000)])
def test_yearly_amount_cents(interval, yearly):
    plan = Plan(id="p", organization_id="o", name="P", code="p", interval=interval, amount_cents=1_000,
                amount_currency="EUR", pay_in_advance=False, created_at=NOW, updated_at=NOW)
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
