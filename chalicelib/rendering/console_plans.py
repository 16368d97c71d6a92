"""The console's view models of plans: a row of the list and a plan's page, its charges' properties in words and
money formatted."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.money import CURRENCY_SYMBOLS, amount_cents, currency_exponent, format_money
from chalicelib.domain.plans import Charge, ChargeFilter, Plan
from chalicelib.domain.pricing.properties import ChargeProperties
from chalicelib.rendering.resources import plain_number

MODEL_LABELS = {"standard": "Standard", "graduated": "Graduated", "package": "Package", "percentage": "Percentage",
                "volume": "Volume", "graduated_percentage": "Graduated percentage"}
# Each property shown, with the form's label and how its value is written.
_AMOUNTS = ("amount", "fixed_amount", "per_transaction_min_amount", "per_transaction_max_amount")
_PROPERTY_LABELS = (("amount", "Amount"), ("package_size", "Package size"), ("free_units", "Free units"),
                    ("rate", "Rate"), ("fixed_amount", "Fixed amount"),
                    ("free_units_per_events", "Free units per events"),
                    ("free_units_per_total_aggregation", "Free units per total aggregation"),
                    ("per_transaction_min_amount", "Per transaction minimum"),
                    ("per_transaction_max_amount", "Per transaction maximum"))
_RANGES = ("graduated_ranges", "volume_ranges", "graduated_percentage_ranges")


def number_words(value: Decimal | int) -> str:
    """A count or a bound without trailing zeros, with thousands commas ("1,000", "0.5")."""
    return f"{plain_number(Decimal(value)):,f}"


def unit_price(amount: Decimal, currency: str) -> str:
    """A price in major units, as format_money writes it ("€0.50"); a price finer than the minor unit keeps its
    digits ("€0.125")."""
    if amount == amount.quantize(Decimal(1).scaleb(-currency_exponent(currency))):
        return format_money(amount_cents(amount, currency), currency)
    symbol = CURRENCY_SYMBOLS.get(currency)
    digits = f"{amount.normalize():,f}"
    return f"{symbol}{digits}" if symbol else f"{currency} {digits}"


@dataclass(frozen=True)
class PlanRow:
    name: str
    code: str
    interval: str
    base_fee: str
    charges_count: int


def plan_row(plan: Plan) -> PlanRow:
    return PlanRow(plan.name, plan.code, plan.interval.capitalize(),
                   format_money(plan.amount_cents, plan.amount_currency), len(plan.charges))


@dataclass(frozen=True)
class RangeRow:
    from_value: str
    to_value: str
    per_unit: str
    flat_fee: str


@dataclass(frozen=True)
class Prices:
    """A charge's or a filter's properties: (label, value in words) pairs, and its ranges if it has any."""

    properties: list[tuple[str, str]]
    ranges: list[RangeRow]


@dataclass(frozen=True)
class ChargeView:
    metric_name: str
    metric_code: str
    model: str
    prices: Prices
    filters: list[tuple[str, Prices]]  # (the filter's name, its prices)
    pay_in_advance: bool


def _property_words(name: str, value: Decimal | int, currency: str) -> str:
    if name in _AMOUNTS:
        return unit_price(Decimal(value), currency)
    if name == "rate":
        return f"{number_words(value)}%"
    return number_words(value)


def _range_rows(ranges: list[object], currency: str) -> list[RangeRow]:
    rows = []
    for bounds in ranges:
        to_value = getattr(bounds, "to_value")
        per_unit = getattr(bounds, "per_unit_amount", None)
        rows.append(RangeRow(number_words(getattr(bounds, "from_value")),
                             "and above" if to_value is None else number_words(to_value),
                             unit_price(per_unit, currency) if per_unit is not None
                             else f"{number_words(getattr(bounds, 'rate'))}%",
                             unit_price(getattr(bounds, "flat_amount"), currency)))
    return rows


def _prices(properties: ChargeProperties, currency: str) -> Prices:
    shown = [(label, _property_words(name, getattr(properties, name), currency))
             for name, label in _PROPERTY_LABELS if getattr(properties, name, None) is not None]
    ranges: list[object] = next((getattr(properties, name) for name in _RANGES if hasattr(properties, name)), [])
    return Prices(shown, _range_rows(list(ranges), currency))


def _filter_name(charge_filter: ChargeFilter) -> str:
    """Its display name, or the values it matches ("region: eu, us")."""
    return charge_filter.invoice_display_name or "; ".join(
        f"{key}: {', '.join(values)}" for key, values in charge_filter.values.items())


def charge_view(charge: Charge, metric_names: Mapping[str, str], currency: str) -> ChargeView:
    return ChargeView(metric_names.get(charge.billable_metric_id, charge.billable_metric_code),
                      charge.billable_metric_code, MODEL_LABELS[charge.charge_model],
                      _prices(charge.charge_properties(), currency),
                      [(_filter_name(charge_filter), _prices(charge.filter_properties(index), currency))
                       for index, charge_filter in enumerate(charge.filters)],
                      charge.pay_in_advance)


@dataclass(frozen=True)
class PlanView:
    name: str
    fields: list[tuple[str, str]]  # (label, value in words)
    charges: list[ChargeView]


def plan_view(plan: Plan, metric_names: Mapping[str, str]) -> PlanView:
    """A plan's page: its fields with the form's labels, and each charge with its metric's name."""
    fields = [("Code", plan.code), ("Interval", plan.interval.capitalize()), ("Currency", plan.amount_currency),
              ("Base fee", format_money(plan.amount_cents, plan.amount_currency)),
              ("Pay in advance", "Yes" if plan.pay_in_advance else "No"),
              ("Trial days", number_words(plan.trial_period))]
    return PlanView(plan.name, fields, [charge_view(charge, metric_names, plan.amount_currency)
                                        for charge in plan.charges])
