"""The ports of the control-plane use cases: the repositories they read and write, the unit of work of their
transactions, the clock and the id source. The DynamoDB repositories of chalicelib/store implement them
structurally; tests/fakes/control_plane.py holds their in-memory twins, and tests/integration/test_port_contracts.py
checks that both behave alike.

A conditional write that lost a race raises StaleWrite (the use case reads again); the other refusals are the
domain errors each method names. A write that spans repositories is staged by each (`stage_*` methods) in one
UnitOfWork, which the use case commits."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.api_keys import ApiKeyRecord
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.clock import CustomerClock
from chalicelib.domain.console_sessions import ConsoleSession
from chalicelib.domain.credit_notes import CreditNote
from chalicelib.domain.customers import Customer
from chalicelib.domain.events import Event
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plans import Plan
from chalicelib.domain.readers import MetricReader, PlanReader
from chalicelib.domain.subscriptions import Change, Subscription
from chalicelib.domain.test_clocks import TestClock

__all__ = ["BillableMetricStore", "Clock", "CreditNoteLedger", "CustomerClock", "CustomerStore", "EventStore",
           "IdSource", "InvoiceLedger", "InvoiceStore", "MetricReader", "OrganizationStore",
           "PlanReader", "PlanStore", "PurgeCustomer", "SubscriptionStore", "TestClockStore", "Transactions",
           "UnitOfWork"]

# Deletes a customer and everything of theirs: (organization_id, customer_id) -> items deleted.
PurgeCustomer = Callable[[str, str], int]


class UnitOfWork(Protocol):
    """One all-or-nothing transaction. Each repository stages the writes of its own records in it, conditioned on
    what was read and carrying the error a refusal means; only the adapter that made a unit reads what it holds."""

    def commit(self) -> None:
        """Write everything staged, or nothing: raises the refusal staged with a write whose condition failed (the
        first staged that names one), else StaleWrite."""


class Transactions(Protocol):
    def unit_of_work(self) -> UnitOfWork: ...


class Clock(Protocol):
    """ "Now" for a write that belongs to no customer (a metric, a plan, an organization)."""

    def now(self) -> datetime: ...


class IdSource(Protocol):
    """The ids of new records (UUIDv7 in production, so that keys sort newest first)."""

    def new_id(self) -> str: ...


class BillableMetricStore(MetricReader, Protocol):
    def find_by_code(self, organization_id: str, code: str) -> BillableMetric | None: ...

    def create(self, metric: BillableMetric) -> None:
        """CodeTaken if the organization has a metric with its code."""

    def update(self, previous: BillableMetric, metric: BillableMetric) -> None:
        """Replace `previous` as read; CodeTaken for a new code another metric has, StaleWrite if it changed."""

    def delete(self, metric: BillableMetric) -> None:
        """StaleWrite if it changed since it was read (a plan started using it)."""


class PlanStore(PlanReader, Protocol):
    def find_by_code(self, organization_id: str, code: str) -> Plan | None: ...

    def all_plans(self, organization_id: str) -> Iterable[Plan]: ...

    def create(self, plan: Plan, metrics: Iterable[BillableMetric]) -> None:
        """CodeTaken for a code the organization has, StaleWrite if one of `metrics` changed since read."""

    def update(self, previous: Plan, plan: Plan, metrics: Iterable[BillableMetric]) -> None: ...

    def delete(self, plan: Plan) -> None: ...

    def stage_subscription_count(self, unit: UnitOfWork, plan: Plan, delta: int) -> None:
        """Move the plan's active subscriptions by `delta` with a subscription write, on condition that the plan is
        still at the version read (never below 0)."""


class CustomerStore(Protocol):
    def find_by_external_id(self, organization_id: str, external_id: str) -> Customer | None: ...

    def search_page(self, organization_id: str, text: str, page: int, per_page: int) -> list[Customer]:
        """Page `page` of the customers that match `text` (`Customer.matches`), newest first, and the first of the
        next page if there is one (so up to per_page + 1)."""

    def get_any(self, organization_id: str, customer_id: str) -> Customer | None:
        """The customer, deleted or not."""

    def create(self, organization_id: str, build: Callable[[int], Customer]) -> Customer:
        """Insert `build(n)`, n the organization's next customer sequence (gapless); ExternalIdTaken if its external
        id is taken, ClockRefusedCustomer if its test clock is gone or full."""

    def update(self, customer: Customer, expected_version: int) -> None: ...

    def change_external_id(self, previous: Customer, renamed: Customer) -> None:
        """ExternalIdTaken if another customer has the new one."""

    def delete(self, customer: Customer) -> None: ...


class TestClockStore(Protocol):
    def get(self, organization_id: str, test_clock_id: str) -> TestClock | None: ...

    def create(self, clock: TestClock) -> None: ...

    def replace(self, previous: TestClock, clock: TestClock) -> None: ...

    def delete(self, clock: TestClock) -> None:
        """StaleWrite if it changed or has customers."""

    def customer_ids(self, organization_id: str, test_clock_id: str) -> list[str]: ...

    def forget_customer(self, organization_id: str, test_clock_id: str, customer_id: str) -> None: ...


class SubscriptionStore(Protocol):
    def get(self, organization_id: str, subscription_id: str) -> Subscription | None: ...

    def find_current(self, organization_id: str, external_id: str) -> Subscription | None:
        """The active or pending subscription of the external id."""

    def find_latest(self, organization_id: str, external_id: str, status: str) -> Subscription | None: ...

    def stage_create(self, unit: UnitOfWork, subscription: Subscription, customer: Customer, currency: str) -> None:
        """Refused with ExternalIdTaken if the external id has a current subscription; StaleWrite if the customer
        changed."""

    def stage_replace(self, unit: UnitOfWork, previous: Subscription, subscription: Subscription,
                      also: Sequence[Change] = ()) -> None:
        """`previous` as read replaced (and the changes `also` lists); a subscription that stops holding its external
        id releases it and the customer's count."""

    def replace(self, previous: Subscription, subscription: Subscription, also: Sequence[Change] = ()) -> None:
        """`stage_replace` alone in its transaction."""

    def stage_change_plan(self, unit: UnitOfWork, previous: Subscription, ended: Subscription,
                          successor: Subscription, pending: Subscription | None = None,
                          also: Sequence[Change] = ()) -> None: ...

    def stage_schedule_downgrade(self, unit: UnitOfWork, previous: Subscription, scheduled: Subscription,
                                 pending: Subscription | None, successor: Subscription) -> None: ...

    def stage_setup_change(self, unit: UnitOfWork, organization_id: str) -> None:
        """The organization's setup version moved with what `unit` writes: a subscription written by the API, the
        console or the CLI (never by the biller, whose transitions routing derives from the dates it reads)."""

    def stage_move_pending(self, unit: UnitOfWork, previous: Subscription, moved: Subscription) -> None: ...

    def list_page(self, organization_id: str, statuses: Iterable[str], page: int, per_page: int,
                  plan_id: str | None = None) -> list[Subscription]:
        """Newest first."""

    def count(self, organization_id: str, statuses: Iterable[str], plan_id: str | None = None) -> int: ...

    def of_customer(self, organization_id: str, customer_id: str, statuses: Iterable[str]) -> list[Subscription]: ...

    def history(self, organization_id: str, external_id: str, statuses: Iterable[str]) -> list[Subscription]: ...


class EventStore(Protocol):
    def insert(self, events: list[Event]) -> list[Event | None]:
        """Store each event unless its key exists: per event None (stored now) or the event stored before at its
        key. Raises Unavailable if any write failed (the others are done)."""

    def find(self, organization_id: str, transaction_id: str,
             external_subscription_id: str | None = None) -> Event | None:
        """The most recently received event with that transaction_id."""

    def list_page(self, organization_id: str, external_subscription_id: str, code: str | None, from_ms: int | None,
                  to_ms: int | None, page: int, per_page: int, billable: bool | None = None) -> list[Event]:
        """Newest timestamp first."""

    def count(self, organization_id: str, external_subscription_id: str, code: str | None, from_ms: int | None,
              to_ms: int | None, billable: bool | None = None) -> int: ...


class InvoiceStore(Protocol):
    def get(self, organization_id: str, invoice_id: str) -> Invoice | None: ...

    def replace(self, previous: Invoice, invoice: Invoice) -> None:
        """StaleWrite if it changed since `previous` was read."""


class InvoiceLedger(Protocol):
    """Where invoices are issued, each in the unit of work of what goes with it."""

    def last_sequence(self, organization_id: str, customer_id: str) -> int:
        """The customer's last invoice number's sequence (0 before its first invoice)."""

    def stage_issue(self, unit: UnitOfWork, invoice: Invoice) -> None:
        """Refused with InvoiceAlreadyIssued when the invoice exists; StaleWrite when its sequence moved."""

    def stage_finalize(self, unit: UnitOfWork, draft: Invoice, invoice: Invoice) -> None:
        """Replace `draft` as read (still a draft) by the finalized `invoice`."""


class CreditNoteLedger(Protocol):
    """The customer's credit notes an invoice pays from, created or consumed in the invoice's unit of work."""

    def available(self, organization_id: str, customer_id: str) -> list[CreditNote]: ...

    def stage_create(self, unit: UnitOfWork, note: CreditNote) -> None: ...

    def stage_consume(self, unit: UnitOfWork, previous: CreditNote, note: CreditNote) -> None: ...


class OrganizationStore(Protocol):
    def create(self, organization: Organization, hmac_key: str) -> None: ...

    def get(self, organization_id: str) -> Organization:
        """NotFound("organization") if there is none."""

    def hmac_key(self, organization_id: str, new_key: str) -> str:
        """The organization's webhook signing key, `new_key` stored first if it has none."""

    def replace_hmac_key(self, organization_id: str, new_key: str) -> None: ...

    def add_api_key(self, record: ApiKeyRecord) -> None: ...

    def find_api_key(self, key_hash: str) -> ApiKeyRecord | None: ...

    def list_api_keys(self, organization_id: str) -> list[ApiKeyRecord]: ...

    def revoke_api_key(self, record: ApiKeyRecord) -> None: ...

    def update(self, organization_id: str, changes: dict[str, Any]) -> Organization: ...

    def update_while_unsubscribed(self, organization_id: str, changes: dict[str, Any]) -> Organization:
        """HasActiveSubscriptions if the organization has an active subscription."""


class ConsoleSessionStore(Protocol):
    """The console's deployment secret and its live sessions (a session's record is deleted when it signs out)."""

    def session_secret(self, new_secret: str) -> str:
        """The deployment's secret, `new_secret` stored first if there is none (one writer wins)."""

    def add_session(self, session: ConsoleSession) -> None: ...

    def session_exists(self, session: ConsoleSession) -> bool: ...

    def delete_session(self, session: ConsoleSession) -> None: ...
