"""Issuing invoices (chalicelib/usecases/issuing.InvoiceIssuing) on the in-memory stores (tests/fakes/world.py,
pinned to DynamoDB by tests/integration/test_billing_port_contracts.py): whatever the customer's credit notes and the
invoices' amounts, each invoice is numbered next in the customer's sequence and pays from the oldest available credit
notes, at most five, never more than it charges, and every cent it takes leaves exactly one credit note's balance; a
draft takes its number and its credits only when it is finalized."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import model_builders as models
from fakes.control_plane import FixedClock
from fakes.world import InMemoryRepositories
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.credit_notes import CreditNote, CreditNoteItem
from chalicelib.domain.customers import Customer
from chalicelib.domain.invoices.fee_line import FeeLine
from chalicelib.domain.invoices.invoice import Invoice, build_invoice
from chalicelib.domain.invoices.shares import SubscriptionShare
from chalicelib.domain.periods import Period
from chalicelib.usecases.issuing import MAX_CREDIT_NOTES_PER_INVOICE, InvoiceIssuing

NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
NOVEMBER = Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
SUBSCRIPTION = models.started_subscription(NOVEMBER.start)


def a_world() -> tuple[InMemoryRepositories, Customer]:
    world = InMemoryRepositories(FixedClock(NOW))
    customer = world.customers.create("org", lambda sequential_id: Customer(
        id="cus", organization_id="org", external_id="acme", name="Acme", sequential_id=sequential_id,
        slug="ORG-001", created_at=NOW, updated_at=NOW))
    return world, customer


def credit_note(number: int, balance_cents: int, created_at: datetime) -> CreditNote:
    note_id = f"note-{number:02d}"
    return CreditNote(
        id=note_id, organization_id="org", customer_id="cus", invoice_id=f"paid-{number}", subscription_id="sub",
        sequential_id=1, issuing_date=created_at.date(), reason="order_cancellation", currency="EUR",
        sub_total_excluding_taxes_amount_cents=balance_cents, taxes_amount_cents=0, total_amount_cents=balance_cents,
        credit_amount_cents=balance_cents, balance_amount_cents=balance_cents, created_at=created_at,
        updated_at=created_at, items=[CreditNoteItem(id=f"{note_id}-item", fee_id="fee", amount_cents=balance_cents,
                                                     precise_amount_cents=Decimal(balance_cents))])


def a_draft(number: int, fee_cents: int) -> Invoice:
    """Invoice `inv-<number>` of November's base fee, `fee_cents`, with 20 % VAT."""
    fee = FeeLine(fee_type="subscription", subscription_id=SUBSCRIPTION.id, true_up_of_charge=False, units=Decimal(1),
                  total_aggregated_units=Decimal(1), events_count=0, amount_cents=fee_cents,
                  precise_amount_cents=Decimal(fee_cents), precise_unit_amount=Decimal(fee_cents) / 100,
                  from_datetime=NOVEMBER.start, to_datetime=NOVEMBER.end, pay_in_advance=False)
    share = SubscriptionShare(subscription_id=SUBSCRIPTION.id, invoicing_reason="subscription_periodic",
                              base_fee_window=NOVEMBER, charges_window=None, fees=(fee,))
    return build_invoice(invoice=f"inv-{number}", organization_id="org", customer_id="cus", draft_number="ORG-DRAFT",
                         issuing_date=date(2026, 12, 1), currency="EUR", vat_rate=Decimal(20),
                         shares=[(SUBSCRIPTION, share)], now=NOW)


def balances(world: InMemoryRepositories) -> dict[str, int]:
    return {note.id: note.balance_amount_cents for note in world.credit_notes.stored.values()}


NOTES = st.lists(st.tuples(st.integers(1, 3_000), st.integers(0, 30)), max_size=8)


@settings(max_examples=200, deadline=None)
@given(notes=NOTES, fees=st.lists(st.integers(0, 4_000), min_size=1, max_size=4))
def test_each_invoice_pays_from_the_oldest_credit_notes_what_they_hold_up_to_its_amount(notes, fees):
    world, customer = a_world()
    for number, (balance, days_old) in enumerate(notes):
        unit = world.unit_of_work()
        world.credit_notes.stage_create(unit, credit_note(number, balance, NOW - timedelta(days=days_old)))
        unit.commit()
    for number, fee_cents in enumerate(fees, start=1):
        before = balances(world)
        oldest_first = sorted(world.credit_notes.available("org", "cus"), key=lambda note: (note.created_at, note.id))
        invoice = InvoiceIssuing(world.invoices, world.credit_notes).issue(world.unit_of_work(), customer, a_draft(number, fee_cents),
                                              grace_days=0, timezone="UTC", now=NOW)
        assert (invoice.status, invoice.sequential_id, invoice.number) == ("finalized", number, f"ORG-001-{number:03d}")
        assert world.invoices.get("org", invoice.id) == invoice
        charged = invoice.sub_total_including_taxes_amount_cents
        assert charged == fee_cents + round(Decimal(fee_cents) / 5)  # 20 % VAT, half up
        taken = {credit.credit_note_id: credit.amount_cents for credit in invoice.credits}
        # The oldest first, each emptied before the next is taken, at most five.
        expected, left = {}, charged
        for note in oldest_first[:MAX_CREDIT_NOTES_PER_INVOICE]:
            if left == 0:
                break
            expected[note.id] = min(note.balance_amount_cents, left)
            left -= expected[note.id]
        assert taken == expected
        assert invoice.credit_notes_amount_cents == sum(taken.values())
        assert invoice.total_amount_cents == charged - sum(taken.values())
        assert balances(world) == {note_id: balance - taken.get(note_id, 0) for note_id, balance in before.items()}
        assert {note.id for note in world.credit_notes.available("org", "cus")} == {
            note_id for note_id, balance in balances(world).items() if balance > 0}
    assert world.invoices.last_sequence("org", "cus") == len(fees)


def test_a_draft_takes_its_number_and_its_credits_when_it_is_finalized():
    world, customer = a_world()
    unit = world.unit_of_work()
    world.credit_notes.stage_create(unit, credit_note(1, 500, NOW - timedelta(days=3)))
    unit.commit()
    issuing = InvoiceIssuing(world.invoices, world.credit_notes)
    draft = issuing.issue(world.unit_of_work(), customer, a_draft(1, 1000), grace_days=3, timezone="UTC", now=NOW)
    assert (draft.status, draft.sequential_id, draft.credits, draft.finalize_at) == (
        "draft", None, [], datetime(2026, 12, 4, tzinfo=UTC))
    assert (world.invoices.last_sequence("org", "cus"), balances(world)) == (0, {"note-01": 500})
    final = issuing.finalize(world.unit_of_work(), customer, draft, draft, issuing_date=date(2026, 12, 4),
                             now=NOW + timedelta(days=3))
    # 1000 + 200 VAT, 500 of it paid by the credit note.
    assert (final.status, final.sequential_id, final.credit_notes_amount_cents, final.total_amount_cents) == (
        "finalized", 1, 500, 700)
    assert (balances(world), world.credit_notes.available("org", "cus")) == ({"note-01": 0}, [])
    assert [(webhook.webhook_type, webhook.object_id) for webhook in world.webhooks.list("org")
            if webhook.object_type == "invoice"] == [("invoice.drafted", "inv-1"), ("invoice.created", "inv-1")]
