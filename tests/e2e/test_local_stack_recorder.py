"""moto's recorder on `make run`'s DynamoDB port: with `MOTO_RECORDER_FILEPATH` set, `/moto-api/recorder/...` records
every DynamoDB request from then on, the stack's own (its API's, its pollers') and other processes', so request
counts can be checked from outside (README, "The local stack")."""
from __future__ import annotations

import base64
import json
from collections import Counter

import boto3
import httpx
import pytest
from local_stack import running_stack

pytestmark = pytest.mark.e2e


def _recorded(moto: httpx.Client) -> list[dict]:
    """Each recorded request: its operation (X-Amz-Target) and its body."""
    entries = [json.loads(line) for line in moto.get("/moto-api/recorder/download-recording").text.splitlines()]
    return [{"operation": entry["headers"].get("X-Amz-Target", ""),
             "body": base64.b64decode(entry["body"]).decode() if entry["body_encoded"] else entry["body"] or ""}
            for entry in entries]


def test_the_recorder_counts_the_stacks_own_requests_and_others(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTO_RECORDER_FILEPATH", str(tmp_path / "recording.jsonl"))
    with running_stack() as stack, httpx.Client(base_url=stack.dynamodb_url, timeout=10) as moto:
        assert moto.post("/moto-api/recorder/start-recording").status_code == 200
        outside = boto3.client("dynamodb", endpoint_url=stack.dynamodb_url, region_name="us-east-1",
                               aws_access_key_id="local", aws_secret_access_key="local")
        for _ in range(3):
            outside.describe_table(TableName="billing-events")
        created = httpx.post(f"{stack.api_url}/api/v1/customers", headers={"Authorization": f"Bearer {stack.api_key}"},
                             json={"customer": {"external_id": "recorded-customer", "name": "Recorded"}})
        assert created.status_code == 200, created.text
        assert moto.post("/moto-api/recorder/stop-recording").status_code == 200
        recorded = _recorded(moto)
    operations = Counter(entry["operation"].rsplit(".", 1)[-1] for entry in recorded)
    assert operations["DescribeTable"] == 3  # this test's, from another process's point of view: the only ones
    assert any("recorded-customer" in entry["body"] for entry in recorded
               if entry["operation"].endswith(("PutItem", "TransactWriteItems")))  # the API's write of the customer
