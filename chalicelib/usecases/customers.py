"""The verbs on customers: create-or-update, find, update by external_id (with a rename), delete."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.customers import (
    Customer,
    CustomerInput,
    clock_of_update,
    customer_slug,
    new_customer_changes,
    updated_customer,
)
from chalicelib.domain.errors import ExternalIdTaken, StaleWrite, ValidationFailed
from chalicelib.domain.organizations import Organization
from chalicelib.domain.retries import retrying
from chalicelib.domain.test_clocks import ClockRefusedCustomer, TestClockReader, enrolling_clock
from chalicelib.usecases.ports import CustomerClock, CustomerStore, IdSource
from chalicelib.usecases.records import delete_unless_in_use, found


def refuse_new_timezone_while_subscribed(existing: Customer, updated: Customer, organization: Organization) -> None:
    """Usage is aggregated per billing period, cut in the customer's timezone when each event was applied: while it
    has an active subscription, a change of the timezone in force would cut the periods elsewhere (the update is
    conditioned on the customer's version, which a new subscription moves)."""
    if existing.active_subscriptions_count > 0 and (existing.applicable_timezone(organization.timezone)
                                                     != updated.applicable_timezone(organization.timezone)):
        raise ValidationFailed.single("timezone", "customer_has_active_subscription")


@dataclass(frozen=True)
class Searched:
    """A page of the customers a search finds, and whether another page follows."""

    records: list[Customer]
    has_more: bool


@dataclass(frozen=True)
class CustomerUseCases:
    """Each verb takes the request's CustomerClock: "now" is the test clock's frozen time for a customer on one."""

    customers: CustomerStore
    test_clocks: TestClockReader
    ids: IdSource

    def _create(self, organization: Organization, request: CustomerInput, changes: dict[str, Any],
                clock: CustomerClock) -> Customer:
        """A new customer, created at its "now": on a test clock, the clock's (which must exist and have room)."""
        changes = new_customer_changes(changes)
        now = (clock.now_for(None) if request.test_clock_id is None
               else enrolling_clock(self.test_clocks.get(organization.id, request.test_clock_id)).frozen_time)

        def build(sequential_id: int) -> Customer:
            return Customer(id=self.ids.new_id(), organization_id=organization.id, external_id=request.external_id,
                            sequential_id=sequential_id, test_clock_id=request.test_clock_id,
                            slug=customer_slug(organization.document_number_prefix, sequential_id),
                            created_at=now, updated_at=now, **changes)

        try:
            return self.customers.create(organization.id, build)
        except ClockRefusedCustomer:
            raise StaleWrite() from None  # the clock was deleted or filled since it was read: read again

    def upsert(self, organization: Organization, payload: dict[str, Any], clock: CustomerClock) -> Customer:
        """`POST /customers`: create the customer named by `external_id`, or update the fields sent."""
        request = CustomerInput.parse(payload, external_id_required=True)
        assert request.external_id is not None  # required above
        external_id = request.external_id
        changes = request.changes()

        def attempt() -> Customer:
            existing = self.customers.find_by_external_id(organization.id, external_id)
            try:
                if existing is None:
                    return self._create(organization, request, changes, clock)
            except ExternalIdTaken:
                raise StaleWrite() from None  # a concurrent request created it: read again and update on top
            customer = updated_customer(existing, changes, clock.now_for(clock_of_update(existing, request)))
            refuse_new_timezone_while_subscribed(existing, customer, organization)
            self.customers.update(customer, existing.version)
            return customer

        return retrying("customer", attempt)

    def search(self, organization: Organization, text: str, page: int, per_page: int) -> Searched:
        """The page `page` of the customers whose name or external id holds `text` (any case), newest first."""
        found = self.customers.search_page(organization.id, text, page, per_page)
        return Searched(found[:per_page], has_more=len(found) > per_page)

    def create(self, organization: Organization, payload: dict[str, Any], clock: CustomerClock) -> Customer:
        """A new customer only (the console's "New customer"): an `external_id` already taken is a field error."""
        request = CustomerInput.parse(payload, external_id_required=True)
        assert request.external_id is not None  # required above
        if self.customers.find_by_external_id(organization.id, request.external_id) is not None:
            raise ValidationFailed.single("external_id", "value_already_exist")
        try:
            return self._create(organization, request, request.changes(), clock)
        except ExternalIdTaken:
            raise ValidationFailed.single("external_id", "value_already_exist") from None

    def find(self, organization: Organization, external_id: str) -> Customer:
        return found(self.customers.find_by_external_id(organization.id, external_id), "customer")

    def update(self, organization: Organization, external_id: str, payload: dict[str, Any],
               clock: CustomerClock) -> Customer:
        """`PUT /customers/{external_id}`: update the fields sent; a new `external_id` renames the customer,
        which is refused while it has an active subscription."""
        request = CustomerInput.parse(payload, external_id_required=False)
        changes = request.changes()

        def attempt() -> Customer:
            existing = self.find(organization, external_id)
            renaming = request.external_id is not None and request.external_id != existing.external_id
            if renaming and existing.active_subscriptions_count > 0:
                raise ValidationFailed.single("external_id", "customer_has_active_subscription")
            customer = updated_customer(existing, changes, clock.now_for(clock_of_update(existing, request)))
            refuse_new_timezone_while_subscribed(existing, customer, organization)
            if not renaming:
                self.customers.update(customer, existing.version)
                return customer
            customer = customer.model_copy(update={"external_id": request.external_id})
            try:
                self.customers.change_external_id(existing, customer)
            except ExternalIdTaken:
                raise ValidationFailed.single("external_id", "value_already_exist") from None
            return customer

        return retrying("customer", attempt)

    def delete(self, organization: Organization, external_id: str) -> Customer:
        """`DELETE /customers/{external_id}`: refused (405) while the customer has an active subscription."""
        return delete_unless_in_use("customer", lambda: self.find(organization, external_id),
                                    lambda customer: customer.active_subscriptions_count,
                                    "customer_has_active_subscription", self.customers.delete)
