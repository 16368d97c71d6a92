"""The billable metric: `BillableMetricObject` and what create and update accept (docs/api-coverage.md)."""
from __future__ import annotations

from typing import Literal

from chalicelib.api.openapi.shapes import Instant, Model, envelope, paginated, request_object
from chalicelib.domain.billable_metrics import (
    NEVER_CLEARED,
    REQUIRED_ON_CREATE,
    AggregationType,
    BillableMetricInput,
    RoundingFunction,
)


class BillableMetricFilterObject(Model):
    key: str
    values: list[str]


class BillableMetricObject(Model):
    lago_id: str
    name: str
    code: str
    description: str | None
    aggregation_type: AggregationType
    weighted_interval: Literal["seconds"] | None
    recurring: bool
    rounding_function: RoundingFunction | None
    rounding_precision: int | None
    created_at: Instant
    field_name: str | None
    expression: str | None
    filters: list[BillableMetricFilterObject]
    plans_count: int


BillableMetric = envelope("BillableMetric", "billable_metric", BillableMetricObject, "One billable metric.")
BillableMetricsPaginated = paginated("BillableMetricsPaginated", "billable_metrics", BillableMetricObject)
_DESCRIPTIONS = {"field_name": "Required unless `count_agg`.", "expression": "Not supported: only null."}
BillableMetricInputObject = request_object("BillableMetricInputObject", BillableMetricInput, "A new metric.",
                                           required=REQUIRED_ON_CREATE, descriptions=_DESCRIPTIONS)
BillableMetricUpdateInputObject = request_object(
    "BillableMetricUpdateInputObject", BillableMetricInput, "The fields sent change (a new `code` renames the metric; "
    "the required ones are never cleared); unknown fields are ignored.", never_null=NEVER_CLEARED,
    descriptions=_DESCRIPTIONS)
BillableMetricCreateInput = envelope("BillableMetricCreateInput", "billable_metric", BillableMetricInputObject,
                                     "A new billable metric.")
BillableMetricUpdateInput = envelope("BillableMetricUpdateInput", "billable_metric", BillableMetricUpdateInputObject,
                                     "The metric's fields to change.")
