"""The local stack's and the tests' moto write DynamoDB's item operations with json.dumps (moto_serializer.py): the
answer must mean what moto's own serializer writes, for every kind of attribute, and binary attributes keep moto's
serializer (they are bytes to base64)."""
from __future__ import annotations

import json

import pytest
from moto.dynamodb.responses import DynamoResult

from chalicelib.local import moto_serializer

TABLE = "serializer-check"
ITEM = {"pk": {"S": "a#1/ü"}, "sk": {"S": "ITEM"}, "n": {"N": "12345678901234567890.123"}, "t": {"BOOL": True},
        "nothing": {"NULL": True}, "l": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"SS": ["a", "b"]}}}]},
        "m": {"M": {"ns": {"NS": ["1", "2.5"]}}}, "empty": {"S": ""}}


@pytest.fixture
def both_writings(monkeypatch):
    """Each DynamoResult written both ways: (operation, moto's serializer, the fast path) for the ones it takes."""
    written = []
    original = moto_serializer._original_execute

    def compare(result, context):
        fast = moto_serializer.plain_json_result(result.result, context.operation_model)
        real = original(result, context)
        status, headers, body = real
        written.append((context.operation_model.name, (status, dict(headers), body), fast))  # moto adds to headers
        return real
    monkeypatch.setattr(DynamoResult, "execute_result", compare)
    return written


def test_every_item_operation_writes_what_motos_serializer_writes(dynamodb, both_writings):
    dynamodb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                     {"AttributeName": "sk", "KeyType": "RANGE"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                {"AttributeName": "sk", "AttributeType": "S"}])
    key = {"pk": ITEM["pk"], "sk": ITEM["sk"]}
    dynamodb.put_item(TableName=TABLE, Item=ITEM, ReturnValues="NONE")
    assert dynamodb.get_item(TableName=TABLE, Key=key)["Item"] == ITEM
    dynamodb.update_item(TableName=TABLE, Key=key, UpdateExpression="SET n = n + :one",
                         ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")
    dynamodb.query(TableName=TABLE, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": ITEM["pk"]},
                   ReturnConsumedCapacity="TOTAL")
    dynamodb.scan(TableName=TABLE, Limit=1)
    dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": [key]}})
    dynamodb.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key}}])
    dynamodb.transact_write_items(TransactItems=[{"Update": {
        "TableName": TABLE, "Key": key, "UpdateExpression": "SET t = :f",
        "ExpressionAttributeValues": {":f": {"BOOL": False}}}}])
    dynamodb.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": {**key, "sk": {"S": "OTHER"}}}}]})
    dynamodb.delete_item(TableName=TABLE, Key=key, ReturnValues="ALL_OLD")

    taken = {operation for operation, _, fast in both_writings if fast is not None}
    assert taken == {"PutItem", "GetItem", "UpdateItem", "Query", "Scan", "BatchGetItem", "TransactGetItems",
                     "DeleteItem"}  # moto answers the two writes of many items with results of their own
    for operation, (status, headers, body), fast in both_writings:
        if fast is not None:
            assert (fast[0], fast[1], json.loads(fast[2])) == (status, headers, json.loads(body)), operation


def test_a_binary_attribute_keeps_motos_serializer(dynamodb, both_writings):
    dynamodb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "bin"}, "b": {"B": b"\x00\xff"}})
    assert dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "bin"}})["Item"]["b"] == {"B": b"\x00\xff"}
    assert [fast for operation, _, fast in both_writings if operation == "GetItem"] == [None]
