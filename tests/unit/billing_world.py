"""An organization billed on the in-memory stores (tests/fakes/world.py) the way the deployment bills one: set up by
the control-plane use cases, its events stored by IngestEvents and applied by the stream Aggregator, billed by the
hourly biller (on a work queue that is never used: every customer is billed inline)."""
from __future__ import annotations

from datetime import datetime
from functools import partial
from itertools import count
from typing import Any

from fakes.billing import InMemoryWorkQueue
from fakes.control_plane import FixedClock, SequentialIds
from fakes.world import InMemoryRepositories

from chalicelib.billing.biller import Biller
from chalicelib.billing.customer_billing import CustomerBilling
from chalicelib.domain.current_usage import PeriodUsage
from chalicelib.domain.customers import Customer
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.usage.aggregator import Aggregator, StreamRecord
from chalicelib.usage.period_usage import stored_usage
from chalicelib.usecases.billable_metrics import BillableMetricUseCases
from chalicelib.usecases.current_usage import ReadCurrentUsage
from chalicelib.usecases.customer_time import CustomerTime
from chalicelib.usecases.customers import CustomerUseCases
from chalicelib.usecases.ingest_events import IngestEvents
from chalicelib.usecases.organizations import OrganizationUseCases
from chalicelib.usecases.plans import PlanUseCases
from chalicelib.usecases.subscription_requests import SubscriptionRequests
from chalicelib.usecases.subscriptions import SubscriptionUseCases


class BillingWorld:
    """One organization in the in-memory stores; `clock` is the requests' "now" (the biller takes its own)."""

    def __init__(self, now: datetime) -> None:
        self.clock = FixedClock(now)
        self.ids = SequentialIds()
        self.stores = stores = InMemoryRepositories(self.clock)
        self.organization_use_cases = OrganizationUseCases(stores.organizations, self.clock, self.ids)
        self.organization, _ = self.organization_use_cases.create("Acme Corp")
        self._metrics = BillableMetricUseCases(stores.billable_metrics, stores.plans, self.clock, self.ids)
        self._plans = PlanUseCases(stores.plans, stores.billable_metrics, self.clock, self.ids)
        self._customers = CustomerUseCases(stores.customers, stores.test_clocks, self.ids)
        self._subscriptions = SubscriptionUseCases(stores.subscriptions, stores.customers, stores.plans, stores,
                                                   self.ids)
        self._ingest = IngestEvents(stores.events, stores.subscriptions, stores.customers, stores.billable_metrics,
                                    stores.plans, self.ids)
        self._biller = Biller(stores, InMemoryWorkQueue(configured=False))
        self._sequence_numbers = count(1)

    def _now(self) -> CustomerTime:
        return CustomerTime(self.clock.now(), self.stores.test_clocks, self.organization.id)

    def configure(self, **changes: Any) -> None:
        """`PUT /organizations` with `changes`."""
        self.organization = self.organization_use_cases.update(self.organization, changes)

    def plan(self, metric: dict[str, Any], **charge: Any) -> None:
        """The metric `metric` describes (`POST /billable_metrics`), and plan `startup`: 1000 cents a month in arrears
        and one standard charge on the metric (`charge` its other fields)."""
        created = self._metrics.create(self.organization, metric)
        self._plans.create(self.organization, {
            "name": "Startup", "code": "startup", "interval": "monthly", "amount_cents": 1000,
            "amount_currency": "EUR", "pay_in_advance": False,
            "charges": [{"billable_metric_id": created.id, "charge_model": "standard", **charge}]})

    def storage_plan(self, cents_a_gb: str) -> None:
        """Metric `storage` (the sum of `gb`) and plan `startup` charging `cents_a_gb` EUR a gb of storage."""
        self.plan({"name": "Storage", "code": "storage", "aggregation_type": "sum_agg", "field_name": "gb"},
                  properties={"amount": cents_a_gb})

    def customer(self, external_id: str, vat_rate: int, **fields: Any) -> Customer:
        return self._customers.upsert(self.organization, {"external_id": external_id, "name": external_id,
                                                          "billing_configuration": {"vat_rate": vat_rate}, **fields},
                                      self._now())

    def subscribe(self, external_id: str, external_customer_id: str, subscription_at: str, **fields: Any) -> None:
        """`POST /subscriptions` to plan `startup` (no billing at once: the biller's runs bill it)."""
        self._subscriptions.create(self.organization, {
            "external_customer_id": external_customer_id, "plan_code": "startup", "external_id": external_id,
            "subscription_at": subscription_at, **fields}, self._now())

    def metric(self, payload: dict[str, Any]) -> None:
        """`POST /billable_metrics` with `payload`."""
        self._metrics.create(self.organization, payload)

    def priced_plan(self, code: str, amount_cents: int, prices: dict[str, str]) -> None:
        """`POST /plans`: plan `code`, `amount_cents` a month in arrears, and a standard charge on each metric code of
        `prices` at its price in EUR a unit."""
        metrics = self.stores.billable_metrics
        self._plans.create(self.organization, {
            "name": code, "code": code, "interval": "monthly", "amount_cents": amount_cents, "amount_currency": "EUR",
            "pay_in_advance": False,
            "charges": [{"billable_metric_id": metrics.find_by_code(self.organization.id, metric_code).id,
                         "charge_model": "standard", "properties": {"amount": amount}}
                        for metric_code, amount in prices.items()]})

    def change_plan(self, external_id: str, external_customer_id: str, plan_code: str) -> None:
        """`POST /subscriptions` of subscription `external_id` to `plan_code` at the clock's "now", as the route asks
        it: the change made, and what it made due (an upgrade's final invoice of the old plan) billed at once."""
        requests = SubscriptionRequests(self._subscriptions, self.stores.plans, CustomerBilling(self.stores).bill_now)
        requests.create(self.organization, {"external_customer_id": external_customer_id, "plan_code": plan_code,
                                            "external_id": external_id}, self._now())

    def current_usage(self, external_customer_id: str, external_subscription_id: str, now: datetime) -> PeriodUsage:
        """`GET /customers/{external_customer_id}/current_usage` of the subscription as of `now`, taxes applied."""
        stores = self.stores
        read = ReadCurrentUsage(stores.customers, stores.subscriptions, stores.plans, stores.billable_metrics,
                                stores.dead_letters, partial(stored_usage, stores))
        return read(self.organization, external_customer_id, external_subscription_id, apply_taxes=True,
                    clock=CustomerTime(now, stores.test_clocks, self.organization.id)).usage

    def post(self, external_subscription_id: str, at: datetime, properties: dict[str, Any], code: str = "storage",
             transaction_id: str | None = None) -> StreamRecord:
        """An event at `at` POSTed (received at the clock's "now"), as the events' stream then delivers it."""
        event = self._ingest.one(self.organization, {
            "transaction_id": transaction_id or f"{external_subscription_id}-{at.isoformat()}", "code": code,
            "external_subscription_id": external_subscription_id, "timestamp": int(at.timestamp()),
            "properties": properties}, self._now())
        return StreamRecord(str(next(self._sequence_numbers)), "shard-1", event.model_dump(exclude_none=True))

    def deliver(self, records: list[StreamRecord]) -> set[str]:
        """One invocation of the stream handler: the sequence numbers it reports not applied."""
        return Aggregator(self.stores, self.clock.now()).apply_batch(records).not_applied

    def send(self, external_subscription_id: str, at: datetime, gb: int) -> None:
        """A `storage` event at `at` POSTed, then delivered by the events' stream and applied."""
        assert self.deliver([self.post(external_subscription_id, at, {"gb": gb})]) == set()

    def run_biller(self, now: datetime) -> dict[str, Any]:
        """The hourly biller's run as of `now` (its trigger's time)."""
        return self._biller.bill_due_customers(now)

    def invoices(self) -> list[Invoice]:
        """The organization's invoices, newest first."""
        return self.stores.invoices.list_page(self.organization.id, 1, 1000)
