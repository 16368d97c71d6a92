"""`/api/v1/billable_metrics`: create, list, read, update and delete, by code."""
from __future__ import annotations

from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.record_routes import RecordRoutes
from chalicelib.control_plane import billable_metric_pages, billable_metric_use_cases
from chalicelib.rendering.resources import billable_metric_json

billable_metrics = ApiBlueprint(__name__)

RecordRoutes(billable_metrics, "/api/v1/billable_metrics", "code", "billable_metric", "billable_metrics",
             billable_metric_json, billable_metric_use_cases,
             billable_metric_pages).serve("create", "list", "read", "update", "delete")
