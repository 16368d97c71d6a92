"""The subscription: a customer on a plan under an external id. Its statuses, what a request may set, and
the state changes (pending -> active, active -> terminated, pending -> canceled) as pure functions.

Rules and departures from Lago: docs/api-coverage.md (Subscriptions)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from chalicelib.domain.backdating import UnbilledHistory, first_live_period, started_on_request_day, unbilled_history
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.periods import BillingTerms, BillingTime, Interval, Period, current_usage_window
from chalicelib.domain.periods.period import SECOND
from chalicelib.domain.plans import Plan
from chalicelib.domain.validation import Instant, RequestObject, RequiredText, Text, one_of, parse_model

Status = Literal["pending", "active", "terminated", "canceled"]
STATUSES: tuple[str, ...] = ("active", "pending", "terminated", "canceled")
# The statuses of the one subscription an external id names at a time; both count on the customer and
# the plan (`active_subscriptions_count`), so both block a customer's deletion and a plan's.
CURRENT_STATUSES: tuple[str, ...] = ("active", "pending")
REQUIRED_ON_CREATE = ("external_customer_id", "plan_code", "external_id")


BILLING_TIMES = tuple(time.value for time in BillingTime)


def _billing_time(value: object) -> str:
    if value not in BILLING_TIMES:
        raise PydanticCustomError("value_is_invalid", "calendar or anniversary")
    return str(value)


class DraftPeriod(BaseModel):
    """A charges period (its full period's start) invoiced on a draft that is not finalized yet."""

    period_start: datetime
    invoice_id: str


class Subscription(BaseModel):
    """A stored subscription. `id` is its lago_id; it refers to its customer and plan by their lago_ids.

    `current_billing_period_start`/`_end` are the period the biller invoices next, half-open (the API shows
    Lago's inclusive end); None while pending. `starting_invoice_due`: a
    pay-in-advance plan's first base fee is still to invoice; `final_invoice_due`: terminated, its termination
    invoice is still to issue."""

    id: str
    organization_id: str
    external_id: str
    customer_id: str
    plan_id: str
    test_clock_id: str | None = None  # its customer's: the biller leaves it to that clock's advances
    name: str | None = None
    billing_time: Literal["calendar", "anniversary"]
    status: Status
    subscription_at: datetime
    started_at: datetime | None = None
    ending_at: datetime | None = None
    terminated_at: datetime | None = None
    canceled_at: datetime | None = None
    current_billing_period_start: datetime | None = None
    current_billing_period_end: datetime | None = None
    starting_invoice_due: bool = False
    # A pay-in-advance start in a trial that ends inside the first plan period is invoiced when the trial ends (the
    # rest of that period, as Lago's free-trial billing); None: at `started_at`.
    starting_invoice_at: datetime | None = None
    final_invoice_due: bool = False
    # A plan change (issue 7): the plan this subscription came from, and, on one ended by an upgrade, the plan
    # that replaced it (its base fee is then billed to the day before the upgrade, as Lago).
    previous_plan_id: str | None = None
    next_plan_id: str | None = None
    terminated_by_upgrade: bool = False
    # Started by an upgrade: the subscription it replaced (that one's final share and this one's start are one
    # invoice, as Lago's `upgrading` invoice).
    upgraded_from_id: str | None = None
    # A scheduled downgrade: at `downgrade_at` (its plan period's end) the biller ends this subscription and starts
    # `next_subscription_id` on `next_plan_id`; events from then on are already aggregated under that id. Once
    # switched (terminated), `downgrade_at` stays as the switch instant Lago's `downgrade_plan_date` shows.
    downgrade_at: datetime | None = None
    next_subscription_id: str | None = None
    # On a scheduled downgrade's pending subscription (and after its switch): the subscription it follows (Lago's
    # `previous_subscription`). Pending, it waits for that one's switch: see `waits_for_switch`.
    previous_subscription_id: str | None = None
    # The charges periods invoiced on a draft (a grace period), with their draft: an event of those periods arriving
    # now is billed by that draft (it asks the biller for a refresh), not late.
    draft_periods: list[DraftPeriod] = Field(default_factory=list)
    # Started before the request that created it: what of its history only a backfill bills (the migration rule,
    # chalicelib/domain/backdating.py); None when nothing is left to backfill.
    unbilled_history: UnbilledHistory | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def billing_started_at(self) -> datetime:
        """`started_at` of a subscription that has started (active or terminated); a pending one has none."""
        if self.started_at is None:
            raise ValueError(f"subscription {self.id} has not started")
        return self.started_at

    @property
    def starting_at(self) -> datetime:
        """When its starting invoice (a pay-in-advance plan's) is due."""
        return self.starting_invoice_at or self.billing_started_at

    @property
    def waits_for_switch(self) -> bool:
        """A scheduled downgrade's pending subscription (Lago's pending subscription with a previous one): its
        active predecessor's switch starts it, not its `subscription_at` (the predecessor's); that predecessor
        holds the external id, and the customer's and the plan's counts, until then."""
        return self.status == "pending" and self.previous_subscription_id is not None

    @property
    def holds_external_id(self) -> bool:
        """The one subscription its external id names (its lookup, the customer's and the plan's counts)."""
        return self.status in CURRENT_STATUSES and not self.waits_for_switch

    @property
    def downgrade_plan_date(self) -> date | None:
        """Lago's `downgrade_plan_date`, by Lago's date arithmetic on UTC instants: scheduled, the day after the UTC
        day of the plan period's last second (a customer east of UTC: the local switch day; west: the day after);
        switched (terminated), the UTC day of the switch instant."""
        if self.downgrade_at is None:
            return None
        if self.status == "active":
            return (self.downgrade_at - SECOND).date() + timedelta(days=1)
        return self.downgrade_at.date()

    @property
    def next_billing_action_at(self) -> datetime | None:
        """When the biller next has something to do with it (activate, invoice, terminate); None: nothing."""
        if self.waits_for_switch:
            return None
        if self.status == "pending":
            return self.subscription_at
        if self.status == "terminated":
            return self.terminated_at if self.final_invoice_due else None
        if self.status != "active":
            return None
        candidates = [self.current_billing_period_end, self.ending_at, self.downgrade_at,
                      self.starting_at if self.starting_invoice_due else None]
        return min((moment for moment in candidates if moment is not None), default=None)

    def settled_at(self, now: datetime) -> bool:
        """Whether the subscription as read still holds at `now` whatever the biller did since: the biller changes
        it (starts it, advances its period, terminates it at its ending_at, switches its downgrade) only once its
        next billing action is due, and `now` is before that (the setup cache's rule for what it keeps of one)."""
        due = self.next_billing_action_at
        return due is None or now < due

    @property
    def next_backfill_at(self) -> datetime | None:
        """When a backfill next has something of its history to bill; None: nothing."""
        history = self.unbilled_history
        if history is None:
            return None
        return self.started_at if history.starting_due else history.period_end

    def draft_of(self, period_start: datetime) -> str | None:
        """The draft invoice that bills the charges period starting at `period_start`, if one does."""
        return next((draft.invoice_id for draft in self.draft_periods if draft.period_start == period_start), None)

    @property
    def current_billing_period(self) -> Period | None:
        if self.current_billing_period_start is None or self.current_billing_period_end is None:
            return None
        return Period(self.current_billing_period_start, self.current_billing_period_end)


# A subscription's write, for a store to make with others in one transaction: (as read, or None for a new one;
# as written).
Change = tuple[Subscription | None, Subscription]


class _Fields(RequestObject):
    name: Text | None = None
    ending_at: Instant | None = None
    subscription_at: Instant | None = None


class SubscriptionInput(_Fields):
    """The `subscription` object of `POST /subscriptions`."""

    external_customer_id: RequiredText | None = None
    plan_code: RequiredText | None = None
    external_id: RequiredText | None = None
    billing_time: Annotated[str, BeforeValidator(_billing_time), one_of(BILLING_TIMES)] | None = None

    @classmethod
    def parse(cls, payload: object) -> "SubscriptionInput":
        """The request's fields; its `ending_at` is checked once "now" is known (`check_ending_at`): the customer's
        time, which a test clock sets."""
        parsed = parse_model(cls, payload)
        missing = {name: ["value_is_mandatory"] for name in REQUIRED_ON_CREATE if getattr(parsed, name) is None}
        if missing:
            raise ValidationFailed(missing)
        return parsed


class SubscriptionUpdate(_Fields):
    """The `subscription` object of `PUT /subscriptions/{external_id}`: every field optional, null clears
    `name` and `ending_at`; `subscription_at` only changes a pending subscription (null leaves it)."""

    @classmethod
    def parse(cls, payload: object) -> "SubscriptionUpdate":
        return parse_model(cls, payload)


def check_ending_at(ending_at: datetime | None, subscription_at: datetime, now: datetime) -> None:
    """Lago's rule: an `ending_at` falls on a (UTC) day after today and after the subscription's day."""
    if ending_at is not None and not ending_at.date() > max(now.date(), subscription_at.date()):
        raise ValidationFailed.single("ending_at", "invalid_date")


def billing_terms(plan: Plan, billing_time: str, timezone: str, subscription_at: datetime,
                  started_at: datetime, terminated_at: datetime | None = None, *,
                  upgraded: bool = False) -> BillingTerms:
    return BillingTerms(interval=Interval(plan.interval), billing_time=BillingTime(billing_time), timezone=timezone,
                        subscription_at=subscription_at, started_at=started_at, pay_in_advance=plan.pay_in_advance,
                        bill_charges_monthly=bool(plan.bill_charges_monthly), terminated_at=terminated_at,
                        upgraded=upgraded)


def first_billing_period(plan: Plan, billing_time: str, timezone: str, subscription_at: datetime,
                         started_at: datetime) -> Period:
    """The period a new subscription is billed for first, as Lago's current billing period shows it: the
    charges period containing `started_at`, from that exact instant (not from the day's midnight)."""
    return current_usage_window(billing_terms(plan, billing_time, timezone, subscription_at, started_at), started_at)


def activated_subscription(subscription: Subscription, plan: Plan, timezone: str, *,
                           requested_at: datetime | None = None, not_before: datetime | None = None) -> Subscription:
    """Active from its `subscription_at` (backdated when that is in the past), with its first period. Activated by a
    request (`requested_at`), what ended before the request is its unbilled history and the biller starts with the
    period containing the request (the migration rule); then a subscription dated a past day starts no earlier
    than `not_before`, where the external id's last terminated subscription stopped billing (Lago's clamp). The
    biller activating a pending subscription when its time comes (no `requested_at`) bills it from its start."""
    started_at = subscription.subscription_at
    past_day = requested_at is not None and not started_on_request_day(subscription.subscription_at, requested_at,
                                                                       timezone)
    if past_day and not_before is not None:
        started_at = max(started_at, not_before)
    terms = billing_terms(plan, subscription.billing_time, timezone, subscription.subscription_at, started_at)
    period = first_live_period(terms, requested_at or started_at)
    return subscription.model_copy(update={
        "status": "active", "started_at": started_at, "current_billing_period_start": period.start,
        "current_billing_period_end": period.end, "starting_invoice_due": plan.pay_in_advance and not past_day,
        "unbilled_history": requested_at and unbilled_history(terms, subscription.subscription_at, requested_at)})


def new_subscription(request: SubscriptionInput, *, subscription_id: str, organization_id: str, customer_id: str,
                     plan: Plan, timezone: str, now: datetime, not_before: datetime | None = None,
                     test_clock_id: str | None = None) -> Subscription:
    """A subscription starting at `subscription_at` (default now): active if that has come (see
    `activated_subscription` for `not_before`), else pending."""
    subscription = Subscription(
        id=subscription_id, organization_id=organization_id, external_id=request.external_id,
        customer_id=customer_id, plan_id=plan.id, test_clock_id=test_clock_id, name=request.name,
        billing_time=request.billing_time or BillingTime.CALENDAR, status="pending",
        subscription_at=request.subscription_at or now, ending_at=request.ending_at, created_at=now, updated_at=now)
    if subscription.subscription_at > now:
        return subscription
    return activated_subscription(subscription, plan, timezone, requested_at=now, not_before=not_before)


def updated_subscription(subscription: Subscription, request: SubscriptionUpdate, plan: Plan, timezone: str,
                         now: datetime) -> Subscription:
    """The fields sent applied. A new `subscription_at` moves a pending subscription's start, and activates it
    (backdated) when it is not in the future; on an active one, or a downgrade's pending one (its predecessor's
    switch starts it), it is ignored, as Lago does."""
    changes = {name: getattr(request, name) for name in request.model_fields_set & {"name", "ending_at"}}
    pending = subscription.status == "pending" and not subscription.waits_for_switch
    if pending and request.subscription_at is not None:
        changes["subscription_at"] = request.subscription_at
    updated = subscription.model_copy(update={**changes, "updated_at": now, "version": subscription.version + 1})
    if "ending_at" in changes or "subscription_at" in changes:
        check_ending_at(updated.ending_at, updated.subscription_at, now)
    if pending and updated.subscription_at <= now:
        updated = activated_subscription(updated, plan, timezone, requested_at=now)
    return updated


def terminated_subscription(subscription: Subscription, now: datetime) -> Subscription:
    """Active -> terminated at `now` (the last second billed); the current period stops there, and a scheduled
    downgrade with it (its pending subscription is canceled: `subscription_service.downgrade_canceled`)."""
    period = subscription.current_billing_period
    cut = None if period is None else period.within(end=now + SECOND)
    return subscription.model_copy(update={"status": "terminated", "terminated_at": now, "updated_at": now,
                                           "current_billing_period_end": (cut or period).end if period else None,
                                           "final_invoice_due": True, "next_plan_id": None, "downgrade_at": None,
                                           "next_subscription_id": None, "version": subscription.version + 1})


def canceled_subscription(subscription: Subscription, now: datetime) -> Subscription:
    """Pending -> canceled: it never started."""
    return subscription.model_copy(update={"status": "canceled", "canceled_at": now, "updated_at": now,
                                           "version": subscription.version + 1})


def statuses_from_query(values: list[str], default: tuple[str, ...] = ("active",)) -> tuple[str, ...]:
    """The `status[]` filter of a list (default: active only); an unknown status is 422."""
    if not values:
        return default
    if any(value not in STATUSES for value in values):
        raise ValidationFailed.single("status", "value_is_invalid")
    return tuple(dict.fromkeys(values))


def status_from_query(value: str | None, allowed: tuple[str, ...] = STATUSES) -> str:
    """The `status` of `GET|PUT|DELETE /subscriptions/{external_id}` (default active)."""
    if value is None or value == "":
        return "active"
    if value not in allowed:
        raise ValidationFailed.single("status", "value_is_invalid")
    return value



def upgraded_subscriptions(old: Subscription, plan: Plan, new_id: str, timezone: str,
                           now: datetime) -> tuple[Subscription, Subscription]:
    """An upgrade at `now` (lago-semantics §5.3): the old subscription terminated (its final invoice due, its base
    fee to the day before), and the new one active from `now` under the same external id, with the old one's
    `subscription_at` (the anniversary kept) and billing time. A trial is not granted again: trials count from the
    external id's first start."""
    ended = terminated_subscription(old, now).model_copy(update={"next_plan_id": plan.id,
                                                                 "terminated_by_upgrade": True})
    new = Subscription(
        id=new_id, organization_id=old.organization_id, external_id=old.external_id, customer_id=old.customer_id,
        plan_id=plan.id, test_clock_id=old.test_clock_id, name=old.name, billing_time=old.billing_time,
        status="pending",
        subscription_at=old.subscription_at, ending_at=old.ending_at, previous_plan_id=old.plan_id,
        upgraded_from_id=old.id, created_at=now, updated_at=now)
    period = first_billing_period(plan, new.billing_time, timezone, new.subscription_at, now)
    return ended, new.model_copy(update={"status": "active", "started_at": now,
                                         "current_billing_period_start": period.start,
                                         "current_billing_period_end": period.end,
                                         "starting_invoice_due": plan.pay_in_advance})


def pending_on_plan(subscription: Subscription, plan: Plan, now: datetime) -> Subscription:
    """A pending subscription moved to another plan (Lago changes its plan in place): it has not started, so
    nothing is billed, prorated or credited, upgrade or downgrade alike."""
    return subscription.model_copy(update={"plan_id": plan.id, "updated_at": now, "version": subscription.version + 1})


def is_upgrade(current: Plan, requested: Plan) -> bool:
    """Lago's rule: the yearly-normalised base fee does not go down."""
    return requested.yearly_amount_cents() >= current.yearly_amount_cents()


def scheduled_downgrade(old: Subscription, plan: Plan, current_plan: Plan, timezone: str, now: datetime,
                        pending: Subscription | None, new_id: str,
                        request: SubscriptionInput) -> tuple[Subscription, Subscription]:
    """A downgrade asked at `now` by `request` (lago-semantics §5.3): the subscription stays on its plan to the end of
    its current plan period, then the biller switches it (`downgrade_successor`); until then its successor is Lago's
    pending subscription on `plan`, named by the request and ending at its `ending_at` if it sends one (else at the
    current one's), as Lago. A first downgrade makes that one (`new_id`); another one moves `pending`, the one
    scheduled before, to `plan`, keeping its id: the aggregator bills events after the switch instant to that id
    before the switch."""
    terms = billing_terms(current_plan, old.billing_time, timezone, old.subscription_at, old.billing_started_at)
    asked = {"name": request.name,
             "ending_at": request.ending_at if "ending_at" in request.model_fields_set else old.ending_at}
    if pending is None:
        successor = Subscription(
            id=new_id, organization_id=old.organization_id, external_id=old.external_id,
            customer_id=old.customer_id, plan_id=plan.id, test_clock_id=old.test_clock_id,
            billing_time=old.billing_time, status="pending", subscription_at=old.subscription_at,
            previous_plan_id=old.plan_id, previous_subscription_id=old.id, created_at=now, updated_at=now, **asked)
    else:
        successor = pending_on_plan(pending, plan, now).model_copy(update=asked)
    scheduled = old.model_copy(update={"next_plan_id": plan.id, "downgrade_at": terms.plan_periods.period_at(now).end,
                                       "next_subscription_id": successor.id, "updated_at": now,
                                       "version": old.version + 1})
    return scheduled, successor


def downgrade_dropped(subscription: Subscription, now: datetime) -> Subscription:
    """Its scheduled downgrade canceled at `now` (its pending subscription canceled): it keeps its plan."""
    return subscription.model_copy(update={"next_plan_id": None, "downgrade_at": None, "next_subscription_id": None,
                                           "updated_at": now, "version": subscription.version + 1})


def downgrade_successor(old: Subscription, pending: Subscription) -> Subscription:
    """`pending`, the subscription `old`'s scheduled downgrade starts, as the aggregator sees it before the switch:
    starting at `old.downgrade_at`."""
    return pending.model_copy(update={"started_at": old.downgrade_at})


def switched_downgrade(old: Subscription, pending: Subscription, plan: Plan, timezone: str,
                       now: datetime) -> tuple[Subscription, Subscription]:
    """A scheduled downgrade's switch (lago-semantics §5.3), done at `now`: `old` terminated the second before its
    `downgrade_at` (its final invoice bills its last period), naming the plan that followed it and when, and
    `pending` active on `plan` from that instant."""
    switch_at = old.downgrade_at
    if switch_at is None:
        raise ValueError(f"subscription {old.id} has no scheduled downgrade")
    ended = terminated_subscription(old, switch_at - SECOND).model_copy(
        update={"next_plan_id": old.next_plan_id, "downgrade_at": switch_at})
    successor = downgrade_successor(old, pending)
    period = first_billing_period(plan, successor.billing_time, timezone, successor.subscription_at, switch_at)
    return ended, successor.model_copy(update={"status": "active", "current_billing_period_start": period.start,
                                               "current_billing_period_end": period.end, "updated_at": now,
                                               "starting_invoice_due": plan.pay_in_advance,
                                               "version": pending.version + 1})
