"""The current-usage read model on in-memory ports: which subscription it reads, what it refuses, the period it
shows and the usage it prices from what the stored-usage port gives (the aggregates themselves are the integration
tests' business: tests/integration/test_current_usage.py)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import model_builders as models
import pytest

from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import NotAllowed, NotFound, NotReadyYet, ValidationFailed
from chalicelib.domain.invoices.charge_fees import StoredUsage
from chalicelib.domain.organizations import Organization
from chalicelib.domain.periods import BillingTerms, Period
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Subscription
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
