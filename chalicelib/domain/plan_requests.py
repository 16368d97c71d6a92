"""How a request creates or changes a plan: its fields, its charges (resolved to their metrics) and the
bounds that keep a plan one DynamoDB item and one transaction."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Callable

from pydantic import Field, StrictBool, WithJsonSchema

from chalicelib.domain.billable_metrics import BillableMetric, record_too_large
from chalicelib.domain.charges import MAX_BILLABLE_METRICS_PER_PLAN, MAX_CHARGES, ChargeInput, build_charge
from chalicelib.domain.coded_fields import CodedFields
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.plans import FIELDS_FIXED_WHILE_SUBSCRIBED, Charge, Interval, Plan, bill_charges_monthly_for
from chalicelib.domain.validation import (
    WHOLE_NUMBER,
    Changes,
    CurrencyCode,
    StrictDecimal,
    Text,
    parse_model,
)

# Amounts in minor units: integers DynamoDB and every client (JSON, JavaScript) hold exactly.
MAX_AMOUNT_CENTS = 9_007_199_254_740_991
AmountCents = Annotated[int, Field(ge=0, le=MAX_AMOUNT_CENTS), WHOLE_NUMBER]
# Days, fractions allowed (the client sends 0.0); a century at most keeps period arithmetic in range.
MAX_TRIAL_DAYS = 36_500
TrialPeriod = Annotated[StrictDecimal, Field(ge=0, le=MAX_TRIAL_DAYS),
                      WithJsonSchema({"type": "number", "minimum": 0, "maximum": MAX_TRIAL_DAYS})]
REQUIRED_ON_CREATE = ("name", "code", "interval", "amount_cents", "amount_currency", "pay_in_advance")


class PlanFields(CodedFields):
    """Every plan field a client may set (all optional: an update sends only what changes)."""

    interval: Interval | None = None
    amount_cents: AmountCents | None = None
    amount_currency: CurrencyCode | None = None
    pay_in_advance: StrictBool | None = None
    trial_period: TrialPeriod | None = None
    bill_charges_monthly: StrictBool | None = None
    invoice_display_name: Text | None = None


class PlanInput(PlanFields):
    """The `plan` object of `POST /plans` and `PUT /plans/{code}`."""

    charges: Annotated[list[ChargeInput], Field(max_length=MAX_CHARGES)] | None = None

    @classmethod
    def parse(cls, payload: object) -> "PlanInput":
        return parse_model(cls, payload)

    def changes(self) -> Changes:
        """The plan's fields this request sends (charges apart)."""
        return {name: getattr(self, name) for name in self.model_fields_set if name in PlanFields.model_fields}

    def metric_references(self) -> tuple[set[str], set[str]]:
        """The lago_ids and the codes of the metrics the charges name (`billable_metric_id` first)."""
        ids: set[str] = set()
        codes: set[str] = set()
        errors: dict[str, list[str]] = {}
        for index, charge in enumerate(self.charges or []):
            if charge.billable_metric_id is not None:
                ids.add(charge.billable_metric_id)
            elif charge.billable_metric_code is not None:
                codes.add(charge.billable_metric_code)
            else:
                errors[f"charges.{index}.billable_metric_id"] = ["value_is_mandatory"]
        if errors:
            raise ValidationFailed(errors)
        return ids, codes


def resolve_metric(charge: ChargeInput, by_id: dict[str, BillableMetric],
                   by_code: dict[str, BillableMetric]) -> BillableMetric:
    """The charge's metric; an unknown one is Lago's 404 `billable_metrics_not_found`."""
    metric = None
    if charge.billable_metric_id is not None:
        metric = by_id.get(charge.billable_metric_id)
    elif charge.billable_metric_code is not None:
        metric = by_code.get(charge.billable_metric_code)
    if metric is None:
        raise NotFound("billable_metrics")
    return metric


def plan_charges(request: PlanInput, metric_of: Callable[[ChargeInput], BillableMetric], previous: Plan | None,
                 new_id: Callable[[], str], now: datetime) -> list[Charge]:
    """The plan's charges from the request: a charge whose `id` is one of the plan's keeps that id and its
    created_at (Lago); any other gets a new id. Unlisted charges are dropped by the caller."""
    kept = {charge.id: charge for charge in previous.charges} if previous else {}
    charges: list[Charge] = []
    errors: dict[str, list[str]] = {}
    codes: set[str] = set()
    for index, charge_input in enumerate(request.charges or []):
        path = f"charges.{index}"
        if charge_input.code is not None:
            if charge_input.code in codes:
                errors[f"{path}.code"] = ["value_already_exist"]
            codes.add(charge_input.code)
        existing = kept.pop(charge_input.id, None) if charge_input.id is not None else None
        try:
            charges.append(build_charge(charge_input, metric_of(charge_input), path,
                                        charge_id=existing.id if existing else new_id(),
                                        created_at=existing.created_at if existing else now))
        except ValidationFailed as failed:
            errors.update(failed.details)
    if errors:
        raise ValidationFailed(errors)
    if len({charge.billable_metric_id for charge in charges}) > MAX_BILLABLE_METRICS_PER_PLAN:
        raise ValidationFailed.single("charges", "too_many_billable_metrics")
    return charges


def checked_plan(plan: Plan) -> Plan:
    plan = plan.model_copy(update={"bill_charges_monthly": bill_charges_monthly_for(plan.interval,
                                                                                    plan.bill_charges_monthly)})
    if record_too_large(plan):
        raise ValidationFailed.single("charges", "value_is_too_long")
    return plan


def new_plan_fields(changes: Changes) -> Changes:
    missing = {name: ["value_is_mandatory"] for name in REQUIRED_ON_CREATE if changes.get(name) is None}
    if missing:
        raise ValidationFailed(missing)
    return {name: value for name, value in changes.items() if value is not None}


def updated_plan_fields(plan: Plan, changes: Changes) -> Changes:
    """The plan fields the update sets. Required fields can be changed, never cleared; while the plan has
    active subscriptions the fields that decide their billing cannot change."""
    cleared = {name: ["value_is_mandatory"] for name in REQUIRED_ON_CREATE if name in changes and changes[name] is None}
    if cleared:
        raise ValidationFailed(cleared)
    if "trial_period" in changes and changes["trial_period"] is None:
        changes = {**changes, "trial_period": Decimal(0)}
    if plan.active_subscriptions_count > 0:
        fixed = {name: ["value_is_immutable"] for name in FIELDS_FIXED_WHILE_SUBSCRIBED
                 if name in changes and _differs(plan, name, changes[name])}
        if fixed:
            raise ValidationFailed(fixed)
    return changes


def _differs(plan: Plan, name: str, value: object) -> bool:
    if name == "bill_charges_monthly":
        return bill_charges_monthly_for(plan.interval, bool(value)) != plan.bill_charges_monthly
    current: object = getattr(plan, name)
    return value != current
