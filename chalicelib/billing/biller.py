"""The biller, fired hourly. It takes "now" from its trigger, never from the wall clock, so any instant can
be replayed (`python -m chalicelib.cli bill --at ...`, chalicelib/billing/replay.py). `run_biller(now)` in
chalicelib/wiring.py runs `Biller` on the stores and the work queue of the environment. It reads the subscriptions
due by `now` from the `by_due` index (never a scan) and bills each of their customers
(chalicelib/billing/customer_billing.py), inline or, when there are many, through the work queue
(chalicelib/billing/fanout.py). It never backfills history (docs/billing-over-time.md)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.billing.customer_billing import CustomerBilling
from chalicelib.billing.fanout import inline_limit
from chalicelib.billing.ports import BillingStores, SubscriptionStore, WorkQueue
from chalicelib.observability import logger


def trigger_instant(scheduled_event: dict[str, Any]) -> datetime:
    """The instant of an EventBridge scheduled event (`"time": "2026-12-01T00:30:00Z"`)."""
    return datetime.fromisoformat(scheduled_event["time"].replace("Z", "+00:00"))


class DueCustomers:
    """The customers due by an instant, read from the due index (never a scan): the hourly run's and the operator's
    replay's."""

    def __init__(self, subscriptions: SubscriptionStore):
        self._subscriptions = subscriptions

    def __call__(self, now: datetime, *, backfill: bool = False) -> list[tuple[str, str]]:
        """(organization_id, customer_id) of every customer with a subscription or a draft due by `now` (with
        `backfill`, or with unbilled history to bill by then), each once, in the order the index gives them."""
        due = self._subscriptions.due(now)
        if backfill:
            due += self._subscriptions.backfill_due(now)
        return list(dict.fromkeys((organization_id, customer_id) for organization_id, customer_id, _ in due))


class Biller:
    """The hourly run on the billing stores and the work queue."""

    def __init__(self, stores: BillingStores, queue: WorkQueue):
        self._due_customers = DueCustomers(stores.subscriptions)
        self._billing = CustomerBilling(stores)
        self._queue = queue

    def bill_due_customers(self, now: datetime) -> dict[str, Any]:
        """Bill every due customer inline, or, past `inline_limit()` with the work queue configured, queue them."""
        customers = self._due_customers(now)
        queued = invoices = failed = 0
        if len(customers) > inline_limit() and self._queue.is_configured():
            queued = self._queue.enqueue(customers, now)
        else:
            for organization_id, customer_id in customers:
                billed = self._billing.bill_isolated(organization_id, customer_id, now)
                invoices += billed.invoices_count if billed else 0
                failed += billed is None
        logger.info("biller run", extra={"now": now.isoformat(), "customers": len(customers), "queued": queued,
                                         "invoices": invoices, "failed": failed})
        return {"now": now.isoformat(), "customers_due": len(customers), "customers_queued": queued,
                "customers_failed": failed, "invoices_created": invoices}
