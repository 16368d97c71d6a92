"""The plan and its charges: `PlanObject`, `ChargeObject`, and what create and update accept (docs/pricing.md)."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema

from chalicelib.api.openapi.shapes import (
    ROOT_OBJECT,
    Absent,
    CurrencyCode,
    FreeObject,
    Instant,
    JsonNumber,
    LongText,
    Model,
    RequiredText,
    Text,
    envelope,
    paginated,
)
from chalicelib.domain.billable_metrics import MAX_FILTER_VALUES
from chalicelib.domain.charges import MAX_CHARGES, MAX_FILTERS_PER_CHARGE
from chalicelib.domain.plan_requests import MAX_AMOUNT_CENTS
from chalicelib.domain.plans import ChargeModelName, Interval
from chalicelib.domain.validation import TEXT_MAX_LENGTH

# Days of trial, fractions kept.
TrialDays = Annotated[Decimal, WithJsonSchema({"type": "number", "minimum": 0, "maximum": 36500})]
AmountCents = Annotated[int, Field(ge=0, le=MAX_AMOUNT_CENTS)]
FilterValue = Annotated[str, Field(min_length=1, max_length=TEXT_MAX_LENGTH)]


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


class ChargeFilterInput(Model):
    invoice_display_name: Text | None = None
    properties: FreeObject | None = None
    values: dict[Text, Annotated[list[FilterValue], Field(max_length=MAX_FILTER_VALUES)]] | Absent = None


class ChargeInput(Model):
    """A charge names its metric by `billable_metric_id` or (not Lago's) `billable_metric_code`; on update, `id`
    keeps an existing charge."""

    id: Text | None = None
    billable_metric_id: Text | None = None
    billable_metric_code: Text | None = None
    code: Text | None = None
    charge_model: ChargeModelName
    pay_in_advance: bool | None = None
    invoiceable: bool | None = None
    regroup_paid_fees: Literal["invoice"] | None = None
    prorated: bool | None = None
    min_amount_cents: int | None = Field(default=None, ge=0)
    invoice_display_name: Text | None = None
    properties: FreeObject | None = None
    filters: list[ChargeFilterInput] | None = Field(default=None, max_length=MAX_FILTERS_PER_CHARGE)


class PlanUpdateInputObject(Model):
    """The fields sent change (the required ones are never cleared); `charges`, when sent, replace the plan's
    charges."""

    model_config = ROOT_OBJECT
    name: RequiredText | Absent = None
    code: RequiredText | Absent = None
    interval: Interval | Absent = None
    description: LongText | None = None
    invoice_display_name: Text | None = None
    amount_cents: AmountCents | Absent = None
    amount_currency: CurrencyCode | Absent = Field(default=None, description="ISO 4217 with a minor unit, any case.")
    pay_in_advance: bool | Absent = None
    trial_period: TrialDays | None = None
    bill_charges_monthly: bool | None = None
    charges: list[ChargeInput] | None = Field(default=None, max_length=MAX_CHARGES)


class PlanInputObject(PlanUpdateInputObject):
    name: RequiredText
    code: RequiredText
    interval: Interval
    amount_cents: AmountCents
    amount_currency: CurrencyCode
    pay_in_advance: bool


Plan = envelope("Plan", "plan", PlanObject, "One plan.")
PlansPaginated = paginated("PlansPaginated", "plans", PlanObject)
PlanCreateInput = envelope("PlanCreateInput", "plan", PlanInputObject, "A new plan, with its charges.")
PlanUpdateInput = envelope("PlanUpdateInput", "plan", PlanUpdateInputObject, "The plan's fields to change.")
