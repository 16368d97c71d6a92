"""Billable metrics in the control table: the metric item (by lago_id), its code lookup, its deleted copy
and the organization's metric counter (see coded_records). A metric's `plans_count` is moved by the plans'
transactions (`plans_count_change`), each conditioned on the metric being as the plan write validated it."""
from __future__ import annotations

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.store import keys
from chalicelib.store.coded_records import CodedRecordRepository
from chalicelib.store.dynamo import to_attributes
from chalicelib.store.tables import CONTROL


def plans_count_change(metric: BillableMetric, delta: int) -> dict:
    """The action a plan write includes for a metric its charges use: it fails if the metric was deleted or
    changed (its aggregation, filters...) since the plan was validated against it, and moves `plans_count`."""
    return {"Update": {"TableName": CONTROL.name,
                       "Key": to_attributes({"pk": keys.organization_pk(metric.organization_id),
                                             "sk": keys.BILLABLE_METRICS.sk(metric.id)}),
                       "UpdateExpression": "ADD plans_count :delta",
                       "ConditionExpression": "version = :version",
                       "ExpressionAttributeValues": to_attributes({":delta": delta, ":version": metric.version})}}


def plans_count_release(organization_id: str, metric_id: str) -> dict:
    """The action of a plan write that stops using a metric (it cannot have been deleted meanwhile: it was in use)."""
    return {"Update": {"TableName": CONTROL.name,
                       "Key": to_attributes({"pk": keys.organization_pk(organization_id),
                                             "sk": keys.BILLABLE_METRICS.sk(metric_id)}),
                       "UpdateExpression": "ADD plans_count :minus_one",
                       "ConditionExpression": "plans_count > :zero",
                       "ExpressionAttributeValues": to_attributes({":minus_one": -1, ":zero": 0})}}



class BillableMetricRepository(CodedRecordRepository[BillableMetric]):
    model = BillableMetric
    record_keys = keys.BILLABLE_METRICS
    lookup_id_attribute = "billable_metric_id"
    guarded_counts = ("plans_count",)

    def get_many(self, organization_id: str, metric_ids: set[str]) -> dict[str, BillableMetric]:
        """The metrics of these ids that exist, by id: BatchGetItems of 100 ids (a plan has at most a few dozen
        distinct metrics)."""
        items = self._get_many(organization_id, [self.item_prefix + metric_id for metric_id in sorted(metric_ids)])
        return {metric.id: metric for metric in map(BillableMetric.model_validate, items.values())}

    def create(self, metric: BillableMetric) -> None:
        """Raises CodeTaken if the organization has a metric with this code."""
        self._insert(metric, [])

    def update(self, previous: BillableMetric, metric: BillableMetric) -> None:
        """Raises CodeTaken for a code another metric has, StaleWrite if `previous` changed since it was read
        (a plan started or stopped using it included)."""
        self._replace(previous, metric, [])

    def delete(self, metric: BillableMetric) -> None:
        """Raises StaleWrite if the metric changed since it was read; callers refuse metrics in use first
        (`plans_count` is guarded, so a plan created meanwhile makes this fail)."""
        self._remove(metric, [])
