"""Plans in the control table: the plan item with its charges embedded (a plan is read and written whole;
its size is bounded by the domain), its code lookup, its deleted copy and the organization's plan counter
(see coded_records). Every plan write moves, in the same transaction, the `plans_count` of the metrics its
charges start or stop using, conditioned on each metric being as the plan was validated against."""
from __future__ import annotations

from typing import Iterable

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.plans import Plan
from chalicelib.store import keys
from chalicelib.store.billable_metrics import plans_count_change, plans_count_release
from chalicelib.store.coded_records import CodedRecordRepository
from chalicelib.store.dynamo import from_attributes, to_attributes
from chalicelib.store.tables import CONTROL
from chalicelib.store.unit_of_work import on_dynamodb
from chalicelib.usecases.ports import UnitOfWork


class PlanRepository(CodedRecordRepository[Plan]):
    model = Plan
    record_keys = keys.PLANS
    lookup_id_attribute = "plan_id"
    guarded_counts = ("active_subscriptions_count",)

    def create(self, plan: Plan, metrics: Iterable[BillableMetric]) -> None:
        """Store a new plan; `metrics` are the ones its charges use, as read. Raises CodeTaken for a code
        another plan has, StaleWrite if one of the metrics was deleted or changed meanwhile."""
        self._insert(plan, [plans_count_change(metric, 1) for metric in metrics])

    def update(self, previous: Plan, plan: Plan, metrics: Iterable[BillableMetric]) -> None:
        """Replace `previous` (as read) by `plan`; `metrics` are the ones the new charges use, as read.
        Raises CodeTaken, or StaleWrite if the plan, its subscription count or one of the metrics changed."""
        used_before = previous.billable_metric_ids()
        related = [plans_count_change(metric, 0 if metric.id in used_before else 1) for metric in metrics]
        related += [plans_count_release(plan.organization_id, metric_id)
                    for metric_id in sorted(used_before - plan.billable_metric_ids())]
        self._replace(previous, plan, related)

    def delete(self, plan: Plan) -> None:
        """Move the plan to its deleted key (subscriptions and invoices keep referring to it). Raises
        StaleWrite if it changed or gained a subscription since it was read."""
        self._remove(plan, [plans_count_release(plan.organization_id, metric_id)
                            for metric_id in sorted(plan.billable_metric_ids())])

    def get_any(self, organization_id: str, plan_id: str) -> Plan | None:
        """The plan, deleted or not (what a subscription or an invoice refers to)."""
        plan = self.get(organization_id, plan_id)
        if plan is None:
            item = self._get(organization_id, keys.PLANS.deleted_sk(plan_id))
            plan = Plan.model_validate(item) if item else None
        return plan

    def all_plans(self, organization_id: str) -> Iterable[Plan]:
        """Every live plan of the organization (only a metric losing filter values needs this)."""
        query = {"TableName": self._table, "ConsistentRead": True,
                 "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                 "ExpressionAttributeValues": to_attributes({":pk": keys.organization_pk(organization_id),
                                                             ":prefix": keys.PLANS.item_prefix})}
        for page in self._client.get_paginator("query").paginate(**query):
            for item in page["Items"]:
                yield Plan.model_validate(from_attributes(item))

    def stage_subscription_count(self, unit: UnitOfWork, plan: Plan, delta: int) -> None:
        """Move the plan's `active_subscriptions_count` by `delta` with the subscription write staged in `unit`, on
        condition that the plan still exists at the version read (`plan.version`) and never below 0. Plan updates
        and deletes are conditioned on that count, so they retry or refuse."""
        on_dynamodb(unit).add(subscription_count_update(plan, delta))


def subscription_count_update(plan: Plan, delta: int) -> dict:
    """The TransactWriteItems action of `stage_subscription_count` (a customer's purge releases counts too)."""
    condition = "version = :version"
    values = {":delta": delta, ":version": plan.version}
    if delta < 0:
        condition += " AND active_subscriptions_count >= :released"
        values[":released"] = -delta
    key = {"pk": keys.organization_pk(plan.organization_id), "sk": keys.PLANS.sk(plan.id)}
    return {"Update": {"TableName": CONTROL.name, "Key": to_attributes(key),
                       "UpdateExpression": "ADD active_subscriptions_count :delta",
                       "ConditionExpression": condition, "ExpressionAttributeValues": to_attributes(values)}}
