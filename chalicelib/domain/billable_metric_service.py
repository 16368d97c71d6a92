"""The verbs on billable metrics: create, find, update (by code), delete."""
from __future__ import annotations

from typing import Iterable, Protocol

import uuid6

from chalicelib.domain.billable_metrics import (
    BillableMetric,
    BillableMetricInput,
    lost_filter_values,
    new_metric,
    updated_metric,
)
from chalicelib.domain.clock import utc_now
from chalicelib.domain.errors import CodeTaken, NotAllowed, NotFound, ValidationFailed
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plans import Plan
from chalicelib.domain.pricing.filters import FilterBuckets
from chalicelib.domain.retries import retrying


class BillableMetricStore(Protocol):
    def find_by_code(self, organization_id: str, code: str) -> BillableMetric | None: ...
    def create(self, metric: BillableMetric) -> None: ...
    def update(self, previous: BillableMetric, metric: BillableMetric) -> None: ...
    def delete(self, metric: BillableMetric) -> None: ...


class PlanReader(Protocol):
    def all_plans(self, organization_id: str) -> Iterable[Plan]: ...


def create_metric(store: BillableMetricStore, organization: Organization, payload: dict) -> BillableMetric:
    """`POST /billable_metrics`; a code the organization already has is `{"code": ["value_already_exist"]}`."""
    changes = BillableMetricInput.parse(payload).changes()
    metric = new_metric(changes, metric_id=str(uuid6.uuid7()), organization_id=organization.id, now=utc_now())
    try:
        store.create(metric)
    except CodeTaken:
        raise ValidationFailed.single("code", "value_already_exist") from None
    return metric


def find_metric(store: BillableMetricStore, organization: Organization, code: str) -> BillableMetric:
    metric = store.find_by_code(organization.id, code)
    if metric is None:
        raise NotFound("billable_metric")
    return metric


def _check_charge_filters_still_fit(plans: PlanReader, metric: BillableMetric) -> None:
    """Refuse filters that no longer declare a key or value a plan's charge filter selects."""
    declared = metric.filter_values()
    for plan in plans.all_plans(metric.organization_id):
        for charge in plan.charges:
            if charge.billable_metric_id != metric.id:
                continue
            try:
                FilterBuckets([charge_filter.values for charge_filter in charge.filters], declared)
            except ValidationFailed:
                raise ValidationFailed.single("filters", "value_is_in_use") from None


def update_metric(store: BillableMetricStore, plans: PlanReader, organization: Organization, code: str,
                  payload: dict) -> BillableMetric:
    """`PUT /billable_metrics/{code}`: the fields sent. While a plan uses the metric its aggregation cannot
    change, and its filters cannot drop a key or value that a charge filter selects."""
    changes = BillableMetricInput.parse(payload).changes()

    def attempt() -> BillableMetric:
        existing = find_metric(store, organization, code)
        metric = updated_metric(existing, changes, utc_now())
        if existing.plans_count > 0 and lost_filter_values(existing, metric):
            _check_charge_filters_still_fit(plans, metric)
        try:
            store.update(existing, metric)  # StaleWrite if a plan started using it meanwhile: check again
        except CodeTaken:
            raise ValidationFailed.single("code", "value_already_exist") from None
        return metric

    return retrying("billable_metric", attempt)


def delete_metric(store: BillableMetricStore, organization: Organization, code: str) -> BillableMetric:
    """`DELETE /billable_metrics/{code}`: refused (405 `billable_metric_in_use`) while a plan has a charge on
    it (Lago would remove those charges from the plans)."""

    def attempt() -> BillableMetric:
        metric = find_metric(store, organization, code)
        if metric.plans_count > 0:
            raise NotAllowed("billable_metric_in_use")
        store.delete(metric)
        return metric

    return retrying("billable_metric", attempt)
