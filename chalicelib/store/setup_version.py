"""The organization's `setup_version`: a number on its organization item that every control-plane write changing
what the setup cache holds (API keys, customers, billable metrics, plans, subscriptions written by the API, the
console or the CLI, the organization itself) moves in the same transaction. Readers compare it with the version
their cached setup was read at (chalicelib/setup_cache.py, docs/data-model.md "The setup version")."""
from __future__ import annotations

from chalicelib.store import keys
from chalicelib.store.dynamo import to_attributes
from chalicelib.store.tables import CONTROL

SETUP_VERSION = "setup_version"


def setup_change(organization_id: str) -> dict:
    """The TransactWriteItems action that moves the organization's setup version (absent: 0)."""
    return {"Update": {"TableName": CONTROL.name,
                       "Key": to_attributes({"pk": keys.organization_pk(organization_id),
                                             "sk": keys.ORGANIZATION_SK}),
                       "UpdateExpression": f"ADD {SETUP_VERSION} :one",
                       "ExpressionAttributeValues": to_attributes({":one": 1})}}
