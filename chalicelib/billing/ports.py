"""What billing needs from outside (typing.Protocol ports): the records it reads, the writes it makes (an invoice's
transaction a UnitOfWork in which each store stages its writes), and the queue of the biller's work.
The DynamoDB and SQS adapters implement them; the composition roots (chalicelib/wiring.py, app.py,
chalicelib/cli.py) hand them in."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from chalicelib.domain.billing_failures import BillingFailure
from chalicelib.domain.credit_notes import CreditNote
from chalicelib.domain.customers import Customer
from chalicelib.domain.dead_events import DeadEvent
from chalicelib.domain.invoices.draft import Draft
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.plans import Plan
from chalicelib.domain.readers import (
    CustomerReader,
    InvoiceReader,
    MetricReader,
    OrganizationReader,
    PlanReader,
    SubscriptionReader,
)
from chalicelib.domain.subscriptions import Change, Subscription
from chalicelib.domain.test_clocks import TestClock
from chalicelib.usage.ports import AggregateReader, EventWindowReader
from chalicelib.usecases.ports import TestClockStore, Transactions, UnitOfWork


class CustomerFinder(CustomerReader, Protocol):
    def find_by_external_id(self, organization_id: str, external_id: str) -> Customer | None: ...


class SubscriptionStore(SubscriptionReader, Protocol):
    def due(self, until: datetime) -> list[tuple[str, str, str]]: ...
    def backfill_due(self, until: datetime) -> list[tuple[str, str, str]]: ...
    def of_customer(self, organization_id: str, customer_id: str, statuses: Iterable[str]) -> list[Subscription]: ...
    def history(self, organization_id: str, external_id: str,
                statuses: Iterable[str] = ("active", "terminated")) -> list[Subscription]: ...
    def replace(self, previous: Subscription, subscription: Subscription, also: Sequence[Change] = ()) -> None: ...
    def stage_replace(self, unit: UnitOfWork, previous: Subscription, subscription: Subscription,
                      also: Sequence[Change] = ()) -> None: ...
    def stage_change_plan(self, unit: UnitOfWork, previous: Subscription, ended: Subscription,
                          successor: Subscription, pending: Subscription | None = None,
                          also: Sequence[Change] = ()) -> None: ...


class PlanCounts(PlanReader, Protocol):
    def stage_subscription_count(self, unit: UnitOfWork, plan: Plan, delta: int) -> None: ...


class InvoiceStore(InvoiceReader, Protocol):
    def drafts_of(self, organization_id: str, customer_id: str) -> list[Draft]: ...
    def of_customer_since(self, organization_id: str, customer_id: str, since: str) -> list[Invoice]: ...
    def last_sequence(self, organization_id: str, customer_id: str) -> int: ...
    def stage_issue(self, unit: UnitOfWork, invoice: Invoice) -> None:
        """Refused with InvoiceAlreadyIssued when the invoice exists."""
    def stage_finalize(self, unit: UnitOfWork, draft: Invoice, invoice: Invoice) -> None: ...
    def stage_replace(self, unit: UnitOfWork, previous: Invoice, invoice: Invoice) -> None: ...
    def stage_refreshed(self, unit: UnitOfWork, draft: Draft) -> None: ...


class CreditNoteStore(Protocol):
    def last_sequence(self, organization_id: str, invoice_id: str) -> int: ...
    def available(self, organization_id: str, customer_id: str) -> list[CreditNote]: ...
    def stage_create(self, unit: UnitOfWork, note: CreditNote) -> None: ...
    def stage_consume(self, unit: UnitOfWork, previous: CreditNote, note: CreditNote) -> None: ...


class BillingFailureStore(Protocol):
    def record(self, organization_id: str, customer_id: str, reason: str, now: datetime) -> None: ...
    def of_organization(self, organization_id: str) -> list[BillingFailure]: ...
    def forget(self, failure: BillingFailure) -> None: ...


class DeadEventReader(Protocol):
    def dead_events(self, organization_id: str, external_subscription_id: str | None = None) -> list[DeadEvent]: ...


class EventReader(EventWindowReader, Protocol):
    def count(self, organization_id: str, external_subscription_id: str, code: str | None, from_ms: int | None,
              to_ms: int | None, billable: bool | None = None) -> int: ...


class UsageReader(AggregateReader, Protocol):
    def applied_events(self, organization_id: str, subscription_id: str, period_start_ms: int) -> int: ...


class WorkQueue(Protocol):
    """The billing worker's queue: the customers of a large biller run, billed by parallel workers, and the test
    clocks' advances that did not finish within their request."""

    def is_configured(self) -> bool: ...
    def enqueue(self, customers: list[tuple[str, str]], now: datetime) -> int:
        """Queue one message per (organization_id, customer_id) to bill as of `now`; how many were queued."""
    def queue_continuation(self, clock: TestClock, delay_seconds: int) -> None:
        """Ask the worker to go on with a test clock's advance in `delay_seconds`."""


class BillingStores(Transactions, Protocol):
    """Every store billing a customer reads or writes."""

    @property
    def customers(self) -> CustomerFinder: ...
    @property
    def organizations(self) -> OrganizationReader: ...
    @property
    def subscriptions(self) -> SubscriptionStore: ...
    @property
    def plans(self) -> PlanCounts: ...
    @property
    def billable_metrics(self) -> MetricReader: ...
    @property
    def invoices(self) -> InvoiceStore: ...
    @property
    def credit_notes(self) -> CreditNoteStore: ...
    @property
    def billing_failures(self) -> BillingFailureStore: ...
    @property
    def dead_letters(self) -> DeadEventReader: ...
    @property
    def events(self) -> EventReader: ...
    @property
    def usage(self) -> UsageReader: ...
    @property
    def test_clocks(self) -> TestClockStore: ...

    def purge_customer(self, organization_id: str, customer_id: str) -> int:
        """Delete every item of a test clock's customer; how many were deleted."""
        ...
