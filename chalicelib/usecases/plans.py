"""The verbs on plans: create, find, update (by code, charges kept by id), delete."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.errors import CodeTaken, ValidationFailed
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plan_requests import (
    PlanInput,
    checked_plan,
    new_plan_fields,
    plan_charges,
    resolve_metric,
    updated_plan_fields,
)
from chalicelib.domain.plans import Charge, Plan
from chalicelib.domain.retries import retrying
from chalicelib.usecases.ports import BillableMetricStore, Clock, IdSource, PlanStore
from chalicelib.usecases.records import delete_unless_in_use, found


def _stored(write: Callable[[], None]) -> None:
    try:
        write()
    except CodeTaken:
        raise ValidationFailed.single("code", "value_already_exist") from None


@dataclass(frozen=True)
class PlanUseCases:
    plans: PlanStore
    metrics: BillableMetricStore
    clock: Clock
    ids: IdSource

    def _charges(self, request: PlanInput, organization: Organization, previous: Plan | None,
                 now: datetime) -> tuple[list[Charge], list[BillableMetric]]:
        """The request's charges and the metrics they use, as read (the plan write is conditioned on them)."""
        ids, codes = request.metric_references()
        by_id = self.metrics.get_many(organization.id, ids)
        by_code = {code: metric for code in codes if (metric := self.metrics.find_by_code(organization.id, code))}
        charges = plan_charges(request, lambda charge: resolve_metric(charge, by_id, by_code), previous,
                               self.ids.new_id, now)
        resolved = {metric.id: metric for metric in [*by_id.values(), *by_code.values()]}
        return charges, [resolved[metric_id] for metric_id in sorted({charge.billable_metric_id for charge in charges})]

    def create(self, organization: Organization, payload: dict[str, Any]) -> Plan:
        """`POST /plans`; a code the organization already has is `{"code": ["value_already_exist"]}`."""
        request = PlanInput.parse(payload)
        fields = new_plan_fields(request.changes())

        def attempt() -> Plan:
            now = self.clock.now()
            charges, used = self._charges(request, organization, None, now)
            plan = checked_plan(Plan(id=self.ids.new_id(), organization_id=organization.id, charges=charges,
                                     created_at=now, updated_at=now, **fields))
            # StaleWrite if a metric changed or was deleted meanwhile: resolve and validate again.
            _stored(lambda: self.plans.create(plan, used))
            return plan

        return retrying("plan", attempt)

    def find(self, organization: Organization, code: str) -> Plan:
        return found(self.plans.find_by_code(organization.id, code), "plan")

    def update(self, organization: Organization, code: str, payload: dict[str, Any]) -> Plan:
        """`PUT /plans/{code}`: the fields sent; `charges`, when sent, replace the plan's charges (a listed `id`
        keeps that charge's lago_id, unlisted charges are removed, as in Lago)."""
        request = PlanInput.parse(payload)
        replaces_charges = "charges" in request.model_fields_set and request.charges is not None

        def attempt() -> Plan:
            existing = self.find(organization, code)
            changes = updated_plan_fields(existing, request.changes())
            now = self.clock.now()
            charges, used = (self._charges(request, organization, existing, now) if replaces_charges
                             else (existing.charges, []))
            plan = checked_plan(Plan.model_validate({**existing.model_dump(), **changes, "charges": charges,
                                                     "updated_at": now, "version": existing.version + 1}))
            _stored(lambda: self.plans.update(existing, plan, used))
            return plan

        return retrying("plan", attempt)

    def delete(self, organization: Organization, code: str) -> Plan:
        """`DELETE /plans/{code}`: refused (405 `plan_has_active_subscriptions`) while subscribed (Lago would
        terminate the subscriptions)."""
        return delete_unless_in_use("plan", lambda: self.find(organization, code),
                                    lambda plan: plan.active_subscriptions_count, "plan_has_active_subscriptions",
                                    self.plans.delete)
