"""The current-usage read model on in-memory ports: which subscription it reads, what it refuses, the period it
shows and the usage it prices from what the stored-usage port gives; then, on the in-memory stores
(tests/fakes/world.py), the usage the stream aggregator applied, priced once whatever its redeliveries."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial

import model_builders as models
import pytest
from fakes.control_plane import FixedClock
from fakes.world import InMemoryRepositories

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import NotAllowed, NotFound, NotReadyYet, ValidationFailed
from chalicelib.domain.invoices.charge_fees import StoredUsage
from chalicelib.domain.organizations import Organization
from chalicelib.domain.periods import BillingTerms, Period
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription
from chalicelib.usage.aggregator import Aggregator, StreamRecord
from chalicelib.usage.period_usage import stored_usage
from chalicelib.usecases.current_usage import ReadCurrentUsage

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
ORGANIZATION = Organization(id="org", name="Org", created_at=NOW, updated_at=NOW, document_number_prefix="ORG",
                            vat_rate=Decimal(20))
CUSTOMER = Customer(id="cus", organization_id="org", external_id="ext-cus", name="C", sequential_id=1, slug="C-1",
                    created_at=NOW, updated_at=NOW)
CALLS = models.metric("m-calls", name="Calls", code="calls")
PLAN = models.plan(models.charge("c-calls", "m-calls", "1", billable_metric_code="calls"))
STARTED = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)


def subscription(subscription_id: str = "sub", status: str = "active") -> Subscription:
    return models.subscription(id=subscription_id, external_id=f"ext-{subscription_id}", status=status,
                               subscription_at=STARTED, started_at=STARTED)


@dataclass
class Ports:
    """Every port of the use case, in memory; `read` records what the stored-usage port was asked."""

    subscriptions: list[Subscription] = field(default_factory=lambda: [subscription()])
    dead: list[object] = field(default_factory=list)
    read: list[tuple[str, BillingTerms, Period]] = field(default_factory=list)

    def find_by_external_id(self, organization_id: str, external_id: str) -> Customer | None:
        return CUSTOMER if external_id == "ext-cus" else None

    def find_current(self, organization_id: str, external_id: str) -> Subscription | None:
        return next((each for each in self.subscriptions if each.external_id == external_id), None)

    def of_customer(self, organization_id: str, customer_id: str, statuses: Iterable[str]) -> list[Subscription]:
        return [each for each in self.subscriptions if each.status in statuses]

    def get_any(self, organization_id: str, plan_id: str) -> Plan | None:
        return PLAN if plan_id == "plan" else None

    def get_many(self, organization_id: str, metric_ids: set[str]) -> dict[str, BillableMetric]:
        return {"m-calls": CALLS}

    def dead_events(self, organization_id: str, external_subscription_id: str | None = None) -> list[object]:
        return self.dead

    def stored_usage(self, subscription: Subscription, plan: Plan, metrics, terms: BillingTerms,
                     period: Period) -> StoredUsage:
        self.read.append((subscription.id, terms, period))
        return StoredUsage(states={("c-calls", None, ()): 7})

    def use_case(self) -> ReadCurrentUsage:
        return ReadCurrentUsage(self, self, self, self, self, self.stored_usage)


class Frozen:
    def now_for(self, test_clock_id: str | None) -> datetime:
        return NOW


def read(ports: Ports, external_subscription_id: str | None = None, apply_taxes: bool = True):
    return ports.use_case()(ORGANIZATION, "ext-cus", external_subscription_id, apply_taxes=apply_taxes,
                           clock=Frozen())


def test_the_period_in_progress_is_shown_from_the_start_and_priced_from_its_aggregates():
    ports = Ports()
    current = read(ports)
    assert (current.period.shown, current.period.issuing_date) == (
        Period(STARTED, datetime(2026, 4, 1, tzinfo=UTC)), date(2026, 3, 31))
    ((subscription_id, _, period),) = ports.read
    assert subscription_id == "sub"
    assert period == Period(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    assert (current.usage.amount_cents, current.usage.taxes_amount_cents) == (700, 140)  # 7 calls at 1 EUR, 20 %


def test_without_taxes_when_asked():
    assert read(Ports(), apply_taxes=False).usage.taxes_amount_cents == 0


def test_an_unknown_customer_is_not_found():
    with pytest.raises(NotFound):
        Ports().use_case()(ORGANIZATION, "nobody", None, apply_taxes=True, clock=Frozen())


@pytest.mark.parametrize("subscriptions, named", [([], None), ([subscription(status="pending")], "ext-sub"),
                                                  ([subscription()], "ext-other")])
def test_no_active_subscription_named_or_found_is_refused(subscriptions, named):
    with pytest.raises(NotAllowed):
        read(Ports(subscriptions=subscriptions), named)


def test_several_active_subscriptions_need_a_name():
    ports = Ports(subscriptions=[subscription("a"), subscription("b")])
    with pytest.raises(ValidationFailed):
        read(ports)
    assert read(ports, "ext-b").usage.amount_cents == 700


def test_a_dead_lettered_event_makes_the_usage_pending():
    with pytest.raises(NotReadyYet):
        read(Ports(dead=[object()]))


# ------------------------------------------------------------- on the in-memory stores, from the stream's aggregates


def a_world() -> InMemoryRepositories:
    """The module's organization, customer, plan and subscription `sub` in the in-memory stores."""
    world = InMemoryRepositories(FixedClock(NOW))
    world.organizations.create(ORGANIZATION, "key")
    world.billable_metrics.create(CALLS)
    world.plans.create(PLAN, [])
    world.customers.live[("org", CUSTOMER.id)] = CUSTOMER
    active = subscription()
    world.subscriptions.records[("org", active.id)] = active
    world.subscriptions.current[("org", active.external_id)] = active.id
    return world


def calls(timestamps: list[datetime], first_sequence: int = 1) -> list[StreamRecord]:
    """Stream records of `calls` events of `ext-sub`, one per timestamp, in sequence."""
    return [StreamRecord(str(first_sequence + number), "shard-1", {
        "organization_id": "org", "external_subscription_id": "ext-sub", "transaction_id": f"tx-{number}",
        "code": "calls", "timestamp_ms": epoch_ms(moment), "properties": {}, "received_at": "2026-03-20T00:00:00Z"})
        for number, moment in enumerate(timestamps)]


def read_world(world: InMemoryRepositories):
    use_case = ReadCurrentUsage(world.customers, world.subscriptions, world.plans, world.billable_metrics,
                                world.dead_letters, partial(stored_usage, world))
    return use_case(ORGANIZATION, "ext-cus", None, apply_taxes=True, clock=Frozen())


def test_the_events_the_stream_applied_are_priced_once_whatever_the_redeliveries():
    world = a_world()
    records = calls([STARTED, datetime(2026, 3, 16, tzinfo=UTC), datetime(2026, 3, 20, 11, tzinfo=UTC)])
    before_start = calls([STARTED - timedelta(milliseconds=1)], first_sequence=10)
    for batch in (records[:2], records, records + before_start):  # a redelivery, then one more record
        assert Aggregator(world, NOW).apply_batch(batch).not_applied == set()
    usage = read_world(world).usage
    assert (usage.amount_cents, usage.taxes_amount_cents) == (300, 60)  # 3 calls at 1 EUR, 20 %


def test_an_event_set_aside_by_the_stream_makes_the_usage_pending():
    world = a_world()
    [record] = calls([STARTED])
    world.dead_letters.count_failure(record.new_image, "KeyError")
    world.dead_letters.bury(record.new_image, "KeyError", None, NOW)
    with pytest.raises(NotReadyYet):
        read_world(world)
