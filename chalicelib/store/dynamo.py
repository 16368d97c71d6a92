"""Thin helpers over the low-level DynamoDB client: item (de)serialization and transactions."""
from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal, DecimalException

import boto3
from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from chalicelib.domain.clock import iso_z
from chalicelib.store.tables import CONTROL

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
# DynamoDB's number range: magnitudes from 1E-130 to 9.9999999999999999999999999999999999999E+125.
_MIN_ADJUSTED_EXPONENT = -130
_MAX_ADJUSTED_EXPONENT = 125


def dynamodb_client():
    """A client for whatever AWS_ENDPOINT_URL names (moto locally, DynamoDB in AWS); never at import time."""
    return boto3.client("dynamodb", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                        config=Config(retries={"mode": "standard", "max_attempts": 5}))


def _plain(value):
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


def to_value(value) -> dict:
    return _serializer.serialize(_plain(value))


class TransactionCancelled(Exception):
    """A transaction was refused; `failed` holds the indexes of the actions whose condition failed."""

    def __init__(self, reasons: list[dict]):
        super().__init__(reasons)
        self.failed = {index for index, reason in enumerate(reasons)
                       if reason.get("Code") == "ConditionalCheckFailed"}
        self.contended = any(reason.get("Code") == "TransactionConflict" for reason in reasons)


def transact(client, actions: list[dict]) -> None:
    try:
        client.transact_write_items(TransactItems=actions)
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        raise TransactionCancelled(error.response.get("CancellationReasons", [])) from error


def is_condition_failure(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def number(value) -> int:
    """A DynamoDB number known to be whole, as an int."""
    return int(Decimal(value))


class ControlTableRepository:
    """Base of the repositories over the control table, sharing one low-level client."""

    def __init__(self, client):
        self._client = client

    @property
    def _table(self) -> str:
        return CONTROL.name
