"""The plan and its charges: `PlanObject`, `ChargeObject`, and what create and update accept (docs/pricing.md)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.openapi.shapes import (
    CURRENCY_TEXT,
    CurrencyCode,
    FreeObject,
    Instant,
    JsonNumber,
    Model,
    envelope,
    paginated,
    request_object,
)
from chalicelib.domain.plan_requests import REQUIRED_ON_CREATE, PlanInput
from chalicelib.domain.plans import ChargeModelName, Interval


class ChargeFilterObject(Model):
    invoice_display_name: str | None
    properties: FreeObject
    values: dict[str, list[str]]


class ChargeObject(Model):
    lago_id: str
    lago_billable_metric_id: str
    billable_metric_code: str
    code: str | None
    invoice_display_name: str | None
    created_at: Instant
    charge_model: ChargeModelName
    pay_in_advance: bool
    invoiceable: bool
    regroup_paid_fees: Literal["invoice"] | None
    prorated: bool
    min_amount_cents: int
    properties: FreeObject = Field(description="Every property of the charge model; amounts as decimal strings; "
                                   "`pricing_group_keys` and its older name `grouped_by` when set.")
    filters: list[ChargeFilterObject]
    taxes: list[dict]


class PlanObject(Model):
    lago_id: str
    name: str
    invoice_display_name: str | None
    created_at: Instant
    code: str
    interval: Interval
    description: str | None
    amount_cents: int
    amount_currency: CurrencyCode
    trial_period: JsonNumber
    pay_in_advance: bool
    bill_charges_monthly: bool | None
    charges: list[ChargeObject]
    taxes: list[dict]
    minimum_commitment: dict | None
    usage_thresholds: list[dict]
    active_subscriptions_count: int


Plan = envelope("Plan", "plan", PlanObject, "One plan.")
PlansPaginated = paginated("PlansPaginated", "plans", PlanObject)
_DESCRIPTIONS = {"amount_currency": CURRENCY_TEXT}
PlanInputObject = request_object("PlanInputObject", PlanInput, "A new plan.", required=REQUIRED_ON_CREATE,
                                 descriptions=_DESCRIPTIONS)
PlanUpdateInputObject = request_object(
    "PlanUpdateInputObject", PlanInput, "The fields sent change (the required ones are never cleared); `charges`, "
    "when sent, replace the plan's charges.", never_null=REQUIRED_ON_CREATE, descriptions=_DESCRIPTIONS)
PlanCreateInput = envelope("PlanCreateInput", "plan", PlanInputObject, "A new plan, with its charges.")
PlanUpdateInput = envelope("PlanUpdateInput", "plan", PlanUpdateInputObject, "The plan's fields to change.")
