"""`/api/v1/plans`: create, list, read, update and delete, by code; charges embedded."""
from __future__ import annotations

from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.record_routes import RecordRoutes
from chalicelib.control_plane import plan_pages, plan_use_cases
from chalicelib.rendering.resources import plan_json

plans = ApiBlueprint(__name__)

RecordRoutes(plans, "/api/v1/plans", "code", "plan", "plans", plan_json, plan_use_cases,
             plan_pages).serve("create", "list", "read", "update", "delete")
