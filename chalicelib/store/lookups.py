"""Lookup items: a user-chosen id (a customer's external_id, a metric's or a plan's code) resolved to the
record's lago_id by one item, so records refer to each other by lago_id and a rename moves one item."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from chalicelib.store import keys
from chalicelib.store.dynamo import to_attributes


@dataclass(frozen=True)
class Lookup:
    sort_key: Callable[[str], str]
    user_id_attribute: str  # "external_id", "code"
    record_id_attribute: str  # "customer_id", "plan_id"

    def _key(self, organization_id: str, user_id: str) -> dict:
        return to_attributes({"pk": keys.organization_pk(organization_id), "sk": self.sort_key(user_id)})

    def record_id(self, item: dict | None, user_id: str) -> str | None:
        """The lago_id the lookup item names; a hashed key component is checked against the id itself."""
        if item is None or item[self.user_id_attribute] != user_id:
            return None
        return item[self.record_id_attribute]

    def put(self, table: str, organization_id: str, user_id: str, record_id: str) -> dict:
        """Claim `user_id` for the record: fails if another record of the organization holds it."""
        item = {"pk": keys.organization_pk(organization_id), "sk": self.sort_key(user_id),
                self.record_id_attribute: record_id, self.user_id_attribute: user_id}
        return {"Put": {"TableName": table, "Item": to_attributes(item),
                        "ConditionExpression": "attribute_not_exists(pk)"}}

    def delete(self, table: str, organization_id: str, user_id: str, record_id: str) -> dict:
        """Free `user_id`, only if it still names this record."""
        return {"Delete": {"TableName": table, "Key": self._key(organization_id, user_id),
                           "ConditionExpression": "#record = :id",
                           "ExpressionAttributeNames": {"#record": self.record_id_attribute},
                           "ExpressionAttributeValues": to_attributes({":id": record_id})}}
