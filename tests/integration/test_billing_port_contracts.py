"""One contract for each port a billing transaction writes through (invoices, credit notes, pay-in-advance fees and
states, the webhook outbox and its deliveries' moves, the webhooks of customers and subscriptions), run against its
fake (tests/fakes/billing.py, usage.py, outbox.py, gathered in world.py) and its DynamoDB repository on moto: each
write staged in a unit of work answers and refuses alike (the refusal a condition names, else StaleWrite; two writes
of one item refused; nothing of a refused unit written), so that the rules tested on the fakes
(tests/unit/test_biller_schedules.py, test_customer_billing.py, test_issuing.py, test_in_advance_fees_once.py) hold
on DynamoDB."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import model_builders as models
import pytest
from botocore.exceptions import ClientError
from fakes.control_plane import FixedClock
from fakes.unit_of_work import OneItemTwice
from fakes.world import InMemoryRepositories
from invoice_fixtures import charge_fee

from chalicelib.domain.aggregate_keys import AggregateKey
from chalicelib.domain.aggregations.pay_in_advance import InAdvanceState
from chalicelib.domain.credit_notes import CreditNote, CreditNoteItem, consumed
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import FeeAlreadyCreated, InvoiceAlreadyIssued, StaleWrite
from chalicelib.domain.fees import PayInAdvanceFee, stored_fee
from chalicelib.domain.invoices.draft import Draft
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.subscriptions import terminated_subscription
from chalicelib.domain.webhooks import Webhook, webhook_id
from chalicelib.store.repositories import repositories
from chalicelib.usage.ports import Revised
from chalicelib.usecases.ports import UnitOfWork

NOW = datetime(2026, 11, 5, 10, tzinfo=UTC)
ORG = "org-1"
CUSTOMER = "cust-1"
OTHER = "cust-2"
PERIOD = 1_000_000
KEY = AggregateKey(ORG, "sub-lago", PERIOD, "charge-1", "default")

Staging = Callable[[UnitOfWork], None]


@pytest.fixture(params=["in_memory", "dynamodb"])
def stores(request) -> Any:
    """The repositories under test: the in-memory world, or the DynamoDB repositories on moto."""
    if request.param == "in_memory":
        return InMemoryRepositories(FixedClock(NOW))
    request.getfixturevalue("dynamodb")
    return repositories()


def commit(stores: Any, *staged: Staging) -> None:
    """One unit of work holding what each of `staged` stages, committed."""
    unit = stores.unit_of_work()
    for stage in staged:
        stage(unit)
    unit.commit()


def an_invoice(invoice_id: str, sequential_id: int | None, *, customer_id: str = CUSTOMER,
               issuing_date: date = date(2026, 11, 1), **fields: Any) -> Invoice:
    """A finalized invoice numbered `sequential_id`, or (None) a draft finalized three days after NOW."""
    numbered: dict[str, Any] = ({"status": "finalized", "number": f"ORG-{sequential_id:03d}", "finalized_at": NOW}
                                if sequential_id else {"status": "draft", "number": "ORG-DRAFT",
                                                       "finalize_at": NOW + timedelta(days=3)})
    return Invoice(**{
        "id": invoice_id, "organization_id": ORG, "customer_id": customer_id, "sequential_id": sequential_id,
        "issuing_date": issuing_date, "payment_status": "pending", "currency": "EUR", "fees": [],
        "billing_periods": [], "created_at": NOW, "updated_at": NOW, "fees_amount_cents": 0, "coupons_amount_cents": 0,
        "credit_notes_amount_cents": 0, "progressive_billing_credit_amount_cents": 0,
        "prepaid_credit_amount_cents": 0, "sub_total_excluding_taxes_amount_cents": 0, "taxes_amount_cents": 0,
        "sub_total_including_taxes_amount_cents": 0, "total_amount_cents": 0, "total_due_amount_cents": 0,
        **numbered, **fields})


def issue(stores: Any, invoice: Invoice, *also: Staging) -> Invoice:
    commit(stores, *also, lambda unit: stores.invoices.stage_issue(unit, invoice))
    return invoice


def finalized(draft: Invoice, sequential_id: int) -> Invoice:
    return draft.model_copy(update={"status": "finalized", "sequential_id": sequential_id, "finalize_at": None,
                                    "number": f"ORG-{sequential_id:03d}", "finalized_at": NOW,
                                    "version": draft.version + 1})


def queued(stores: Any) -> list[tuple[str, str]]:
    """The outbox's webhooks as (type, object id), sorted."""
    return sorted((webhook.webhook_type, webhook.object_id) for webhook in stores.webhooks.list(ORG))


# --------------------------------------------------------------------------------------------- invoices


def test_finalized_invoices_move_their_customer_sequence_and_are_listed_newest_first(stores):
    first = issue(stores, an_invoice("inv-1", 1))
    second = issue(stores, an_invoice("inv-2", 2, issuing_date=date(2026, 12, 1), payment_status="succeeded"))
    others = issue(stores, an_invoice("inv-x", 1, customer_id=OTHER, issuing_date=date(2026, 11, 15)))
    invoices = stores.invoices
    assert (invoices.get(ORG, "inv-1"), invoices.get(ORG, "inv-9")) == (first, None)
    assert [invoices.last_sequence(ORG, customer) for customer in (CUSTOMER, OTHER, "cust-none")] == [2, 1, 0]
    assert invoices.of_customer_since(ORG, CUSTOMER, "2026-11-01") == [second, first]
    assert invoices.of_customer_since(ORG, CUSTOMER, "2026-11-02") == [second]
    assert invoices.of_customer_since(ORG, CUSTOMER, "2027-01-01") == []
    assert invoices.drafts_of(ORG, CUSTOMER) == []
    assert invoices.list_page(ORG, 1, 10) == [second, others, first]
    assert invoices.list_page(ORG, 2, 2) == [first]
    assert invoices.list_page(ORG, 1, 10, customer_id=CUSTOMER, payment_statuses=["pending"]) == [first]
    assert invoices.list_page(ORG, 1, 10, issuing_date_from="2026-11-15", issuing_date_to="2026-11-30") == [others]
    assert (invoices.count(ORG), invoices.count(ORG, customer_id=CUSTOMER, statuses=["draft"])) == (3, 0)
    assert queued(stores) == [("invoice.created", "inv-1"), ("invoice.created", "inv-2"),
                              ("invoice.created", "inv-x")]


def test_an_invoice_issued_twice_is_refused_and_nothing_of_its_unit_is_written(stores):
    issue(stores, an_invoice("inv-1", 1))
    note = a_credit_note("note-1", "inv-1", 1, 500)
    for sequential_id in (2, 1):  # its sequence free or taken: the invoice's refusal is the one raised
        with pytest.raises(InvoiceAlreadyIssued):
            issue(stores, an_invoice("inv-1", sequential_id, issuing_date=date(2026, 12, 1)),
                  lambda unit: stores.credit_notes.stage_create(unit, note))
    assert stores.invoices.get(ORG, "inv-1").issuing_date == date(2026, 11, 1)
    assert stores.invoices.last_sequence(ORG, CUSTOMER) == 1
    assert (stores.credit_notes.get(ORG, "note-1"), stores.credit_notes.last_sequence(ORG, "inv-1")) == (None, 0)
    assert queued(stores) == [("invoice.created", "inv-1")]


def test_a_number_out_of_the_customer_sequence_is_refused_so_numbers_are_gapless(stores):
    with pytest.raises(StaleWrite):  # a gap
        issue(stores, an_invoice("inv-1", 2))
    assert (stores.invoices.get(ORG, "inv-1"), queued(stores)) == (None, [])
    issue(stores, an_invoice("inv-1", 1))
    for taken_or_gap in (1, 3):  # a concurrent issuer read the sequence before inv-1 moved it; a gap
        with pytest.raises(StaleWrite):
            issue(stores, an_invoice("inv-2", taken_or_gap))
    assert stores.invoices.get(ORG, "inv-2") is None
    issue(stores, an_invoice("inv-2", 2))
    assert stores.invoices.last_sequence(ORG, CUSTOMER) == 2
    assert [invoice.sequential_id for invoice in stores.invoices.list_page(ORG, 1, 10)] == [2, 1]


def test_a_draft_is_due_at_its_finalization_and_finalized_once(stores):
    draft = issue(stores, an_invoice("inv-d", None))
    invoices = stores.invoices
    assert [(each.invoice, each.refresh_requests) for each in invoices.drafts_of(ORG, CUSTOMER)] == [(draft, 0)]
    assert invoices.last_sequence(ORG, CUSTOMER) == 0
    assert invoices.list_page(ORG, 1, 10) == [draft]
    assert stores.subscriptions.due(NOW + timedelta(days=3)) == [(ORG, CUSTOMER, "inv-d")]
    final = finalized(draft, 1)
    commit(stores, lambda unit: invoices.stage_finalize(unit, draft, final))
    assert (invoices.get(ORG, "inv-d"), invoices.drafts_of(ORG, CUSTOMER)) == (final, [])
    assert invoices.last_sequence(ORG, CUSTOMER) == 1
    assert invoices.list_page(ORG, 1, 10) == [final]  # its list entries moved to its number
    assert stores.subscriptions.due(NOW + timedelta(days=3)) == []
    assert queued(stores) == [("invoice.created", "inv-d"), ("invoice.drafted", "inv-d")]
    with pytest.raises(StaleWrite):  # the draft as read is no more
        commit(stores, lambda unit: invoices.stage_finalize(unit, draft, finalized(draft, 2)))
    assert (invoices.get(ORG, "inv-d"), invoices.last_sequence(ORG, CUSTOMER)) == (final, 1)


def test_a_draft_finalized_out_of_the_sequence_stays_a_draft(stores):
    issue(stores, an_invoice("inv-1", 1))
    draft = issue(stores, an_invoice("inv-d", None))
    with pytest.raises(StaleWrite):
        commit(stores, lambda unit: stores.invoices.stage_finalize(unit, draft, finalized(draft, 1)))
    assert stores.invoices.drafts_of(ORG, CUSTOMER) == [Draft(draft, 0)]
    assert queued(stores) == [("invoice.created", "inv-1"), ("invoice.drafted", "inv-d")]


def test_a_draft_refresh_is_conditioned_on_the_requests_read(stores):
    draft = issue(stores, an_invoice("inv-d", None))
    invoices = stores.invoices
    commit(stores, lambda unit: invoices.stage_refreshed(unit, Draft(draft, 0)))  # never asked: no counter
    for hour in (1, 2):
        assert invoices.request_refresh(ORG, CUSTOMER, "inv-d", NOW + timedelta(hours=hour)) is True
    read, = invoices.drafts_of(ORG, CUSTOMER)
    assert read.refresh_requests == 2
    assert invoices.request_refresh(ORG, CUSTOMER, "inv-d", NOW + timedelta(hours=3)) is True  # came since
    fresh = draft.model_copy(update={"fees_amount_cents": 70, "version": draft.version + 1})

    def refreshed(unit: UnitOfWork) -> None:
        invoices.stage_refreshed(unit, read)
        invoices.stage_replace(unit, read.invoice, fresh)

    with pytest.raises(StaleWrite):
        commit(stores, refreshed)
    assert invoices.drafts_of(ORG, CUSTOMER) == [Draft(draft, 3)]
    assert stores.subscriptions.due(NOW + timedelta(hours=3)) == [(ORG, CUSTOMER, "inv-d")]
    read, = invoices.drafts_of(ORG, CUSTOMER)
    commit(stores, refreshed)
    assert invoices.drafts_of(ORG, CUSTOMER) == [Draft(fresh, 0)]
    assert stores.subscriptions.due(NOW + timedelta(days=3) - timedelta(seconds=1)) == []
    assert stores.subscriptions.due(NOW + timedelta(days=3)) == [(ORG, CUSTOMER, "inv-d")]
    with pytest.raises(StaleWrite):  # the draft changed since `read`
        invoices.replace(read.invoice, fresh)


def test_an_invoice_is_replaced_as_read_only(stores):
    invoice = issue(stores, an_invoice("inv-1", 1))
    paid = invoice.model_copy(update={"payment_status": "succeeded", "version": 2})
    stores.invoices.replace(invoice, paid)
    with pytest.raises(StaleWrite):
        stores.invoices.replace(invoice, invoice.model_copy(update={"payment_status": "failed", "version": 2}))
    with pytest.raises(StaleWrite):  # never issued
        stores.invoices.replace(an_invoice("inv-2", 2), an_invoice("inv-2", 2, version=2))
    assert (stores.invoices.get(ORG, "inv-1"), stores.invoices.get(ORG, "inv-2")) == (paid, None)
    assert stores.invoices.list_page(ORG, 1, 10, payment_statuses=["succeeded"]) == [paid]


# ----------------------------------------------------------------------------------------- credit notes


def a_credit_note(note_id: str, invoice_id: str, sequential_id: int, balance_cents: int, *,
                  customer_id: str = CUSTOMER, created_at: datetime = NOW) -> CreditNote:
    return CreditNote(
        id=note_id, organization_id=ORG, customer_id=customer_id, invoice_id=invoice_id, subscription_id="sub-lago",
        sequential_id=sequential_id, issuing_date=created_at.date(), reason="order_cancellation", currency="EUR",
        sub_total_excluding_taxes_amount_cents=balance_cents, taxes_amount_cents=0, total_amount_cents=balance_cents,
        credit_amount_cents=balance_cents, balance_amount_cents=balance_cents, created_at=created_at,
        updated_at=created_at, items=[CreditNoteItem(id=f"{note_id}-item", fee_id="fee-1", amount_cents=balance_cents,
                                                     precise_amount_cents=Decimal(balance_cents))])


def created(stores: Any, *notes: CreditNote) -> None:
    """Each note in its own unit (two moving one invoice's sequence would touch one item twice in a transaction)."""
    for note in notes:
        commit(stores, lambda unit, note=note: stores.credit_notes.stage_create(unit, note))


def test_credit_notes_are_numbered_per_invoice_and_available_until_consumed(stores):
    first, second = a_credit_note("note-1", "inv-1", 1, 500), a_credit_note(
        "note-2", "inv-1", 2, 300, created_at=NOW + timedelta(days=1))
    others = a_credit_note("note-3", "inv-x", 1, 100, customer_id=OTHER)
    created(stores, first, second, others)
    notes = stores.credit_notes
    assert [notes.last_sequence(ORG, invoice) for invoice in ("inv-1", "inv-x", "inv-9")] == [2, 1, 0]
    assert sorted(notes.available(ORG, CUSTOMER), key=lambda note: note.id) == [first, second]
    assert notes.get_many(ORG, ["note-1", "note-9"]) == {"note-1": first}
    assert notes.list_page(ORG, 1, 10) == [second, others, first]
    assert notes.list_page(ORG, 1, 10, customer_id=CUSTOMER) == [second, first]
    assert (notes.count(ORG), notes.count(ORG, customer_id=OTHER)) == (3, 1)
    partly = consumed(first, 200, NOW)
    commit(stores, lambda unit: notes.stage_consume(unit, first, partly))
    assert sorted(notes.available(ORG, CUSTOMER), key=lambda note: note.id) == [partly, second]
    fully = consumed(partly, 300, NOW)
    commit(stores, lambda unit: notes.stage_consume(unit, partly, fully))
    assert (notes.available(ORG, CUSTOMER), notes.get(ORG, "note-1")) == ([second], fully)
    assert (fully.credit_status, fully.balance_amount_cents) == ("consumed", 0)
    created(stores, consumed(a_credit_note("note-4", "inv-2", 1, 50), 50, NOW))  # consumed as it is created
    assert notes.available(ORG, CUSTOMER) == [second]


def test_a_credit_note_is_created_once_in_its_invoice_sequence(stores):
    note = a_credit_note("note-1", "inv-1", 1, 500)
    created(stores, note)
    for refused in (note, a_credit_note("note-2", "inv-1", 1, 10), a_credit_note("note-2", "inv-1", 3, 10)):
        with pytest.raises(StaleWrite):
            created(stores, refused)
    assert (stores.credit_notes.get(ORG, "note-2"), stores.credit_notes.last_sequence(ORG, "inv-1")) == (None, 1)


def test_a_stale_credit_note_consumption_refuses_the_invoice_it_pays(stores):
    note = a_credit_note("note-1", "inv-0", 1, 500)
    created(stores, note)
    commit(stores, lambda unit: stores.credit_notes.stage_consume(unit, note, consumed(note, 100, NOW)))
    with pytest.raises(StaleWrite):  # read before another invoice took 100
        issue(stores, an_invoice("inv-1", 1),
              lambda unit: stores.credit_notes.stage_consume(unit, note, consumed(note, 500, NOW)))
    assert (stores.invoices.get(ORG, "inv-1"), stores.invoices.last_sequence(ORG, CUSTOMER)) == (None, 0)
    assert stores.credit_notes.get(ORG, "note-1").balance_amount_cents == 400
    assert queued(stores) == []


# ------------------------------------------------------------------------------ pay-in-advance fees, states


def a_fee(transaction_id: str, external_subscription_id: str, received_at: datetime,
          customer_id: str = CUSTOMER) -> PayInAdvanceFee:
    line = charge_fee("sub-lago", "charge-1", Decimal(2), 200, events_count=1).model_copy(update={
        "pay_in_advance": True, "invoiceable": False, "event_transaction_id": transaction_id})
    return stored_fee(line, organization_id=ORG, customer_id=customer_id,
                      external_subscription_id=external_subscription_id, currency="EUR", vat_rate=Decimal(20),
                      created_at=received_at)


def test_fees_are_listed_newest_first_by_customer_and_by_subscription(stores):
    first, second = a_fee("tx-a", "sub-1", NOW), a_fee("tx-b", "sub-2", NOW + timedelta(milliseconds=1))
    others = a_fee("tx-c", "sub-1", NOW + timedelta(seconds=1), customer_id=OTHER)
    commit(stores, *(lambda unit, fee=fee: stores.fees.stage_create(unit, fee) for fee in (first, second, others)))
    fees = stores.fees
    assert (fees.get(ORG, first.id), fees.get(ORG, "fee-9")) == (first, None)
    assert fees.list_page(ORG, 1, 10) == [others, second, first]
    assert fees.list_page(ORG, 2, 2) == [first]
    assert fees.list_page(ORG, 1, 10, customer_id=CUSTOMER) == [second, first]
    assert fees.list_page(ORG, 1, 10, external_subscription_id="sub-1") == [others, first]
    assert fees.list_page(ORG, 1, 10, customer_id=OTHER, external_subscription_id="sub-1") == [others]
    assert [fees.count(ORG), fees.count(ORG, customer_id=CUSTOMER), fees.count(ORG, external_subscription_id="sub-2"),
            fees.count(ORG, customer_id=CUSTOMER, external_subscription_id="sub-1")] == [3, 2, 1, 1]


def test_an_event_fee_created_twice_is_refused_with_its_state_and_webhook(stores):
    fee = a_fee("tx-a", "sub-1", NOW)
    state = InAdvanceState(Decimal(2), Decimal(2), PERIOD, 1)

    def fee_transaction(unit: UnitOfWork, read_revision: int) -> None:
        """As chalicelib/usage/in_advance.py stages an event's fee."""
        stores.in_advance.stage_state(unit, KEY, state, read_revision)
        stores.webhooks.stage_webhook(unit, ORG, "fee.created", fee.id, NOW)
        stores.fees.stage_create(unit, fee)

    commit(stores, lambda unit: fee_transaction(unit, 0))
    for read_revision in (1, 0):  # its state as read or moved: the fee's refusal is the one raised
        with pytest.raises(FeeAlreadyCreated):
            commit(stores, lambda unit, revision=read_revision: fee_transaction(unit, revision))
    assert stores.in_advance.state(KEY) == Revised(state, 1)
    assert (stores.fees.count(ORG), queued(stores)) == (1, [("fee.created", fee.id)])


def test_a_pay_in_advance_state_and_presence_are_written_at_the_revision_read(stores):
    in_advance = stores.in_advance
    other = AggregateKey(ORG, "sub-lago", PERIOD, "charge-2", "default")
    assert (in_advance.state(KEY), in_advance.presence(KEY, "a")) == (Revised(InAdvanceState(), 0), Revised(False, 0))
    first, second = InAdvanceState(Decimal("2.5"), Decimal(3), PERIOD, 2), InAdvanceState(Decimal(0), Decimal(3))
    commit(stores, lambda unit: in_advance.stage_state(unit, KEY, first, 0),
           lambda unit: in_advance.stage_presence(unit, KEY, "a", True, 0))
    for stale in (lambda unit: in_advance.stage_state(unit, KEY, second, 0),
                  lambda unit: in_advance.stage_presence(unit, KEY, "a", False, 0),
                  lambda unit: in_advance.stage_presence(unit, KEY, "b", True, 1)):
        with pytest.raises(StaleWrite):
            commit(stores, lambda unit: in_advance.stage_state(unit, other, second, 0), stale)
    assert (in_advance.state(KEY), in_advance.state(other)) == (Revised(first, 1), Revised(InAdvanceState(), 0))
    commit(stores, lambda unit: in_advance.stage_state(unit, KEY, second, 1),
           lambda unit: in_advance.stage_presence(unit, KEY, "a", False, 1))
    assert in_advance.state(KEY) == Revised(second, 2)
    assert [in_advance.presence(KEY, value) for value in ("a", "b")] == [Revised(False, 2), Revised(False, 0)]


# ------------------------------------------------------------------------------------------------ outbox


def test_a_webhook_is_queued_once_with_the_change_it_reports(stores):
    commit(stores, lambda unit: stores.webhooks.stage_webhook(unit, ORG, "fee.created", "fee-1", NOW))
    webhook = stores.webhooks.get(ORG, webhook_id(ORG, "fee.created", "fee-1"))
    assert (webhook.webhook_type, webhook.object_type, webhook.object_id, webhook.status, webhook.attempts,
            webhook.created_at, webhook.payload) == ("fee.created", "fee", "fee-1", "pending", 0, NOW, None)
    assert (stores.webhooks.list(ORG), stores.webhooks.list(ORG, "delivered")) == ([webhook], [])
    assert stores.webhooks.get(ORG, webhook_id(ORG, "fee.created", "fee-2")) is None
    with pytest.raises(StaleWrite):
        commit(stores, lambda unit: stores.in_advance.stage_state(unit, KEY, InAdvanceState(Decimal(1)), 0),
               lambda unit: stores.webhooks.stage_webhook(unit, ORG, "fee.created", "fee-1", NOW))
    assert stores.in_advance.state(KEY).revision == 0
    assert stores.webhooks.list(ORG) == [webhook]


def test_a_customer_and_its_subscription_entering_a_status_queue_their_webhooks(stores):
    customer = stores.customers.create(ORG, lambda sequential_id: Customer(
        id="cust-lago", organization_id=ORG, external_id="acme", name="Acme", sequential_id=sequential_id,
        slug="ORG-001", created_at=NOW, updated_at=NOW))
    plan = models.plan(id="plan-lago", organization_id=ORG)
    stores.plans.create(plan, [])
    pending = models.subscription(id="sub-lago", organization_id=ORG, customer_id=customer.id, plan_id=plan.id,
                                  status="pending", subscription_at=NOW, updated_at=NOW)
    commit(stores, lambda unit: stores.plans.stage_subscription_count(unit, plan, 1),
           lambda unit: stores.subscriptions.stage_create(unit, pending, customer, "EUR"))
    assert queued(stores) == [("customer.created", "cust-lago")]  # none for a pending subscription
    active = pending.model_copy(update={"status": "active", "started_at": NOW, "version": pending.version + 1})
    stores.subscriptions.replace(pending, active)
    moved = active.model_copy(update={"current_billing_period_end": NOW, "version": active.version + 1})
    stores.subscriptions.replace(active, moved)  # no status entered: no webhook
    ended = terminated_subscription(moved, NOW + timedelta(days=1))
    commit(stores, lambda unit: stores.plans.stage_subscription_count(unit, stores.plans.get(ORG, plan.id), -1),
           lambda unit: stores.subscriptions.stage_replace(unit, moved, ended))
    assert queued(stores) == [("customer.created", "cust-lago"), ("subscription.started", "sub-lago"),
                              ("subscription.terminated", "sub-lago")]
    assert [webhook.created_at for webhook in stores.webhooks.list(ORG)] == [NOW, active.updated_at, ended.updated_at]


LEASE = 120


def a_queued_webhook(stores: Any) -> Webhook:
    commit(stores, lambda unit: stores.webhooks.stage_webhook(unit, ORG, "customer.created", "customer-1", NOW))
    return stores.webhooks.get(ORG, webhook_id(ORG, "customer.created", "customer-1"))


def test_a_webhook_attempt_holds_it_until_its_lease_ends_and_only_its_outcome_counts(stores):
    webhooks, webhook = stores.webhooks, a_queued_webhook(stores)
    claimed = webhooks.claim(webhook, NOW, LEASE)
    assert (claimed.attempts, claimed.leased_until, claimed.last_attempt_at) == (1, int(NOW.timestamp()) + LEASE, NOW)
    assert webhooks.claim(webhook, NOW + timedelta(seconds=LEASE), LEASE) is None  # still held
    later = webhooks.claim(webhook, NOW + timedelta(seconds=LEASE + 1), LEASE)  # the holder crashed
    assert later.attempts == 2
    webhooks.record_attempt(claimed, "delivered", 200, None, NOW)  # the crashed attempt's late outcome
    assert webhooks.get(ORG, webhook.id) == later
    webhooks.record_attempt(later, "pending", None, "ReadTimeoutError: timed out", NOW + timedelta(seconds=LEASE + 2))
    retried = webhooks.get(ORG, webhook.id)
    assert (retried.status, retried.last_status_code, retried.last_error, retried.leased_until) == (
        "pending", None, "ReadTimeoutError: timed out", None)
    third = webhooks.claim(retried, NOW + timedelta(seconds=LEASE + 3), LEASE)
    webhooks.record_attempt(third, "delivered", 204, None, NOW + timedelta(seconds=LEASE + 4))
    delivered = webhooks.get(ORG, webhook.id)
    assert (delivered.status, delivered.attempts, delivered.last_status_code, delivered.last_error,
            delivered.leased_until, delivered.delivered_at) == (
        "delivered", 3, 204, None, None, NOW + timedelta(seconds=LEASE + 4))
    assert webhooks.claim(delivered, NOW + timedelta(days=1), LEASE) is None  # never sent again
    assert (webhooks.list(ORG, "delivered"), webhooks.list(ORG, "pending")) == ([delivered], [])


def test_a_webhook_keeps_its_first_payload(stores):
    webhooks, webhook = stores.webhooks, a_queued_webhook(stores)
    assert webhooks.keep_payload(webhook, '{"first":1}') == '{"first":1}'
    assert webhooks.keep_payload(webhook, '{"second":2}') == '{"first":1}'
    assert webhooks.get(ORG, webhook.id).payload == '{"first":1}'


def test_only_a_failed_webhook_is_resent_and_a_skipped_one_is_final(stores):
    webhooks, webhook = stores.webhooks, a_queued_webhook(stores)
    assert webhooks.mark_for_resend(webhook) is False  # pending: nothing to re-send
    claimed = webhooks.claim(webhook, NOW, LEASE)
    webhooks.record_attempt(claimed, "failed", 500, None, NOW)
    assert webhooks.mark_for_resend(webhook) is True
    assert webhooks.get(ORG, webhook.id).status == "pending"
    webhooks.mark_skipped(webhook)
    assert webhooks.get(ORG, webhook.id).status == "skipped"
    assert (webhooks.claim(webhook, NOW + timedelta(days=1), LEASE), webhooks.mark_for_resend(webhook)) == (None, False)
    webhooks.mark_skipped(webhook)
    assert webhooks.list(ORG, "skipped") == [webhooks.get(ORG, webhook.id)]


# ---------------------------------------------------------------------------------------- the unit of work


def test_a_unit_writing_one_item_twice_is_refused_and_writes_nothing(stores):
    state = InAdvanceState(Decimal(1), Decimal(1), PERIOD, 1)
    with pytest.raises((OneItemTwice, ClientError)) as refused:  # DynamoDB's ValidationException
        commit(stores, lambda unit: stores.webhooks.stage_webhook(unit, ORG, "fee.created", "fee-1", NOW),
               lambda unit: stores.in_advance.stage_state(unit, KEY, state, 0),
               lambda unit: stores.in_advance.stage_state(unit, KEY, state._replace(total=Decimal(2)), 0))
    assert isinstance(refused.value, OneItemTwice) or refused.value.response["Error"]["Code"] == "ValidationException"
    # Two credit notes of one invoice move its credit-note sequence twice (moto, unlike DynamoDB, lets an item's
    # second Update through to its condition, which fails).
    with pytest.raises((OneItemTwice, StaleWrite)):
        commit(stores, lambda unit: stores.credit_notes.stage_create(unit, a_credit_note("note-1", "inv-1", 1, 500)),
               lambda unit: stores.credit_notes.stage_create(unit, a_credit_note("note-2", "inv-1", 2, 300)))
    assert (stores.in_advance.state(KEY).revision, stores.credit_notes.last_sequence(ORG, "inv-1")) == (0, 0)
    assert (stores.credit_notes.get(ORG, "note-1"), queued(stores)) == (None, [])
