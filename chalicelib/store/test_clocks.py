"""Test clocks in the control table: the clock item (versioned), the organization's live count of them, and an entry
per customer living on a clock (docs/data-model.md, "Keys of the control table")."""
from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.domain.errors import StaleWrite
from chalicelib.domain.test_clocks import MAX_CUSTOMERS_PER_CLOCK, TestClock
from chalicelib.store import keys
from chalicelib.store.counted_records import CountedRecordRepository
from chalicelib.store.dynamo import (
    TransactionCancelled,
    is_condition_failure,
    set_or_remove,
    to_attributes,
    to_value,
    transact,
)


class TestClockRepository(CountedRecordRepository[TestClock]):
    __test__ = False  # not a pytest class
    model = TestClock
    item_prefix = keys.TEST_CLOCK_SK_PREFIX
    counter_sk = keys.TEST_CLOCK_COUNTER_SK

    def create(self, clock: TestClock) -> None:
        transact(self._client, [
            self._put_action(clock.organization_id, keys.test_clock_sk(clock.id), clock.model_dump(),
                             "attribute_not_exists(pk)"),
            self._live_count_change(clock.organization_id, keys.TEST_CLOCK_COUNTER_SK, 1)])

    def replace(self, previous: TestClock, clock: TestClock) -> None:
        """Store `clock`'s time and status on condition that the clock is still as `previous` was read (StaleWrite if
        not); its customers' count is the enrolments' alone."""
        update = set_or_remove({"frozen_time": clock.frozen_time, "status": clock.status,
                                "advancing_to": clock.advancing_to, "version": clock.version})
        update["ExpressionAttributeValues"][":read"] = to_value(previous.version)
        try:
            self._client.update_item(TableName=self._table,
                                     Key=self._key(clock.organization_id, keys.test_clock_sk(clock.id)),
                                     ConditionExpression="version = :read", **update)
        except ClientError as error:
            if is_condition_failure(error):
                raise StaleWrite() from error
            raise

    def delete(self, clock: TestClock) -> None:
        """Delete the clock as read, once its customers are gone (StaleWrite if it changed or one joined since)."""
        try:
            transact(self._client, [
                self._unused_delete(clock, "customers_count"),
                self._live_count_change(clock.organization_id, keys.TEST_CLOCK_COUNTER_SK, -1)])
        except TransactionCancelled as cancelled:
            raise StaleWrite() from cancelled

    def enrolment_actions(self, organization_id: str, test_clock_id: str, customer_id: str) -> list[dict]:
        """What a customer's creation on the clock writes in its transaction: the clock counts it (on condition that
        the clock exists and has room) and lists it."""
        return [
            {"Update": {"TableName": self._table, "Key": self._key(organization_id, keys.test_clock_sk(test_clock_id)),
                        "UpdateExpression": "ADD customers_count :one",
                        "ConditionExpression": "attribute_exists(pk) AND customers_count < :max",
                        "ExpressionAttributeValues": to_attributes({":one": 1, ":max": MAX_CUSTOMERS_PER_CLOCK})}},
            self._put_action(organization_id, keys.test_clock_customers_prefix(test_clock_id) + customer_id,
                             {"customer_id": customer_id})]

    def customer_ids(self, organization_id: str, test_clock_id: str) -> list[str]:
        return [item["customer_id"]
                for item in self._query_all(organization_id, keys.test_clock_customers_prefix(test_clock_id))]

    def forget_customer(self, organization_id: str, test_clock_id: str, customer_id: str) -> None:
        """Remove a purged customer from the clock: its entry and its count (once: the entry conditions it)."""
        try:
            transact(self._client, [
                {"Delete": {"TableName": self._table,
                            "Key": self._key(organization_id,
                                             keys.test_clock_customers_prefix(test_clock_id) + customer_id),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Update": {"TableName": self._table,
                            "Key": self._key(organization_id, keys.test_clock_sk(test_clock_id)),
                            "UpdateExpression": "ADD customers_count :minus_one",
                            "ExpressionAttributeValues": to_attributes({":minus_one": -1})}}])
        except TransactionCancelled:
            return  # already forgotten
