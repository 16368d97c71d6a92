"""The verbs on subscriptions: create (idempotent per external id and plan, or a plan change), find, list, update,
and terminate or cancel. Each write is one conditional transaction in the store; a lost race reads again."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import ExternalIdTaken, NotFound, StaleWrite, ValidationFailed
from chalicelib.domain.organizations import Organization
from chalicelib.domain.plans import Plan
from chalicelib.domain.readers import SubscriptionReader
from chalicelib.domain.retries import retrying
from chalicelib.domain.subscriptions import (
    Change,
    Subscription,
    SubscriptionInput,
    SubscriptionUpdate,
    canceled_subscription,
    check_ending_at,
    downgrade_dropped,
    is_upgrade,
    new_subscription,
    pending_on_plan,
    scheduled_downgrade,
    terminated_subscription,
    updated_subscription,
    upgraded_subscriptions,
)
from chalicelib.usecases.ports import (
    CustomerClock,
    CustomerStore,
    IdSource,
    PlanStore,
    SubscriptionStore,
    Transactions,
    UnitOfWork,
)


@dataclass(frozen=True)
class Shown:
    """A subscription with the customer and plan its response names (by their current external id and code)."""

    subscription: Subscription
    customer: Customer
    plan: Plan


@dataclass(frozen=True)
class Listed:
    subscriptions: list[Shown]
    total_count: int


def _counted(plan: Plan, delta: int) -> Plan:
    """The plan as the write left it, for the response."""
    return plan.model_copy(update={"active_subscriptions_count": plan.active_subscriptions_count + delta})


def _timezone(customer: Customer, organization: Organization) -> str:
    return customer.applicable_timezone(organization.timezone)


def scheduled_pending(subscriptions: SubscriptionReader, subscription: Subscription) -> Subscription | None:
    """The pending subscription of `subscription`'s scheduled downgrade; None if none is scheduled."""
    if subscription.next_subscription_id is None:
        return None
    pending = subscriptions.get(subscription.organization_id, subscription.next_subscription_id)
    if pending is None or not pending.waits_for_switch:
        raise StaleWrite()  # written in one transaction with the schedule: read again
    return pending


def downgrade_canceled(subscriptions: SubscriptionReader, subscription: Subscription, now: datetime) -> list[Change]:
    """As `subscription` ends or changes plan before its scheduled downgrade, that downgrade's pending subscription
    canceled at `now` (Lago's rule), to write with it; none if no downgrade is scheduled."""
    pending = scheduled_pending(subscriptions, subscription)
    return [] if pending is None else [(pending, canceled_subscription(pending, now))]


@dataclass(frozen=True)
class SubscriptionUseCases:
    """Each write takes the request's CustomerClock: "now" is the test clock's frozen time for a customer on one."""

    subscriptions: SubscriptionStore
    customers: CustomerStore
    plans: PlanStore
    transactions: Transactions
    ids: IdSource

    def create(self, organization: Organization, payload: dict[str, Any], clock: CustomerClock) -> Shown:
        """`POST /subscriptions` at the customer's "now"."""
        request = SubscriptionInput.parse(payload)
        # parse requires these three
        assert request.external_customer_id is not None and request.plan_code is not None
        assert request.external_id is not None
        external_customer_id, plan_code, external_id = (request.external_customer_id, request.plan_code,
                                                        request.external_id)

        def attempt() -> Shown:
            customer = self.customers.find_by_external_id(organization.id, external_customer_id)
            if customer is None:
                raise NotFound("customer")
            now = clock.now_for(customer.test_clock_id)
            check_ending_at(request.ending_at, request.subscription_at or now, now)
            plan = self.plans.find_by_code(organization.id, plan_code)
            if plan is None:
                raise NotFound("plan")
            existing = self.subscriptions.find_current(organization.id, external_id)
            if existing is not None:
                return self._existing(organization, existing, customer, plan, request, now)
            if customer.currency is not None and customer.currency != plan.amount_currency:
                raise ValidationFailed.single("currency", "currencies_does_not_match")
            backdated = request.subscription_at is not None and request.subscription_at < now
            not_before = (self._last_termination(organization.id, customer.id, external_id) if backdated
                          else None)
            subscription = new_subscription(request, subscription_id=self.ids.new_id(),
                                            organization_id=organization.id, customer_id=customer.id, plan=plan,
                                            test_clock_id=customer.test_clock_id,
                                            timezone=_timezone(customer, organization), now=now,
                                            not_before=not_before)
            unit = self.transactions.unit_of_work()
            self.plans.stage_subscription_count(unit, plan, 1)
            self.subscriptions.stage_create(unit, subscription, customer, plan.amount_currency)
            self.subscriptions.stage_setup_change(unit, organization.id)
            try:
                unit.commit()
            except ExternalIdTaken:
                raise StaleWrite() from None  # a concurrent request took the external id: read again
            return Shown(subscription, customer.model_copy(update={"currency": plan.amount_currency}),
                         _counted(plan, 1))

        # StaleWrite: the customer or the plan changed, or the external id was taken, since they were read.
        return retrying("subscription", attempt)

    def _existing(self, organization: Organization, existing: Subscription, customer: Customer, plan: Plan,
                  request: SubscriptionInput, now: datetime) -> Shown:
        """A POST naming a current subscription's external id: the same customer and plan get it back (Lago's
        idempotency); another plan on an active subscription is a plan change: an upgrade at once, a downgrade at
        the end of the period; on a pending one it replaces the plan; another customer cannot have it."""
        if existing.customer_id != customer.id:
            raise ValidationFailed.single("external_id", "value_already_exist")
        if existing.plan_id == plan.id:
            return Shown(existing, customer, plan)
        current_plan = self.plans.get_any(organization.id, existing.plan_id)
        if current_plan is None:
            raise ValidationFailed.single("plan_code", "plan_change_not_supported_yet")
        if plan.amount_currency != current_plan.amount_currency:
            raise ValidationFailed.single("currency", "currencies_does_not_match")
        if existing.status == "pending":
            moved = pending_on_plan(existing, plan, now)
            self._commit_plan_move(current_plan, plan, lambda unit: self.subscriptions.stage_move_pending(
                unit, existing, moved))
            return Shown(moved, customer, _counted(plan, 1))
        if not is_upgrade(current_plan, plan):
            return self._downgrade(organization, existing, customer, current_plan, plan, request, now)
        ended, successor = upgraded_subscriptions(existing, plan, self.ids.new_id(),
                                                  _timezone(customer, organization), now)
        canceled = downgrade_canceled(self.subscriptions, existing, now)
        self._commit_plan_move(current_plan, plan, lambda unit: self.subscriptions.stage_change_plan(
            unit, existing, ended, successor, also=canceled))
        return Shown(successor, customer, _counted(plan, 1))

    def _commit_plan_move(self, current_plan: Plan, plan: Plan, stage: Callable[[UnitOfWork], None]) -> None:
        """ONE transaction: what `stage` stages, with a subscription counted off `current_plan` and onto `plan`."""
        unit = self.transactions.unit_of_work()
        self.plans.stage_subscription_count(unit, current_plan, -1)
        self.plans.stage_subscription_count(unit, plan, 1)
        stage(unit)
        self.subscriptions.stage_setup_change(unit, plan.organization_id)
        unit.commit()

    def _commit(self, organization_id: str, stage: Callable[[UnitOfWork], None]) -> None:
        """ONE transaction: what `stage` stages, with the organization's setup version moved."""
        unit = self.transactions.unit_of_work()
        stage(unit)
        self.subscriptions.stage_setup_change(unit, organization_id)
        unit.commit()

    def _downgrade(self, organization: Organization, existing: Subscription, customer: Customer, current_plan: Plan,
                   plan: Plan, request: SubscriptionInput, now: datetime) -> Shown:
        """A downgrade is scheduled for the end of the current plan period (the biller switches it then), with its
        pending subscription on the new plan; the answer is the current subscription, showing `next_plan_code` and
        `downgrade_plan_date`. The same request again changes nothing; another downgrade while one is scheduled
        moves the pending subscription to its plan (Lago cancels it and makes another)."""
        if existing.downgrade_at is not None and existing.next_plan_id == plan.id:
            return Shown(existing, customer, current_plan)
        pending = scheduled_pending(self.subscriptions, existing)
        scheduled, successor = scheduled_downgrade(existing, plan, current_plan, _timezone(customer, organization),
                                                   now, pending, self.ids.new_id(), request)
        self._commit(organization.id, lambda unit: self.subscriptions.stage_schedule_downgrade(
            unit, existing, scheduled, pending, successor))
        return Shown(scheduled, customer, current_plan)

    def _last_termination(self, organization_id: str, customer_id: str, external_id: str) -> datetime | None:
        """Where the customer's subscriptions of `external_id` stopped billing: the last one's termination, if
        any."""
        return max((earlier.terminated_at
                    for earlier in self.subscriptions.history(organization_id, external_id, ("terminated",))
                    if earlier.customer_id == customer_id and earlier.terminated_at is not None), default=None)

    def _shown(self, subscription: Subscription) -> Shown:
        organization_id = subscription.organization_id
        customer = self.customers.get_any(organization_id, subscription.customer_id)
        plan = self.plans.get_any(organization_id, subscription.plan_id)
        if customer is None or plan is None:
            raise NotFound("subscription")
        return Shown(subscription, customer, plan)

    def _find(self, organization: Organization, external_id: str, status: str) -> Subscription:
        """The newest subscription of `external_id` in `status`: the active one is the one its lookup names; a
        pending one may also be an active one's scheduled downgrade."""
        if status == "active":
            subscription = self.subscriptions.find_current(organization.id, external_id)
        else:
            subscription = self.subscriptions.find_latest(organization.id, external_id, status)
        if subscription is None or subscription.status != status:
            raise NotFound("subscription")
        return subscription

    def find(self, organization: Organization, external_id: str, status: str) -> Shown:
        """`GET /subscriptions/{external_id}?status=` (the newest one in that status)."""
        return self._shown(self._find(organization, external_id, status))

    def update(self, organization: Organization, external_id: str, status: str, payload: dict[str, Any],
               clock: CustomerClock) -> Shown:
        """`PUT /subscriptions/{external_id}?status=active|pending` at the customer's "now"."""
        request = SubscriptionUpdate.parse(payload)

        def attempt() -> Shown:
            previous = self._find(organization, external_id, status)
            shown = self._shown(previous)
            subscription = updated_subscription(previous, request, shown.plan,
                                                _timezone(shown.customer, organization),
                                                clock.now_for(previous.test_clock_id))
            self._commit(organization.id, lambda unit: self.subscriptions.stage_replace(unit, previous, subscription))
            return Shown(subscription, shown.customer, shown.plan)

        return retrying("subscription", attempt)

    def end(self, organization: Organization, external_id: str, status: str, clock: CustomerClock) -> Shown:
        """`DELETE /subscriptions/{external_id}` at the customer's "now": terminate the active one (canceling its
        scheduled downgrade), or (`?status=pending`) cancel the pending one; the customer's and the plan's counts
        are released in the same transaction. A scheduled downgrade's pending subscription holds no counts:
        canceling it cancels the downgrade, its predecessor keeping its plan."""

        def attempt() -> Shown:
            previous = self._find(organization, external_id, status)
            shown = self._shown(previous)  # a plan with a current subscription cannot be deleted: it is live
            now = clock.now_for(previous.test_clock_id)
            ended = (terminated_subscription(previous, now) if status == "active"
                     else canceled_subscription(previous, now))
            if previous.waits_for_switch:
                predecessor = (self.subscriptions.get(organization.id, previous.previous_subscription_id)
                               if previous.previous_subscription_id is not None else None)
                if predecessor is None or predecessor.next_subscription_id != previous.id:
                    raise StaleWrite()  # written in one transaction with it: read again
                dropped = [(predecessor, downgrade_dropped(predecessor, now))]
                self._commit(organization.id, lambda unit: self.subscriptions.stage_replace(
                    unit, previous, ended, also=dropped))
                return Shown(ended, shown.customer, shown.plan)
            unit = self.transactions.unit_of_work()
            self.plans.stage_subscription_count(unit, shown.plan, -1)
            self.subscriptions.stage_replace(unit, previous, ended,
                                             also=downgrade_canceled(self.subscriptions, previous, now))
            self.subscriptions.stage_setup_change(unit, organization.id)
            unit.commit()
            return Shown(ended, shown.customer, _counted(shown.plan, -1))

        return retrying("subscription", attempt)

    def list(self, organization: Organization, statuses: tuple[str, ...], page: int, per_page: int,
             external_customer_id: str | None, plan_code: str | None) -> Listed:
        """`GET /subscriptions`: newest first, filtered by statuses, and by customer and plan when given (an
        unknown customer or plan matches nothing)."""
        organization_id = organization.id
        plan_id = None
        if plan_code is not None:
            plan = self.plans.find_by_code(organization_id, plan_code)
            if plan is None:
                return Listed([], 0)
            plan_id = plan.id
        if external_customer_id is not None:
            customer = self.customers.find_by_external_id(organization_id, external_customer_id)
            if customer is None:
                return Listed([], 0)
            of_customer = self.subscriptions.of_customer(organization_id, customer.id, statuses)
            matching = [subscription for subscription in of_customer
                        if plan_id is None or subscription.plan_id == plan_id]
            listed, total_count = matching[(page - 1) * per_page:page * per_page], len(matching)
        else:
            listed = self.subscriptions.list_page(organization_id, statuses, page, per_page, plan_id)
            total_count = self.subscriptions.count(organization_id, statuses, plan_id)
        customers: dict[str, Customer | None] = {}
        plans: dict[str, Plan | None] = {}
        shown = []
        for subscription in listed:  # one read per distinct customer and plan of the page
            if subscription.customer_id not in customers:
                customers[subscription.customer_id] = self.customers.get_any(organization_id,
                                                                              subscription.customer_id)
            if subscription.plan_id not in plans:
                plans[subscription.plan_id] = self.plans.get_any(organization_id, subscription.plan_id)
            customer, plan = customers[subscription.customer_id], plans[subscription.plan_id]
            if customer is not None and plan is not None:
                shown.append(Shown(subscription, customer, plan))
        return Listed(shown, total_count)
