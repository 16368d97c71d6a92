"""Shared by the biller's crash and schedule tests: a catalog of one usage plan and two customers."""
from __future__ import annotations

from builders import create_customer, create_metric, create_plan


def storage_catalog(api) -> None:
    """Metric `storage` (sum of gb), plan `startup` (1000 cents a month in arrears, storage at 0.01 EUR a gb),
    customers `cust` and `other` with a 20 % VAT rate."""
    metric = create_metric(api, "storage", "sum_agg", "gb")
    create_plan(api, charges=[{"billable_metric_id": metric["lago_id"], "charge_model": "standard",
                               "properties": {"amount": "0.01"}}])
    for customer in ("cust", "other"):
        create_customer(api, external_id=customer, billing_configuration={"vat_rate": 20})
