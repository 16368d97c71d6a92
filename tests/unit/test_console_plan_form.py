"""The plan form's reading of what a browser posts: the base fee in minor units at the currency's precision (worked
out by hand), the payload of the chosen model only, and the most charges a form holds."""
from __future__ import annotations

import pytest

from chalicelib.console.plan_form import amount_cents, blank, charge_payload, posted, with_charge_added
from chalicelib.domain.charges import MAX_CHARGES


@pytest.mark.parametrize(("base_fee", "currency", "expected"), [
    ("10.00", "EUR", 1000),  # 10.00 x 10^2
    ("10", "eur", 1000),
    ("0.01", "EUR", 1),
    ("1200", "JPY", 1200),  # JPY has no minor unit
    ("1.234", "KWD", 1234),  # 1.234 x 10^3
    ("1e3", "USD", 100000),  # 1000 x 10^2
    ("10.005", "EUR", "10.005"),  # half a cent: not an amount of EUR, left for the domain to refuse
    ("1.5", "JPY", "1.5"),
    ("ten", "EUR", "ten"),
    ("NaN", "EUR", "NaN"),
    ("10", "XXX", "10"),  # no minor unit: the domain refuses the currency
])
def test_the_base_fee_in_minor_units(base_fee, currency, expected):
    assert amount_cents(base_fee, currency) == expected


def test_only_the_chosen_models_properties_are_sent():
    form = posted({"charges-0-charge_model": "package", "charges-0-billable_metric_id": "m1",
                   "charges-0-standard-amount": "7", "charges-0-package-amount": "5",
                   "charges-0-package-package_size": "100", "charges-0-graduated-0-from_value": "0"})
    assert charge_payload(form.charges[0]) == {"charge_model": "package", "billable_metric_id": "m1",
                                               "properties": {"amount": "5", "package_size": 100}}


def test_a_form_holds_at_most_the_charges_a_plan_can_have():
    form = blank()
    for _ in range(MAX_CHARGES + 1):
        with_charge_added(form)
    assert len(form.charges) == MAX_CHARGES
