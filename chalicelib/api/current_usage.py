"""`GET /api/v1/customers/{external_customer_id}/current_usage`: the charges period in progress, priced from
its stored aggregates by the pricing code the biller uses. Its DynamoDB requests are fixed by the customer's
plan, never by the number of events: docs/api-coverage.md (Current usage)."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.api.auth import current_organization
from chalicelib.api.blueprint import ApiBlueprint
from chalicelib.api.request_time import customer_time
from chalicelib.api.serialize import json_response
from chalicelib.domain.clock import CustomerClock, iso_z, utc_now
from chalicelib.domain.current_usage import (
    BucketUsage,
    ChargeUsage,
    PeriodUsage,
    UsagePeriod,
    UsageTotals,
    current_usage_period,
    price_period_usage,
)
from chalicelib.domain.errors import NotAllowed, NotFound, NotReadyYet, ValidationFailed
from chalicelib.domain.organizations import Organization
from chalicelib.domain.subscriptions import Subscription
from chalicelib.rendering.resources import plain_number
from chalicelib.store.repositories import Repositories, repositories
from chalicelib.usage.period_usage import stored_usage

current_usage = ApiBlueprint(__name__)

_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _apply_taxes(value: str | None) -> bool:
    if value is None or value == "":
        return True
    try:
        return _BOOLEANS[value.lower()]
    except KeyError:
        raise ValidationFailed.single("apply_taxes", "value_is_invalid") from None


def _active_subscription(stores: Repositories, organization_id: str, customer_id: str,
                         external_subscription_id: str | None) -> Subscription:
    """The customer's active subscription named (or its only one): 405 `no_active_subscription` otherwise, 422
    when it has several and none is named."""
    if external_subscription_id:
        subscription = stores.subscriptions.find_current(organization_id, external_subscription_id)
        if subscription is None or subscription.status != "active" or subscription.customer_id != customer_id:
            raise NotAllowed("no_active_subscription")
        return subscription
    active = stores.subscriptions.of_customer(organization_id, customer_id, ("active",))
    if not active:
        raise NotAllowed("no_active_subscription")
    if len(active) > 1:
        raise ValidationFailed.single("external_subscription_id", "value_is_mandatory")
    return active[0]


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
    by_filter: dict[int | None, list[BucketUsage]] = {}
    for bucket in buckets:
        by_filter.setdefault(bucket.filter_index, []).append(bucket)
    entries = []
    for index, filtered in by_filter.items():
        charge_filter = usage.charge.filters[index] if index is not None else None
        entries.append({**_totals(UsageTotals.of(filtered)),
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


def customer_current_usage(stores: Repositories, organization: Organization, external_customer_id: str,
                           query: dict, clock: CustomerClock) -> dict:
    """The usage of the customer's current period as of its "now" (`clock`: a test clock's for a customer on one)."""
    apply_taxes = _apply_taxes(query.get("apply_taxes"))
    customer = stores.customers.find_by_external_id(organization.id, external_customer_id)
    if customer is None:
        raise NotFound("customer")
    subscription = _active_subscription(stores, organization.id, customer.id, query.get("external_subscription_id"))
    plan = stores.plans.get_any(organization.id, subscription.plan_id)
    if plan is None:
        raise NotAllowed("no_active_subscription")
    if stores.dead_letters.dead_events(organization.id, subscription.external_id):
        raise NotReadyYet("usage_pending")  # an event set aside: any total would be wrong until it is replayed
    metrics = stores.billable_metrics.get_many(organization.id, plan.billable_metric_ids())
    timezone = customer.applicable_timezone(organization.timezone)
    period = current_usage_period(subscription, plan, timezone, clock.now_for(customer.test_clock_id))
    stored = stored_usage(stores, subscription, plan, metrics, period.context.terms, period.period)
    vat_rate = customer.applicable_vat_rate(organization.vat_rate) if apply_taxes else None
    usage = price_period_usage(plan, metrics, period.window, stored.states, plan.amount_currency, vat_rate,
                               opening=stored.openings, event_values=stored.event_values)
    return {"customer_usage": customer_usage_json(usage, period)}


@current_usage.route("/api/v1/customers/{external_id}/current_usage", methods=["GET"])
def get_current_usage(external_id):
    request = current_usage.current_request
    organization = current_organization(request)
    return json_response(customer_current_usage(repositories(), organization, external_id,
                                                request.query_params or {}, customer_time(organization, utc_now())))
