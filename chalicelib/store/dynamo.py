"""Thin helpers over the low-level DynamoDB client: item (de)serialization and transactions."""
from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal, DecimalException

import boto3
from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeDeserializer, TypeSerializer
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.clock import iso_z
from chalicelib.domain.errors import Contention
from chalicelib.store import keys
from chalicelib.store.tables import CONTROL

BATCH_GET_LIMIT = 100  # keys per BatchGetItem
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
# DynamoDB's number range: magnitudes from 1E-130 to 9.9999999999999999999999999999999999999E+125.
_MIN_ADJUSTED_EXPONENT = -130
_MAX_ADJUSTED_EXPONENT = 125


def dynamodb_client():
    """A client for whatever AWS_ENDPOINT_URL names (moto locally, DynamoDB in AWS); never at import time."""
    return boto3.client("dynamodb", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                        config=Config(retries={"mode": "standard", "max_attempts": 5}))


def _plain(value: object) -> object:
    """A model value as DynamoDB stores it: datetimes as ISO strings, no None inside maps."""
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, float):
        raise TypeError("floats never reach the store; amounts and rates are Decimal")
    return value


def is_storable_number(number: Decimal) -> bool:
    """Whether DynamoDB stores `number` exactly. The serializer refuses to round (it counts trailing zeros
    among the 38 digits, and refuses `0E+1000`), and DynamoDB refuses magnitudes outside its range."""
    try:
        DYNAMODB_CONTEXT.create_decimal(number)
    except DecimalException:
        return False
    return number.is_zero() or _MIN_ADJUSTED_EXPONENT <= number.adjusted() <= _MAX_ADJUSTED_EXPONENT


def to_attributes(item: dict) -> dict:
    return {key: _serializer.serialize(_plain(value)) for key, value in item.items() if value is not None}


def from_attributes(attributes: dict) -> dict:
    return {key: _deserializer.deserialize(value) for key, value in attributes.items()}


def to_value(value: object) -> dict:
    return _serializer.serialize(_plain(value))


class TransactionCancelled(Exception):
    """A transaction was refused; `failed` holds the indexes of the actions whose condition failed."""

    def __init__(self, reasons: list[dict]):
        super().__init__(reasons)
        self.failed = {index for index, reason in enumerate(reasons)
                       if reason.get("Code") == "ConditionalCheckFailed"}
        self.contended = any(reason.get("Code") == "TransactionConflict" for reason in reasons)


def transact(client: BaseClient, actions: list[dict]) -> None:
    try:
        client.transact_write_items(TransactItems=actions)
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        raise TransactionCancelled(error.response.get("CancellationReasons", [])) from error


def is_condition_failure(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


# Refusals that say nothing of the request itself: the same call succeeds later.
_TRANSIENT_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "TransactionConflictException", "TransactionInProgressException", "InternalServerError",
    "ServiceUnavailable", "LimitExceededException"})


def is_transient_failure(error: Exception) -> bool:
    """Whether `error` may pass on its own (throttling, a lost race, the network), as opposed to one the same input
    meets again on every try (a bug, an item DynamoDB refuses)."""
    if isinstance(error, (BotoCoreError, Contention)):
        return True
    if not isinstance(error, ClientError):
        return False
    code = error.response["Error"]["Code"]
    if code == "TransactionCanceledException":
        return any(reason.get("Code") in _TRANSIENT_CODES | {"TransactionConflict"}
                   for reason in error.response.get("CancellationReasons", []))
    return code in _TRANSIENT_CODES


def set_or_remove(changes: dict) -> dict:
    """UpdateItem arguments that set each changed attribute, or remove it where the change is None."""
    names = {f"#f{index}": name for index, name in enumerate(changes)}
    sets = [f"{alias} = :v{index}" for index, (alias, name) in enumerate(names.items()) if changes[name] is not None]
    removes = [alias for alias, name in names.items() if changes[name] is None]
    expression = ("SET " + ", ".join(sets) if sets else "") + (" REMOVE " + ", ".join(removes) if removes else "")
    values = {f":v{index}": to_value(changes[name]) for index, (alias, name) in enumerate(names.items())
              if changes[name] is not None}
    return {"UpdateExpression": expression.strip(), "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values}


def number(value: Decimal | int | str) -> int:
    """A DynamoDB number known to be whole, as an int."""
    return int(Decimal(value))


def query_page(client: BaseClient, query: dict, page: int, per_page: int) -> list[dict]:
    """Page `page` of a Query's items, in its order. DynamoDB has no offset: this reads the page * per_page
    first items (a filtered Query reads more, the ones its filter drops)."""
    wanted = page * per_page
    items: list[dict] = []
    query = dict(query)
    while len(items) < wanted:
        response = client.query(**query, Limit=wanted - len(items))
        items.extend(response["Items"])
        if "LastEvaluatedKey" not in response:
            break
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return items[(page - 1) * per_page:wanted]


class ControlTableRepository:
    """Base of the repositories over the control table, sharing one low-level client."""

    def __init__(self, client: BaseClient):
        self._client = client

    @property
    def _table(self) -> str:
        return CONTROL.name

    def _key(self, organization_id: str, sort_key: str) -> dict:
        return to_attributes({"pk": keys.organization_pk(organization_id), "sk": sort_key})

    def _get(self, organization_id: str, sort_key: str) -> dict | None:
        response = self._client.get_item(TableName=self._table, ConsistentRead=True,
                                         Key=self._key(organization_id, sort_key))
        return from_attributes(response["Item"]) if "Item" in response else None

    def _put_action(self, organization_id: str, sort_key: str, attributes: dict, condition: str | None = None,
                    values: dict | None = None) -> dict:
        """A TransactWriteItems Put of `attributes` at the key, conditioned when `condition` is given."""
        put = {"TableName": self._table, "Item": to_attributes(
            {"pk": keys.organization_pk(organization_id), "sk": sort_key, **attributes})}
        if condition:
            put["ConditionExpression"] = condition
        if values:
            put["ExpressionAttributeValues"] = to_attributes(values)
        return {"Put": put}

    def _sequence_move(self, organization_id: str, counter_sk: str, sequence: int) -> dict:
        """A TransactWriteItems Update moving a gapless counter to `sequence`, on condition that it is still at
        `sequence - 1` (absent before the first): two writers can never take the same number."""
        previous = sequence - 1
        return {"Update": {
            "TableName": self._table, "Key": self._key(organization_id, counter_sk),
            "UpdateExpression": "SET #sequence = :next",
            "ConditionExpression": "attribute_not_exists(pk)" if previous == 0 else "#sequence = :previous",
            "ExpressionAttributeNames": {"#sequence": "sequence"},
            "ExpressionAttributeValues": to_attributes({":next": sequence, **({":previous": previous}
                                                                              if previous else {})})}}

    def _get_many(self, organization_id: str, sort_keys: list[str]) -> dict[str, dict]:
        """The items of these sort keys that exist, by sort key: strongly consistent BatchGetItems of up to 100 keys,
        repeated for the keys DynamoDB leaves unprocessed."""
        found: dict[str, dict] = {}
        ordered = list(dict.fromkeys(sort_keys))
        for first in range(0, len(ordered), BATCH_GET_LIMIT):
            request = {self._table: {"ConsistentRead": True, "Keys": [
                self._key(organization_id, sort_key) for sort_key in ordered[first:first + BATCH_GET_LIMIT]]}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for item in map(from_attributes, response["Responses"].get(self._table, [])):
                    found[item["sk"]] = item
                request = response.get("UnprocessedKeys") or {}
        return found

    def _query_all(self, organization_id: str, prefix: str) -> list[dict]:
        """Every item under `prefix`, in key order (a small collection: a customer's drafts, its credit notes)."""
        query = {"TableName": self._table, "ConsistentRead": True,
                 "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                 "ExpressionAttributeValues": to_attributes({":pk": keys.organization_pk(organization_id),
                                                             ":prefix": prefix})}
        return [from_attributes(item) for page in self._client.get_paginator("query").paginate(**query)
                for item in page["Items"]]

    def _newest_first_page(self, organization_id: str, prefix: str, page: int, per_page: int) -> list[dict]:
        """Page `page` of the items under `prefix`, newest first (their ids are UUIDv7s). DynamoDB has no
        offset, so page n reads the n * per_page newest items."""
        query = {"TableName": self._table, "ScanIndexForward": False, "ConsistentRead": True,
                 "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                 "ExpressionAttributeValues": to_attributes({":pk": keys.organization_pk(organization_id),
                                                             ":prefix": prefix})}
        return [from_attributes(item) for item in query_page(self._client, query, page, per_page)]

    def _live_count(self, organization_id: str, counter_sk: str) -> int:
        """A collection's `total_count`: one read of its counter item, never a count of the items."""
        counter = self._get(organization_id, counter_sk)
        return number(counter["live_count"]) if counter else 0

    def _live_count_change(self, organization_id: str, counter_sk: str, delta: int) -> dict:
        """The transaction action that moves a collection's live count with a create (+1) or a delete (-1)."""
        return {"Update": {"TableName": self._table, "Key": self._key(organization_id, counter_sk),
                           "UpdateExpression": "ADD live_count :delta",
                           "ExpressionAttributeValues": to_attributes({":delta": delta})}}
