"""The billable metric: `BillableMetricObject` and what create and update accept (docs/api-coverage.md)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.openapi.shapes import Instant, Model, envelope, paginated
from chalicelib.domain.billable_metrics import AggregationType, RoundingFunction


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


class BillableMetricUpdateInputObject(Model):
    """The fields sent change (a new `code` renames the metric); unknown fields are ignored."""

    name: str | None = None
    code: str | None = Field(default=None, max_length=255)
    description: str | None = None
    aggregation_type: AggregationType | None = None
    field_name: str | None = None
    recurring: bool | None = None
    weighted_interval: Literal["seconds"] | None = None
    rounding_function: RoundingFunction | None = None
    rounding_precision: int | None = Field(default=None, ge=-15, le=15)
    filters: list[BillableMetricFilterObject] | None = Field(default=None, max_length=100)
    expression: None = Field(default=None, description="Not supported: only null.")


class BillableMetricInputObject(BillableMetricUpdateInputObject):
    name: str
    code: str = Field(max_length=255)
    aggregation_type: AggregationType


BillableMetric = envelope("BillableMetric", "billable_metric", BillableMetricObject, "One billable metric.")
BillableMetricsPaginated = paginated("BillableMetricsPaginated", "billable_metrics", BillableMetricObject)
BillableMetricCreateInput = envelope("BillableMetricCreateInput", "billable_metric", BillableMetricInputObject,
                                     "A new billable metric.")
BillableMetricUpdateInput = envelope("BillableMetricUpdateInput", "billable_metric", BillableMetricUpdateInputObject,
                                     "The metric's fields to change.")
