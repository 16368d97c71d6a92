"""The plan and its charges as stored: what a subscription is priced with.

A charge's `properties` (and each filter's) are kept in Lago's JSON form, validated when the plan was
written: amounts and rates as the decimal strings the client sent, range bounds as numbers. The pricing
code parses them with `charge_properties` (one path for current usage and invoices)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from chalicelib.domain.pricing.charge_models import parse_properties
from chalicelib.domain.pricing.properties import ChargeProperties
from chalicelib.domain.validation import JsonObject

Interval = Literal["weekly", "monthly", "quarterly", "semiannual", "yearly"]
ChargeModelName = Literal["standard", "graduated", "package", "percentage", "volume", "graduated_percentage"]

# Periods per year of each interval: Lago compares plans by their yearly price (upgrade vs downgrade).
PERIODS_PER_YEAR: dict[str, int] = {"weekly": 52, "monthly": 12, "quarterly": 4, "semiannual": 2, "yearly": 1}


class ChargeFilter(BaseModel):
    """A price for the events whose properties match `values` ({key: [value, ...]}, keys declared on the metric)."""

    invoice_display_name: str | None = None
    properties: JsonObject
    values: dict[str, list[str]]


class Charge(BaseModel):
    """A plan's price for one billable metric. `id` is its lago_id, kept across plan updates that list it."""

    id: str
    billable_metric_id: str
    billable_metric_code: str
    code: str | None = None
    charge_model: ChargeModelName
    pay_in_advance: bool = False
    invoiceable: bool = True
    regroup_paid_fees: Literal["invoice"] | None = None
    prorated: bool = False
    min_amount_cents: int = 0
    invoice_display_name: str | None = None
    properties: JsonObject
    filters: list[ChargeFilter] = []
    created_at: datetime

    def charge_properties(self) -> ChargeProperties:
        """The charge-level properties (the default bucket's), parsed for the pricing code."""
        return parse_properties(self.charge_model, self.properties)

    def filter_properties(self, index: int) -> ChargeProperties:
        return parse_properties(self.charge_model, self.filters[index].properties)

    def bucket_properties(self, filter_index: int | None) -> ChargeProperties:
        """What a bucket is priced with: a filter's own properties, the charge's for the default bucket (None)."""
        return self.charge_properties() if filter_index is None else self.filter_properties(filter_index)

    def group_keys(self, filter_index: int | None) -> tuple[str, ...]:
        """The keys a bucket's events are grouped by for pricing (Lago: a filter's own `pricing_group_keys`, the
        charge's for the default bucket); () when not grouped."""
        return self.bucket_properties(filter_index).pricing_group_keys or ()


class Plan(BaseModel):
    """A stored plan. `id` is its lago_id (subscriptions refer to it); `code` is the client's id."""

    id: str
    organization_id: str
    name: str
    code: str
    interval: Interval
    amount_cents: int
    amount_currency: str
    pay_in_advance: bool
    trial_period: Decimal = Decimal(0)
    bill_charges_monthly: bool | None = None
    description: str | None = None
    invoice_display_name: str | None = None
    charges: list[Charge] = []
    created_at: datetime
    updated_at: datetime
    version: int = 1
    active_subscriptions_count: int = 0

    def yearly_amount_cents(self) -> int:
        """The base fee over a year (Lago's measure for upgrade vs downgrade: new >= old is an upgrade)."""
        return self.amount_cents * PERIODS_PER_YEAR[self.interval]

    def billable_metric_ids(self) -> set[str]:
        return {charge.billable_metric_id for charge in self.charges}


# Fields that decide how subscriptions are billed: fixed while the plan has active subscriptions (Lago then
# lets only name, display name, description, amount and charges change; it ignores the others silently,
# this service refuses a different value).
FIELDS_FIXED_WHILE_SUBSCRIBED = ("code", "interval", "pay_in_advance", "amount_currency", "trial_period",
                                 "bill_charges_monthly")
# Intervals whose usage may be billed monthly while the base fee stays yearly or semiannual.
MONTHLY_CHARGES_INTERVALS = frozenset({"yearly", "semiannual"})


def bill_charges_monthly_for(interval: str, requested: bool | None) -> bool | None:
    """Lago's stored value: false unless asked for yearly/semiannual plans, null for the other intervals."""
    return bool(requested) if interval in MONTHLY_CHARGES_INTERVALS else None
