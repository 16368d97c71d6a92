"""Customers in the control table: the customer item (by lago_id), its external-id lookup item, and the
organization's customer counter (the gapless sequence behind slugs, and the live count behind `total_count`)."""
from __future__ import annotations

from typing import Callable

from botocore.exceptions import ClientError

from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import Contention, ExternalIdTaken, StaleWrite
from chalicelib.store import keys
from chalicelib.store.dynamo import (ControlTableRepository, TransactionCancelled, from_attributes,
                                     is_condition_failure, number, to_attributes, transact)

# Attempts before a writer that keeps losing races gives up with a retryable error.
MAX_ATTEMPTS = 8


def _customer_item(customer: Customer, sort_key: str) -> dict:
    return {"pk": keys.organization_pk(customer.organization_id), "sk": sort_key, **customer.model_dump()}


class CustomerRepository(ControlTableRepository):
    def _key(self, organization_id: str, sort_key: str) -> dict:
        return to_attributes({"pk": keys.organization_pk(organization_id), "sk": sort_key})

    def _get(self, organization_id: str, sort_key: str) -> dict | None:
        response = self._client.get_item(TableName=self._table, ConsistentRead=True,
                                         Key=self._key(organization_id, sort_key))
        return from_attributes(response["Item"]) if "Item" in response else None

    def find_by_external_id(self, organization_id: str, external_id: str) -> Customer | None:
        lookup = self._get(organization_id, keys.customer_external_id_sk(external_id))
        # A hashed key component is checked against the id itself.
        if lookup is None or lookup["external_id"] != external_id:
            return None
        return self.get(organization_id, lookup["customer_id"])

    def get(self, organization_id: str, customer_id: str) -> Customer | None:
        item = self._get(organization_id, keys.customer_sk(customer_id))
        return Customer.model_validate(item) if item else None

    def _lookup_put(self, customer: Customer) -> dict:
        item = {"pk": keys.organization_pk(customer.organization_id),
                "sk": keys.customer_external_id_sk(customer.external_id),
                "customer_id": customer.id, "external_id": customer.external_id}
        return {"Put": {"TableName": self._table, "Item": to_attributes(item),
                        "ConditionExpression": "attribute_not_exists(pk)"}}

    def _lookup_delete(self, customer: Customer) -> dict:
        return {"Delete": {"TableName": self._table,
                           "Key": self._key(customer.organization_id,
                                            keys.customer_external_id_sk(customer.external_id)),
                           "ConditionExpression": "customer_id = :id",
                           "ExpressionAttributeValues": to_attributes({":id": customer.id})}}

    def _versioned_put(self, customer: Customer, expected_version: int) -> dict:
        """A put of the customer that only succeeds if nobody changed it since `expected_version`."""
        return {"TableName": self._table,
                "Item": to_attributes(_customer_item(customer, keys.customer_sk(customer.id))),
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": to_attributes({":expected": expected_version})}

    def create(self, organization_id: str, build: Callable[[int], Customer]) -> Customer:
        """Insert `build(n)`, n being the organization's next customer sequence, gapless and never reused.

        The counter, the customer and its external-id lookup are written in one transaction whose
        counter condition fails if another create took n first; then it retries with n + 1.
        """
        counter_key = self._key(organization_id, keys.CUSTOMER_COUNTER_SK)
        for _ in range(MAX_ATTEMPTS):
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
                ])
                return customer
            except TransactionCancelled as cancelled:
                if 2 in cancelled.failed:
                    raise ExternalIdTaken() from cancelled
        raise Contention("customer sequence")

    def update(self, customer: Customer, expected_version: int) -> None:
        try:
            self._client.put_item(**self._versioned_put(customer, expected_version))
        except ClientError as error:
            if is_condition_failure(error):
                raise StaleWrite() from error
            raise

    def change_external_id(self, previous: Customer, renamed: Customer) -> None:
        """Move the lookup item to the new external_id; refused while the customer has active subscriptions."""
        put = self._versioned_put(renamed, previous.version)
        put["ConditionExpression"] += " AND active_subscriptions_count = :zero"
        put["ExpressionAttributeValues"] = to_attributes({":expected": previous.version, ":zero": 0})
        try:
            transact(self._client, [self._lookup_put(renamed), self._lookup_delete(previous), {"Put": put}])
        except TransactionCancelled as cancelled:
            if 0 in cancelled.failed:
                raise ExternalIdTaken() from cancelled
            raise StaleWrite() from cancelled

    def delete(self, customer: Customer) -> None:
        """Move the customer to its deleted key (invoices keep referring to it) and free its external_id."""
        try:
            transact(self._client, [
                {"Delete": {"TableName": self._table, "Key": self._key(customer.organization_id,
                                                                     keys.customer_sk(customer.id)),
                            "ConditionExpression": "version = :expected AND active_subscriptions_count = :zero",
                            "ExpressionAttributeValues": to_attributes({":expected": customer.version,
                                                                        ":zero": 0})}},
                {"Put": {"TableName": self._table,
                         "Item": to_attributes(_customer_item(customer, keys.deleted_customer_sk(customer.id)))}},
                self._lookup_delete(customer),
                {"Update": {"TableName": self._table,
                            "Key": self._key(customer.organization_id, keys.CUSTOMER_COUNTER_SK),
                            "UpdateExpression": "ADD live_count :minus_one",
                            "ExpressionAttributeValues": to_attributes({":minus_one": -1})}},
            ])
        except TransactionCancelled as cancelled:
            raise StaleWrite() from cancelled

    def count(self, organization_id: str) -> int:
        counter = self._get(organization_id, keys.CUSTOMER_COUNTER_SK)
        return number(counter["live_count"]) if counter else 0

    def list_page(self, organization_id: str, page: int, per_page: int) -> list[Customer]:
        """Newest first. Page n reads the n * per_page newest customers: DynamoDB has no offset."""
        wanted = page * per_page
        items: list[dict] = []
        query = {"TableName": self._table, "ScanIndexForward": False,
                 "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                 "ExpressionAttributeValues": to_attributes({":pk": keys.organization_pk(organization_id),
                                                             ":prefix": keys.CUSTOMER_SK_PREFIX})}
        while len(items) < wanted:
            response = self._client.query(**query, Limit=wanted - len(items))
            items.extend(response["Items"])
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return [Customer.model_validate(from_attributes(item)) for item in items[(page - 1) * per_page:wanted]]
