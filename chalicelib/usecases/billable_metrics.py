"""The verbs on billable metrics: create, find, update (by code), delete."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.billable_metrics import (
    BillableMetric,
    BillableMetricInput,
    lost_filter_values,
    new_metric,
    updated_metric,
)
from chalicelib.domain.errors import CodeTaken, ValidationFailed
from chalicelib.domain.organizations import Organization
from chalicelib.domain.pricing.filters import FilterBuckets
from chalicelib.domain.retries import retrying
from chalicelib.usecases.ports import BillableMetricStore, Clock, IdSource, PlanStore
from chalicelib.usecases.records import delete_unless_in_use, found


@dataclass(frozen=True)
class BillableMetricUseCases:
    metrics: BillableMetricStore
    plans: PlanStore
    clock: Clock
    ids: IdSource

    def create(self, organization: Organization, payload: dict[str, Any]) -> BillableMetric:
        """`POST /billable_metrics`; a code the organization already has is `{"code": ["value_already_exist"]}`."""
        changes = BillableMetricInput.parse(payload).changes()
        metric = new_metric(changes, metric_id=self.ids.new_id(), organization_id=organization.id,
                            now=self.clock.now())
        try:
            self.metrics.create(metric)
        except CodeTaken:
            raise ValidationFailed.single("code", "value_already_exist") from None
        return metric

    def find(self, organization: Organization, code: str) -> BillableMetric:
        return found(self.metrics.find_by_code(organization.id, code), "billable_metric")

    def update(self, organization: Organization, code: str, payload: dict[str, Any]) -> BillableMetric:
        """`PUT /billable_metrics/{code}`: the fields sent. While a plan uses the metric its aggregation cannot
        change, and its filters cannot drop a key or value that a charge filter selects."""
        changes = BillableMetricInput.parse(payload).changes()

        def attempt() -> BillableMetric:
            existing = self.find(organization, code)
            metric = updated_metric(existing, changes, self.clock.now())
            if existing.plans_count > 0 and lost_filter_values(existing, metric):
                self._check_charge_filters_still_fit(metric)
            try:
                self.metrics.update(existing, metric)  # StaleWrite if a plan started using it meanwhile: again
            except CodeTaken:
                raise ValidationFailed.single("code", "value_already_exist") from None
            return metric

        return retrying("billable_metric", attempt)

    def _check_charge_filters_still_fit(self, metric: BillableMetric) -> None:
        """Refuse filters that no longer declare a key or value a plan's charge filter selects."""
        declared = metric.filter_values()
        for plan in self.plans.all_plans(metric.organization_id):
            for charge in plan.charges:
                if charge.billable_metric_id != metric.id:
                    continue
                try:
                    FilterBuckets([charge_filter.values for charge_filter in charge.filters], declared)
                except ValidationFailed:
                    raise ValidationFailed.single("filters", "value_is_in_use") from None

    def delete(self, organization: Organization, code: str) -> BillableMetric:
        """`DELETE /billable_metrics/{code}`: refused (405 `billable_metric_in_use`) while a plan has a charge on
        it (Lago would remove those charges from the plans)."""
        return delete_unless_in_use("billable_metric", lambda: self.find(organization, code),
                                    lambda metric: metric.plans_count, "billable_metric_in_use", self.metrics.delete)
