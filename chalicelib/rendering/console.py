"""The console's view models: what its pages show of a record, in words, from what a use case returns."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.current_usage import ChargeUsage, PeriodUsage, UsagePeriod, UsageTotals
from chalicelib.domain.customers import Customer
from chalicelib.domain.money import format_money
from chalicelib.domain.organizations import Organization
from chalicelib.domain.periods import local_day
from chalicelib.domain.plans import ChargeFilter
from chalicelib.rendering.resources import plain_number

# The customer's fields the Overview shows when they are set, with their labels (the form's labels).
CUSTOMER_FIELD_LABELS = (
    ("external_id", "External ID"), ("name", "Name"), ("firstname", "First name"), ("lastname", "Last name"),
    ("account_type", "Account type"), ("customer_type", "Customer type"), ("email", "Email"),
    ("address_line1", "Address line 1"), ("address_line2", "Address line 2"), ("city", "City"), ("state", "State"),
    ("zipcode", "Zipcode"), ("country", "Country"), ("legal_name", "Legal name"), ("legal_number", "Legal number"),
    ("tax_identification_number", "Tax identification number"), ("logo_url", "Logo URL"), ("phone", "Phone"),
    ("url", "URL"), ("net_payment_term", "Net payment term (days)"),
    ("invoice_grace_period", "Invoice grace period (days)"),
    ("test_clock_id", "Test clock"),
)


@dataclass(frozen=True)
class CustomerOverview:
    fields: list[tuple[str, str]]  # (label, value) of each field set
    slug: str
    currency: str
    timezone: str
    timezone_source: str
    tax_rate: str
    tax_rate_source: str


def _percent(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def customer_overview(customer: Customer, organization: Organization) -> CustomerOverview:
    """The Overview tab: every field set, then what applies to the customer and whose setting it is."""
    fields = [(label, str(getattr(customer, name))) for name, label in CUSTOMER_FIELD_LABELS
              if getattr(customer, name) is not None]
    return CustomerOverview(
        fields=fields, slug=customer.slug,
        currency=customer.currency or "Not set (taken from its first subscription's plan)",
        timezone=customer.applicable_timezone(organization.timezone),
        timezone_source="the customer's own" if customer.timezone else "the organization's",
        tax_rate=_percent(customer.applicable_vat_rate(organization.vat_rate)),
        tax_rate_source="the customer's own" if customer.vat_rate is not None else "the organization's")


@dataclass(frozen=True)
class UsageLine:
    """A row of the Usage tab: a charge (its metric's name) or one of its filters, with units and amount."""

    name: str
    units: str
    amount: str


@dataclass(frozen=True)
class ChargeLine(UsageLine):
    filters: tuple[UsageLine, ...]  # the charge's filter buckets (the default one "Other"); () without filters


@dataclass(frozen=True)
class UsageFigures:
    """A subscription's current period, a line per charge and their total (excluding taxes, as their amounts);
    `empty` when no charge has units or an amount yet."""

    from_date: str
    to_date: str
    charges: tuple[ChargeLine, ...]
    total: str
    empty: bool


@dataclass(frozen=True)
class SubscriptionUsage:
    """The Usage tab's part for one active subscription: `figures` None while an event set aside keeps any figure
    from being right (the API answers `usage_pending` then)."""

    name: str
    figures: UsageFigures | None


def _units(units: Decimal) -> str:
    """Units with thousands commas and no trailing zeros: 1,010 and 58.5."""
    return f"{plain_number(Decimal(units)):,f}"


def _line(name: str, totals: UsageTotals, currency: str) -> UsageLine:
    return UsageLine(name, _units(totals.units), format_money(totals.amount_cents, currency))


def _filter_name(charge_filter: ChargeFilter | None) -> str:
    if charge_filter is None:
        return "Other"
    return charge_filter.invoice_display_name or "; ".join(
        f"{key}: {', '.join(values)}" for key, values in charge_filter.values.items())


def _charge_line(usage: ChargeUsage, currency: str) -> ChargeLine:
    filters = () if not usage.filtered else tuple(
        _line(_filter_name(None if index is None else usage.charge.filters[index]), totals, currency)
        for index, totals in usage.filter_totals(usage.buckets).items())
    line = _line(usage.metric.name, usage.totals, currency)
    return ChargeLine(line.name, line.units, line.amount, filters)


def usage_figures(period: UsagePeriod, usage: PeriodUsage) -> UsageFigures:
    """What the Usage tab shows of a subscription's current usage (as the API's use case reads it)."""
    return UsageFigures(
        from_date=local_day(period.shown.start, period.timezone).isoformat(),
        to_date=local_day(period.shown.last_second, period.timezone).isoformat(),
        charges=tuple(_charge_line(charge, usage.currency) for charge in usage.charges),
        total=format_money(usage.amount_cents, usage.currency),
        empty=all(charge.totals.units == 0 and charge.amount_cents == 0 for charge in usage.charges))
