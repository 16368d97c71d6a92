"""moto's index queries as the local stack and the tests run them (chalicelib/local/moto_indexes.py): the same
answers as moto's own walk of the whole table, page by page, while reading only the items under the queried
partition-key value."""
from __future__ import annotations

import random

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models.table import Table

from chalicelib.store.dynamo import to_attributes

TABLE = "indexed"
OWNERS = ("a", "b", "c#1", "absent")


@pytest.fixture
def table(dynamodb):
    """pk/sk over several partitions; `by_owner` projects every attribute, `by_flag` is sparse and keys only."""
    dynamodb.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"}
                              for name in ("pk", "sk", "owner", "at", "flag")],
        GlobalSecondaryIndexes=[
            {"IndexName": "by_owner", "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}]},
            {"IndexName": "by_flag", "Projection": {"ProjectionType": "KEYS_ONLY"},
             "KeySchema": [{"AttributeName": "flag", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}]}])
    return dynamodb


def _key(pk: str, sk: str) -> dict:
    return to_attributes({"pk": pk, "sk": sk})


def _fill(dynamodb, chosen: random.Random) -> None:
    """Items put, each index queried once (so built), then the items changed the ways moto writes: updates moving
    items to another owner and removing their flag, deletes, a transaction moto refuses after applying its first
    action (moving an item of owner `a`, put back), a cancelled one."""
    for number in range(80):
        item = {"pk": f"P{number % 5}", "sk": f"{chosen.randrange(1000):03d}#{number}", "n": chosen.randrange(10),
                "at": f"{chosen.randrange(30):02d}"}
        if chosen.random() < 0.8:
            item["owner"] = chosen.choice(OWNERS[:3])
        if chosen.random() < 0.3:
            item["flag"] = "on"
        dynamodb.put_item(TableName=TABLE, Item=to_attributes(item))
    for index, attribute in (("by_owner", "owner"), ("by_flag", "flag")):  # each index built before the changes
        dynamodb.query(TableName=TABLE, IndexName=index, KeyConditionExpression="#key = :value",
                       ExpressionAttributeNames={"#key": attribute},
                       ExpressionAttributeValues=to_attributes({":value": "a"}))
    stored = dynamodb.scan(TableName=TABLE)["Items"]
    for item in chosen.sample(stored, 15):
        dynamodb.update_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]},
                             UpdateExpression="SET #owner = :owner REMOVE flag",
                             ExpressionAttributeNames={"#owner": "owner"},
                             ExpressionAttributeValues=to_attributes({":owner": chosen.choice(OWNERS[:3])}))
    for item in chosen.sample(stored, 10):
        dynamodb.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
    kept = next(item for item in dynamodb.scan(TableName=TABLE)["Items"] if item.get("owner", {}).get("S") == "a")
    moved = {"Update": {"TableName": TABLE, "Key": {"pk": kept["pk"], "sk": kept["sk"]},
                        "UpdateExpression": "SET #owner = :owner", "ExpressionAttributeNames": {"#owner": "owner"},
                        "ExpressionAttributeValues": to_attributes({":owner": "b"})}}
    with pytest.raises(ClientError, match="multiple operations on one item"):
        dynamodb.transact_write_items(TransactItems=[moved, {"Put": {"TableName": TABLE, "Item": kept}}])
    refused = {"Put": {"TableName": TABLE, "Item": to_attributes({"pk": "P1", "sk": "new", "owner": "a", "at": "02"}),
                       "ConditionExpression": "attribute_exists(pk)"}}
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        dynamodb.transact_write_items(TransactItems=[refused])


def _queries() -> list[dict]:
    """Each index and partition-key value (one absent), with and without sort-key conditions, a filter and a
    projection, forward and backward, in pages of a few items."""
    queries = []
    for index, attribute, values in (("by_owner", "owner", OWNERS), ("by_flag", "flag", ("on", "off"))):
        for value in values:
            for condition, sort_values in (("", {}), (" AND #at BETWEEN :low AND :high", {":low": "05", ":high": "20"}),
                                           (" AND begins_with(#at, :prefix)", {":prefix": "1"}),
                                           (" AND #at <= :high", {":high": "12"})):
                for limit, forward, extra in ((3, True, {}), (4, False, {}), (50, True, {}),
                                              (2, True, {"FilterExpression": "n > :n"}),
                                              (5, False, {"ProjectionExpression": "pk, sk, #at"}),
                                              (7, True, {"Select": "COUNT"})):
                    values_used = {":value": value, **sort_values, **({":n": 4} if "FilterExpression" in extra else {})}
                    names = {"#key": attribute, **({"#at": "at"} if "#at" in condition + str(extra) else {})}
                    queries.append({"TableName": TABLE, "IndexName": index, "Limit": limit, "ScanIndexForward": forward,
                                    "KeyConditionExpression": "#key = :value" + condition,
                                    "ExpressionAttributeNames": names,
                                    "ExpressionAttributeValues": to_attributes(values_used), **extra})
    return queries


def _pages(dynamodb, query: dict) -> list[dict]:
    pages = []
    while True:
        page = {name: value for name, value in dynamodb.query(**query).items() if name != "ResponseMetadata"}
        pages.append(page)
        if "LastEvaluatedKey" not in page:
            return pages
        query = {**query, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def test_an_index_query_answers_what_moto_answers_walking_the_whole_table(table, monkeypatch):
    _fill(table, random.Random(19))
    queries = _queries()
    patched = [_pages(table, query) for query in queries]
    monkeypatch.setattr(Table, "query", Table.query.__wrapped__)
    assert [_pages(table, query) for query in queries] == patched
    assert sum(page.get("Count", 0) for pages in patched for page in pages) > 500  # the queries found items


def test_an_index_query_reads_only_the_items_under_its_partition_key_value(table, monkeypatch):
    for number in range(300):
        table.put_item(TableName=TABLE, Item=to_attributes({"pk": "P", "sk": f"{number:03d}", "at": "01",
                                                             "owner": "rare" if number in (7, 200) else "common"}))
    query = {"TableName": TABLE, "IndexName": "by_owner", "KeyConditionExpression": "#owner = :owner",
             "ExpressionAttributeNames": {"#owner": "owner"}}
    table.query(**query, ExpressionAttributeValues=to_attributes({":owner": "common"}))  # the index is built
    table.update_item(TableName=TABLE, Key=_key("P", "100"), UpdateExpression="SET #owner = :owner",
                      ExpressionAttributeNames={"#owner": "owner"},
                      ExpressionAttributeValues=to_attributes({":owner": "rare"}))
    walked = []
    all_items = Table.all_items
    monkeypatch.setattr(Table, "all_items", lambda self: walked.append(len(found := all_items(self))) or found)
    page = table.query(**query, ExpressionAttributeValues=to_attributes({":owner": "rare"}))
    assert [item["sk"]["S"] for item in page["Items"]] == ["007", "100", "200"]
    assert walked == [3]
