"""The reads many use cases share, as typing.Protocol ports: one per kind of record, with the methods that read it.
A use case's own ports (chalicelib/<package>/ports.py) combine these with the writes it makes; the DynamoDB
repositories (chalicelib/store) implement them."""
from __future__ import annotations

from typing import Protocol

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.credit_notes import CreditNote
from chalicelib.domain.customers import Customer
from chalicelib.domain.fees import PayInAdvanceFee
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription


class OrganizationReader(Protocol):
    def get(self, organization_id: str) -> Organization: ...


class CustomerReader(Protocol):
    def get_any(self, organization_id: str, customer_id: str) -> Customer | None:
        """The customer, deleted or not."""


class SubscriptionReader(Protocol):
    def get(self, organization_id: str, subscription_id: str) -> Subscription | None: ...


class PlanReader(Protocol):
    def get_any(self, organization_id: str, plan_id: str) -> Plan | None:
        """The plan, deleted or not."""


class MetricReader(Protocol):
    def get(self, organization_id: str, record_id: str) -> BillableMetric | None: ...
    def get_many(self, organization_id: str, metric_ids: set[str]) -> dict[str, BillableMetric]: ...


class InvoiceReader(Protocol):
    def get(self, organization_id: str, invoice_id: str) -> Invoice | None: ...


class CreditNoteReader(Protocol):
    def get(self, organization_id: str, credit_note_id: str) -> CreditNote | None: ...


class FeeReader(Protocol):
    def get(self, organization_id: str, fee_id: str) -> PayInAdvanceFee | None: ...
