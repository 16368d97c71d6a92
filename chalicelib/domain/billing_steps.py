"""What the biller does next with a subscription, and the subscription once it is done: activate it, terminate it
at its `ending_at`, switch it to its scheduled downgrade, or issue its starting, periodic or final invoice share;
and what a backfill does next with its unbilled history (chalicelib/domain/backdating.py). Pure; the billing service
(chalicelib/billing/customer_billing.py) runs the steps in time order."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from chalicelib.domain.backdating import after_backfilled_period, after_backfilled_start
from chalicelib.domain.billing_context import subscription_terms
from chalicelib.domain.invoices.base_fee import trial_ends_at
from chalicelib.domain.periods import BillingTerms, Period, local_day
from chalicelib.domain.periods.period import SECOND, after_last_second
from chalicelib.domain.plans import Plan
from chalicelib.domain.subscriptions import DraftPeriod, Subscription, activated_subscription

StepKind = Literal["activate", "terminate", "downgrade", "starting", "periodic", "final"]
INVOICING_STEPS = ("starting", "periodic", "final")


@dataclass(frozen=True)
class BillingStep:
    kind: StepKind
    at: datetime
    subscription: Subscription
    backfill: bool = False  # a step of the subscription's unbilled history

    def invoice_group(self) -> str:
        """Which invoice of the customer's billing day the step's share joins: every periodic share of the day
        together (as Lago), an upgrade's two sides together (`upgrade_of`), any other start or termination on its
        own; a backfilled share never joins a live one."""
        prefix = "backfill-" if self.backfill else ""
        if self.kind == "periodic":
            return f"{prefix}periodic"
        upgraded = upgrade_of(self)
        return f"{prefix}upgrade/{upgraded}" if upgraded else f"{prefix}{self.kind}/{self.subscription.id}"

    def issuing_date(self, timezone: str) -> date:
        return local_day(self.at, timezone)


def upgrade_of(step: BillingStep) -> str | None:
    """The id of the subscription an upgrade ended, when the step is one of that upgrade's two sides: its final
    share, or the new subscription's start at the upgrade instant (not a start a trial moved later). Lago bills both
    on one `upgrading` invoice (lago-semantics §5.3). None for any other step."""
    subscription = step.subscription
    if step.kind == "final" and subscription.terminated_by_upgrade:
        return subscription.id
    if step.kind == "starting" and subscription.upgraded_from_id and step.at == subscription.started_at:
        return subscription.upgraded_from_id
    return None


def next_step(subscription: Subscription) -> BillingStep | None:
    """The subscription's earliest pending step (None: nothing to do until something changes)."""
    if subscription.waits_for_switch:  # its predecessor's downgrade step starts it
        return None
    if subscription.status == "pending":
        return BillingStep("activate", subscription.subscription_at, subscription)
    period_end = subscription.current_billing_period_end
    candidates: list[BillingStep] = []
    if subscription.status == "active":
        if subscription.starting_invoice_due:
            candidates.append(BillingStep("starting", subscription.starting_at, subscription))
        if period_end is not None:
            candidates.append(BillingStep("periodic", period_end, subscription))
        if subscription.ending_at is not None:
            candidates.append(BillingStep("terminate", subscription.ending_at, subscription))
        if subscription.downgrade_at is not None:
            candidates.append(BillingStep("downgrade", subscription.downgrade_at, subscription))
    elif subscription.status == "terminated" and subscription.final_invoice_due and subscription.terminated_at:
        if period_end is not None and period_end <= subscription.terminated_at:  # a missed period first
            candidates.append(BillingStep("periodic", period_end, subscription))
        else:
            candidates.append(BillingStep("final", subscription.terminated_at, subscription))
    # At one instant: a downgrade's switch before the period's invoice (its final invoice bills that period,
    # without a pay-in-advance fee for a period on the old plan).
    order = {"starting": 0, "downgrade": 1, "periodic": 2, "terminate": 3, "final": 4}
    return min(candidates, key=lambda step: (step.at, order[step.kind]), default=None)


def next_backfill_step(subscription: Subscription) -> BillingStep | None:
    """The earliest step of the subscription's unbilled history (None: nothing left to backfill)."""
    history, at = subscription.unbilled_history, subscription.next_backfill_at
    if history is None or at is None:
        return None
    return BillingStep("starting" if history.starting_due else "periodic", at, subscription, backfill=True)


def billed_charges_period(step: BillingStep, terms: BillingTerms) -> Period:
    """The full charges period a periodic step (the one ending at its instant) or a final step bills."""
    return terms.charges_periods.period_at(step.at - SECOND if step.kind == "periodic" else step.at)


def activated(subscription: Subscription, plan: Plan, timezone: str, now: datetime) -> Subscription:
    return activated_subscription(subscription, plan, timezone).model_copy(
        update={"updated_at": now, "version": subscription.version + 1})


def after_invoice(step: BillingStep, plan: Plan, timezone: str, now: datetime, *,
                  draft_invoice_id: str | None) -> Subscription:
    """The subscription once the step's share is invoiced: a periodic share moves it to its next charges period
    (cut at the termination), a starting one clears the starting fee, a final one ends its billing. On a draft
    (`draft_invoice_id`), the charges period billed is kept with the draft until the draft is finalized. A backfilled
    share moves the unbilled history on instead."""
    subscription = step.subscription
    terms = subscription_terms(subscription, plan, timezone)
    update: dict[str, object] = {"updated_at": now, "version": subscription.version + 1}
    if step.backfill:
        history = subscription.unbilled_history
        if history is None:
            raise ValueError(f"subscription {subscription.id} has no unbilled history to backfill")
        update["unbilled_history"] = (after_backfilled_start(history) if step.kind == "starting"
                                      else after_backfilled_period(history, terms))
    elif step.kind == "starting":
        update["starting_invoice_due"] = False
    elif step.kind == "final":
        update["final_invoice_due"] = False  # its last period stays shown
    else:
        start = subscription.current_billing_period_end
        if start is None:
            raise ValueError(f"subscription {subscription.id} has no billing period to move on from")
        end = terms.charges_periods.period_at(start).end
        if subscription.terminated_at is not None:
            end = min(end, after_last_second(subscription.terminated_at))
        update.update(current_billing_period_start=start, current_billing_period_end=end)
    if draft_invoice_id is not None and step.kind != "starting":
        billed = DraftPeriod(period_start=billed_charges_period(step, terms).start, invoice_id=draft_invoice_id)
        update["draft_periods"] = [*subscription.draft_periods, billed]
    return subscription.model_copy(update=update)


def after_empty_start(step: BillingStep, plan: Plan, timezone: str, now: datetime, *,
                      initial_started_at: datetime) -> Subscription:
    """The subscription once a pay-in-advance start billed nothing (`starting_share` in a trial): when its trial
    ends inside its first plan period, the start is billed then, for the rest of that period (Lago's free-trial
    billing); otherwise there is nothing to start with (the periods after the trial bill their fee)."""
    subscription = step.subscription
    trial_ends = trial_ends_at(plan, initial_started_at)
    first_period = subscription_terms(subscription, plan, timezone).plan_periods.period_at(
        subscription.billing_started_at)
    if not step.backfill and trial_ends is not None and step.at < trial_ends < first_period.end:
        return subscription.model_copy(update={"starting_invoice_at": trial_ends, "updated_at": now,
                                               "version": subscription.version + 1})
    return after_invoice(step, plan, timezone, now, draft_invoice_id=None)


def after_finalization(subscription: Subscription, invoice_id: str, now: datetime) -> Subscription:
    """The subscription once its draft `invoice_id` is finalized: events of the periods it billed arriving from now
    on are late."""
    kept = [draft for draft in subscription.draft_periods if draft.invoice_id != invoice_id]
    return subscription.model_copy(update={"draft_periods": kept, "updated_at": now,
                                           "version": subscription.version + 1})
