"""An operator's run of the biller as of an instant (`python -m chalicelib.cli bill`): the scheduled biller replayed
(how a missed day is run again), or with `backfill` the history of backdated subscriptions billed on purpose, for
every organization or only some customers. The same rules as the hourly run (chalicelib/billing/customer_billing.py),
customer by customer, each billed to the end before the next, so memory stays bounded whatever the history's
length. Never the future: that is simulated on test clocks (docs/billing-over-time.md)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.billing.biller import DueCustomers
from chalicelib.billing.customer_billing import CustomerBilling
from chalicelib.billing.ports import BillingStores
from chalicelib.domain.clock import iso_z
from chalicelib.domain.errors import DomainError


class FutureInstant(DomainError):
    """A run as of an instant that has not come: it would bill periods that have not ended, which later usage,
    upgrades and terminations would bill again."""

    def __init__(self, at: datetime):
        super().__init__(f"--at {iso_z(at)} is in the future; simulate it with a test clock")


@dataclass(frozen=True)
class Replay:
    """What to bill: as of `at`; with `backfill`, the unbilled history due by then too; only the customers of
    `organization_id`, and only those whose external id is in `external_customer_ids` (each organization's), when
    given."""

    at: datetime
    backfill: bool = False
    organization_id: str | None = None
    external_customer_ids: tuple[str, ...] = ()


@dataclass
class ReplayProgress:
    customers_due: int
    customers_done: int = 0
    customers_waiting: int = 0
    customers_failed: int = 0
    invoices_created: int = 0

    def summary(self, replay: Replay) -> dict[str, Any]:
        return {"at": iso_z(replay.at), "backfill": replay.backfill, "customers_due": self.customers_due,
                "customers_waiting": self.customers_waiting, "customers_failed": self.customers_failed,
                "invoices_created": self.invoices_created}


class BillerReplay:
    """The operator's runs of the biller on the billing stores."""

    def __init__(self, stores: BillingStores):
        self._customers = stores.customers
        self._due_customers = DueCustomers(stores.subscriptions)
        self._billing = CustomerBilling(stores)

    def run(self, replay: Replay, *, current_time: datetime,
            report: Callable[[ReplayProgress], None] = lambda progress: None) -> dict[str, Any]:
        """Bill every customer in scope due by `replay.at`, to the end of what is due (a customer more steps behind
        than one call's budget is billed again until done); `report` is called once the due customers are known,
        then after each customer. Raises FutureInstant, before reading anything, when `replay.at` is later than
        `current_time`."""
        if replay.at > current_time:
            raise FutureInstant(replay.at)
        customers = self._in_scope(replay, self._due_customers(replay.at, backfill=replay.backfill))
        progress = ReplayProgress(customers_due=len(customers))
        report(progress)
        for organization_id, customer_id in customers:
            while True:
                billed = self._billing.bill_isolated(organization_id, customer_id, replay.at, backfill=replay.backfill)
                if billed is None:
                    progress.customers_failed += 1
                    break
                progress.invoices_created += billed.invoices_count
                if billed.outcome != "more" or not billed.invoices:  # a budget spent issuing nothing: retried, moving
                    progress.customers_waiting += billed.outcome != "done"  # nothing; a later run goes on
                    break
            progress.customers_done += 1
            report(progress)
        return progress.summary(replay)

    def _in_scope(self, replay: Replay, customers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The due customers the replay names: one lookup per organization and external id asked for."""
        if replay.organization_id is not None:
            customers = [due for due in customers if due[0] == replay.organization_id]
        if not replay.external_customer_ids:
            return customers
        wanted = {(organization_id, customer.id) for organization_id in dict.fromkeys(due[0] for due in customers)
                  for external_id in replay.external_customer_ids
                  if (customer := self._customers.find_by_external_id(organization_id, external_id)) is not None}
        return [due for due in customers if due in wanted]
