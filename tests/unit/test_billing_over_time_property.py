"""Any timeline of subscriptions created now or backdated, events, hourly biller runs, backfills, upgrades and
terminations bills every event once or lists it unbillable with the reason the timeline confirms, invoices no period
twice and prices each charge fee as the test does: a hypothesis property (tests/billing_timelines.py) on the
in-memory stores (tests/unit/billing_world.py), each request made through the use case its route calls and its
answer rendered as the route renders it. On moto through the API: tests/integration/test_billing_over_time_timelines.py."""
from __future__ import annotations

from datetime import UTC, datetime

from billing_timelines import (
    BACKDATED_OVER_AN_UNBILLABLE_EVENT,
    EVERY,
    START,
    UPGRADED_THEN_TERMINATED,
    Json,
    check,
    play,
    timelines,
)
from billing_world import BillingWorld
from hypothesis import example, given, settings

from chalicelib.billing.customer_billing import CustomerBilling
from chalicelib.billing.replay import BillerReplay, Replay
from chalicelib.domain.subscriptions import status_from_query
from chalicelib.rendering.invoices import invoice_json
from chalicelib.rendering.resources import event_json, subscription_json
from chalicelib.usecases.billing_documents import ListDocuments
from chalicelib.usecases.events import EventUseCases
from chalicelib.usecases.shown_records import GatherShownRecords
from chalicelib.usecases.subscription_requests import SubscriptionRequests


class UseCaseService(BillingWorld):
    """The billing world answering as the HTTP API: each request through its route's use case (as chalicelib/wiring.py
    and control_plane.py wire them), each answer rendered as its route renders it."""

    def __init__(self) -> None:
        super().__init__(START)
        stores = self.stores
        self._requests = SubscriptionRequests(self._subscriptions, stores.plans, CustomerBilling(stores).bill_now)
        self._events = EventUseCases(stores.events)
        gather = GatherShownRecords(stores)
        self._invoice_pages = ListDocuments(stores.customers, stores.invoices,
                                            lambda organization, invoices: gather(organization, invoices=invoices))

    def set_clock(self, moment: datetime) -> None:
        self.clock.moment = moment

    def create_metric(self, payload: Json) -> str:
        return self._metrics.create(self.organization, payload).id

    def create_plan(self, payload: Json) -> None:
        self._plans.create(self.organization, payload)

    def create_customer(self, payload: Json) -> None:
        self._customers.upsert(self.organization, payload, self._now())

    def create_subscription(self, payload: Json) -> None:
        self._requests.create(self.organization, payload, self._now())

    def terminate(self, external_id: str) -> None:
        self._requests.end(self.organization, external_id, status_from_query(None), self._now())

    def send_event(self, payload: Json) -> None:
        record = self.post(payload["external_subscription_id"], datetime.fromtimestamp(payload["timestamp"], UTC),
                           payload["properties"], payload["code"], payload["transaction_id"])
        assert self.deliver([record]) == set()

    def backfill(self, now: datetime) -> None:
        BillerReplay(self.stores).run(Replay(at=now, backfill=True), current_time=now)

    def subscriptions(self) -> list[Json]:
        listed = self._requests.list(self.organization, ("active", "terminated"), 1, EVERY,
                                     external_customer_id="acme", plan_code=None)
        assert listed.total_count <= EVERY
        return [subscription_json(shown.subscription, shown.customer, shown.plan, plan_codes=listed.plan_codes)
                for shown in listed.subscriptions]

    def invoices(self) -> list[Json]:
        page = self._invoice_pages(self.organization, 1, EVERY, "acme")
        assert page.total_count <= EVERY
        return [invoice_json(invoice, page.records) for invoice in page.documents]

    def unbillable_events(self, external_subscription_id: str) -> list[Json]:
        listed = self._events.list(self.organization, {"external_subscription_id": external_subscription_id,
                                                       "billable": "false"}, 1, EVERY)
        assert listed.total_count <= EVERY
        return [event_json(event) for event in listed.events]


@settings(max_examples=100, deadline=None)
@given(timeline=timelines)
@example(timeline=BACKDATED_OVER_AN_UNBILLABLE_EVENT)
@example(timeline=UPGRADED_THEN_TERMINATED)
def test_any_timeline_bills_every_event_once_or_lists_it_with_its_reason(timeline):
    check(play(UseCaseService(), timeline))
