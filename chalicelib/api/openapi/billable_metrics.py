"""The billable metric: `BillableMetricObject` and what create and update accept (docs/api-coverage.md)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.openapi.plans import FilterValue
from chalicelib.api.openapi.shapes import (
    ROOT_OBJECT,
    Absent,
    Instant,
    LongText,
    Model,
    RequiredText,
    Text,
    envelope,
    paginated,
)
from chalicelib.domain.billable_metrics import (
    MAX_FILTER_KEYS,
    MAX_FILTER_VALUES,
    MAX_ROUNDING_PRECISION,
    AggregationType,
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


class BillableMetricFilterInput(Model):
    key: RequiredText
    values: list[FilterValue] = Field(min_length=1, max_length=MAX_FILTER_VALUES,
                                      json_schema_extra={"uniqueItems": True})


class BillableMetricUpdateInputObject(Model):
    """The fields sent change (a new `code` renames the metric; the required ones are never cleared); unknown fields
    are ignored."""

    model_config = ROOT_OBJECT
    name: RequiredText | Absent = None
    code: RequiredText | Absent = None
    description: LongText | None = None
    aggregation_type: AggregationType | Absent = None
    field_name: Text | None = Field(default=None, description="Required unless `count_agg`.")
    recurring: bool | Absent = None
    weighted_interval: Literal["seconds"] | None = None
    rounding_function: RoundingFunction | None = None
    rounding_precision: int | None = Field(default=None, ge=-MAX_ROUNDING_PRECISION, le=MAX_ROUNDING_PRECISION)
    filters: list[BillableMetricFilterInput] | None = Field(default=None, max_length=MAX_FILTER_KEYS)
    expression: None = Field(default=None, description="Not supported: only null.")


class BillableMetricInputObject(BillableMetricUpdateInputObject):
    name: RequiredText
    code: RequiredText
    aggregation_type: AggregationType


BillableMetric = envelope("BillableMetric", "billable_metric", BillableMetricObject, "One billable metric.")
BillableMetricsPaginated = paginated("BillableMetricsPaginated", "billable_metrics", BillableMetricObject)
BillableMetricCreateInput = envelope("BillableMetricCreateInput", "billable_metric", BillableMetricInputObject,
                                     "A new billable metric.")
BillableMetricUpdateInput = envelope("BillableMetricUpdateInput", "billable_metric", BillableMetricUpdateInputObject,
                                     "The metric's fields to change.")
