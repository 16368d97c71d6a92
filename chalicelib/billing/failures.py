"""The operator's commands on customers the biller could not bill (the CLI's `billing-failures` and
`rebill-failed`): which are still failing, why, and billing them again once the cause is fixed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.billing.customer_billing import CustomerBilling
from chalicelib.billing.ports import BillingStores
from chalicelib.billing.replay import FutureInstant
from chalicelib.domain.billing_failures import BillingFailure
from chalicelib.domain.clock import iso_z


@dataclass(frozen=True)
class FailingCustomer:
    failure: BillingFailure
    external_id: str

    def line(self) -> str:
        failure = self.failure
        return (f"{self.external_id}  attempts={failure.attempts}  first_failed_at={iso_z(failure.first_failed_at)}  "
                f"last_failed_at={iso_z(failure.last_failed_at)}  reason={failure.reason}")


def is_resolved(failure: BillingFailure, next_due: datetime | None) -> bool:
    """Whether a later run billed what failed: the customer's next billing moved past the failed run (nothing is
    due, or only after it)."""
    return next_due is None or next_due > failure.last_failed_at


class BillingFailures:
    """The operator's commands on the billing stores' failure records."""

    def __init__(self, stores: BillingStores):
        self._stores = stores
        self._billing = CustomerBilling(stores)

    def failing_customers(self, organization_id: str, now: datetime) -> list[FailingCustomer]:
        """The organization's customers whose billing still fails, oldest failure first; the records of customers
        billed since are removed."""
        stores = self._stores
        failing = []
        for failure in stores.billing_failures.of_organization(organization_id):
            customer = stores.customers.get_any(organization_id, failure.customer_id)
            if customer is None or is_resolved(
                    failure, self._billing.next_due_at(organization_id, failure.customer_id, now)):
                stores.billing_failures.forget(failure)
                continue
            failing.append(FailingCustomer(failure, customer.external_id))
        return sorted(failing, key=lambda failing_customer: failing_customer.failure.first_failed_at)

    def rebill_failed(self, organization_id: str, at: datetime, current_time: datetime
                      ) -> list[tuple[FailingCustomer, bool]]:
        """Bill each still-failing customer as of `at` (what the next hourly run would do, at once; never after
        `current_time`); whether each was billed. One that fails again stays listed, its failure counted."""
        if at > current_time:
            raise FutureInstant(at)
        outcomes = []
        for failing in self.failing_customers(organization_id, at):
            billed = self._billing.bill_isolated(organization_id, failing.failure.customer_id, at) is not None
            if billed:
                self._stores.billing_failures.forget(failing.failure)
            outcomes.append((failing, billed))
        return outcomes
