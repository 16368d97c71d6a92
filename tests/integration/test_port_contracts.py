"""One contract for each control-plane port (chalicelib/usecases/ports.py), run against its in-memory fake
(tests/fakes/control_plane.py) and its DynamoDB repository on moto: the methods the use cases rely on answer and
refuse alike, so a rule tested on the fakes holds on DynamoDB."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

import model_builders as models
import pytest
from fakes.control_plane import FixedClock, InMemoryControlPlane, SequentialIds

from chalicelib.domain import errors
from chalicelib.domain.api_keys import ApiKeyRecord
from chalicelib.domain.billable_metrics import BillableMetric, BillableMetricInput, new_metric
from chalicelib.domain.console_sessions import ConsoleSession
from chalicelib.domain.customers import Customer
from chalicelib.domain.events import Event, iso_ms
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import (
    Subscription,
    SubscriptionInput,
    new_subscription,
    terminated_subscription,
    upgraded_subscriptions,
)
from chalicelib.domain.test_clocks import ClockRefusedCustomer, TestClock
from chalicelib.store.repositories import repositories

if TYPE_CHECKING:  # imported at run time, `TestClockStore` would be taken for a test class
    from chalicelib.store.repositories import Repositories
    from chalicelib.usecases.ports import (
        BillableMetricStore,
        ConsoleSessionStore,
        CustomerStore,
        EventStore,
        InvoiceStore,
        OrganizationStore,
        PlanStore,
        SubscriptionStore,
        TestClockStore,
        Transactions,
    )

NOW = datetime(2026, 11, 5, 10, tzinfo=UTC)
ORG = "org-1"


@dataclass
class Ports:
    billable_metrics: BillableMetricStore
    plans: PlanStore
    customers: CustomerStore
    test_clocks: TestClockStore
    subscriptions: SubscriptionStore
    events: EventStore
    invoices: InvoiceStore
    organizations: OrganizationStore
    store_invoice: Callable[[Invoice], None]  # invoices are issued by chalicelib/usecases/issuing.py, not a port
    transactions: Transactions
    ids: SequentialIds
    console_sessions: ConsoleSessionStore


@pytest.fixture(params=["in_memory", "dynamodb"])
def ports(request) -> Ports:
    if request.param == "in_memory":
        fake = InMemoryControlPlane(FixedClock(NOW))
        return Ports(fake.billable_metrics, fake.plans, fake.customers, fake.test_clocks, fake.subscriptions,
                     fake.events, fake.invoices, fake.organizations,
                     lambda invoice: fake.invoices.stored.__setitem__((invoice.organization_id, invoice.id), invoice),
                     fake, SequentialIds(), fake.console_sessions)
    request.getfixturevalue("dynamodb")
    stores = repositories()
    return Ports(stores.billable_metrics, stores.plans, stores.customers, stores.test_clocks, stores.subscriptions,
                 stores.events, stores.invoices, stores.organizations,
                 partial(_issue, stores), stores, SequentialIds(), stores.console_sessions)


def _issue(stores: Repositories, invoice: Invoice) -> None:
    unit = stores.unit_of_work()
    stores.invoices.stage_issue(unit, invoice)
    unit.commit()


def a_metric(ports: Ports, code: str = "calls") -> BillableMetric:
    changes = BillableMetricInput.parse({"name": code.title(), "code": code, "aggregation_type": "count_agg"}).changes()
    return new_metric(changes, metric_id=ports.ids.new_id(), organization_id=ORG, now=NOW)


def a_plan(ports: Ports, code: str = "startup", metrics: tuple[BillableMetric, ...] = ()) -> Plan:
    charges = [models.charge(ports.ids.new_id(), metric.id, "1", billable_metric_code=metric.code, created_at=NOW)
               for metric in metrics]
    return models.plan(*charges, id=ports.ids.new_id(), organization_id=ORG, name=code.title(), code=code,
                       created_at=NOW, updated_at=NOW)


def builder(ports: Ports, external_id: str, test_clock_id: str | None = None) -> Callable[[int], Customer]:
    def build(sequential_id: int) -> Customer:
        return Customer(id=ports.ids.new_id(), organization_id=ORG, external_id=external_id, name=external_id,
                        sequential_id=sequential_id, slug=f"ORG-0001-{sequential_id:03d}",
                        test_clock_id=test_clock_id, created_at=NOW, updated_at=NOW)
    return build


def a_customer(ports: Ports, external_id: str = "acme") -> Customer:
    return ports.customers.create(ORG, builder(ports, external_id))


def a_subscription(ports: Ports, customer: Customer, plan: Plan, external_id: str = "sub-1") -> Subscription:
    request = SubscriptionInput.parse({"external_customer_id": customer.external_id, "plan_code": plan.code,
                                       "external_id": external_id})
    return new_subscription(request, subscription_id=ports.ids.new_id(), organization_id=ORG,
                            customer_id=customer.id, plan=plan, timezone="UTC", now=NOW)


def subscribed(ports: Ports, customer: Customer, plan: Plan, external_id: str = "sub-1") -> Subscription:
    subscription = a_subscription(ports, customer, plan, external_id)
    unit = ports.transactions.unit_of_work()
    ports.plans.stage_subscription_count(unit, plan, 1)
    ports.subscriptions.stage_create(unit, subscription, customer, "EUR")
    unit.commit()
    return subscription


def terminate(ports: Ports, previous: Subscription, ended: Subscription, plan: Plan) -> None:
    unit = ports.transactions.unit_of_work()
    ports.plans.stage_subscription_count(unit, plan, -1)
    ports.subscriptions.stage_replace(unit, previous, ended)
    unit.commit()


def changed(record, **changes):
    return record.model_copy(update={**changes, "version": record.version + 1})


# ------------------------------------------------------------------------------------------ billable metrics


def test_a_metric_is_created_found_by_code_and_by_id(ports):
    metric = a_metric(ports)
    ports.billable_metrics.create(metric)
    assert ports.billable_metrics.find_by_code(ORG, "calls") == metric
    assert ports.billable_metrics.find_by_code(ORG, "unknown") is None
    assert ports.billable_metrics.find_by_code("another-org", "calls") is None
    assert ports.billable_metrics.get_many(ORG, {metric.id, "unknown"}) == {metric.id: metric}


def test_a_metric_code_is_unique_in_its_organization(ports):
    ports.billable_metrics.create(a_metric(ports))
    with pytest.raises(errors.CodeTaken):
        ports.billable_metrics.create(a_metric(ports))


def test_a_metric_is_updated_at_the_version_read_and_keeps_codes_unique(ports):
    metric, other = a_metric(ports), a_metric(ports, "storage")
    ports.billable_metrics.create(metric)
    ports.billable_metrics.create(other)
    renamed = changed(metric, code="requests")
    ports.billable_metrics.update(metric, renamed)
    assert ports.billable_metrics.find_by_code(ORG, "requests") == renamed
    assert ports.billable_metrics.find_by_code(ORG, "calls") is None
    with pytest.raises(errors.StaleWrite):
        ports.billable_metrics.update(metric, changed(metric, name="Stale"))
    with pytest.raises(errors.CodeTaken):
        ports.billable_metrics.update(renamed, changed(renamed, code="storage"))


def test_a_deleted_metric_frees_its_code_and_a_stale_delete_is_refused(ports):
    metric = a_metric(ports)
    ports.billable_metrics.create(metric)
    with pytest.raises(errors.StaleWrite):
        ports.billable_metrics.delete(metric.model_copy(update={"version": metric.version + 1}))
    ports.billable_metrics.delete(metric)
    assert ports.billable_metrics.find_by_code(ORG, "calls") is None
    ports.billable_metrics.create(a_metric(ports))


# ------------------------------------------------------------------------------------------------- plans


def test_a_plan_counts_the_metrics_its_charges_use(ports):
    metric = a_metric(ports)
    ports.billable_metrics.create(metric)
    plan = a_plan(ports, metrics=(metric,))
    ports.plans.create(plan, [metric])
    assert ports.plans.find_by_code(ORG, "startup") == plan
    assert ports.plans.get_any(ORG, plan.id) == plan
    assert ports.billable_metrics.find_by_code(ORG, "calls").plans_count == 1
    assert [listed.id for listed in ports.plans.all_plans(ORG)] == [plan.id]


def test_a_plan_is_refused_a_taken_code_or_a_metric_changed_since_read(ports):
    metric = a_metric(ports)
    ports.billable_metrics.create(metric)
    ports.plans.create(a_plan(ports), [])
    with pytest.raises(errors.CodeTaken):
        ports.plans.create(a_plan(ports), [])
    ports.billable_metrics.update(metric, changed(metric, name="Renamed"))
    with pytest.raises(errors.StaleWrite):
        ports.plans.create(a_plan(ports, "pro", (metric,)), [metric])
    assert ports.plans.find_by_code(ORG, "pro") is None


def test_a_plan_update_moves_the_metric_counts_and_a_stale_one_is_refused(ports):
    metric = a_metric(ports)
    ports.billable_metrics.create(metric)
    plan = a_plan(ports, metrics=(metric,))
    ports.plans.create(plan, [metric])
    counted = ports.billable_metrics.find_by_code(ORG, "calls")
    updated = changed(plan, name="Startup 2", charges=[])
    ports.plans.update(plan, updated, [])
    assert ports.plans.find_by_code(ORG, "startup") == updated
    assert ports.billable_metrics.find_by_code(ORG, "calls").plans_count == counted.plans_count - 1
    with pytest.raises(errors.StaleWrite):
        ports.plans.update(plan, changed(plan, name="Stale"), [])


def test_a_deleted_plan_is_still_read_by_id_and_releases_its_metrics(ports):
    metric = a_metric(ports)
    ports.billable_metrics.create(metric)
    plan = a_plan(ports, metrics=(metric,))
    ports.plans.create(plan, [metric])
    ports.plans.delete(plan)
    assert ports.plans.find_by_code(ORG, "startup") is None
    assert ports.plans.get_any(ORG, plan.id) == plan
    assert list(ports.plans.all_plans(ORG)) == []
    assert ports.billable_metrics.find_by_code(ORG, "calls").plans_count == 0


# --------------------------------------------------------------------------------------------- customers


def test_customers_are_numbered_in_sequence_and_found_by_external_id(ports):
    first, second = a_customer(ports, "acme"), a_customer(ports, "globex")
    assert (first.sequential_id, second.sequential_id) == (1, 2)
    assert ports.customers.find_by_external_id(ORG, "globex") == second
    assert ports.customers.find_by_external_id(ORG, "unknown") is None
    assert ports.customers.get_any(ORG, first.id) == first


def test_customers_are_searched_by_name_or_external_id_in_any_case_newest_first(ports):
    acme, globex, acme_eu = a_customer(ports, "acme"), a_customer(ports, "globex"), a_customer(ports, "ACME-eu")
    ports.customers.update(globex.model_copy(update={"name": "Globex (Acme's rival)", "version": 2}), 1)
    assert [customer.external_id for customer in ports.customers.search_page(ORG, "aCmE", 1, 2)] == [
        "ACME-eu", "globex", "acme"]  # the page and the first of the next
    assert [customer.id for customer in ports.customers.search_page(ORG, "acme", 2, 2)] == [acme.id]
    assert [customer.id for customer in ports.customers.search_page(ORG, "-EU", 1, 25)] == [acme_eu.id]
    assert ports.customers.search_page(ORG, "initech", 1, 25) == []


def test_the_console_secret_is_stored_once_and_a_session_lives_until_deleted(ports):
    store = ports.console_sessions
    assert store.session_secret("first") == "first"
    assert store.session_secret("second") == "first"
    session, other = (ConsoleSession(ORG, session_id, NOW + timedelta(hours=12)) for session_id in ("s-1", "s-2"))
    store.add_session(session)
    store.add_session(other)
    store.delete_session(session)
    assert (store.session_exists(session), store.session_exists(other)) == (False, True)
    assert not store.session_exists(ConsoleSession("org-2", "s-2", other.expires_at))


def test_a_customer_external_id_is_unique(ports):
    a_customer(ports)
    with pytest.raises(errors.ExternalIdTaken):
        a_customer(ports)


def test_a_customer_is_updated_at_the_expected_version(ports):
    customer = a_customer(ports)
    updated = changed(customer, name="Acme Inc")
    ports.customers.update(updated, customer.version)
    assert ports.customers.find_by_external_id(ORG, "acme") == updated
    with pytest.raises(errors.StaleWrite):
        ports.customers.update(changed(customer, name="Stale"), customer.version)


def test_a_renamed_customer_moves_its_external_id_unless_taken(ports):
    customer, other = a_customer(ports, "acme"), a_customer(ports, "globex")
    renamed = changed(customer, external_id="acme-2")
    ports.customers.change_external_id(customer, renamed)
    assert ports.customers.find_by_external_id(ORG, "acme") is None
    assert ports.customers.find_by_external_id(ORG, "acme-2") == renamed
    with pytest.raises(errors.ExternalIdTaken):
        ports.customers.change_external_id(renamed, changed(renamed, external_id=other.external_id))


def test_a_deleted_customer_is_still_read_by_id_and_frees_its_external_id(ports):
    customer = a_customer(ports)
    with pytest.raises(errors.StaleWrite):
        ports.customers.delete(customer.model_copy(update={"version": customer.version + 1}))
    ports.customers.delete(customer)
    assert ports.customers.find_by_external_id(ORG, "acme") is None
    assert ports.customers.get_any(ORG, customer.id) == customer
    assert a_customer(ports).sequential_id == 2


def test_customers_are_read_many_at_once_deleted_or_not(ports):
    deleted, kept = a_customer(ports, "acme"), a_customer(ports, "globex")
    ports.customers.delete(deleted)
    assert ports.customers.get_many_any(ORG, {deleted.id, kept.id, "unknown"}) == {deleted.id: deleted,
                                                                                   kept.id: kept}
    assert ports.customers.get_many_any(ORG, set()) == {}


# ------------------------------------------------------------------------------------------- test clocks


def a_test_clock(ports: Ports) -> TestClock:
    clock = TestClock(id=ports.ids.new_id(), organization_id=ORG, name="Clock", frozen_time=NOW, created_at=NOW)
    ports.test_clocks.create(clock)
    return clock


def test_a_test_clock_is_created_read_and_replaced_at_its_version(ports):
    clock = a_test_clock(ports)
    assert ports.test_clocks.get(ORG, clock.id) == clock
    assert ports.test_clocks.get(ORG, "unknown") is None
    advancing = changed(clock, status="advancing", advancing_to=datetime(2026, 12, 1, tzinfo=UTC))
    ports.test_clocks.replace(clock, advancing)
    assert ports.test_clocks.get(ORG, clock.id) == advancing
    with pytest.raises(errors.StaleWrite):
        ports.test_clocks.replace(clock, changed(clock, frozen_time=datetime(2027, 1, 1, tzinfo=UTC)))


def test_a_customer_on_a_test_clock_is_enrolled_and_forgotten(ports):
    clock = a_test_clock(ports)
    customer = ports.customers.create(ORG, builder(ports, "acme", clock.id))
    assert ports.test_clocks.customer_ids(ORG, clock.id) == [customer.id]
    enrolled = ports.test_clocks.get(ORG, clock.id)
    assert enrolled.customers_count == 1
    with pytest.raises(errors.StaleWrite):
        ports.test_clocks.delete(enrolled)
    ports.test_clocks.forget_customer(ORG, clock.id, customer.id)
    ports.test_clocks.forget_customer(ORG, clock.id, customer.id)  # once only
    assert ports.test_clocks.customer_ids(ORG, clock.id) == []
    ports.test_clocks.delete(ports.test_clocks.get(ORG, clock.id))
    assert ports.test_clocks.get(ORG, clock.id) is None


def test_a_customer_is_refused_by_a_missing_test_clock(ports):
    with pytest.raises(ClockRefusedCustomer):
        ports.customers.create(ORG, builder(ports, "acme", "no-such-clock"))
    assert ports.customers.find_by_external_id(ORG, "acme") is None


# ----------------------------------------------------------------------------------------- subscriptions


@pytest.fixture
def catalog(ports) -> tuple[Customer, Plan]:
    plan = a_plan(ports)
    ports.plans.create(plan, [])
    return a_customer(ports), plan


def test_a_subscription_is_created_with_its_counts_and_found_by_external_id(ports, catalog):
    customer, plan = catalog
    subscription = subscribed(ports, customer, plan)
    assert ports.subscriptions.find_current(ORG, "sub-1") == subscription
    assert ports.subscriptions.get(ORG, subscription.id) == subscription
    assert ports.subscriptions.find_current(ORG, "unknown") is None
    counted = ports.customers.find_by_external_id(ORG, "acme")
    assert (counted.active_subscriptions_count, counted.currency, counted.version) == (1, "EUR", customer.version + 1)
    assert ports.plans.find_by_code(ORG, "startup").active_subscriptions_count == 1


def test_a_subscription_is_refused_a_taken_external_id_or_a_plan_changed_since_read(ports, catalog):
    customer, plan = catalog
    subscribed(ports, customer, plan)
    with pytest.raises(errors.ExternalIdTaken):
        subscribed(ports, customer, ports.plans.find_by_code(ORG, "startup"))
    # The refused unit of work wrote nothing: neither count moved.
    assert ports.plans.find_by_code(ORG, "startup").active_subscriptions_count == 1
    assert ports.customers.find_by_external_id(ORG, "acme").active_subscriptions_count == 1
    ports.plans.update(ports.plans.find_by_code(ORG, "startup"),
                       changed(ports.plans.find_by_code(ORG, "startup"), name="Renamed"), [])
    with pytest.raises(errors.StaleWrite):
        subscribed(ports, customer, plan, "sub-2")


def test_subscriptions_are_listed_newest_first_a_page_at_a_time(ports, catalog):
    customer, plan = catalog
    created = [subscribed(ports, customer, ports.plans.find_by_code(ORG, "startup"), f"sub-{n}") for n in range(3)]
    newest_first = [subscription.id for subscription in reversed(created)]
    assert [s.id for s in ports.subscriptions.list_page(ORG, ("active", "pending"), 1, 2)] == newest_first[:2]
    assert [s.id for s in ports.subscriptions.list_page(ORG, ("active",), 2, 2)] == newest_first[2:]
    assert [s.id for s in ports.subscriptions.list_page(ORG, ("active",), 1, 5, plan.id)] == newest_first
    assert ports.subscriptions.list_page(ORG, ("terminated",), 1, 5) == []
    assert ports.subscriptions.count(ORG, ("active",)) == 3
    assert ports.subscriptions.count(ORG, ("active",), plan.id) == 3
    assert [s.id for s in ports.subscriptions.of_customer(ORG, customer.id, ("active",))] == newest_first
    assert ports.subscriptions.history(ORG, "sub-1", ("active",)) == [created[1]]


def test_a_terminated_subscription_releases_its_external_id_and_counts(ports, catalog):
    customer, plan = catalog
    subscription = subscribed(ports, customer, plan)
    plan = ports.plans.find_by_code(ORG, "startup")
    ended = terminated_subscription(subscription, NOW)
    with pytest.raises(errors.StaleWrite):
        terminate(ports, changed(subscription), ended, plan)
    terminate(ports, subscription, ended, plan)
    assert ports.subscriptions.find_current(ORG, "sub-1") is None
    assert ports.subscriptions.find_latest(ORG, "sub-1", "terminated") == ended
    assert ports.subscriptions.history(ORG, "sub-1", ("terminated",)) == [ended]
    assert ports.customers.find_by_external_id(ORG, "acme").active_subscriptions_count == 0
    assert ports.plans.find_by_code(ORG, "startup").active_subscriptions_count == 0
    assert ports.subscriptions.count(ORG, ("active",)) == 0


def test_an_upgrade_hands_the_external_id_to_its_successor_and_keeps_the_customer_count(ports, catalog):
    customer, plan = catalog
    subscription = subscribed(ports, customer, plan)
    ports.plans.create(a_plan(ports, "pro"), [])
    ended, successor = upgraded_subscriptions(subscription, ports.plans.find_by_code(ORG, "pro"), ports.ids.new_id(),
                                              "UTC", NOW + timedelta(days=1))

    def upgrade(previous: Subscription) -> None:
        """As chalicelib/usecases/subscriptions.py commits an upgrade: the plans' counts moved with it."""
        unit = ports.transactions.unit_of_work()
        ports.plans.stage_subscription_count(unit, ports.plans.find_by_code(ORG, "startup"), -1)
        ports.plans.stage_subscription_count(unit, ports.plans.find_by_code(ORG, "pro"), 1)
        ports.subscriptions.stage_change_plan(unit, previous, ended, successor)
        unit.commit()

    with pytest.raises(errors.StaleWrite):
        upgrade(changed(subscription))
    assert ports.subscriptions.find_current(ORG, "sub-1") == subscription  # the refused unit wrote nothing
    upgrade(subscription)
    assert ports.subscriptions.find_current(ORG, "sub-1") == successor
    assert ports.subscriptions.find_latest(ORG, "sub-1", "terminated") == ended
    assert ports.subscriptions.history(ORG, "sub-1") == [successor, ended]
    assert ports.customers.find_by_external_id(ORG, "acme").active_subscriptions_count == 1
    assert [ports.plans.find_by_code(ORG, code).active_subscriptions_count for code in ("startup", "pro")] == [0, 1]
    assert ports.subscriptions.count(ORG, ("active",), successor.plan_id) == 1


# ------------------------------------------------------------------------------------------------- events


def an_event(ports: Ports, transaction_id: str, timestamp_ms: int, code: str = "calls",
             external_subscription_id: str = "sub-1") -> Event:
    return Event(lago_id=ports.ids.new_id(), organization_id=ORG, transaction_id=transaction_id,
                 external_subscription_id=external_subscription_id, lago_subscription_id="sub-lago",
                 lago_customer_id="cust-lago", code=code, timestamp_ms=timestamp_ms, timestamp_given=True,
                 properties={"gb": 1}, received_at=iso_ms(timestamp_ms))


def test_an_event_is_stored_once_per_key(ports):
    event = an_event(ports, "tx-1", 1_000)
    assert ports.events.insert([event]) == [None]
    again = an_event(ports, "tx-1", 2_000)
    assert ports.events.insert([again, an_event(ports, "tx-2", 3_000)]) == [event, None]
    assert ports.events.find(ORG, "tx-1") == event
    assert ports.events.find(ORG, "tx-1", "sub-1") == event
    assert ports.events.find(ORG, "tx-1", "sub-2") is None
    assert ports.events.find(ORG, "unknown") is None


def test_events_are_listed_newest_timestamp_first_filtered_and_counted(ports):
    events = [an_event(ports, f"tx-{n}", 1_000 * n, "calls" if n % 2 else "storage") for n in range(1, 6)]
    ports.events.insert(events)
    ports.events.insert([an_event(ports, "tx-other", 3_500, external_subscription_id="sub-2")])
    newest_first = [event.transaction_id for event in reversed(events)]
    listed = ports.events.list_page(ORG, "sub-1", None, None, None, 1, 2)
    assert [event.transaction_id for event in listed] == newest_first[:2]
    listed = ports.events.list_page(ORG, "sub-1", None, None, None, 3, 2)
    assert [event.transaction_id for event in listed] == newest_first[4:]
    listed = ports.events.list_page(ORG, "sub-1", "calls", 2_000, 5_000, 1, 10)
    assert [event.transaction_id for event in listed] == ["tx-5", "tx-3"]
    assert ports.events.count(ORG, "sub-1", None, None, None) == 5
    assert ports.events.count(ORG, "sub-1", "storage", None, 3_000) == 1
    assert ports.events.count(ORG, "sub-1", None, None, None, billable=False) == 0
    assert ports.events.count(ORG, "sub-1", None, None, None, billable=True) == 5


# ----------------------------------------------------------------------------------------------- invoices


def an_invoice(ports: Ports) -> Invoice:
    return Invoice(id=ports.ids.new_id(), organization_id=ORG, customer_id="cust-lago", sequential_id=1,
                   number="ORG-0001-001-001", issuing_date=date(2026, 11, 1), payment_status="pending",
                   currency="EUR", fees=[], billing_periods=[], created_at=NOW, updated_at=NOW, fees_amount_cents=0,
                   coupons_amount_cents=0, credit_notes_amount_cents=0, progressive_billing_credit_amount_cents=0,
                   prepaid_credit_amount_cents=0, sub_total_excluding_taxes_amount_cents=0, taxes_amount_cents=0,
                   sub_total_including_taxes_amount_cents=0, total_amount_cents=0, total_due_amount_cents=0)


def test_an_invoice_is_read_and_replaced_at_its_version(ports):
    invoice = an_invoice(ports)
    assert ports.invoices.get(ORG, invoice.id) is None
    ports.store_invoice(invoice)
    assert ports.invoices.get(ORG, invoice.id) == invoice
    paid = changed(invoice, payment_status="succeeded")
    ports.invoices.replace(invoice, paid)
    assert ports.invoices.get(ORG, invoice.id) == paid
    with pytest.raises(errors.StaleWrite):
        ports.invoices.replace(invoice, changed(invoice, payment_status="failed"))


# ------------------------------------------------------------------------------------------ organizations


def an_organization(ports: Ports) -> Organization:
    organization = Organization(id=ORG, name="Org", created_at=NOW, updated_at=NOW, document_number_prefix="ORG-0001")
    ports.organizations.create(organization, "key-1")
    return organization


def test_an_organization_is_created_read_and_updated(ports):
    organization = an_organization(ports)
    assert ports.organizations.get(ORG) == organization
    with pytest.raises(errors.NotFound):
        ports.organizations.get("unknown")
    updated = ports.organizations.update(ORG, {"name": "Renamed", "email": "billing@org.test"})
    assert (updated.name, updated.email) == ("Renamed", "billing@org.test")
    cleared = ports.organizations.update(ORG, {"email": None})
    assert cleared.email is None
    assert ports.organizations.get(ORG) == cleared


def test_an_organization_keeps_its_timezone_while_subscribed(ports):
    an_organization(ports)  # before its catalog, whose writes move its setup version
    assert ports.organizations.update_while_unsubscribed(ORG, {"timezone": "Europe/Paris"}).timezone == "Europe/Paris"
    plan = a_plan(ports)
    ports.plans.create(plan, [])
    customer = a_customer(ports)
    subscribed(ports, customer, plan)
    with pytest.raises(errors.HasActiveSubscriptions):
        ports.organizations.update_while_unsubscribed(ORG, {"timezone": "UTC"})
    assert ports.organizations.get(ORG).timezone == "Europe/Paris"


def test_an_organization_has_one_webhook_signing_key_at_a_time(ports):
    an_organization(ports)
    assert ports.organizations.hmac_key(ORG, "unused") == "key-1"
    ports.organizations.replace_hmac_key(ORG, "key-2")
    assert ports.organizations.hmac_key(ORG, "unused") == "key-2"
    with pytest.raises(errors.NotFound):
        ports.organizations.hmac_key("unknown", "key")


def test_api_keys_are_added_found_by_hash_listed_and_revoked(ports):
    an_organization(ports)
    first = ApiKeyRecord(key_id="key-a", key_hash="hash-a", organization_id=ORG, created_at=NOW)
    second = ApiKeyRecord(key_id="key-b", key_hash="hash-b", organization_id=ORG, created_at=NOW)
    ports.organizations.add_api_key(first)
    ports.organizations.add_api_key(second)
    with pytest.raises(errors.ValidationFailed):
        ports.organizations.add_api_key(first.model_copy(update={"key_id": "key-c"}))
    assert ports.organizations.find_api_key("hash-a") == first
    assert ports.organizations.find_api_key("unknown") is None
    assert ports.organizations.list_api_keys(ORG) == [first, second]
    ports.organizations.revoke_api_key(first)
    assert ports.organizations.find_api_key("hash-a") is None
    assert ports.organizations.list_api_keys(ORG) == [second]


def test_each_write_of_cached_setup_moves_the_organization_setup_version(ports):
    """docs/data-model.md, "The setup version": the same writes move it on the fakes and on DynamoDB."""
    an_organization(ports)
    metric = a_metric(ports)
    plan = a_plan(ports, metrics=(metric,))
    record = ApiKeyRecord(key_id="key-a", key_hash="hash-a", organization_id=ORG, created_at=NOW)

    def subscribe() -> None:
        customer = ports.customers.find_by_external_id(ORG, "acme")
        unit = ports.transactions.unit_of_work()
        ports.subscriptions.stage_create(unit, a_subscription(ports, customer, plan), customer, "EUR")
        ports.subscriptions.stage_setup_change(unit, ORG)
        unit.commit()

    writes = [
        lambda: ports.billable_metrics.create(metric),
        lambda: ports.plans.create(plan, [metric]),
        lambda: ports.customers.create(ORG, builder(ports, "acme")),
        lambda: ports.customers.update(ports.customers.find_by_external_id(ORG, "acme").model_copy(
            update={"name": "Renamed", "version": 2}), 1),
        subscribe,
        lambda: ports.organizations.add_api_key(record),
        lambda: ports.organizations.revoke_api_key(record),
        lambda: ports.organizations.update(ORG, {"name": "Renamed"}),
    ]
    for number, write in enumerate(writes):
        before = ports.organizations.get(ORG).setup_version
        write()
        assert ports.organizations.get(ORG).setup_version == before + 1, number
