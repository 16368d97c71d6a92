"""The repositories of one process, built lazily from the environment (nothing touches AWS at import)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from botocore.client import BaseClient

from chalicelib.store.billable_metrics import BillableMetricRepository
from chalicelib.store.billing_failures import BillingFailureRepository
from chalicelib.store.console_sessions import ConsoleSessionRepository
from chalicelib.store.credit_notes import CreditNoteRepository
from chalicelib.store.customer_purge import purge_customer
from chalicelib.store.customers import CustomerRepository
from chalicelib.store.dead_letters import DeadLetterRepository
from chalicelib.store.dynamo import dynamodb_client, is_transient_failure
from chalicelib.store.events import EventRepository
from chalicelib.store.fees import FeeRepository
from chalicelib.store.in_advance import InAdvanceRepository
from chalicelib.store.invoices import InvoiceRepository
from chalicelib.store.organizations import OrganizationRepository
from chalicelib.store.plans import PlanRepository
from chalicelib.store.stream_lineage import ShardLineage, streams_client
from chalicelib.store.subscriptions import SubscriptionRepository
from chalicelib.store.test_clocks import TestClockRepository
from chalicelib.store.unit_of_work import DynamoUnitOfWork
from chalicelib.store.usage import UsageRepository
from chalicelib.store.webhooks import WebhookRepository


@dataclass
class Repositories:
    client: BaseClient

    @cached_property
    def organizations(self) -> OrganizationRepository:
        return OrganizationRepository(self.client)

    @cached_property
    def console_sessions(self) -> ConsoleSessionRepository:
        return ConsoleSessionRepository(self.client)

    @cached_property
    def customers(self) -> CustomerRepository:
        return CustomerRepository(self.client)

    @cached_property
    def billable_metrics(self) -> BillableMetricRepository:
        return BillableMetricRepository(self.client)

    @cached_property
    def plans(self) -> PlanRepository:
        return PlanRepository(self.client)

    @cached_property
    def subscriptions(self) -> SubscriptionRepository:
        return SubscriptionRepository(self.client)

    @cached_property
    def usage(self) -> UsageRepository:
        return UsageRepository(self.client)

    @cached_property
    def stream_lineage(self) -> ShardLineage:
        return ShardLineage(streams_client())

    @cached_property
    def billing_failures(self) -> BillingFailureRepository:
        return BillingFailureRepository(self.client)

    @cached_property
    def dead_letters(self) -> DeadLetterRepository:
        return DeadLetterRepository(self.client)

    @cached_property
    def events(self) -> EventRepository:
        return EventRepository(self.client)

    @cached_property
    def invoices(self) -> InvoiceRepository:
        return InvoiceRepository(self.client)

    @cached_property
    def credit_notes(self) -> CreditNoteRepository:
        return CreditNoteRepository(self.client)

    @cached_property
    def webhooks(self) -> WebhookRepository:
        return WebhookRepository(self.client)

    @cached_property
    def fees(self) -> FeeRepository:
        return FeeRepository(self.client)

    @cached_property
    def in_advance(self) -> InAdvanceRepository:
        return InAdvanceRepository(self.client)

    @cached_property
    def test_clocks(self) -> TestClockRepository:
        return TestClockRepository(self.client)

    def unit_of_work(self) -> DynamoUnitOfWork:
        return DynamoUnitOfWork(self.client)

    @staticmethod
    def is_transient_failure(error: Exception) -> bool:
        """Whether a failed store call may succeed when retried (throttling, a lost race)."""
        return is_transient_failure(error)

    def purge_customer(self, organization_id: str, customer_id: str) -> int:
        """Delete every item of a customer (a test clock's, with its clock); how many were deleted."""
        return purge_customer(self, organization_id, customer_id)


_current: Repositories | None = None


def repositories() -> Repositories:
    global _current
    if _current is None:
        _current = Repositories(dynamodb_client())
    return _current


def reset_repositories() -> None:
    """Forget the cached client (tests start a fresh moto backend per test)."""
    global _current
    _current = None
