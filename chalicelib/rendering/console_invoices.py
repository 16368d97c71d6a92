"""The console's invoices in words: a row of the list, and the invoice page, whose every figure is read from the
invoice object the API answers (`rendering/invoices.invoice_json` of the same use case's output), so the two cannot
differ."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.money import CURRENCY_SYMBOLS, format_money, precise_amount_cents
from chalicelib.domain.organizations import Organization
from chalicelib.domain.periods import local_day
from chalicelib.rendering.invoices import InvoiceRecords, invoice_json
from chalicelib.rendering.resources import plain_number

# The postal and legal fields the customer and organization blocks show when set, with their labels.
IDENTITY_LABELS = (
    ("legal_name", "Legal name"), ("legal_number", "Legal number"),
    ("tax_identification_number", "Tax identification number"), ("address_line1", "Address line 1"),
    ("address_line2", "Address line 2"), ("city", "City"), ("state", "State"), ("zipcode", "Zipcode"),
    ("country", "Country"), ("email", "Email"),
)


def _words(status: str) -> str:
    return status.replace("_", " ").capitalize()


@dataclass(frozen=True)
class InvoiceRow:
    """A line of the invoices list: `customer_external_id` None when the customer is gone."""

    lago_id: str
    number: str
    customer_name: str
    customer_external_id: str | None
    issuing_date: str
    status: str
    total: str


def invoice_rows(invoices: Sequence[Invoice], records: InvoiceRecords) -> list[InvoiceRow]:
    rows = []
    for invoice in invoices:
        customer = records.customers.get(invoice.customer_id)
        rows.append(InvoiceRow(
            lago_id=invoice.id, number=invoice.number,
            customer_name=(customer.name or customer.external_id) if customer else "Deleted customer",
            customer_external_id=customer.external_id if customer else None,
            issuing_date=invoice.issuing_date.isoformat(), status=_words(invoice.status),
            total=format_money(invoice.total_amount_cents, invoice.currency)))
    return rows


@dataclass(frozen=True)
class FeeRow:
    description: str
    units: str
    unit_price: str
    amount: str


@dataclass(frozen=True)
class FeeTable:
    """The fees one billing period of a subscription bills (its base fee's and its charges' windows)."""

    subscription: str  # the plan's name and the subscription's external id
    windows: list[tuple[str, str, str]]  # (what, first day, last day) of the base fee's and charges' windows
    fees: list[FeeRow]


@dataclass(frozen=True)
class SummaryLine:
    label: str
    amount: str


@dataclass(frozen=True)
class InvoicePage:
    lago_id: str
    number: str
    status: str
    payment_status: str
    draft: bool
    issuing_date: str
    customer_name: str
    customer_external_id: str | None
    customer_fields: list[tuple[str, str]]
    organization_name: str
    organization_fields: list[tuple[str, str]]
    tables: list[FeeTable]
    summary: list[SummaryLine]  # subtotal, tax lines, credit notes, in the order of the page
    total: str


def _units(text: str) -> str:
    """Units with thousands commas and no trailing zeros: 1,010 and 58.5."""
    return f"{plain_number(Decimal(text)):,f}"


def unit_price(amount: Decimal, currency: str) -> str:
    """A unit price in the currency: format_money when it is whole minor units, else every digit it has (a price
    of €0.0001 a unit is not €0.00)."""
    cents = precise_amount_cents(amount, currency)
    if cents == cents.to_integral_value():
        return format_money(int(cents), currency)
    symbol = CURRENCY_SYMBOLS.get(currency)
    digits = f"{plain_number(abs(amount)):,f}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{currency} {digits}"


def _description(fee: dict[str, Any]) -> str:
    item = fee["item"]
    name = str(item["invoice_display_name"] or item["name"] or item["code"] or "")
    if item["type"] == "subscription":
        return f"Subscription fee: {name}"
    parts = [name]
    if item["filter_invoice_display_name"]:
        parts.append(item["filter_invoice_display_name"])
    elif item["filters"]:
        parts.append("; ".join(f"{key}: {', '.join(values)}" for key, values in item["filters"].items()))
    parts += [str(value) for value in (item["grouped_by"] or {}).values()]
    return " · ".join(parts)


def _fee_row(fee: dict[str, Any], currency: str) -> FeeRow:
    return FeeRow(_description(fee), _units(fee["units"]), unit_price(Decimal(fee["precise_unit_amount"]), currency),
                  format_money(fee["amount_cents"], currency))


def _day(text: str, timezone: str) -> str:
    return local_day(datetime.fromisoformat(text), timezone).isoformat()


def _tables(shown: dict[str, Any], timezone: str) -> list[FeeTable]:
    """A table per billing period: the fees of its subscription over its base fee's or its charges' window; fees
    no period names (none, as the biller writes them) in a last table of their own."""
    currency = shown["currency"]
    plans = {subscription["lago_id"]: subscription.get("plan_code") for subscription in shown["subscriptions"]}
    left = list(shown["fees"])
    tables = []
    for period in shown["billing_periods"]:
        windows = {(period["subscription_from_datetime"], period["subscription_to_datetime"]),
                   (period["charges_from_datetime"], period["charges_to_datetime"])}
        taken = [fee for fee in left if fee["lago_subscription_id"] == period["lago_subscription_id"]
                 and (fee["from_date"], fee["to_date"]) in windows]
        left = [fee for fee in left if fee not in taken]
        plan = plans.get(period["lago_subscription_id"])
        name = period["external_subscription_id"] + (f" ({plan})" if plan else "")
        shown_windows = [(what, _day(start, timezone), _day(end, timezone)) for what, start, end in (
            ("Subscription fee", period["subscription_from_datetime"], period["subscription_to_datetime"]),
            ("Usage", period["charges_from_datetime"], period["charges_to_datetime"])) if start != end]
        tables.append(FeeTable(name, shown_windows, [_fee_row(fee, currency) for fee in taken]))
    if left:
        tables.append(FeeTable("Other fees", [], [_fee_row(fee, currency) for fee in left]))
    return tables


def _summary(shown: dict[str, Any]) -> list[SummaryLine]:
    currency = shown["currency"]
    lines = [SummaryLine("Subtotal excluding taxes",
                         format_money(shown["sub_total_excluding_taxes_amount_cents"], currency))]
    lines += [SummaryLine(f"{tax['tax_name']} {tax['tax_rate']}%", format_money(tax["amount_cents"], currency))
              for tax in shown["applied_taxes"]]
    if shown["credits"]:
        lines.append(SummaryLine("Subtotal including taxes",
                                 format_money(shown["sub_total_including_taxes_amount_cents"], currency)))
        lines += [SummaryLine(f"Credit note {credit['item']['name'] or credit['item']['lago_item_id']}",
                              format_money(-credit["amount_cents"], currency)) for credit in shown["credits"]]
    return lines


def _fields(record: dict[str, Any] | Organization) -> list[tuple[str, str]]:
    values = record if isinstance(record, dict) else record.model_dump()
    return [(label, str(values[name])) for name, label in IDENTITY_LABELS if values.get(name) not in (None, "")]


def invoice_page(invoice: Invoice, records: InvoiceRecords) -> InvoicePage:
    """The invoice page of what `GET /api/v1/invoices/{lago_id}`'s use case read, from the object it answers."""
    shown = invoice_json(invoice, records)
    customer = shown["customer"] or {}
    organization = records.organization
    timezone = customer.get("applicable_timezone") or organization.timezone
    return InvoicePage(
        lago_id=shown["lago_id"], number=shown["number"], status=_words(shown["status"]),
        payment_status=_words(shown["payment_status"]), draft=shown["status"] == "draft",
        issuing_date=shown["issuing_date"],
        customer_name=customer.get("name") or customer.get("external_id") or "Deleted customer",
        customer_external_id=customer.get("external_id"), customer_fields=_fields(customer),
        organization_name=organization.name, organization_fields=_fields(organization),
        tables=_tables(shown, timezone), summary=_summary(shown),
        total=format_money(shown["total_amount_cents"], shown["currency"]))
