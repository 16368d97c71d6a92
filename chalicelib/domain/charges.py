"""A plan's charges as a request sends them, and Lago's rules on a charge given its billable metric.

Errors are keyed by dotted path from the plan (`charges.0.properties.amount`, `charges.1.filters.0.values`),
as the rest of the API names nested fields; the codes are Lago's."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Callable, Literal

from pydantic import Field, StrictBool, StrictStr

from chalicelib.domain.aggregations.registry import AGGREGATION_KINDS
from chalicelib.domain.billable_metrics import MAX_FILTER_VALUES, BillableMetric
from chalicelib.domain.current_usage import needs_event_values
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.plans import Charge, ChargeFilter, ChargeModelName
from chalicelib.domain.pricing.charge_models import parse_properties
from chalicelib.domain.pricing.filters import FilterBuckets
from chalicelib.domain.pricing.properties import ChargeProperties
from chalicelib.domain.validation import WHOLE_NUMBER, JsonObject, RequestObject, Text

MAX_CHARGES = 100
MAX_FILTERS_PER_CHARGE = 100
# A plan write moves the plans_count of every metric its charges start, keep or stop using, in one
# transaction of at most 100 actions: 45 metrics before and 45 after, plus the plan and its lookups.
MAX_BILLABLE_METRICS_PER_PLAN = 45
# Lago's rules on charge options (app/models/charge.rb).
PRORATED_MODELS_IN_ARREARS = frozenset({"standard", "volume", "graduated"})
PRORATED_MODELS_IN_ADVANCE = frozenset({"standard"})
# Range bounds stay JSON numbers; every other decimal of `properties` is a decimal string, as Lago shows it.
_NUMBER_FIELDS = frozenset({"from_value", "to_value"})
_OPEN_RANGE = {"from_value": 0, "to_value": None, "flat_amount": "0"}
# Lago's properties for a charge sent without any (Charges::BuildDefaultPropertiesService).
DEFAULT_PROPERTIES: dict[str, Callable[[], JsonObject]] = {
    "standard": lambda: {"amount": "0"},
    "graduated": lambda: {"graduated_ranges": [{**_OPEN_RANGE, "per_unit_amount": "0"}]},
    "package": lambda: {"amount": "0", "package_size": 1, "free_units": 0},
    "percentage": lambda: {"rate": "0"},
    "volume": lambda: {"volume_ranges": [{**_OPEN_RANGE, "per_unit_amount": "0"}]},
    "graduated_percentage": lambda: {"graduated_percentage_ranges": [{**_OPEN_RANGE, "rate": "0"}]},
}

FilterValue = Annotated[StrictStr, Field(min_length=1, max_length=255)]


class ChargeFilterInput(RequestObject):
    invoice_display_name: Text | None = None
    properties: JsonObject | None = None
    values: dict[Annotated[str, Field(max_length=255)],
                 Annotated[list[FilterValue], Field(max_length=MAX_FILTER_VALUES)]] = {}


class ChargeInput(RequestObject):
    """One element of a plan's `charges`. `id` names a charge of the plan to keep (on update)."""

    id: Text | None = None
    billable_metric_id: Text | None = None
    billable_metric_code: Text | None = None
    code: Text | None = None
    charge_model: ChargeModelName
    pay_in_advance: StrictBool | None = None
    invoiceable: StrictBool | None = None
    regroup_paid_fees: Literal["invoice"] | None = None
    prorated: StrictBool | None = None
    min_amount_cents: Annotated[int, Field(ge=0), WHOLE_NUMBER] | None = None
    invoice_display_name: Text | None = None
    properties: JsonObject | None = None
    filters: Annotated[list[ChargeFilterInput], Field(max_length=MAX_FILTERS_PER_CHARGE)] | None = None


def stored_properties(properties: ChargeProperties) -> JsonObject:
    """Validated properties in Lago's JSON form: decimals as plain decimal strings (`"0.50"` stays), range
    bounds as numbers, counts as integers. Stored as strings, amounts keep the digits the client sent."""

    def plain(value: object, name: str | None = None) -> object:
        if isinstance(value, dict):
            return {key: plain(item, key) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item, name) for item in value]
        if isinstance(value, Decimal) and name not in _NUMBER_FIELDS:
            return format(value, "f")
        return value

    stored = {name: plain(value, name) for name, value in properties.model_dump().items()}
    # Lago shows group keys only when set, under both names while `grouped_by` is deprecated.
    del stored["pricing_group_keys"]
    group_keys = properties.pricing_group_keys
    if group_keys:
        stored.update(pricing_group_keys=list(group_keys), grouped_by=list(group_keys))
    return stored


def _properties(charge_model: str, payload: JsonObject | None, path: str) -> JsonObject:
    try:
        parsed = parse_properties(charge_model, payload or DEFAULT_PROPERTIES[charge_model]())
    except ValidationFailed as failed:
        raise ValidationFailed({f"{path}.{field}": codes for field, codes in failed.details.items()}) from None
    return stored_properties(parsed)


def _option_errors(charge: ChargeInput, metric: BillableMetric, path: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    in_advance = bool(charge.pay_in_advance)
    kind = AGGREGATION_KINDS[metric.aggregation_type]
    if in_advance and (not kind.pay_in_advance or charge.charge_model == "volume"):
        errors[f"{path}.pay_in_advance"] = ["invalid_aggregation_type_or_charge_model"]
    if charge.charge_model == "percentage" and metric.aggregation_type == "latest_agg":
        errors[f"{path}.charge_model"] = ["invalid_aggregation_type_or_charge_model"]
    if in_advance and charge.min_amount_cents:
        errors[f"{path}.min_amount_cents"] = ["not_compatible_with_pay_in_advance"]
    if charge.invoiceable is False and not in_advance:
        errors[f"{path}.invoiceable"] = ["must_be_true_unless_pay_in_advance"]
    if charge.prorated:
        models = PRORATED_MODELS_IN_ADVANCE if in_advance else PRORATED_MODELS_IN_ARREARS
        # Lago: recurring metrics only, never weighted_sum (no prorated aggregation exists for it).
        if not (metric.recurring and kind.prorated is not None
                and charge.charge_model in models):
            errors[f"{path}.prorated"] = ["invalid_billable_metric_or_charge_model"]
    return errors


def _filters(charge: ChargeInput, metric: BillableMetric, path: str) -> list[ChargeFilter]:
    declared = metric.filter_values()
    filters = []
    for index, filter_input in enumerate(charge.filters or []):
        filter_path = f"{path}.filters.{index}"
        try:
            FilterBuckets([filter_input.values], declared)
        except ValidationFailed as failed:
            raise ValidationFailed({f"{filter_path}.{field}": codes
                                    for field, codes in failed.details.items()}) from None
        filters.append(ChargeFilter(invoice_display_name=filter_input.invoice_display_name,
                                    properties=_properties(charge.charge_model, filter_input.properties,
                                                           f"{filter_path}.properties"),
                                    values=filter_input.values))
    return filters


def build_charge(charge: ChargeInput, metric: BillableMetric, path: str, *, charge_id: str,
                 created_at: datetime) -> Charge:
    """The charge `charge` describes on `metric`, or ValidationFailed with every option rule it breaks."""
    errors = _option_errors(charge, metric, path)
    if errors:
        raise ValidationFailed(errors)
    built = Charge(id=charge_id, billable_metric_id=metric.id, billable_metric_code=metric.code, code=charge.code,
                  charge_model=charge.charge_model, pay_in_advance=bool(charge.pay_in_advance),
                  invoiceable=charge.invoiceable is not False, regroup_paid_fees=charge.regroup_paid_fees,
                  prorated=bool(charge.prorated), min_amount_cents=charge.min_amount_cents or 0,
                  invoice_display_name=charge.invoice_display_name,
                  properties=_properties(charge.charge_model, charge.properties, f"{path}.properties"),
                  filters=_filters(charge, metric, path), created_at=created_at)
    # An event's in-advance fee is priced from the period's running total: percentage free allowances and
    # per-transaction bounds, which read each earlier event's value, cannot be (docs/pay-in-advance.md).
    if built.pay_in_advance and any(needs_event_values(built.bucket_properties(index))
                                    for index in [None, *range(len(built.filters))]):
        raise ValidationFailed.single(f"{path}.properties", "not_compatible_with_pay_in_advance")
    return built
