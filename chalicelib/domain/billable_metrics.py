"""The billable metric: what an event code measures, its rules (Lago's), and how a request creates or changes it."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictStr

from chalicelib.domain.aggregations.registry import AGGREGATION_KINDS
from chalicelib.domain.coded_fields import CodedFields
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.pricing.filters import ALL_FILTER_VALUES
from chalicelib.domain.validation import WHOLE_NUMBER, Changes, RequestObject, RequiredText, Text, parse_model

AggregationType = Literal["count_agg", "sum_agg", "max_agg", "unique_count_agg", "latest_agg", "weighted_sum_agg"]
RoundingFunction = Literal["round", "ceil", "floor"]
# Digits a metric may round its units to (negative: tens, hundreds...); wider would overflow Decimal's context.
MAX_ROUNDING_PRECISION = 15
RoundingPrecision = Annotated[int, Field(ge=-MAX_ROUNDING_PRECISION, le=MAX_ROUNDING_PRECISION), WHOLE_NUMBER]
MAX_FILTER_KEYS = 100
MAX_FILTER_VALUES = 1000
# A stored item must stay well under DynamoDB's 400 KB; measured as the JSON of the record.
MAX_RECORD_JSON_BYTES = 300_000
# Fields a plan's charges depend on: fixed while the metric is used by a plan (Lago only lets name and
# description change then; it ignores the others silently, this service refuses a different value).
FIELDS_FIXED_WHILE_USED = ("code", "aggregation_type", "field_name", "recurring", "weighted_interval")
REQUIRED_ON_CREATE = ("name", "code", "aggregation_type")
# Changed, never cleared.
NEVER_CLEARED = (*REQUIRED_ON_CREATE, "recurring")


def record_too_large(record: BaseModel) -> bool:
    return len(json.dumps(record.model_dump(mode="json")).encode("utf-8")) > MAX_RECORD_JSON_BYTES


class MetricFilter(BaseModel):
    """A property key events may carry and the values a charge filter may select."""

    key: str
    values: list[str]


class BillableMetricFields(CodedFields):
    """Every field a client may set on a metric (all optional: an update sends only what changes)."""

    aggregation_type: AggregationType | None = None
    field_name: Text | None = None
    recurring: StrictBool | None = None
    weighted_interval: Literal["seconds"] | None = None
    rounding_function: RoundingFunction | None = None
    rounding_precision: RoundingPrecision | None = None


class BillableMetric(BillableMetricFields):
    """A stored metric. `id` is its lago_id (charges refer to it); events name it by `code`.
    `plans_count` is the number of plans with a charge on it, kept by the plans' own transactions."""

    id: str
    organization_id: str
    name: str
    code: str
    aggregation_type: AggregationType
    recurring: bool = False
    filters: list[MetricFilter] = []
    created_at: datetime
    updated_at: datetime
    version: int = 1
    plans_count: int = 0

    def filter_values(self) -> dict[str, list[str]]:
        """The declared filters as {key: [value, ...]}, as charge filters are checked and matched against."""
        return {metric_filter.key: metric_filter.values for metric_filter in self.filters}


class BillableMetricFilterInput(RequestObject):
    key: RequiredText
    values: Annotated[list[Annotated[StrictStr, Field(min_length=1, max_length=255)]],
                      Field(max_length=MAX_FILTER_VALUES)]


class BillableMetricInput(BillableMetricFields):
    """The `billable_metric` object of `POST /billable_metrics` and `PUT /billable_metrics/{code}`."""

    filters: Annotated[list[BillableMetricFilterInput], Field(max_length=MAX_FILTER_KEYS)] | None = None
    expression: None = None  # Lago's per-event expressions are not supported: any value is value_is_invalid

    @classmethod
    def parse(cls, payload: object) -> "BillableMetricInput":
        return parse_model(cls, payload)

    def changes(self) -> Changes:
        """The metric's attributes this request sets: exactly the fields it sent (null clears an optional one)."""
        changes = {name: getattr(self, name) for name in self.model_fields_set
                   if name in BillableMetricFields.model_fields}
        if "filters" in self.model_fields_set:
            changes["filters"] = [MetricFilter(key=item.key, values=item.values) for item in self.filters or []]
        return changes


def _filter_errors(filters: list[MetricFilter]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    seen_keys: set[str] = set()
    for index, metric_filter in enumerate(filters):
        if metric_filter.key in seen_keys:
            errors[f"filters.{index}.key"] = ["value_already_exist"]
        seen_keys.add(metric_filter.key)
        if not metric_filter.values:
            errors[f"filters.{index}.values"] = ["value_is_mandatory"]
        elif len(set(metric_filter.values)) != len(metric_filter.values) or ALL_FILTER_VALUES in metric_filter.values:
            errors[f"filters.{index}.values"] = ["value_is_invalid"]
    return errors


def checked_metric(metric: BillableMetric) -> BillableMetric:
    """`metric` if it keeps Lago's rules, else every broken one as ValidationFailed."""
    errors: dict[str, list[str]] = {}
    for name in REQUIRED_ON_CREATE:
        if getattr(metric, name) is None:
            errors[name] = ["value_is_mandatory"]
    if metric.aggregation_type != "count_agg" and not metric.field_name:
        errors["field_name"] = ["value_is_mandatory"]
    if metric.recurring and not AGGREGATION_KINDS[metric.aggregation_type].may_recur:
        errors["recurring"] = ["not_compatible_with_aggregation_type"]
    if metric.weighted_interval is not None and metric.aggregation_type != "weighted_sum_agg":
        errors["weighted_interval"] = ["not_compatible_with_aggregation_type"]
    errors.update(_filter_errors(metric.filters))
    if not errors and record_too_large(metric):
        errors["filters"] = ["value_is_too_long"]
    if errors:
        raise ValidationFailed(errors)
    return metric


def new_metric(changes: Changes, *, metric_id: str, organization_id: str, now: datetime) -> BillableMetric:
    missing = {name: ["value_is_mandatory"] for name in REQUIRED_ON_CREATE if changes.get(name) is None}
    if missing:
        raise ValidationFailed(missing)
    metric = BillableMetric(id=metric_id, organization_id=organization_id, created_at=now, updated_at=now,
                            **{name: value for name, value in changes.items() if value is not None})
    return checked_metric(_with_defaults(metric))


def _with_defaults(metric: BillableMetric) -> BillableMetric:
    # Lago's default time unit of a weighted sum.
    if metric.aggregation_type == "weighted_sum_agg" and metric.weighted_interval is None:
        return metric.model_copy(update={"weighted_interval": "seconds"})
    return metric


def updated_metric(metric: BillableMetric, changes: Changes, now: datetime) -> BillableMetric:
    """The metric with `changes` applied. Name, code and aggregation type can be changed, never cleared;
    while a plan uses the metric, the fields its charges depend on cannot change."""
    cleared: dict[str, list[str]] = {name: ["value_is_mandatory"] for name in NEVER_CLEARED
                                     if name in changes and changes[name] is None}
    if cleared:
        raise ValidationFailed(cleared)
    if metric.plans_count > 0:
        fixed = {name: ["value_is_immutable"] for name in FIELDS_FIXED_WHILE_USED
                 if name in changes and changes[name] != getattr(metric, name)}
        if fixed:
            raise ValidationFailed(fixed)
    updated = metric.model_copy(update={**changes, "updated_at": now, "version": metric.version + 1})
    if "aggregation_type" in changes and "weighted_interval" not in changes:
        updated = updated.model_copy(update={"weighted_interval": None})
    return checked_metric(_with_defaults(BillableMetric.model_validate(updated.model_dump())))


def lost_filter_values(previous: BillableMetric, updated: BillableMetric) -> bool:
    """Whether an update removes a declared filter key or value (a charge filter may be selecting it)."""
    remaining = updated.filter_values()
    return any(key not in remaining or not set(values) <= set(remaining[key])
               for key, values in previous.filter_values().items())

