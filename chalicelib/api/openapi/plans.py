"""The plan and its charges: `PlanObject`, `ChargeObject`, and what create and update accept (docs/pricing.md)."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema

from chalicelib.api.openapi.shapes import FreeObject, Instant, JsonNumber, Model, envelope, paginated
from chalicelib.domain.plans import ChargeModelName, Interval

# Days of trial, fractions kept.
TrialDays = Annotated[Decimal, WithJsonSchema({"type": "number", "minimum": 0, "maximum": 36500})]


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
    properties: FreeObject = Field(description="Every property of the charge model; amounts as decimal strings.")
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
    amount_currency: str
    trial_period: JsonNumber
    pay_in_advance: bool
    bill_charges_monthly: bool | None
    charges: list[ChargeObject]
    taxes: list[dict]
    minimum_commitment: dict | None
    usage_thresholds: list[dict]
    active_subscriptions_count: int


class ChargeFilterInput(Model):
    invoice_display_name: str | None = None
    properties: FreeObject | None = None
    values: dict[str, list[str]]


class ChargeInput(Model):
    """A charge names its metric by `billable_metric_id` or (not Lago's) `billable_metric_code`; on update, `id`
    keeps an existing charge."""

    id: str | None = None
    billable_metric_id: str | None = None
    billable_metric_code: str | None = None
    code: str | None = None
    charge_model: ChargeModelName
    pay_in_advance: bool | None = None
    invoiceable: bool | None = None
    regroup_paid_fees: Literal["invoice"] | None = None
    prorated: bool | None = None
    min_amount_cents: int | None = Field(default=None, ge=0)
    invoice_display_name: str | None = None
    properties: FreeObject | None = None
    filters: list[ChargeFilterInput] | None = Field(default=None, max_length=100)


class PlanUpdateInputObject(Model):
    """The fields sent change; `charges`, when sent, replace the plan's charges."""

    name: str | None = None
    code: str | None = None
    interval: Interval | None = None
    description: str | None = None
    invoice_display_name: str | None = None
    amount_cents: int | None = Field(default=None, ge=0, le=2**53 - 1)
    amount_currency: str | None = Field(default=None, description="ISO 4217.")
    pay_in_advance: bool | None = None
    trial_period: TrialDays | None = None
    bill_charges_monthly: bool | None = None
    charges: list[ChargeInput] | None = Field(default=None, max_length=100)


class PlanInputObject(PlanUpdateInputObject):
    name: str
    code: str
    interval: Interval
    amount_cents: int = Field(ge=0, le=2**53 - 1)
    amount_currency: str
    pay_in_advance: bool


Plan = envelope("Plan", "plan", PlanObject, "One plan.")
PlansPaginated = paginated("PlansPaginated", "plans", PlanObject)
PlanCreateInput = envelope("PlanCreateInput", "plan", PlanInputObject, "A new plan, with its charges.")
PlanUpdateInput = envelope("PlanUpdateInput", "plan", PlanUpdateInputObject, "The plan's fields to change.")
