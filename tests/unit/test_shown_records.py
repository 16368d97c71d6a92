"""What the use case gathers for the renderer, on in-memory readers: every record an invoice, a fee or a credit
note shows, each read once for a whole page, and nothing it does not show."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import model_builders as models

from chalicelib.domain.credit_notes import CreditNote, CreditNoteItem
from chalicelib.domain.customers import Customer
from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.invoices.invoice import AppliedCredit, Invoice, build_invoice
from chalicelib.domain.invoices.shares import SubscriptionShare
from chalicelib.domain.organizations import Organization
from chalicelib.domain.periods import Period
from chalicelib.usecases.shown_records import GatherShownRecords

NOW = datetime(2026, 2, 1, tzinfo=UTC)
JANUARY = Period(datetime(2026, 1, 1, tzinfo=UTC), NOW)
ORGANIZATION = Organization(id="org", name="Org", created_at=NOW, updated_at=NOW, document_number_prefix="ORG")
CUSTOMER = Customer(id="cus", organization_id="org", external_id="ext-cus", name="C", sequential_id=1, slug="C-1",
                    created_at=NOW, updated_at=NOW)
CALLS = models.metric("m-calls", name="Calls", code="calls")
PLAN = models.plan(models.charge("c-calls", "m-calls", "1", billable_metric_code="calls"))
SUBSCRIPTION = models.subscription(external_id="ext-sub", subscription_at=JANUARY.start, started_at=JANUARY.start)


def fee(fee_type: str, charge_id: str | None = None) -> FeeLine:
    return FeeLine(fee_type=fee_type, subscription_id="sub", charge_id=charge_id, filter_index=None,
                   true_up_of_charge=False, units=Decimal(1), total_aggregated_units=Decimal(1), events_count=1,
                   amount_cents=100, precise_amount_cents=Decimal(100), precise_unit_amount=Decimal(1),
                   from_datetime=JANUARY.start, to_datetime=JANUARY.end, pay_in_advance=False)


def invoice(invoice_id: str) -> Invoice:
    share = SubscriptionShare("sub", "subscription_periodic", JANUARY, JANUARY,
                              (fee("subscription"), fee("charge", "c-calls")))
    return build_invoice(invoice=invoice_id, organization_id="org", customer_id="cus", draft_number="ORG-DRAFT",
                         issuing_date=date(2026, 2, 1), currency="EUR", vat_rate=None, shares=[(SUBSCRIPTION, share)],
                         now=NOW)


FIRST = invoice("inv-1")
NOTE = CreditNote(id="cn-1", organization_id="org", customer_id="cus", invoice_id="inv-1", subscription_id="sub",
                  sequential_id=1, issuing_date=date(2026, 2, 2), currency="EUR", total_amount_cents=100,
                  balance_amount_cents=100, credit_status="available", reason="order_change", credit_amount_cents=100, created_at=NOW,
                  updated_at=NOW, items=[CreditNoteItem(id="item", fee_id=FIRST.fees[1].id, amount_cents=100,
                                                        precise_amount_cents=Decimal(100))],
                  **{"taxes_amount_cents": 0, "sub_total_excluding_taxes_amount_cents": 100})
SECOND = invoice("inv-2").model_copy(update={"credits": [AppliedCredit(credit_note_id="cn-1", amount_cents=100)]})


@dataclass
class Table:
    """One repository of `records` by id, counting its reads."""

    records: dict
    reads: Counter = field(default_factory=Counter)

    def get(self, organization_id: str, record_id: str):
        self.reads[record_id] += 1
        return self.records.get(record_id) if organization_id == "org" else None

    get_any = get

    def get_many(self, organization_id: str, record_ids: set[str]) -> dict:
        self.reads[tuple(sorted(record_ids))] += 1
        return {record_id: self.records[record_id] for record_id in record_ids if record_id in self.records}


@dataclass
class Readers:
    customers: Table = field(default_factory=lambda: Table({"cus": CUSTOMER}))
    subscriptions: Table = field(default_factory=lambda: Table({"sub": SUBSCRIPTION}))
    plans: Table = field(default_factory=lambda: Table({"plan": PLAN}))
    billable_metrics: Table = field(default_factory=lambda: Table({"m-calls": CALLS}))
    invoices: Table = field(default_factory=lambda: Table({"inv-1": FIRST, "inv-2": SECOND}))
    credit_notes: Table = field(default_factory=lambda: Table({"cn-1": NOTE}))


def test_a_page_of_invoices_reads_each_record_it_names_once():
    readers = Readers()
    records = GatherShownRecords(readers)(ORGANIZATION, invoices=[FIRST, SECOND])
    assert (records.customers.get("cus"), records.subscriptions.get("sub"), records.plans.get("plan"),
            records.metrics.get("m-calls")) == (CUSTOMER, SUBSCRIPTION, PLAN, CALLS)
    assert records.credit_note_number(records.credit_notes.get("cn-1")) == "ORG-DRAFT-CN001"  # its invoice's number
    assert [dict(table.reads) for table in vars(readers).values()] == [
        {"cus": 1}, {"sub": 1}, {"plan": 1}, {("m-calls",): 1}, {"inv-1": 1}, {"cn-1": 1}]


def test_a_credit_note_brings_its_invoice_and_the_fees_it_credits():
    readers = Readers()
    records = GatherShownRecords(readers)(ORGANIZATION, credit_notes=[NOTE])
    assert (records.invoices.get("inv-1"), records.customers.get("cus"), records.metrics.get("m-calls")) == (FIRST, CUSTOMER, CALLS)
    assert readers.credit_notes.reads == Counter()


def test_a_missing_record_shows_as_null():
    readers = Readers(plans=Table({}))
    records = GatherShownRecords(readers)(ORGANIZATION, invoices=[FIRST])
    assert (records.plans.get("plan"), records.metrics.get("m-calls")) == (None, None)
    assert readers.billable_metrics.reads == Counter()
