"""The composition root of the data plane: the use cases run on the adapters the environment names (DynamoDB
tables, SQS queues). Handlers, the CLI and tests that drive a whole run call these; the use cases themselves take
their ports in their constructors."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib.billing.biller import Biller
from chalicelib.billing.clock_advance import ClockAdvance
from chalicelib.billing.customer_billing import CustomerBilling
from chalicelib.billing.drafts import Drafts
from chalicelib.billing.fanout import BillingWorker
from chalicelib.billing.work_queue import SqsWorkQueue
from chalicelib.control_plane import (
    invoice_use_cases,
    organization_use_cases,
    shown_records,
    subscription_use_cases,
    test_clock_use_cases,
)
from chalicelib.domain.organizations import Organization
from chalicelib.domain.test_clocks import TestClock
from chalicelib.store.repositories import repositories
from chalicelib.usecases.invoice_requests import InvoiceRequests
from chalicelib.usecases.subscription_requests import SubscriptionRequests
from chalicelib.webhooks.delivery import WebhookDelivery


def run_biller(now: datetime) -> dict[str, Any]:
    """The hourly biller's run as of `now` (its trigger's time)."""
    return Biller(repositories(), SqsWorkQueue()).bill_due_customers(now)


def bill_queued_customers(raw_event: dict[str, Any], context: LambdaContext | None,
                          has_time: Callable[[], bool]) -> PartialItemFailureResponse:
    """The billing worker's batch: queued customers billed, test clocks' advances gone on with."""
    return BillingWorker(repositories(), SqsWorkQueue()).bill_queued(raw_event, context, has_time)


def advance_test_clock(organization: Organization, test_clock_id: str, payload: Any,
                       has_time: Callable[[], bool]) -> TestClock:
    """`POST /test_clocks/{lago_id}/advance`: the clock set advancing, then run while `has_time()`; the clock as the
    request leaves it."""
    stores = repositories()
    clock = test_clock_use_cases(stores).start_advance(organization, test_clock_id, payload)
    return ClockAdvance(stores, SqsWorkQueue()).advance(clock, has_time)


def invoice_requests() -> InvoiceRequests:
    """The routes changing an invoice: its use cases, and a draft's refresh and finalization, on the repositories."""
    stores = repositories()
    drafts = Drafts(stores)
    return InvoiceRequests(invoice_use_cases(), drafts.refresh_invoice, drafts.finalize_invoice,
                           shown_records(stores, "invoices"))


def subscription_requests() -> SubscriptionRequests:
    """The subscription routes' use cases, billing a change at once on the repositories."""
    stores = repositories()
    return SubscriptionRequests(subscription_use_cases(), stores.plans, CustomerBilling(stores).bill_now)


def deliver_queued_webhooks(raw_event: dict[str, Any], context: LambdaContext | None) -> PartialItemFailureResponse:
    """The webhook queue's batch: one delivery attempt per message, signed with its organization's key."""
    stores = repositories()
    return WebhookDelivery(stores, organization_use_cases(stores)).deliver_queued(raw_event, context)
