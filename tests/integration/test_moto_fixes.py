"""moto as the local stack and the tests run it (chalicelib/local/moto_fixes.py): a transaction writes all or nothing
without copying its tables, and a Query answers what DynamoDB answers, reading only what its key condition selects."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.models.table import Table

from chalicelib.store.dynamo import to_attributes
from chalicelib.store.tables import CONTROL, CONTROL_BY_DUE

TABLE = CONTROL.name


def put(pk: str, sk: str, **attributes) -> dict:
    return {"Put": {"TableName": TABLE, "Item": to_attributes({"pk": pk, "sk": sk, **attributes})}}


def item(dynamodb, pk: str, sk: str) -> dict | None:
    return dynamodb.get_item(TableName=TABLE, Key=to_attributes({"pk": pk, "sk": sk})).get("Item")


@pytest.fixture
def no_table_copies(monkeypatch):
    """A transaction that copied a whole table would fail here."""
    def refuse(self, memo):
        raise AssertionError("a table was copied")
    monkeypatch.setattr(Table, "__deepcopy__", refuse, raising=False)


def test_a_cancelled_transaction_writes_nothing_and_gives_dynamodbs_reasons(dynamodb, no_table_copies):
    dynamodb.put_item(TableName=TABLE, Item=to_attributes({"pk": "P", "sk": "kept", "n": 1}))
    update = {"Update": {"TableName": TABLE, "Key": to_attributes({"pk": "P", "sk": "kept"}),
                         "UpdateExpression": "SET n = :two", "ExpressionAttributeValues": to_attributes({":two": 2})}}
    refused = put("P", "kept", n=3)
    refused["Put"].update(ConditionExpression="attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure="ALL_OLD")
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=[put("P", "new", n=1), refused])
    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["n"] == {"N": "1"}
    assert item(dynamodb, "P", "new") is None
    dynamodb.transact_write_items(TransactItems=[update, put("P", "new", n=1)])
    assert (item(dynamodb, "P", "kept")["n"], item(dynamodb, "P", "new")["n"]) == ({"N": "2"}, {"N": "1"})


def test_a_transaction_moto_refuses_while_writing_leaves_every_item_as_it_was(dynamodb, no_table_copies):
    """Two actions on one item pass the conditions, then moto refuses the second after applying the first: the
    first is put back (an update of an existing item, a put of a new one)."""
    dynamodb.put_item(TableName=TABLE, Item=to_attributes({"pk": "P", "sk": "kept", "n": 1}))
    update = {"Update": {"TableName": TABLE, "Key": to_attributes({"pk": "P", "sk": "kept"}),
                         "UpdateExpression": "SET n = :two", "ExpressionAttributeValues": to_attributes({":two": 2})}}
    with pytest.raises(ClientError, match="multiple operations on one item"):
        dynamodb.transact_write_items(TransactItems=[update, put("P", "new"), put("P", "kept", n=9)])
    assert item(dynamodb, "P", "kept")["n"] == {"N": "1"}
    assert item(dynamodb, "P", "new") is None


SORT_KEYS = st.text(alphabet="ab#1", min_size=1, max_size=4)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(keys=st.sets(SORT_KEYS, max_size=12), others=st.sets(SORT_KEYS, max_size=6), prefix=SORT_KEYS,
       low=SORT_KEYS, high=SORT_KEYS, limit=st.integers(1, 5), forward=st.booleans())
def test_a_query_answers_what_dynamodb_answers(dynamodb, keys, others, prefix, low, high, limit, forward):
    """Items of two partitions; each key condition, page by page: the partition's items in the range, in sort-key
    order (reversed when not forward), `limit` a page, until no LastEvaluatedKey."""
    for sort_key in keys:
        dynamodb.put_item(TableName=TABLE, Item=to_attributes({"pk": "P", "sk": sort_key}))
    for sort_key in others:
        dynamodb.put_item(TableName=TABLE, Item=to_attributes({"pk": "Q", "sk": sort_key}))
    conditions = {"begins_with(sk, :a)": ({":a": prefix}, lambda key: key.startswith(prefix)),
                  "sk BETWEEN :a AND :b": ({":a": low, ":b": high}, lambda key: low <= key <= high),
                  "sk <= :a": ({":a": high}, lambda key: key <= high), "": ({}, lambda key: True)}
    for condition, (values, selects) in conditions.items():
        query = {"TableName": TABLE, "KeyConditionExpression": " AND ".join(filter(None, ["pk = :pk", condition])),
                 "ExpressionAttributeValues": to_attributes({":pk": "P", **values}), "Limit": limit,
                 "ScanIndexForward": forward}
        found = []
        while True:
            page = dynamodb.query(**query)
            assert len(page["Items"]) <= limit
            found += [each["sk"]["S"] for each in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        assert found == sorted((key for key in keys if selects(key)), reverse=not forward), condition
    for sort_key in keys:
        dynamodb.delete_item(TableName=TABLE, Key=to_attributes({"pk": "P", "sk": sort_key}))
    for sort_key in others:
        dynamodb.delete_item(TableName=TABLE, Key=to_attributes({"pk": "Q", "sk": sort_key}))


def test_an_index_query_reads_the_items_with_its_partition_key_in_its_sort_order(dynamodb):
    for number, (partition, due) in enumerate([("DUE#1", "b"), ("DUE#1", "a"), ("DUE#2", "a"), (None, None)]):
        attributes = {"due_pk": partition, "due_sk": due} if partition else {}
        dynamodb.put_item(TableName=TABLE, Item=to_attributes({"pk": "P", "sk": str(number), **attributes}))
    page = dynamodb.query(TableName=TABLE, IndexName=CONTROL_BY_DUE.name,
                          KeyConditionExpression="due_pk = :pk AND due_sk <= :until",
                          ExpressionAttributeValues=to_attributes({":pk": "DUE#1", ":until": "b"}))
    assert [(each["sk"]["S"], each["due_sk"]["S"]) for each in page["Items"]] == [("1", "a"), ("0", "b")]


def _add(dynamodb, number: str) -> None:
    dynamodb.update_item(TableName=CONTROL.name, Key=to_attributes({"pk": "N", "sk": "N"}),
                         UpdateExpression="ADD amount :n", ExpressionAttributeValues={":n": {"N": number}})


def test_adding_numbers_is_exact_to_38_digits_and_refuses_more_as_dynamodb(dynamodb):
    _add(dynamodb, "999999999999999.999999999999999")
    _add(dynamodb, "999999999999999.999999999999999")
    stored = dynamodb.get_item(TableName=CONTROL.name, Key=to_attributes({"pk": "N", "sk": "N"}))["Item"]["amount"]
    assert stored == {"N": "1999999999999999.999999999999998"}  # 2 x (10^15 - 10^-15), all 31 digits
    with pytest.raises(ClientError, match="Number overflow"):
        _add(dynamodb, "0." + "0" * 23 + "1")  # 10^-24: the sum would need 16 + 24 = 40 significant digits
