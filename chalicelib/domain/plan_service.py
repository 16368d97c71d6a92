"""The verbs on plans: create, find, update (by code, charges kept by id), delete."""
from __future__ import annotations

from typing import Iterable, Protocol

import uuid6

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.clock import utc_now
from chalicelib.domain.errors import CodeTaken, NotAllowed, NotFound, ValidationFailed
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plan_requests import (
    PlanInput,
    checked_plan,
    new_plan_fields,
    plan_charges,
    resolve_metric,
    updated_plan_fields,
)
from chalicelib.domain.plans import Plan
from chalicelib.domain.retries import retrying


class PlanStore(Protocol):
    def find_by_code(self, organization_id: str, code: str) -> Plan | None: ...
    def create(self, plan: Plan, metrics: Iterable[BillableMetric]) -> None: ...
    def update(self, previous: Plan, plan: Plan, metrics: Iterable[BillableMetric]) -> None: ...
    def delete(self, plan: Plan) -> None: ...


class MetricReader(Protocol):
    def get_many(self, organization_id: str, metric_ids: set[str]) -> dict[str, BillableMetric]: ...
    def find_by_code(self, organization_id: str, code: str) -> BillableMetric | None: ...


def _new_id() -> str:
    return str(uuid6.uuid7())


def _charges(request: PlanInput, metrics: MetricReader, organization: Organization, previous: Plan | None, now):
    """The request's charges and the metrics they use, as read (the plan write is conditioned on them)."""
    ids, codes = request.metric_references()
    by_id = metrics.get_many(organization.id, ids)
    by_code = {code: metric for code in codes if (metric := metrics.find_by_code(organization.id, code))}
    charges = plan_charges(request, lambda charge: resolve_metric(charge, by_id, by_code), previous, _new_id, now)
    resolved = {metric.id: metric for metric in [*by_id.values(), *by_code.values()]}
    return charges, [resolved[metric_id] for metric_id in sorted({charge.billable_metric_id for charge in charges})]


def create_plan(plans: PlanStore, metrics: MetricReader, organization: Organization, payload: dict) -> Plan:
    """`POST /plans`; a code the organization already has is `{"code": ["value_already_exist"]}`."""
    request = PlanInput.parse(payload)
    fields = new_plan_fields(request.changes())

    def attempt() -> Plan:
        now = utc_now()
        charges, used = _charges(request, metrics, organization, None, now)
        plan = checked_plan(Plan(id=_new_id(), organization_id=organization.id, charges=charges, created_at=now,
                                 updated_at=now, **fields))
        # StaleWrite if a metric changed or was deleted meanwhile: resolve and validate again.
        _stored(lambda: plans.create(plan, used))
        return plan

    return retrying("plan", attempt)


def _stored(write) -> None:
    try:
        write()
    except CodeTaken:
        raise ValidationFailed.single("code", "value_already_exist") from None


def find_plan(plans: PlanStore, organization: Organization, code: str) -> Plan:
    plan = plans.find_by_code(organization.id, code)
    if plan is None:
        raise NotFound("plan")
    return plan


def update_plan(plans: PlanStore, metrics: MetricReader, organization: Organization, code: str,
                payload: dict) -> Plan:
    """`PUT /plans/{code}`: the fields sent; `charges`, when sent, replace the plan's charges (a listed `id`
    keeps that charge's lago_id, unlisted charges are removed, as in Lago)."""
    request = PlanInput.parse(payload)
    replaces_charges = "charges" in request.model_fields_set and request.charges is not None

    def attempt() -> Plan:
        existing = find_plan(plans, organization, code)
        changes = updated_plan_fields(existing, request.changes())
        now = utc_now()
        charges, used = (_charges(request, metrics, organization, existing, now) if replaces_charges
                         else (existing.charges, []))
        plan = checked_plan(Plan.model_validate({**existing.model_dump(), **changes, "charges": charges,
                                                 "updated_at": now, "version": existing.version + 1}))
        _stored(lambda: plans.update(existing, plan, used))
        return plan

    return retrying("plan", attempt)


def delete_plan(plans: PlanStore, organization: Organization, code: str) -> Plan:
    """`DELETE /plans/{code}`: refused (405 `plan_has_active_subscriptions`) while subscribed (Lago would
    terminate the subscriptions)."""

    def attempt() -> Plan:
        plan = find_plan(plans, organization, code)
        if plan.active_subscriptions_count > 0:
            raise NotAllowed("plan_has_active_subscriptions")
        plans.delete(plan)
        return plan

    return retrying("plan", attempt)
