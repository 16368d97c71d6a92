"""What each `/api/v1/subscriptions` route asks, as one call: a change made and what it made due billed at once (a
starting or a final invoice, as Lago), and every answer with the codes of the plans its plan changes name."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.clock import CustomerClock
from chalicelib.domain.organizations import Organization
from chalicelib.domain.readers import PlanReader
from chalicelib.usecases.shown_records import plan_codes
from chalicelib.usecases.subscriptions import Shown, SubscriptionUseCases

# Bills a customer at once as of a time: (organization_id, customer_id, now). The change is already stored, so it
# raises nothing (billing/customer_billing.CustomerBilling.bill_now leaves a failure to the hourly biller).
BillNow = Callable[[str, str, datetime], None]


@dataclass(frozen=True)
class ShownSubscription:
    shown: Shown
    plan_codes: Mapping[str, str]


@dataclass(frozen=True)
class ShownPage:
    subscriptions: list[Shown]
    total_count: int
    plan_codes: Mapping[str, str]  # of every subscription of the page


@dataclass(frozen=True)
class SubscriptionRequests:
    subscriptions: SubscriptionUseCases
    plans: PlanReader
    bill_now: BillNow

    def create(self, organization: Organization, payload: dict[str, Any], clock: CustomerClock) -> ShownSubscription:
        return self._billed(self.subscriptions.create(organization, payload, clock), clock)

    def update(self, organization: Organization, external_id: str, status: str, payload: dict[str, Any],
               clock: CustomerClock) -> ShownSubscription:
        return self._billed(self.subscriptions.update(organization, external_id, status, payload, clock), clock)

    def end(self, organization: Organization, external_id: str, status: str,
            clock: CustomerClock) -> ShownSubscription:
        return self._billed(self.subscriptions.end(organization, external_id, status, clock), clock)

    def find(self, organization: Organization, external_id: str, status: str) -> ShownSubscription:
        return self._with_codes(self.subscriptions.find(organization, external_id, status))

    def list(self, organization: Organization, statuses: tuple[str, ...], page: int, per_page: int,
             external_customer_id: str | None, plan_code: str | None) -> ShownPage:
        listed = self.subscriptions.list(organization, statuses, page, per_page, external_customer_id, plan_code)
        codes = plan_codes(self.plans, organization.id, [shown.subscription for shown in listed.subscriptions])
        return ShownPage(listed.subscriptions, listed.total_count, codes)

    def _billed(self, shown: Shown, clock: CustomerClock) -> ShownSubscription:
        """What the change made due by the customer's "now" billed at once: never history."""
        subscription = shown.subscription
        self.bill_now(subscription.organization_id, subscription.customer_id,
                      clock.now_for(subscription.test_clock_id))
        return self._with_codes(shown)

    def _with_codes(self, shown: Shown) -> ShownSubscription:
        subscription = shown.subscription
        return ShownSubscription(shown, plan_codes(self.plans, subscription.organization_id, [subscription]))
