"""What the end-to-end tests create through Lago's official Python client: unique codes (the stack is shared by a
module's tests), a monthly usage plan with a graduated charge, and a customer with a VAT rate."""
from __future__ import annotations

import uuid

from lago_python_client.models import BillableMetric, Charge, Charges, Customer, Plan

# 0..100 units at 0.01 EUR, then 0.005 EUR a unit plus 1 EUR flat.
GRADUATED_RANGES = [
    {"from_value": 0, "to_value": 100, "per_unit_amount": "0.01", "flat_amount": "0"},
    {"from_value": 101, "to_value": None, "per_unit_amount": "0.005", "flat_amount": "1"},
]


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def graduated_plan(client, metric: BillableMetric, name: str, code: str) -> Plan:
    """1000 EUR cents a month in arrears, the metric charged by GRADUATED_RANGES."""
    return client.plans.create(Plan(
        name=name, code=code, interval="monthly", amount_cents=1000, amount_currency="EUR", pay_in_advance=False,
        charges=Charges(__root__=[Charge(billable_metric_id=metric.lago_id, charge_model="graduated",
                                         pay_in_advance=False, invoiceable=True,
                                         properties={"graduated_ranges": GRADUATED_RANGES})])))


def customer_with_vat(client, http, external_id: str, vat_rate: int) -> None:
    """Customer Acme (EUR) through the client, then its VAT rate over plain HTTP: vat_rate is not in the client's
    models (lago-api.md §9), and a customer POST upserts."""
    client.customers.create(Customer(external_id=external_id, name="Acme", currency="EUR", email="billing@acme.test"))
    response = http.post("/api/v1/customers", json={"customer": {"external_id": external_id, "name": "Acme",
                                                                  "vat_rate": vat_rate}})
    assert response.status_code == 200, response.text
    assert response.json()["customer"]["billing_configuration"]["vat_rate"] == vat_rate
