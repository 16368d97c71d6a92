"""Before a period is invoiced, every event stored for it must have been applied by the stream aggregator: the
stored events of the charges window (a COUNT Query of the events index) against the period's applied-events
counter, which the aggregator moves only after an event's every aggregate is written."""
from __future__ import annotations

from chalicelib.billing.ports import BillingStores
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.periods import BillingTerms, Period
from chalicelib.domain.subscriptions import Subscription


def unapplied_events(stores: BillingStores, subscription: Subscription, terms: BillingTerms, period: Period) -> int:
    """How many events stored for the subscription's charges window in `period` (`terms` as
    `subscription_terms` gives them, cut at the termination) the aggregator has not applied yet (0: the period
    can be invoiced)."""
    window = terms.charges_part(period)
    if window is None:
        return 0
    stored = stores.events.count(subscription.organization_id, subscription.external_id, None,
                                 epoch_ms(window.start), epoch_ms(window.end) - 1)
    applied = stores.usage.applied_events(subscription.organization_id, subscription.id, epoch_ms(period.start))
    return max(stored - applied, 0)
