"""The migration rule: what a subscription started before the request that creates it bills by itself, and what
only an operator's backfill bills (`bill --at T --backfill`). Pure. Rules and a worked timeline:
docs/billing-over-time.md.

As Lago's `Subscriptions::CreateService`: a subscription dated a past day starts active at once and bills nothing at
its creation; its periods that ended before the request were billed by the system the customer migrated from. The
biller bills from the charges period containing the request on ("live"); the periods before it, and the starting
invoice of a pay-in-advance plan that did not start the day of the request, are its unbilled history."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from chalicelib.domain.periods import BillingTerms, Period, current_usage_window, local_day


class UnbilledHistory(BaseModel):
    """What a backfill still has to bill of a subscription's history, oldest first: the starting invoice of its
    pay-in-advance plan (`starting_due`), then each charges period from `period_start`/`period_end` (None when
    no period is left) up to `until`, where its first live period starts."""

    starting_due: bool = False
    period_start: datetime | None = None
    period_end: datetime | None = None
    until: datetime

    def owes(self, period: Period) -> bool:
        """Whether the charges `period` (a full one) is history not backfilled yet."""
        return self.period_start is not None and self.period_start < period.end <= self.until


def first_live_period(terms: BillingTerms, requested_at: datetime) -> Period:
    """The first charges period the biller bills by itself: the one containing the request, from the start when the
    subscription started in it."""
    return current_usage_window(terms, max(requested_at, terms.started_at))


def started_on_request_day(subscription_at: datetime, requested_at: datetime, timezone: str) -> bool:
    """Lago's "today": the subscription's date is the request's (or later), in the customer's timezone. Only then
    does its creation bill a pay-in-advance plan's starting invoice."""
    return local_day(subscription_at, timezone) >= local_day(requested_at, timezone)


def unbilled_history(terms: BillingTerms, subscription_at: datetime, requested_at: datetime) -> UnbilledHistory | None:
    """The history of a subscription a request at `requested_at` starts (None: it has none to bill)."""
    starting_due = terms.pay_in_advance and not started_on_request_day(subscription_at, requested_at, terms.timezone)
    live = first_live_period(terms, requested_at)
    first = terms.charges_periods.period_at(terms.started_at).within(terms.started_at)
    first_due = first if first is not None and first.end <= live.start else None
    if not starting_due and first_due is None:
        return None
    return UnbilledHistory(starting_due=starting_due, period_start=first_due.start if first_due else None,
                           period_end=first_due.end if first_due else None, until=live.start)


def after_backfilled_start(history: UnbilledHistory) -> UnbilledHistory | None:
    """The history once its starting invoice is billed."""
    rest = history.model_copy(update={"starting_due": False})
    return rest if rest.period_end is not None else None


def after_backfilled_period(history: UnbilledHistory, terms: BillingTerms) -> UnbilledHistory | None:
    """The history once its next charges period is billed (its starting invoice was billed before): the following
    period, unless that one is live."""
    if history.period_end is None or history.period_end >= history.until:
        return None
    following = terms.charges_periods.period_at(history.period_end)
    return history.model_copy(update={"period_start": following.start, "period_end": following.end})
