"""The biller's state machine, pure: which step a subscription is due for next, and the subscription once the
step is done (chalicelib/domain/billing_steps.py). Instants written out; months of 30 and 31 days by hand."""
from __future__ import annotations

from datetime import UTC, datetime

import model_builders as models
from model_builders import plan

from chalicelib.domain.billing_steps import after_empty_start, after_finalization, after_invoice, next_step
from chalicelib.domain.periods.period import SECOND
from chalicelib.domain.subscriptions import DraftPeriod, Subscription

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def subscription(**fields) -> Subscription:
    """Active since 10 October 2026 (calendar), its next period to invoice October (from the 10th)."""
    return models.subscription(**{"subscription_at": utc(2026, 10, 10), "started_at": utc(2026, 10, 10),
                                  "current_billing_period_start": utc(2026, 10, 10),
                                  "current_billing_period_end": utc(2026, 11, 1), **fields})


def step_of(sub: Subscription) -> tuple:
    step = next_step(sub)
    return None if step is None else (step.kind, step.at)


def test_a_pending_subscription_is_due_for_activation_at_its_subscription_at():
    pending = subscription(status="pending", started_at=None, current_billing_period_start=None,
                           current_billing_period_end=None, subscription_at=utc(2026, 12, 5))
    assert step_of(pending) == ("activate", utc(2026, 12, 5))


def test_an_active_subscription_is_due_at_its_period_end_unless_something_comes_first():
    assert step_of(subscription()) == ("periodic", utc(2026, 11, 1))
    # A pay-in-advance start not invoiced yet comes first (its started_at).
    assert step_of(subscription(starting_invoice_due=True)) == ("starting", utc(2026, 10, 10))
    # An ending_at before the period's end: terminated then.
    assert step_of(subscription(ending_at=utc(2026, 10, 20))) == ("terminate", utc(2026, 10, 20))
    # At the same instant, the period is invoiced before the termination.
    assert step_of(subscription(ending_at=utc(2026, 11, 1))) == ("periodic", utc(2026, 11, 1))


def test_a_terminated_subscription_owes_its_missed_periods_then_its_final_invoice():
    ended = subscription(status="terminated", terminated_at=utc(2026, 12, 3), final_invoice_due=True)
    assert step_of(ended) == ("periodic", utc(2026, 11, 1))  # October, missed, first
    cut = ended.model_copy(update={"current_billing_period_start": utc(2026, 12, 1),
                                   "current_billing_period_end": utc(2026, 12, 3, 0, 0, 1)})
    assert step_of(cut) == ("final", utc(2026, 12, 3))
    assert step_of(cut.model_copy(update={"final_invoice_due": False})) is None


def test_canceled_subscriptions_are_never_due():
    assert step_of(subscription(status="canceled", canceled_at=NOW)) is None


def test_after_a_periodic_invoice_the_subscription_moves_to_its_next_period():
    step = next_step(subscription())
    moved = after_invoice(step, plan(), "UTC", NOW, draft_invoice_id=None)
    assert (moved.current_billing_period_start, moved.current_billing_period_end) == (utc(2026, 11, 1),
                                                                                      utc(2026, 12, 1))
    assert moved.version == step.subscription.version + 1
    # A terminated one's next period is cut at its termination second.
    ended = subscription(status="terminated", terminated_at=utc(2026, 11, 15, 12), final_invoice_due=True)
    cut = after_invoice(next_step(ended), plan(), "UTC", NOW, draft_invoice_id=None)
    assert cut.current_billing_period_end == utc(2026, 11, 15, 12, 0, 1)


def test_after_a_starting_or_final_invoice_the_flag_is_cleared_and_the_period_kept():
    started = after_invoice(next_step(subscription(starting_invoice_due=True)), plan(pay_in_advance=True), "UTC",
                            NOW, draft_invoice_id=None)
    assert (started.starting_invoice_due, started.current_billing_period_end) == (False, utc(2026, 11, 1))
    ended = subscription(status="terminated", terminated_at=utc(2026, 10, 20), final_invoice_due=True,
                         current_billing_period_end=utc(2026, 10, 20, 0, 0, 1))
    done = after_invoice(next_step(ended), plan(), "UTC", NOW, draft_invoice_id=None)
    assert (done.final_invoice_due, done.current_billing_period_end) == (False, utc(2026, 10, 20, 0, 0, 1))
    assert next_step(done) is None


def test_a_draft_keeps_the_charges_period_it_bills_open_until_it_is_finalized():
    # October's periodic invoice (issued 1 November) on a draft: October's events arriving now go to that draft.
    drafted = after_invoice(next_step(subscription()), plan(), "UTC", NOW, draft_invoice_id="october")
    assert drafted.draft_periods == [DraftPeriod(period_start=utc(2026, 10, 1), invoice_id="october")]
    assert (drafted.draft_of(utc(2026, 10, 1)), drafted.draft_of(utc(2026, 11, 1))) == ("october", None)
    # A final share on a draft: its last charges period (from 1 November) too.
    ended = subscription(status="terminated", terminated_at=utc(2026, 11, 15, 12), final_invoice_due=True,
                         current_billing_period_start=utc(2026, 11, 1),
                         current_billing_period_end=utc(2026, 11, 15, 12, 0, 1))
    final = after_invoice(next_step(ended), plan(), "UTC", NOW, draft_invoice_id="final")
    assert final.draft_periods == [DraftPeriod(period_start=utc(2026, 11, 1), invoice_id="final")]
    # A starting invoice bills no charges period.
    started = after_invoice(next_step(subscription(starting_invoice_due=True)), plan(pay_in_advance=True), "UTC",
                            NOW, draft_invoice_id="starting")
    assert started.draft_periods == []
    # Finalizing the October draft closes October only.
    both = drafted.model_copy(update={"draft_periods": [*drafted.draft_periods, *final.draft_periods]})
    closed = after_finalization(both, "october", NOW)
    assert (closed.draft_periods, closed.version) == (final.draft_periods, both.version + 1)


def test_the_periodic_step_joins_the_days_periodic_invoice_and_others_their_own():
    periodic = next_step(subscription())
    starting = next_step(subscription(starting_invoice_due=True))
    assert periodic.invoice_group() == "periodic"
    assert starting.invoice_group() == "starting/sub"
    assert periodic.issuing_date("Europe/Paris").isoformat() == "2026-11-01"
    assert periodic.issuing_date("America/New_York").isoformat() == "2026-10-31"  # 20:00 on the 31st there



def test_an_upgrade_s_final_share_and_the_new_subscription_s_start_join_one_invoice():
    """Lago's `upgrading` invoice: the old subscription's final share and its successor's start at the upgrade
    instant; a later start of the successor (its trial's end) and a plain termination are invoices of their own."""
    upgrade_at = utc(2026, 11, 16, 10)
    old = subscription(status="terminated", terminated_at=upgrade_at, final_invoice_due=True,
                       terminated_by_upgrade=True, next_plan_id="pro", current_billing_period_start=utc(2026, 11, 1),
                       current_billing_period_end=upgrade_at + SECOND)
    new = subscription(id="new", plan_id="pro", upgraded_from_id="sub", started_at=upgrade_at,
                       starting_invoice_due=True, current_billing_period_start=upgrade_at,
                       current_billing_period_end=utc(2026, 12, 1))
    final, starting = next_step(old), next_step(new)
    assert (final.kind, starting.kind, final.at, starting.at) == ("final", "starting", upgrade_at, upgrade_at)
    assert final.invoice_group() == starting.invoice_group() == "upgrade/sub"
    after_trial = next_step(new.model_copy(update={"starting_invoice_at": utc(2026, 11, 21)}))
    assert after_trial.invoice_group() == "starting/new"
    terminated = next_step(old.model_copy(update={"terminated_by_upgrade": False, "next_plan_id": None}))
    assert terminated.invoice_group() == "final/sub"

def test_a_start_in_a_trial_ending_in_its_first_period_is_billed_when_the_trial_ends():
    """Started 10 October (calendar, in advance): a 10-day trial ends on 20 October 00:00, inside October; a 30-day
    one on 9 November, after it; the start step is then done (November's in-advance invoice bills its days)."""
    started = subscription(starting_invoice_due=True)
    start = next_step(started)
    deferred = after_empty_start(start, plan(pay_in_advance=True, trial_period=10), "UTC", NOW,
                                 initial_started_at=utc(2026, 10, 10))
    assert (deferred.starting_invoice_due, deferred.starting_invoice_at) == (True, utc(2026, 10, 20))
    assert step_of(deferred) == ("starting", utc(2026, 10, 20))
    assert deferred.next_billing_action_at == utc(2026, 10, 20)
    done = after_empty_start(start, plan(pay_in_advance=True, trial_period=30), "UTC", NOW,
                             initial_started_at=utc(2026, 10, 10))
    assert (done.starting_invoice_due, done.starting_invoice_at) == (False, None)
    assert step_of(done) == ("periodic", utc(2026, 11, 1))
