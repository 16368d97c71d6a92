"""The one home of the domain records a unit test builds in memory (no store, no API): metrics, charges, plans and
subscriptions of organization `org`, each with what its test names and the usual values otherwise."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.plans import Charge, ChargeFilter, Plan
from chalicelib.domain.subscriptions import Subscription

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def metric(metric_id: str, filters: dict | None = None, aggregation_type: str = "count_agg",
           field_name: str | None = None, **fields) -> BillableMetric:
    """A metric whose code and name are its id; `filters` maps each filter key to its values."""
    return BillableMetric(**{"id": metric_id, "organization_id": "org", "name": metric_id, "code": metric_id,
                             "aggregation_type": aggregation_type, "field_name": field_name,
                             "filters": [{"key": key, "values": values} for key, values in (filters or {}).items()],
                             "created_at": CREATED, "updated_at": CREATED, **fields})


def priced_charge(charge_id: str, metric_id: str, model: str, properties: dict, filters: Iterable[dict] = (),
                  **fields) -> Charge:
    """A charge on the metric of that id, priced by `model` with `properties`; `filters` as the API takes them."""
    return Charge(**{"id": charge_id, "billable_metric_id": metric_id, "billable_metric_code": metric_id,
                     "charge_model": model, "properties": properties,
                     "filters": [ChargeFilter(**item) for item in filters], "created_at": CREATED, **fields})


def charge(charge_id: str, metric_id: str, amount: str, filters: Iterable[dict] = (), **fields) -> Charge:
    """A standard charge of `amount` a unit."""
    return priced_charge(charge_id, metric_id, "standard", {"amount": amount}, filters, **fields)


def plan(*charges: Charge, **fields) -> Plan:
    """Plan `plan`: 1000 EUR cents a month in arrears, with `charges`, unless `fields` say otherwise."""
    return Plan(**{"id": "plan", "organization_id": "org", "name": "Plan", "code": "plan", "interval": "monthly",
                   "amount_cents": 1000, "amount_currency": "EUR", "pay_in_advance": False, "charges": list(charges),
                   "created_at": CREATED, "updated_at": CREATED, **fields})


def subscription(**fields) -> Subscription:
    """Subscription `sub` (external id `ext`) of customer `cus` to plan `plan`, calendar, active unless `fields` say
    otherwise."""
    return Subscription(**{"id": "sub", "organization_id": "org", "external_id": "ext", "customer_id": "cus",
                           "plan_id": "plan", "billing_time": "calendar", "status": "active", "created_at": CREATED,
                           "updated_at": CREATED, **fields})


def started_subscription(started_at: datetime, billing_time: str = "calendar", terminated_at: datetime | None = None,
                         subscription_at: datetime | None = None) -> Subscription:
    """Started at `started_at` (its subscription_at unless given), terminated at `terminated_at` if given."""
    return subscription(billing_time=billing_time, status="terminated" if terminated_at else "active",
                        subscription_at=subscription_at or started_at, started_at=started_at,
                        terminated_at=terminated_at)
