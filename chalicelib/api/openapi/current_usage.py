"""The usage of a customer's current period: `CustomerUsageObject` (docs/api-coverage.md, Current usage)."""
from __future__ import annotations

from datetime import date

from chalicelib.api.openapi.shapes import CurrencyCode, DecimalText, Instant, Model, envelope
from chalicelib.domain.billable_metrics import AggregationType
from chalicelib.domain.plans import ChargeModelName


class CustomerChargeFiltersUsageObject(Model):
    units: DecimalText
    total_aggregated_units: DecimalText
    amount_cents: int
    events_count: int
    invoice_display_name: str | None
    values: dict[str, list[str]] | None
    pricing_unit_details: dict | None


class CustomerChargeGroupedUsageObject(Model):
    """One pricing group of a charge whose buckets have `pricing_group_keys`: `grouped_by` its values (null for an
    event without the key; `{}` for a bucket not grouped), `filters` its filter buckets (`[]` without filters)."""

    units: DecimalText
    total_aggregated_units: DecimalText
    amount_cents: int
    events_count: int
    grouped_by: dict[str, str | None]
    filters: list[CustomerChargeFiltersUsageObject]
    pricing_unit_details: dict | None


class UsageChargeObject(Model):
    lago_id: str
    code: str | None
    charge_model: ChargeModelName
    invoice_display_name: str | None


class UsageBillableMetricObject(Model):
    lago_id: str
    name: str
    code: str
    aggregation_type: AggregationType


class CustomerChargeUsageObject(Model):
    units: DecimalText
    total_aggregated_units: DecimalText
    events_count: int
    amount_cents: int
    amount_currency: CurrencyCode
    pricing_unit_details: dict | None
    charge: UsageChargeObject
    billable_metric: UsageBillableMetricObject
    filters: list[CustomerChargeFiltersUsageObject]
    grouped_usage: list[CustomerChargeGroupedUsageObject]


class CustomerUsageObject(Model):
    from_datetime: Instant
    to_datetime: Instant
    issuing_date: date
    lago_invoice_id: str | None
    currency: CurrencyCode
    amount_cents: int
    taxes_amount_cents: int
    total_amount_cents: int
    charges_usage: list[CustomerChargeUsageObject]


CustomerUsage = envelope("CustomerUsage", "customer_usage", CustomerUsageObject, "The current period's usage.")
