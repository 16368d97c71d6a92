"""The control-plane use cases wired to this process's DynamoDB repositories, the system clock and UUIDv7 ids: the
one place the API, the CLI and the local stack build them (tests wire tests/fakes/control_plane.py instead)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any, Literal

import uuid6

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.clock import utc_now
from chalicelib.domain.customers import Customer
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plans import Plan
from chalicelib.domain.test_clocks import TestClock
from chalicelib.rendering.invoices import InvoiceRecords
from chalicelib.setup_cache import CONTAINER_SETUP
from chalicelib.store.customer_purge import purge_customer
from chalicelib.store.repositories import Repositories, repositories
from chalicelib.usage.period_usage import stored_usage
from chalicelib.usecases.billable_metrics import BillableMetricUseCases
from chalicelib.usecases.billing_documents import Gather, ListDocuments, ReadDocument
from chalicelib.usecases.console_sessions import ConsoleSessions
from chalicelib.usecases.current_usage import ReadCurrentUsage
from chalicelib.usecases.customer_time import CustomerTime
from chalicelib.usecases.customers import CustomerUseCases
from chalicelib.usecases.events import EventUseCases
from chalicelib.usecases.ingest_events import IngestEvents
from chalicelib.usecases.invoices import InvoiceUseCases
from chalicelib.usecases.listed_customers import ListedCustomers
from chalicelib.usecases.listing import ListPage
from chalicelib.usecases.organizations import OrganizationUseCases
from chalicelib.usecases.plans import PlanUseCases
from chalicelib.usecases.shown_records import GatherShownRecords
from chalicelib.usecases.subscriptions import SubscriptionUseCases
from chalicelib.usecases.test_clocks import TestClockUseCases


class SystemClock:
    def now(self) -> datetime:
        return utc_now()


class Uuid7Ids:
    def new_id(self) -> str:
        return str(uuid6.uuid7())


CLOCK = SystemClock()
IDS = Uuid7Ids()


def customer_time(organization: Organization, request_time: datetime) -> CustomerTime:
    """A request's "now" for each customer it touches: the time the request arrived (which the handler reads), or
    the frozen time of the test clock a customer lives on (chalicelib/usecases/customer_time.py)."""
    return CustomerTime(request_time, repositories().test_clocks, organization.id)


def organization_use_cases(stores: Repositories | None = None) -> OrganizationUseCases:
    return OrganizationUseCases((stores or repositories()).organizations, CLOCK, IDS, CONTAINER_SETUP)


def console_sessions() -> ConsoleSessions:
    stores = repositories()
    return ConsoleSessions(stores.console_sessions, stores.organizations, organization_use_cases(stores).authenticate,
                           IDS)


def customer_use_cases() -> CustomerUseCases:
    stores = repositories()
    return CustomerUseCases(stores.customers, stores.test_clocks, IDS)


def billable_metric_use_cases() -> BillableMetricUseCases:
    stores = repositories()
    return BillableMetricUseCases(stores.billable_metrics, stores.plans, CLOCK, IDS)


def plan_use_cases() -> PlanUseCases:
    stores = repositories()
    return PlanUseCases(stores.plans, stores.billable_metrics, CLOCK, IDS)


def subscription_use_cases() -> SubscriptionUseCases:
    stores = repositories()
    return SubscriptionUseCases(stores.subscriptions, stores.customers, stores.plans, stores, IDS)


def ingest_events() -> IngestEvents:
    stores = repositories()
    return IngestEvents(stores.events, stores.subscriptions, stores.customers, stores.billable_metrics, stores.plans,
                        IDS, CONTAINER_SETUP)


def read_current_usage() -> ReadCurrentUsage:
    stores = repositories()
    return ReadCurrentUsage(stores.customers, stores.subscriptions, stores.plans, stores.billable_metrics,
                            stores.dead_letters, partial(stored_usage, stores), CONTAINER_SETUP)


def event_use_cases() -> EventUseCases:
    return EventUseCases(repositories().events)


def invoice_use_cases() -> InvoiceUseCases:
    return InvoiceUseCases(repositories().invoices)


def test_clock_use_cases(stores: Repositories | None = None) -> TestClockUseCases:
    stores = stores or repositories()
    return TestClockUseCases(stores.test_clocks, lambda organization_id, customer_id: purge_customer(
        stores, organization_id, customer_id), IDS)


def plan_pages() -> ListPage[Plan]:
    return ListPage(repositories().plans)


def billable_metric_pages() -> ListPage[BillableMetric]:
    return ListPage(repositories().billable_metrics)


def customer_pages() -> ListPage[Customer]:
    return ListPage(repositories().customers)


def test_clock_pages() -> ListPage[TestClock]:
    return ListPage(repositories().test_clocks)


# The documents the biller writes, by the name of their repository, of their list and of their shown records.
DocumentKind = Literal["invoices", "fees", "credit_notes"]


def shown_records(stores: Repositories, kind: DocumentKind) -> Gather[Any]:
    """The records documents of `kind` show, read from `stores`."""
    def gather(organization: Organization, documents: Sequence[Any]) -> InvoiceRecords:
        return GatherShownRecords(stores)(organization, **{kind: documents})
    return gather


def document_pages(kind: DocumentKind) -> ListDocuments[Any]:
    stores = repositories()
    return ListDocuments(stores.customers, getattr(stores, kind), shown_records(stores, kind))


def invoice_list_pages() -> ListDocuments[Invoice]:
    """The console's invoices list: `GET /api/v1/invoices`'s use case, gathering only the customers it shows (one
    request for the page's customers, whatever its size)."""
    stores = repositories()
    return ListDocuments(stores.customers, stores.invoices, ListedCustomers(stores.customers))


def read_document(kind: DocumentKind, root_key: str) -> ReadDocument[Any]:
    """Reads a document of `kind`; NotFound(`root_key`) when there is none."""
    stores = repositories()
    return ReadDocument(getattr(stores, kind), shown_records(stores, kind), root_key)
