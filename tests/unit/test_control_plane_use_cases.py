"""The rules of the control-plane use cases, on the in-memory ports (tests/fakes/control_plane.py, held to the
DynamoDB repositories' behaviour by tests/integration/test_port_contracts.py); the HTTP tests of each resource
(tests/integration/test_<resource>.py) check the same use cases wired to DynamoDB."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fakes.control_plane import FixedClock, InMemoryControlPlane, SequentialIds

from chalicelib.domain.errors import NotAllowed, NotFound, ValidationFailed
from chalicelib.usecases.billable_metrics import BillableMetricUseCases
from chalicelib.usecases.customer_time import CustomerTime
from chalicelib.usecases.customers import CustomerUseCases
from chalicelib.usecases.ingest_events import IngestEvents
from chalicelib.usecases.organizations import OrganizationUseCases
from chalicelib.usecases.plans import PlanUseCases
from chalicelib.usecases.subscription_requests import SubscriptionRequests
from chalicelib.usecases.subscriptions import SubscriptionUseCases
from chalicelib.usecases.test_clocks import TestClockUseCases

NOW = datetime(2026, 11, 5, 10, tzinfo=UTC)


class World:
    """The use cases wired to one in-memory control plane, a fixed clock and sequential ids."""

    def __init__(self) -> None:
        self.clock = FixedClock(NOW)
        self.ids = SequentialIds()
        self.ports = ports = InMemoryControlPlane(self.clock)
        self.purged: list[tuple[str, str]] = []
        self.organizations = OrganizationUseCases(ports.organizations, self.clock, self.ids)
        self.customers = CustomerUseCases(ports.customers, ports.test_clocks, self.ids)
        self.metrics = BillableMetricUseCases(ports.billable_metrics, ports.plans, self.clock, self.ids)
        self.plans = PlanUseCases(ports.plans, ports.billable_metrics, self.clock, self.ids)
        self.subscriptions = SubscriptionUseCases(ports.subscriptions, ports.customers, ports.plans, ports,
                                                  self.ids)
        self.ingest = IngestEvents(ports.events, ports.subscriptions, ports.customers, ports.billable_metrics,
                                   ports.plans, self.ids)
        self.test_clocks = TestClockUseCases(ports.test_clocks, self._purge, self.ids)
        self.organization, _ = self.organizations.create("Acme Corp")

    def _purge(self, organization_id: str, customer_id: str) -> int:
        self.purged.append((organization_id, customer_id))
        return 1

    def now(self) -> CustomerTime:
        return CustomerTime(NOW, self.ports.test_clocks, self.organization.id)

    def subscribed(self, external_id: str = "sub-1") -> None:
        """Customer `acme` on plan `startup`, which charges metric `calls`."""
        organization = self.organization
        metric = self.metrics.create(organization, {"name": "Calls", "code": "calls", "aggregation_type": "count_agg"})
        self.plans.create(organization, {
            "name": "Startup", "code": "startup", "interval": "monthly", "amount_cents": 1000,
            "amount_currency": "EUR", "pay_in_advance": False, "charges": [{"billable_metric_id": metric.id, "charge_model": "standard",
                                                   "properties": {"amount": "1"}}]})
        self.customers.upsert(organization, {"external_id": "acme", "name": "Acme"}, self.now())
        self.subscriptions.create(organization, {"external_customer_id": "acme", "plan_code": "startup",
                                                 "external_id": external_id}, self.now())


@pytest.fixture
def world() -> World:
    return World()


def test_new_records_take_their_ids_from_the_id_source_and_their_time_from_the_clock(world):
    metric = world.metrics.create(world.organization, {"name": "Calls", "code": "calls",
                                                       "aggregation_type": "count_agg"})
    assert world.organization.id == "00000000-0000-0000-0000-000000000001"
    assert metric.id == "00000000-0000-0000-0000-000000000003"  # the organization's API key took the second
    assert metric.created_at == NOW


def test_a_record_in_use_is_not_deleted(world):
    world.subscribed()
    organization = world.organization
    for delete, code, refusal in ((world.metrics.delete, "calls", "billable_metric_in_use"),
                                  (world.plans.delete, "startup", "plan_has_active_subscriptions"),
                                  (world.customers.delete, "acme", "customer_has_active_subscription")):
        with pytest.raises(NotAllowed) as refused:
            delete(organization, code)
        assert refused.value.code == refusal


def test_a_record_not_in_use_is_deleted_and_then_not_found(world):
    organization = world.organization
    world.metrics.create(organization, {"name": "Calls", "code": "calls", "aggregation_type": "count_agg"})
    assert world.metrics.delete(organization, "calls").code == "calls"
    with pytest.raises(NotFound):
        world.metrics.find(organization, "calls")


def test_a_taken_code_is_a_field_error(world):
    organization = world.organization
    payload = {"name": "Calls", "code": "calls", "aggregation_type": "count_agg"}
    world.metrics.create(organization, payload)
    with pytest.raises(ValidationFailed) as refused:
        world.metrics.create(organization, payload)
    assert refused.value.details == {"code": ["value_already_exist"]}


def test_creating_a_customer_refuses_a_taken_external_id_and_changes_nothing(world):
    organization = world.organization
    created = world.customers.create(organization, {"external_id": "acme", "name": "Acme"}, world.now())
    with pytest.raises(ValidationFailed) as refused:
        world.customers.create(organization, {"external_id": "acme", "name": "Other"}, world.now())
    assert refused.value.details == {"external_id": ["value_already_exist"]}
    assert world.customers.find(organization, "acme") == created


def test_a_subscribed_customer_keeps_its_external_id_and_its_timezone(world):
    world.subscribed()
    organization = world.organization
    with pytest.raises(ValidationFailed) as renamed:
        world.customers.update(organization, "acme", {"external_id": "acme-2"}, world.now())
    assert renamed.value.details == {"external_id": ["customer_has_active_subscription"]}
    with pytest.raises(ValidationFailed) as moved:
        world.customers.upsert(organization, {"external_id": "acme", "timezone": "Europe/Paris"}, world.now())
    assert moved.value.details == {"timezone": ["customer_has_active_subscription"]}


def test_a_subscribed_organization_keeps_its_timezone(world):
    world.subscribed()
    with pytest.raises(ValidationFailed) as refused:
        world.organizations.update(world.organization, {"timezone": "Europe/Paris"})
    assert refused.value.details == {"timezone": ["organization_has_active_subscription"]}


def test_an_organization_is_refused_an_api_key_another_has(world):
    _, api_key = world.organizations.create("Globex")
    with pytest.raises(ValidationFailed):
        world.organizations.create("Initech", api_key)
    assert [organization.name for organization in world.ports.organizations.stored.values()] == ["Acme Corp",
                                                                                                 "Globex"]


def test_a_batch_stores_a_repeated_event_once_and_names_each_conflict_by_index(world):
    world.subscribed()
    organization = world.organization
    event = {"transaction_id": "tx-1", "external_subscription_id": "sub-1", "code": "calls"}
    stored = world.ingest.batch(organization, [event, event], world.now())
    assert stored[0] == stored[1]
    assert len(world.ports.events.stored) == 1
    other = {**event, "properties": {"region": "eu"}}
    with pytest.raises(ValidationFailed) as refused:
        world.ingest.batch(organization, [{**event, "transaction_id": "tx-2"}, other], world.now())
    assert refused.value.details == {"1": {"transaction_id": ["value_already_exist"]}}


def test_an_event_of_an_unknown_subscription_is_not_found(world):
    with pytest.raises(NotFound):
        world.ingest.one(world.organization, {"transaction_id": "tx-1", "external_subscription_id": "nope",
                                              "code": "calls"}, world.now())


def test_deleting_a_test_clock_purges_its_customers_first(world):
    organization = world.organization
    clock = world.test_clocks.create(organization, {"name": "Clock", "frozen_time": "2026-11-01T00:00:00Z"}, NOW)
    customer = world.customers.upsert(organization, {"external_id": "acme", "name": "Acme",
                                                     "test_clock_id": clock.id}, world.now())
    assert customer.created_at == datetime(2026, 11, 1, tzinfo=UTC)  # the clock's time
    world.test_clocks.delete(organization, clock.id)
    assert world.purged == [(organization.id, customer.id)]
    with pytest.raises(NotFound):
        world.test_clocks.find(organization, clock.id)


class _Bills:
    """The billing port of SubscriptionRequests: each (organization_id, customer_id, now) it was asked to bill."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, datetime]] = []

    def __call__(self, organization_id: str, customer_id: str, now: datetime) -> None:
        self.asked.append((organization_id, customer_id, now))


def test_a_subscription_change_bills_its_customer_at_once_and_answers_with_its_plan_codes(world):
    world.subscribed()
    bills = _Bills()
    requests = SubscriptionRequests(world.subscriptions, world.ports.plans, bills)
    answer = requests.end(world.organization, "sub-1", "active", world.now())
    assert answer.shown.subscription.status == "terminated"
    assert bills.asked == [(world.organization.id, answer.shown.subscription.customer_id, NOW)]
    assert answer.plan_codes == {}
    assert requests.find(world.organization, "sub-1", "terminated").shown.subscription == answer.shown.subscription
    assert bills.asked == [(world.organization.id, answer.shown.subscription.customer_id, NOW)]  # a read bills not


def test_an_api_key_authenticates_its_organization_only(world):
    _, api_key = world.organizations.create("Globex")
    assert world.organizations.authenticate(api_key).name == "Globex"
    assert world.organizations.authenticate(api_key + "x") is None
