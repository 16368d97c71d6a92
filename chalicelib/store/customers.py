"""Customers in the control table: the customer item (by lago_id), its external-id lookup item, and the
organization's customer counter (the gapless sequence behind slugs, and the live count behind `total_count`)."""
from __future__ import annotations

from typing import Callable

from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import ExternalIdTaken, StaleWrite
from chalicelib.domain.retries import SEQUENCE_ATTEMPTS, retrying
from chalicelib.domain.test_clocks import ClockRefusedCustomer
from chalicelib.store import keys
from chalicelib.store.counted_records import CountedRecordRepository
from chalicelib.store.dynamo import (
    TransactionCancelled,
    from_attributes,
    number,
    to_attributes,
    transact,
)
from chalicelib.store.lookups import Lookup
from chalicelib.store.setup_version import setup_change
from chalicelib.store.test_clocks import TestClockRepository
from chalicelib.store.webhooks import outbox_put


def _customer_item(customer: Customer, sort_key: str) -> dict:
    return {"pk": keys.organization_pk(customer.organization_id), "sk": sort_key, **customer.model_dump()}


class CustomerRepository(CountedRecordRepository[Customer]):
    model = Customer
    item_prefix = keys.CUSTOMER_SK_PREFIX
    counter_sk = keys.CUSTOMER_COUNTER_SK
    external_id_lookup = Lookup(keys.customer_external_id_sk, "external_id", "customer_id")

    def find_by_external_id(self, organization_id: str, external_id: str) -> Customer | None:
        customer_id = self.external_id_lookup.record_id(
            self._get(organization_id, keys.customer_external_id_sk(external_id)), external_id)
        return self.get(organization_id, customer_id) if customer_id else None

    def search_page(self, organization_id: str, text: str, page: int, per_page: int) -> list[Customer]:
        """DynamoDB filters only after reading, so this reads the organization's customers newest first, one Query per
        1 MB, until the page and one more match: the requests grow with the customers read, never with the page's
        size; the match (any case) is the domain's rule."""
        wanted = page * per_page + 1
        query = {"TableName": self._table, "ScanIndexForward": False, "ConsistentRead": True,
                 "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                 "ExpressionAttributeValues": to_attributes({":pk": keys.organization_pk(organization_id),
                                                             ":prefix": self.item_prefix})}
        found: list[Customer] = []
        while len(found) < wanted:
            response = self._client.query(**query)
            found.extend(customer for customer in map(Customer.model_validate, map(from_attributes, response["Items"]))
                         if customer.matches(text))
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found[(page - 1) * per_page:wanted]

    def get_any(self, organization_id: str, customer_id: str) -> Customer | None:
        """The customer, deleted or not (what a terminated subscription or an invoice refers to)."""
        item = (self._get(organization_id, keys.customer_sk(customer_id))
                or self._get(organization_id, keys.deleted_customer_sk(customer_id)))
        return Customer.model_validate(item) if item else None

    def get_many_any(self, organization_id: str, customer_ids: set[str]) -> dict[str, Customer]:
        """The customers of these ids, deleted or not, by id: BatchGetItems of both keys of each id (a page of
        documents names at most a few dozen customers, read in one request)."""
        ordered = sorted(customer_ids)
        items = self._get_many(organization_id, [keys.customer_sk(customer_id) for customer_id in ordered]
                               + [keys.deleted_customer_sk(customer_id) for customer_id in ordered])
        return {customer.id: customer for customer in map(Customer.model_validate, items.values())}

    def _lookup_put(self, customer: Customer) -> dict:
        return self.external_id_lookup.put(self._table, customer.organization_id, customer.external_id, customer.id)

    def _lookup_delete(self, customer: Customer) -> dict:
        return self.external_id_lookup.delete(self._table, customer.organization_id, customer.external_id,
                                              customer.id)

    def _versioned_put(self, customer: Customer, expected_version: int) -> dict:
        """A put of the customer that only succeeds if nobody changed it since `expected_version`."""
        return {"TableName": self._table,
                "Item": to_attributes(_customer_item(customer, keys.customer_sk(customer.id))),
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": to_attributes({":expected": expected_version})}

    def create(self, organization_id: str, build: Callable[[int], Customer]) -> Customer:
        """Insert `build(n)`, n being the organization's next customer sequence, gapless and never reused.

        The counter, the customer, its external-id lookup and its `customer.created` webhook are written in one
        transaction whose counter condition fails if another create took n first; then it retries with n + 1. A
        customer on a test clock is enrolled on it in the same transaction (StaleWrite if the clock is gone or
        full since it was read).
        """
        counter_key = self._key(organization_id, keys.CUSTOMER_COUNTER_SK)
        test_clocks = TestClockRepository(self._client)

        def attempt() -> Customer:
            counter = self._get(organization_id, keys.CUSTOMER_COUNTER_SK)
            last_sequence = number(counter["last_sequence"]) if counter else 0
            customer = build(last_sequence + 1)
            counter_condition = ("last_sequence = :last" if counter else "attribute_not_exists(pk)")
            counter_values = {":next": last_sequence + 1, ":one": 1}
            if counter:
                counter_values[":last"] = last_sequence
            try:
                transact(self._client, [
                    {"Update": {"TableName": self._table, "Key": counter_key,
                                "UpdateExpression": "SET last_sequence = :next ADD live_count :one",
                                "ConditionExpression": counter_condition,
                                "ExpressionAttributeValues": to_attributes(counter_values)}},
                    {"Put": {"TableName": self._table,
                             "Item": to_attributes(_customer_item(customer, keys.customer_sk(customer.id))),
                             "ConditionExpression": "attribute_not_exists(pk)"}},
                    self._lookup_put(customer),
                    outbox_put(organization_id, "customer.created", customer.id, customer.created_at),
                    *(test_clocks.enrolment_actions(organization_id, customer.test_clock_id, customer.id)
                      if customer.test_clock_id else ()),
                    setup_change(organization_id),
                ])
            except TransactionCancelled as cancelled:
                if 2 in cancelled.failed:
                    raise ExternalIdTaken() from cancelled
                if 4 in cancelled.failed:
                    raise ClockRefusedCustomer() from cancelled
                raise StaleWrite() from cancelled  # another create took this sequence: take the next one
            return customer

        return retrying("customer sequence", attempt, SEQUENCE_ATTEMPTS)

    def update(self, customer: Customer, expected_version: int) -> None:
        try:
            transact(self._client, [{"Put": self._versioned_put(customer, expected_version)},
                                    setup_change(customer.organization_id)])
        except TransactionCancelled as cancelled:
            raise StaleWrite() from cancelled

    def change_external_id(self, previous: Customer, renamed: Customer) -> None:
        """Move the lookup item to the new external_id; refused while the customer has active subscriptions."""
        put = self._versioned_put(renamed, previous.version)
        put["ConditionExpression"] += " AND active_subscriptions_count = :zero"
        put["ExpressionAttributeValues"] = to_attributes({":expected": previous.version, ":zero": 0})
        try:
            transact(self._client, [self._lookup_put(renamed), self._lookup_delete(previous), {"Put": put},
                                    setup_change(renamed.organization_id)])
        except TransactionCancelled as cancelled:
            if 0 in cancelled.failed:
                raise ExternalIdTaken() from cancelled
            raise StaleWrite() from cancelled

    def delete(self, customer: Customer) -> None:
        """Move the customer to its deleted key (invoices keep referring to it) and free its external_id."""
        try:
            transact(self._client, [
                self._unused_delete(customer, "active_subscriptions_count"),
                {"Put": {"TableName": self._table,
                         "Item": to_attributes(_customer_item(customer, keys.deleted_customer_sk(customer.id)))}},
                self._lookup_delete(customer),
                self._live_count_change(customer.organization_id, keys.CUSTOMER_COUNTER_SK, -1),
                setup_change(customer.organization_id),
            ])
        except TransactionCancelled as cancelled:
            raise StaleWrite() from cancelled
