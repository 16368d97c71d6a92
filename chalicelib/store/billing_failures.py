"""Customers the biller could not bill: one item per customer in the control table, with its failed runs, the
last reason and when (docs/operations.md, "Customers the biller could not bill"). Nothing is written when billing
succeeds; `still_failing` tells a stale record from a live one."""
from __future__ import annotations

from datetime import datetime

from botocore.client import BaseClient

from chalicelib.domain.billing_failures import BillingFailure
from chalicelib.store import keys
from chalicelib.store.dynamo import from_attributes, to_attributes
from chalicelib.store.tables import CONTROL


class BillingFailureRepository:
    def __init__(self, client: BaseClient):
        self._client = client

    def _key(self, organization_id: str, customer_id: str) -> dict:
        return to_attributes({"pk": keys.organization_pk(organization_id), "sk": keys.billing_failure_sk(customer_id)})

    def record(self, organization_id: str, customer_id: str, reason: str, now: datetime) -> None:
        """One more failed run for the customer (one UpdateItem)."""
        self._client.update_item(
            TableName=CONTROL.name, Key=self._key(organization_id, customer_id),
            UpdateExpression="SET organization_id = :organization, customer_id = :customer, reason = :reason, "
                             "first_failed_at = if_not_exists(first_failed_at, :now), last_failed_at = :now "
                             "ADD attempts :one",
            ExpressionAttributeValues=to_attributes({":organization": organization_id, ":customer": customer_id,
                                                     ":reason": reason, ":now": now, ":one": 1}))

    def of_organization(self, organization_id: str) -> list[BillingFailure]:
        query = {"TableName": CONTROL.name, "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                 "ExpressionAttributeValues": to_attributes({":pk": keys.organization_pk(organization_id),
                                                             ":prefix": keys.BILLING_FAILURE_SK_PREFIX})}
        return [_failure(from_attributes(item)) for page in self._client.get_paginator("query").paginate(**query)
                for item in page["Items"]]

    def forget(self, failure: BillingFailure) -> None:
        self._client.delete_item(TableName=CONTROL.name, Key=self._key(failure.organization_id, failure.customer_id))


def _failure(item: dict) -> BillingFailure:
    return BillingFailure(item["organization_id"], item["customer_id"], int(item["attempts"]), item["reason"],
                          datetime.fromisoformat(item["first_failed_at"]),
                          datetime.fromisoformat(item["last_failed_at"]))
