"""`GET /api/v1/customers/{external_customer_id}/current_usage`: parses the request, reads the usage through the
use case (chalicelib/usecases/current_usage.py) and renders Lago's `customer_usage`."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.serialize import json_response
from chalicelib.control_plane import customer_time, read_current_usage
from chalicelib.domain.clock import iso_z, utc_now
from chalicelib.domain.current_usage import BucketUsage, ChargeUsage, PeriodUsage, UsagePeriod, UsageTotals
from chalicelib.domain.errors import ValidationFailed
from chalicelib.rendering.resources import plain_number

current_usage = ApiBlueprint(__name__)

_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _apply_taxes(value: str | None) -> bool:
    if value is None or value == "":
        return True
    try:
        return _BOOLEANS[value.lower()]
    except KeyError:
        raise ValidationFailed.single("apply_taxes", "value_is_invalid") from None


def _units(value: Decimal) -> str:
    """Units as Lago writes a BigDecimal: `35.0`, `12.5`."""
    plain = format(plain_number(Decimal(value)), "f")
    return plain if "." in plain else f"{plain}.0"


def _totals(totals: UsageTotals) -> dict:
    return {"units": _units(totals.units), "total_aggregated_units": _units(totals.total_aggregated_units),
            "amount_cents": totals.amount_cents, "events_count": totals.events_count, "pricing_unit_details": None}


def _filters_json(usage: ChargeUsage, buckets: list[BucketUsage]) -> list[dict]:
    """One entry per filter bucket of `buckets` (its pricing groups summed), in the charge's order then the default
    bucket; [] for a charge without filters (Lago)."""
    if not usage.filtered:
        return []
    entries = []
    for index, totals in usage.filter_totals(buckets).items():
        charge_filter = usage.charge.filters[index] if index is not None else None
        entries.append({**_totals(totals),
                        "invoice_display_name": charge_filter.invoice_display_name if charge_filter else None,
                        "values": {key: list(values) for key, values in charge_filter.values.items()}
                        if charge_filter else None})
    return entries


def _grouped_usage_json(usage: ChargeUsage) -> list[dict]:
    """Lago's `grouped_usage`: when a bucket is priced per pricing group, one entry per distinct `grouped_by` (an
    ungrouped bucket's is `{}`) with its filters; [] otherwise."""
    if not usage.grouped:
        return []
    by_group: dict[tuple, list[BucketUsage]] = {}
    for bucket in usage.buckets:
        by_group.setdefault(bucket.group, []).append(bucket)
    return [{**_totals(UsageTotals.of(buckets)), "grouped_by": dict(group), "filters": _filters_json(usage, buckets)}
            for group, buckets in by_group.items()]


def _charge_usage_json(usage: ChargeUsage, currency: str) -> dict:
    charge, metric = usage.charge, usage.metric
    return {
        **_totals(usage.totals), "amount_currency": currency,
        "charge": {"lago_id": charge.id, "code": charge.code, "charge_model": charge.charge_model,
                   "invoice_display_name": charge.invoice_display_name},
        "billable_metric": {"lago_id": metric.id, "name": metric.name, "code": metric.code,
                            "aggregation_type": metric.aggregation_type},
        "filters": _filters_json(usage, list(usage.buckets)),
        "grouped_usage": _grouped_usage_json(usage),
    }


def customer_usage_json(usage: PeriodUsage, period: UsagePeriod) -> dict:
    return {
        "from_datetime": iso_z(period.shown.start), "to_datetime": iso_z(period.shown.last_second),
        "issuing_date": period.issuing_date.isoformat(), "lago_invoice_id": None, "currency": usage.currency,
        "amount_cents": usage.amount_cents, "taxes_amount_cents": usage.taxes_amount_cents,
        "total_amount_cents": usage.total_amount_cents,
        "charges_usage": [_charge_usage_json(charge, usage.currency) for charge in usage.charges],
    }


@current_usage.route("/api/v1/customers/{external_id}/current_usage", methods=["GET"])
def get_current_usage(external_id: str):
    request = current_usage.current_request
    organization = current_organization(request)
    query = request.query_params or {}
    apply_taxes = _apply_taxes(query.get("apply_taxes"))
    current = read_current_usage()(organization, external_id, query.get("external_subscription_id"),
                                   apply_taxes=apply_taxes, clock=customer_time(organization, utc_now()))
    return json_response({"customer_usage": customer_usage_json(current.usage, current.period)})
