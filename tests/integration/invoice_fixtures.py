"""Invoices stored directly (as the biller would issue them), for the read-side API tests: a subscription
share with a subscription fee and charge fees, built with `build_invoice` and issued finalized (no grace period)
with no subscription actions; and a pay-in-advance fee stored without invoice (as the aggregator would)."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from chalicelib.domain.credit_notes import CreditNote, CreditNoteItem
from chalicelib.domain.fees import stored_fee
from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.invoices.invoice import Invoice, build_invoice, invoice_id
from chalicelib.domain.invoices.shares import SubscriptionShare
from chalicelib.domain.periods.period import Period
from chalicelib.store.repositories import repositories
from chalicelib.usecases.issuing import InvoiceIssuing

JANUARY = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
ISSUED_AT = datetime(2026, 2, 1, 0, 5, tzinfo=UTC)


def subscription_fee(subscription_id: str, amount_cents: int, window: Period = JANUARY) -> FeeLine:
    return FeeLine(fee_type="subscription", subscription_id=subscription_id, charge_id=None, filter_index=None,
                   true_up_of_charge=False, units=Decimal(1), total_aggregated_units=Decimal(1), events_count=0,
                   amount_cents=amount_cents, precise_amount_cents=Decimal(amount_cents),
                   precise_unit_amount=Decimal(amount_cents) / 100, from_datetime=window.start,
                   to_datetime=window.end, pay_in_advance=False)


def charge_fee(subscription_id: str, charge_id: str, units: Decimal, amount_cents: int, *,
               filter_index: int | None = None, events_count: int = 0, window: Period = JANUARY) -> FeeLine:
    return FeeLine(fee_type="charge", subscription_id=subscription_id, charge_id=charge_id, filter_index=filter_index,
                   true_up_of_charge=False, units=units, total_aggregated_units=units, events_count=events_count,
                   amount_cents=amount_cents, precise_amount_cents=Decimal(amount_cents),
                   precise_unit_amount=(Decimal(amount_cents) / 100 / units) if units else Decimal(0),
                   from_datetime=window.start, to_datetime=window.end, pay_in_advance=False)


def issue_invoice(organization_id: str, external_customer_id: str, external_subscription_id: str,
                  fees: list[FeeLine], *, issuing_date: date = date(2026, 2, 1), vat_rate: Decimal | None = None,
                  group: str = "periodic", window: Period = JANUARY, lago_id: str | None = None) -> Invoice:
    """The customer's next invoice, billing `fees` of its subscription `external_subscription_id` over `window`
    (its id derived as the biller derives it, unless `lago_id` names it)."""
    stores = repositories()
    customer = stores.customers.find_by_external_id(organization_id, external_customer_id)
    subscription = stores.subscriptions.find_current(organization_id, external_subscription_id)
    share = SubscriptionShare(subscription_id=subscription.id, invoicing_reason="subscription_periodic",
                              base_fee_window=window, charges_window=window, fees=tuple(fees))
    draft = build_invoice(
        invoice=lago_id or invoice_id(organization_id, customer.id, issuing_date, group),
        organization_id=organization_id, customer_id=customer.id, draft_number="DRAFT", issuing_date=issuing_date,
        currency="EUR", vat_rate=vat_rate, shares=[(subscription, share)], now=ISSUED_AT)
    return InvoiceIssuing(stores.invoices, stores.credit_notes).issue(stores.unit_of_work(), customer, draft, grace_days=0, timezone="UTC",
                                        now=ISSUED_AT)


def issue_credit_note(invoice: Invoice, lago_id: str, amount_cents: int) -> CreditNote:
    """A credit note of `amount_cents` on the first fee of `invoice`, available in full, stored as the biller
    creates one (for the read-side tests)."""
    fee = invoice.fees[0]
    note = CreditNote(
        id=lago_id, organization_id=invoice.organization_id, customer_id=invoice.customer_id, invoice_id=invoice.id,
        subscription_id=fee.subscription_id, sequential_id=1, issuing_date=invoice.issuing_date,
        reason="order_cancellation", currency=invoice.currency, taxes_rate=invoice.taxes_rate,
        sub_total_excluding_taxes_amount_cents=amount_cents, taxes_amount_cents=0, total_amount_cents=amount_cents,
        credit_amount_cents=amount_cents, balance_amount_cents=amount_cents, created_at=ISSUED_AT,
        updated_at=ISSUED_AT, items=[CreditNoteItem(id=f"{lago_id}-item", fee_id=fee.id, amount_cents=amount_cents,
                                                    precise_amount_cents=Decimal(amount_cents))])
    stores = repositories()
    unit = stores.unit_of_work()
    stores.credit_notes.stage_create(unit, note)
    unit.commit()
    return note


def store_in_advance_fee(organization_id: str, external_customer_id: str, external_subscription_id: str,
                         charge_id: str, lago_id: str) -> None:
    """A fee of 250 cents for 2.5 units, not invoiceable, stored under the id `lago_id`."""
    stores = repositories()
    customer = stores.customers.find_by_external_id(organization_id, external_customer_id)
    subscription = stores.subscriptions.find_current(organization_id, external_subscription_id)
    line = charge_fee(subscription.id, charge_id, Decimal("2.5"), 250, events_count=1).model_copy(update={
        "pay_in_advance": True, "invoiceable": False, "event_transaction_id": "tx-1"})
    fee = stored_fee(line, organization_id=organization_id, customer_id=customer.id,
                     external_subscription_id=external_subscription_id, currency="EUR", vat_rate=None,
                     created_at=ISSUED_AT).model_copy(update={"id": lago_id})
    unit = stores.unit_of_work()
    stores.fees.stage_create(unit, fee)
    unit.commit()
