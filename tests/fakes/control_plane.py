"""In-memory twins of the control-plane ports (chalicelib/usecases/ports.py): the same answers and refusals as the
DynamoDB repositories (tests/integration/test_port_contracts.py runs one suite against both), so the rules of the
use cases can be tested without moto. A write checks every condition before it changes anything, as a DynamoDB
transaction does (InMemoryUnitOfWork); a change Lago reports queues its webhook in the outbox with it."""
from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from fakes.outbox import InMemoryOutbox
from fakes.unit_of_work import InMemoryUnitOfWork, in_memory

from chalicelib.domain.api_keys import ApiKeyRecord
from chalicelib.domain.billable_metrics import BillableMetric
from chalicelib.domain.console_sessions import ConsoleSession
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import (
    CodeTaken,
    ExternalIdTaken,
    HasActiveSubscriptions,
    NotFound,
    StaleWrite,
    ValidationFailed,
)
from chalicelib.domain.events import Event
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import Change, Subscription
from chalicelib.domain.test_clocks import MAX_CUSTOMERS_PER_CLOCK, ClockRefusedCustomer, TestClock
from chalicelib.domain.webhooks import WebhookType
from chalicelib.store import keys
from chalicelib.usecases.ports import UnitOfWork

# An entry of the biller's due index: when, and the (organization, customer, subscription or draft) it names.
DueEntry = tuple[datetime, str, str, str]


class FixedClock:
    """A clock that stays where it is set."""

    def __init__(self, now: datetime):
        self.moment = now

    def now(self) -> datetime:
        return self.moment


class SequentialIds:
    """UUIDs 1, 2, 3...: deterministic, and sorting in the order they were handed out, as UUIDv7 do."""

    def __init__(self) -> None:
        self._last = 0

    def new_id(self) -> str:
        self._last += 1
        return str(uuid.UUID(int=self._last))


def _unless(condition: bool, refusal: Callable[[], Exception] = StaleWrite) -> None:
    if not condition:
        raise refusal()


def due_by(entries: Iterable[DueEntry], until: datetime) -> list[tuple[str, str, str]]:
    """The entries due by `until` in the index's order: partition by partition (a hash of the record's id), each
    in time order."""
    partitions = [keys.due_partition(index) for index in range(keys.DUE_PARTITIONS)]
    found = sorted((partitions.index(keys.due_pk(record_id)), keys.due_sk(keys.iso_due(at), *names, record_id))
                   for at, *names, record_id in entries)
    return [keys.due_entry(sort_key) for _, sort_key in found if sort_key <= keys.iso_due(until) + "~"]


def _newest_first(records: Iterable[Any]) -> list[Any]:
    """Newest first by lago_id (UUIDv7 ids sort by creation), as the repositories list."""
    return sorted(records, key=lambda record: record.id, reverse=True)


class SetupVersions:
    """Each organization's setup version, moved by the fakes' control-plane writes as the control table's writes
    move it (chalicelib/store/setup_version.py); shared by the fakes of one InMemoryControlPlane."""

    def __init__(self) -> None:
        self.moved: Counter[str] = Counter()

    def move(self, organization_id: str) -> None:
        self.moved[organization_id] += 1


class _CodedRecords:
    """Metrics and plans: records by lago_id, unique codes per organization, a deleted copy kept, and writes at the
    version (and the counts others move) read."""

    guarded_count: str

    def __init__(self) -> None:
        self.live: dict[tuple[str, str], Any] = {}
        self.deleted: dict[tuple[str, str], Any] = {}
        self.setup = SetupVersions()

    def get(self, organization_id: str, record_id: str) -> Any:
        return self.live.get((organization_id, record_id))

    def find_by_code(self, organization_id: str, code: str) -> Any:
        return next((record for (organization, _), record in self.live.items()
                     if organization == organization_id and record.code == code), None)

    def _as_read(self, record: Any) -> bool:
        current = self.get(record.organization_id, record.id)
        return (current is not None and current.version == record.version
                and getattr(current, self.guarded_count) == getattr(record, self.guarded_count))

    def _check_code(self, record: Any) -> None:
        holder = self.find_by_code(record.organization_id, record.code)
        _unless(holder is None or holder.id == record.id, CodeTaken)

    def _put(self, record: Any) -> None:
        self.live[(record.organization_id, record.id)] = record

    def _remove(self, record: Any) -> None:
        key = (record.organization_id, record.id)
        self.deleted[key] = self.live.pop(key)

    def _moved(self, record: Any, delta: int) -> Any:
        """`record` as stored, its guarded count moved by `delta` (the version stays: counts are ADDed)."""
        current = self.get(record.organization_id, record.id)
        return current.model_copy(update={self.guarded_count: getattr(current, self.guarded_count) + delta})


class InMemoryBillableMetrics(_CodedRecords):
    guarded_count = "plans_count"

    def get_many(self, organization_id: str, metric_ids: set[str]) -> dict[str, BillableMetric]:
        return {metric_id: metric for metric_id in metric_ids
                if (metric := self.get(organization_id, metric_id)) is not None}

    def create(self, metric: BillableMetric) -> None:
        self._check_code(metric)
        self._put(metric)
        self.setup.move(metric.organization_id)

    def update(self, previous: BillableMetric, metric: BillableMetric) -> None:
        if metric.code != previous.code:
            self._check_code(metric)
        _unless(self._as_read(previous))
        self._put(metric)
        self.setup.move(metric.organization_id)

    def delete(self, metric: BillableMetric) -> None:
        _unless(self._as_read(metric))
        self._remove(metric)
        self.setup.move(metric.organization_id)

    def check_used(self, metric: BillableMetric) -> None:
        """A plan write's condition on a metric its charges use: still at the version it was validated against."""
        current = self.get(metric.organization_id, metric.id)
        _unless(current is not None and current.version == metric.version)

    def move_plans_count(self, organization_id: str, metric_id: str, delta: int) -> None:
        current = self.get(organization_id, metric_id)
        self._put(self._moved(current, delta))


class InMemoryPlans(_CodedRecords):
    guarded_count = "active_subscriptions_count"

    def __init__(self, metrics: InMemoryBillableMetrics):
        super().__init__()
        self._metrics = metrics

    def get_any(self, organization_id: str, plan_id: str) -> Plan | None:
        plan: Plan | None = self.get(organization_id, plan_id) or self.deleted.get((organization_id, plan_id))
        return plan

    def all_plans(self, organization_id: str) -> Iterable[Plan]:
        return sorted((plan for (organization, _), plan in self.live.items() if organization == organization_id),
                      key=lambda plan: plan.id)

    def create(self, plan: Plan, metrics: Iterable[BillableMetric]) -> None:
        used = list(metrics)
        self._check_code(plan)
        for metric in used:
            self._metrics.check_used(metric)
        self._put(plan)
        self.setup.move(plan.organization_id)
        for metric in used:
            self._metrics.move_plans_count(plan.organization_id, metric.id, 1)

    def update(self, previous: Plan, plan: Plan, metrics: Iterable[BillableMetric]) -> None:
        used = list(metrics)
        if plan.code != previous.code:
            self._check_code(plan)
        _unless(self._as_read(previous))
        for metric in used:
            self._metrics.check_used(metric)
        used_before = previous.billable_metric_ids()
        self._put(plan)
        self.setup.move(plan.organization_id)
        for metric in used:
            if metric.id not in used_before:
                self._metrics.move_plans_count(plan.organization_id, metric.id, 1)
        for metric_id in used_before - plan.billable_metric_ids():
            self._metrics.move_plans_count(plan.organization_id, metric_id, -1)

    def delete(self, plan: Plan) -> None:
        _unless(self._as_read(plan))
        self._remove(plan)
        self.setup.move(plan.organization_id)
        for metric_id in plan.billable_metric_ids():
            self._metrics.move_plans_count(plan.organization_id, metric_id, -1)

    def stage_subscription_count(self, unit: UnitOfWork, plan: Plan, delta: int) -> None:
        def as_read() -> bool:
            current = self.get(plan.organization_id, plan.id)
            return (current is not None and current.version == plan.version
                    and current.active_subscriptions_count + delta >= 0)

        in_memory(unit).add(as_read, lambda: self._put(self._moved(plan, delta)),
                            item=("plan", plan.organization_id, plan.id))


class InMemoryTestClocks:
    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.clocks: dict[tuple[str, str], TestClock] = {}
        self.customers: dict[tuple[str, str], list[str]] = {}

    def get(self, organization_id: str, test_clock_id: str) -> TestClock | None:
        return self.clocks.get((organization_id, test_clock_id))

    def create(self, clock: TestClock) -> None:
        self.clocks[(clock.organization_id, clock.id)] = clock

    def replace(self, previous: TestClock, clock: TestClock) -> None:
        current = self.get(clock.organization_id, clock.id)
        if current is None or current.version != previous.version:
            raise StaleWrite()
        self.clocks[(clock.organization_id, clock.id)] = current.model_copy(update={
            "frozen_time": clock.frozen_time, "status": clock.status, "advancing_to": clock.advancing_to,
            "version": clock.version})

    def delete(self, clock: TestClock) -> None:
        current = self.get(clock.organization_id, clock.id)
        _unless(current is not None and current.version == clock.version and current.customers_count == 0)
        del self.clocks[(clock.organization_id, clock.id)]

    def check_enrolment(self, organization_id: str, test_clock_id: str) -> None:
        clock = self.get(organization_id, test_clock_id)
        _unless(clock is not None and clock.customers_count < MAX_CUSTOMERS_PER_CLOCK, ClockRefusedCustomer)

    def enrol(self, organization_id: str, test_clock_id: str, customer_id: str) -> None:
        clock = self.clocks[(organization_id, test_clock_id)]
        self.clocks[(organization_id, test_clock_id)] = clock.model_copy(
            update={"customers_count": clock.customers_count + 1})
        self.customers.setdefault((organization_id, test_clock_id), []).append(customer_id)

    def customer_ids(self, organization_id: str, test_clock_id: str) -> list[str]:
        return sorted(self.customers.get((organization_id, test_clock_id), []))

    def forget_customer(self, organization_id: str, test_clock_id: str, customer_id: str) -> None:
        enrolled = self.customers.get((organization_id, test_clock_id), [])
        if customer_id not in enrolled:
            return  # already forgotten
        enrolled.remove(customer_id)
        clock = self.clocks[(organization_id, test_clock_id)]
        self.clocks[(organization_id, test_clock_id)] = clock.model_copy(
            update={"customers_count": clock.customers_count - 1})


class InMemoryCustomers:
    def __init__(self, test_clocks: InMemoryTestClocks, outbox: InMemoryOutbox):
        self._test_clocks = test_clocks
        self._outbox = outbox
        self.live: dict[tuple[str, str], Customer] = {}
        self.deleted: dict[tuple[str, str], Customer] = {}
        self._last_sequence: dict[str, int] = {}
        self.setup = SetupVersions()

    def find_by_external_id(self, organization_id: str, external_id: str) -> Customer | None:
        return next((customer for (organization, _), customer in self.live.items()
                     if organization == organization_id and customer.external_id == external_id), None)

    def get(self, organization_id: str, customer_id: str) -> Customer | None:
        return self.live.get((organization_id, customer_id))

    def search_page(self, organization_id: str, text: str, page: int, per_page: int) -> list[Customer]:
        matching = _newest_first(customer for (organization, _), customer in self.live.items()
                                 if organization == organization_id and customer.matches(text))
        return matching[(page - 1) * per_page:page * per_page + 1]

    def get_any(self, organization_id: str, customer_id: str) -> Customer | None:
        return self.get(organization_id, customer_id) or self.deleted.get((organization_id, customer_id))

    def get_many_any(self, organization_id: str, customer_ids: set[str]) -> dict[str, Customer]:
        return {customer_id: customer for customer_id in customer_ids
                if (customer := self.get_any(organization_id, customer_id)) is not None}

    def create(self, organization_id: str, build: Callable[[int], Customer]) -> Customer:
        customer = build(self._last_sequence.get(organization_id, 0) + 1)
        _unless(self.find_by_external_id(organization_id, customer.external_id) is None, ExternalIdTaken)
        if customer.test_clock_id is not None:
            self._test_clocks.check_enrolment(organization_id, customer.test_clock_id)
            self._test_clocks.enrol(organization_id, customer.test_clock_id, customer.id)
        self._last_sequence[organization_id] = customer.sequential_id
        self.live[(organization_id, customer.id)] = customer
        self.setup.move(organization_id)
        unit = InMemoryUnitOfWork()
        self._outbox.stage_webhook(unit, organization_id, "customer.created", customer.id, customer.created_at)
        unit.commit()
        return customer

    def _at_version(self, customer: Customer, version: int) -> bool:
        current = self.get(customer.organization_id, customer.id)
        return current is not None and current.version == version

    def update(self, customer: Customer, expected_version: int) -> None:
        _unless(self._at_version(customer, expected_version))
        self.live[(customer.organization_id, customer.id)] = customer
        self.setup.move(customer.organization_id)

    def change_external_id(self, previous: Customer, renamed: Customer) -> None:
        _unless(self.find_by_external_id(renamed.organization_id, renamed.external_id) is None, ExternalIdTaken)
        current = self.get(previous.organization_id, previous.id)
        _unless(self._at_version(previous, previous.version) and current is not None
                and current.active_subscriptions_count == 0)
        self.live[(renamed.organization_id, renamed.id)] = renamed
        self.setup.move(renamed.organization_id)

    def delete(self, customer: Customer) -> None:
        current = self.get(customer.organization_id, customer.id)
        _unless(self._at_version(customer, customer.version) and current is not None
                and current.active_subscriptions_count == 0)
        key = (customer.organization_id, customer.id)
        self.deleted[key] = self.live.pop(key)
        self.setup.move(customer.organization_id)

    def is_subscribable(self, customer: Customer, currency: str) -> bool:
        current = self.get(customer.organization_id, customer.id)
        return current is not None and current.currency in (None, currency)

    def has_subscription(self, organization_id: str, customer_id: str) -> bool:
        current = self.get(organization_id, customer_id)
        return current is not None and current.active_subscriptions_count >= 1

    def move_subscriptions_count(self, organization_id: str, customer_id: str, delta: int,
                                 currency: str | None = None) -> None:
        current = self.live[(organization_id, customer_id)]
        self.live[(organization_id, customer_id)] = current.model_copy(update={
            "currency": current.currency or currency, "version": current.version + 1,
            "active_subscriptions_count": current.active_subscriptions_count + delta})


# The webhook of a subscription entering each status (Lago sends none for pending or canceled).
_ENTERED_STATUS_WEBHOOKS: dict[str, WebhookType] = {"active": "subscription.started",
                                                    "terminated": "subscription.terminated"}


class InMemorySubscriptions:
    def __init__(self, customers: InMemoryCustomers, outbox: InMemoryOutbox):
        self._customers = customers
        self._outbox = outbox
        self.records: dict[tuple[str, str], Subscription] = {}
        self.current: dict[tuple[str, str], str] = {}  # (organization, external id) -> lago_id
        # The drafts on the biller's due index beside the subscriptions (the billing fakes' draft markers).
        self.due_drafts: Callable[[], Iterable[DueEntry]] = lambda: ()

    def get(self, organization_id: str, subscription_id: str) -> Subscription | None:
        return self.records.get((organization_id, subscription_id))

    def find_current(self, organization_id: str, external_id: str) -> Subscription | None:
        subscription_id = self.current.get((organization_id, external_id))
        return self.get(organization_id, subscription_id) if subscription_id else None

    def _of(self, organization_id: str, keep: Callable[[Subscription], bool]) -> list[Subscription]:
        return _newest_first(subscription for (organization, _), subscription in self.records.items()
                             if organization == organization_id and keep(subscription))

    def find_latest(self, organization_id: str, external_id: str, status: str) -> Subscription | None:
        return next(iter(self._of(organization_id, lambda subscription: subscription.external_id == external_id
                                  and subscription.status == status)), None)

    def list_page(self, organization_id: str, statuses: Iterable[str], page: int, per_page: int,
                  plan_id: str | None = None) -> list[Subscription]:
        wanted = set(statuses)
        matching = self._of(organization_id, lambda subscription: subscription.status in wanted
                            and plan_id in (None, subscription.plan_id))
        return matching[(page - 1) * per_page:page * per_page]

    def count(self, organization_id: str, statuses: Iterable[str], plan_id: str | None = None) -> int:
        wanted = set(statuses)
        return len(self._of(organization_id, lambda subscription: subscription.status in wanted
                            and plan_id in (None, subscription.plan_id)))

    def of_customer(self, organization_id: str, customer_id: str, statuses: Iterable[str]) -> list[Subscription]:
        wanted = set(statuses)
        return self._of(organization_id, lambda subscription: subscription.customer_id == customer_id
                        and subscription.status in wanted)

    def history(self, organization_id: str, external_id: str,
                statuses: Iterable[str] = ("active", "terminated")) -> list[Subscription]:
        wanted = set(statuses)
        return self._of(organization_id, lambda subscription: subscription.external_id == external_id
                        and subscription.status in wanted)

    def _index(self, due_at: Callable[[Subscription], datetime | None]) -> list[DueEntry]:
        """A due index's entries: none for a customer on a test clock, which only its clock's advances bill."""
        return [(at, subscription.organization_id, subscription.customer_id, subscription.id)
                for subscription in self.records.values()
                if subscription.test_clock_id is None and (at := due_at(subscription)) is not None]

    def due(self, until: datetime) -> list[tuple[str, str, str]]:
        return due_by([*self._index(lambda subscription: subscription.next_billing_action_at), *self.due_drafts()],
                      until)

    def backfill_due(self, until: datetime) -> list[tuple[str, str, str]]:
        return due_by(self._index(lambda subscription: subscription.next_backfill_at), until)

    def _as_read(self, before: Subscription | None, after: Subscription) -> bool:
        current = self.get(after.organization_id, after.id)
        return current is None if before is None else current is not None and current.version == before.version

    def _put(self, subscription: Subscription) -> None:
        self.records[(subscription.organization_id, subscription.id)] = subscription

    def _stage(self, unit: UnitOfWork, changes: Sequence[tuple[Subscription | None, Subscription]]) -> None:
        """Each change, and the webhook of the status it enters."""
        for before, after in changes:
            self._stage_change(unit, before, after)
        for before, after in changes:
            webhook_type = _ENTERED_STATUS_WEBHOOKS.get(after.status)
            if webhook_type is not None and (before is None or before.status != after.status):
                self._outbox.stage_webhook(unit, after.organization_id, webhook_type, after.id, after.updated_at)

    def _stage_change(self, unit: UnitOfWork, before: Subscription | None, after: Subscription) -> None:
        in_memory(unit).add(lambda: self._as_read(before, after), lambda: self._put(after),
                            item=("subscription", after.organization_id, after.id))

    def _stage_holder(self, unit: UnitOfWork, organization_id: str, external_id: str, held_by: str | None,
                      holder: str | None, refused: Callable[[], Exception] | None = None) -> None:
        """The external id's current subscription moved from `held_by` to `holder` (None: free)."""
        key = (organization_id, external_id)

        def move() -> None:
            if holder is None:
                del self.current[key]
            else:
                self.current[key] = holder

        in_memory(unit).add(lambda: self.current.get(key) == held_by, move, refused,
                            item=("subscription external id", *key))

    def stage_create(self, unit: UnitOfWork, subscription: Subscription, customer: Customer, currency: str) -> None:
        organization_id = subscription.organization_id
        self._stage_holder(unit, organization_id, subscription.external_id, None, subscription.id, ExternalIdTaken)
        self._stage(unit, [(None, subscription)])
        in_memory(unit).add(lambda: self._customers.is_subscribable(customer, currency),
                            lambda: self._customers.move_subscriptions_count(organization_id, customer.id, 1, currency),
                            item=("customer", organization_id, customer.id))

    def stage_replace(self, unit: UnitOfWork, previous: Subscription, subscription: Subscription,
                      also: Sequence[Change] = ()) -> None:
        self._stage(unit, [(previous, subscription), *also])
        if previous.holds_external_id and not subscription.holds_external_id:
            organization_id, customer_id = subscription.organization_id, subscription.customer_id
            self._stage_holder(unit, organization_id, previous.external_id, previous.id, None)
            in_memory(unit).add(lambda: self._customers.has_subscription(organization_id, customer_id),
                                lambda: self._customers.move_subscriptions_count(organization_id, customer_id, -1),
                                item=("customer", organization_id, customer_id))

    def replace(self, previous: Subscription, subscription: Subscription, also: Sequence[Change] = ()) -> None:
        unit = InMemoryUnitOfWork()
        self.stage_replace(unit, previous, subscription, also)
        unit.commit()

    def stage_change_plan(self, unit: UnitOfWork, previous: Subscription, ended: Subscription,
                          successor: Subscription, pending: Subscription | None = None,
                          also: Sequence[Change] = ()) -> None:
        self._stage_holder(unit, successor.organization_id, successor.external_id, previous.id, successor.id)
        self._stage(unit, [(previous, ended), (pending, successor), *also])

    def stage_move_pending(self, unit: UnitOfWork, previous: Subscription, moved: Subscription) -> None:
        self._stage(unit, [(previous, moved)])

    def stage_schedule_downgrade(self, unit: UnitOfWork, previous: Subscription, scheduled: Subscription,
                                 pending: Subscription | None, successor: Subscription) -> None:
        self._stage(unit, [(previous, scheduled), (pending, successor)])

    def stage_setup_change(self, unit: UnitOfWork, organization_id: str) -> None:
        in_memory(unit).add(lambda: True, lambda: self._customers.setup.move(organization_id),
                            item=("organization", organization_id))


class InMemoryEvents:
    def __init__(self) -> None:
        self.stored: dict[tuple[str, str, str], Event] = {}

    def insert(self, events: list[Event]) -> list[Event | None]:
        results: list[Event | None] = []
        for event in events:
            key = (event.organization_id, event.transaction_id, event.external_subscription_id)
            results.append(self.stored.get(key))
            self.stored.setdefault(key, event)
        return results

    def find(self, organization_id: str, transaction_id: str,
             external_subscription_id: str | None = None) -> Event | None:
        return max((event for event in self.stored.values()
                    if event.organization_id == organization_id and event.transaction_id == transaction_id
                    and external_subscription_id in (None, event.external_subscription_id)),
                   key=lambda event: (event.received_at, event.lago_id), default=None)

    def _matching(self, organization_id: str, external_subscription_id: str, code: str | None, from_ms: int | None,
                  to_ms: int | None, billable: bool | None) -> list[Event]:
        low, high = from_ms or 0, to_ms if to_ms is not None else 10 ** 15 - 1
        return sorted((event for event in self.stored.values()
                       if event.organization_id == organization_id
                       and event.external_subscription_id == external_subscription_id
                       and code in (None, event.code) and low <= event.timestamp_ms <= high
                       and billable in (None, event.unbillable_reason is None)),
                      key=lambda event: (event.timestamp_ms, event.transaction_id), reverse=True)

    def list_page(self, organization_id: str, external_subscription_id: str, code: str | None, from_ms: int | None,
                  to_ms: int | None, page: int, per_page: int, billable: bool | None = None) -> list[Event]:
        matching = self._matching(organization_id, external_subscription_id, code, from_ms, to_ms, billable)
        return matching[(page - 1) * per_page:page * per_page]

    def count(self, organization_id: str, external_subscription_id: str, code: str | None, from_ms: int | None,
              to_ms: int | None, billable: bool | None = None) -> int:
        return len(self._matching(organization_id, external_subscription_id, code, from_ms, to_ms, billable))


class InMemoryInvoices:
    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], Invoice] = {}

    def get(self, organization_id: str, invoice_id: str) -> Invoice | None:
        return self.stored.get((organization_id, invoice_id))

    def stage_replace(self, unit: UnitOfWork, previous: Invoice, invoice: Invoice) -> None:
        def as_read() -> bool:
            current = self.get(invoice.organization_id, invoice.id)
            return current is not None and current.version == previous.version

        in_memory(unit).add(as_read, lambda: self.stored.__setitem__((invoice.organization_id, invoice.id), invoice),
                            item=("invoice", invoice.organization_id, invoice.id))

    def replace(self, previous: Invoice, invoice: Invoice) -> None:
        unit = InMemoryUnitOfWork()
        self.stage_replace(unit, previous, invoice)
        unit.commit()


class InMemoryOrganizations:
    def __init__(self, subscriptions: InMemorySubscriptions, clock: FixedClock):
        self._subscriptions = subscriptions
        self._clock = clock
        self.stored: dict[str, Organization] = {}
        self.hmac_keys: dict[str, str] = {}
        self.api_keys: dict[str, ApiKeyRecord] = {}  # by hash
        self.setup = SetupVersions()

    def create(self, organization: Organization, hmac_key: str) -> None:
        self.stored[organization.id] = organization
        self.hmac_keys[organization.id] = hmac_key

    def get(self, organization_id: str) -> Organization:
        _unless(organization_id in self.stored, lambda: NotFound("organization"))
        return self.stored[organization_id].model_copy(update={"setup_version": self.setup.moved[organization_id]})

    def hmac_key(self, organization_id: str, new_key: str) -> str:
        self.get(organization_id)
        return self.hmac_keys.setdefault(organization_id, new_key)

    def replace_hmac_key(self, organization_id: str, new_key: str) -> None:
        self.hmac_keys[organization_id] = new_key

    def add_api_key(self, record: ApiKeyRecord) -> None:
        _unless(record.key_hash not in self.api_keys, lambda: ValidationFailed.single("api_key", "value_already_exist"))
        self.api_keys[record.key_hash] = record
        self.setup.move(record.organization_id)

    def find_api_key(self, key_hash: str) -> ApiKeyRecord | None:
        return self.api_keys.get(key_hash)

    def list_api_keys(self, organization_id: str) -> list[ApiKeyRecord]:
        return sorted((record for record in self.api_keys.values() if record.organization_id == organization_id),
                      key=lambda record: record.key_id)

    def revoke_api_key(self, record: ApiKeyRecord) -> None:
        self.api_keys.pop(record.key_hash, None)
        self.setup.move(record.organization_id)

    def update(self, organization_id: str, changes: dict[str, Any]) -> Organization:
        current = self.get(organization_id).model_dump()
        for name, value in changes.items():
            if value is None:
                current.pop(name, None)  # removed: the model's default
            else:
                current[name] = value
        self.setup.move(organization_id)
        updated = Organization.model_validate({**current, "updated_at": self._clock.now(),
                                               "setup_version": self.setup.moved[organization_id]})
        self.stored[organization_id] = updated
        return updated

    def update_while_unsubscribed(self, organization_id: str, changes: dict[str, Any]) -> Organization:
        _unless(self._subscriptions.count(organization_id, ("active",)) == 0, HasActiveSubscriptions)
        return self.update(organization_id, changes)


class InMemoryConsoleSessions:
    def __init__(self) -> None:
        self.secret: str | None = None
        self.live: set[tuple[str, str]] = set()

    def session_secret(self, new_secret: str) -> str:
        self.secret = self.secret or new_secret
        return self.secret

    def add_session(self, session: ConsoleSession) -> None:
        self.live.add((session.organization_id, session.session_id))

    def session_exists(self, session: ConsoleSession) -> bool:
        return (session.organization_id, session.session_id) in self.live

    def delete_session(self, session: ConsoleSession) -> None:
        self.live.discard((session.organization_id, session.session_id))


class InMemoryControlPlane:
    """Every control-plane port in memory, sharing their state as the control table does (a subscription moves its
    customer's and its plan's counts)."""

    def __init__(self, clock: FixedClock):
        self.billable_metrics = InMemoryBillableMetrics()
        self.plans = InMemoryPlans(self.billable_metrics)
        self.test_clocks = InMemoryTestClocks()
        self.webhooks = InMemoryOutbox()
        self.customers = InMemoryCustomers(self.test_clocks, self.webhooks)
        self.subscriptions = InMemorySubscriptions(self.customers, self.webhooks)
        self.organizations = InMemoryOrganizations(self.subscriptions, clock)
        # One setup version per organization, moved by every fake's control-plane writes.
        self.billable_metrics.setup = self.plans.setup = self.customers.setup = self.organizations.setup
        self.events = InMemoryEvents()
        self.invoices = InMemoryInvoices()
        self.console_sessions = InMemoryConsoleSessions()

    @staticmethod
    def unit_of_work() -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork()
