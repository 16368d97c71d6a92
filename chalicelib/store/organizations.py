"""Organizations and their API keys in the control table."""
from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.domain.api_keys import ApiKeyRecord
from chalicelib.domain.clock import utc_now
from chalicelib.domain.errors import HasActiveSubscriptions, NotFound, ValidationFailed
from chalicelib.domain.organizations import Organization
from chalicelib.store import keys
from chalicelib.store.dynamo import (
    ControlTableRepository,
    TransactionCancelled,
    from_attributes,
    is_condition_failure,
    set_or_remove,
    to_attributes,
    transact,
)
from chalicelib.store.setup_version import SETUP_VERSION, setup_change


def _setup_moved(update: dict) -> dict:
    """An organization update (`set_or_remove`'s arguments) that also moves its setup version: its timezone, VAT
    rate and currency are setup the caches hold."""
    values = {**update.get("ExpressionAttributeValues", {}), **to_attributes({":setup_one": 1})}
    return {**update, "UpdateExpression": f"{update['UpdateExpression']} ADD {SETUP_VERSION} :setup_one",
            "ExpressionAttributeValues": values}


class OrganizationRepository(ControlTableRepository):
    """The organization item also holds `hmac_key`, its webhook signing secret, outside the `Organization` model:
    whatever reads or shows an organization never carries the secret."""

    def create(self, organization: Organization, hmac_key: str) -> None:
        item = {"pk": keys.organization_pk(organization.id), "sk": keys.ORGANIZATION_SK,
                **organization.model_dump(), "hmac_key": hmac_key}
        self._client.put_item(TableName=self._table, Item=to_attributes(item),
                              ConditionExpression="attribute_not_exists(pk)")

    def _organization_key(self, organization_id: str) -> dict:
        return self._key(organization_id, keys.ORGANIZATION_SK)

    def hmac_key(self, organization_id: str, new_key: str) -> str:
        """The organization's signing key; `new_key` becomes it if it has none (created before keys existed)."""
        response = self._client.get_item(TableName=self._table, ConsistentRead=True,
                                         Key=self._organization_key(organization_id),
                                         ProjectionExpression="pk, hmac_key")
        if "Item" not in response:
            raise NotFound("organization")
        if "hmac_key" in response["Item"]:
            return response["Item"]["hmac_key"]["S"]
        # if_not_exists: of two first readers, both get the key the first one wrote.
        return self._set_hmac_key(organization_id, "if_not_exists(hmac_key, :key)", new_key)

    def replace_hmac_key(self, organization_id: str, new_key: str) -> None:
        self._set_hmac_key(organization_id, ":key", new_key)

    def _set_hmac_key(self, organization_id: str, value_expression: str, new_key: str) -> str:
        try:
            response = self._client.update_item(
                TableName=self._table, Key=self._organization_key(organization_id),
                UpdateExpression=f"SET hmac_key = {value_expression}", ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_attributes({":key": new_key}), ReturnValues="ALL_NEW")
        except ClientError as error:
            if is_condition_failure(error):
                raise NotFound("organization") from error
            raise
        return response["Attributes"]["hmac_key"]["S"]

    def get(self, organization_id: str) -> Organization:
        response = self._client.get_item(TableName=self._table, ConsistentRead=True,
                                         Key=self._organization_key(organization_id))
        if "Item" not in response:
            raise NotFound("organization")
        return Organization.model_validate(from_attributes(response["Item"]))

    def update(self, organization_id: str, changes: dict) -> Organization:
        """Set (or, for None, remove) each changed attribute in one atomic update."""
        try:
            response = self._client.update_item(
                TableName=self._table, Key=self._organization_key(organization_id),
                **_setup_moved(set_or_remove({**changes, "updated_at": utc_now()})),
                ConditionExpression="attribute_exists(pk)", ReturnValues="ALL_NEW")
        except ClientError as error:
            if is_condition_failure(error):
                raise NotFound("organization") from error
            raise
        return Organization.model_validate(from_attributes(response["Attributes"]))

    def update_while_unsubscribed(self, organization_id: str, changes: dict) -> Organization:
        """`update`, in one transaction with the condition that the organization has no active subscription (its
        per-status subscription counter); raises HasActiveSubscriptions otherwise."""
        try:
            transact(self._client, [
                {"ConditionCheck": {"TableName": self._table,
                                    "Key": self._key(organization_id, keys.SUBSCRIPTION_COUNTER_SK),
                                    "ConditionExpression": "attribute_not_exists(active) OR active = :zero",
                                    "ExpressionAttributeValues": to_attributes({":zero": 0})}},
                {"Update": {"TableName": self._table, "Key": self._organization_key(organization_id),
                            **_setup_moved(set_or_remove({**changes, "updated_at": utc_now()})),
                            "ConditionExpression": "attribute_exists(pk)"}}])
        except TransactionCancelled as cancelled:
            if 0 in cancelled.failed:
                raise HasActiveSubscriptions() from cancelled
            if 1 in cancelled.failed:
                raise NotFound("organization") from cancelled
            raise
        return self.get(organization_id)

    def add_api_key(self, record: ApiKeyRecord) -> None:
        """Store a key's hash twice: a global lookup item, and the organization's own list of its keys."""
        lookup = {"pk": keys.api_key_pk(record.key_hash), "sk": keys.API_KEY_LOOKUP_SK, **record.model_dump()}
        listed = {"pk": keys.organization_pk(record.organization_id),
                  "sk": keys.organization_api_key_sk(record.key_id), **record.model_dump()}
        try:
            transact(self._client, [
                {"Put": {"TableName": self._table, "Item": to_attributes(lookup),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"TableName": self._table, "Item": to_attributes(listed),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                setup_change(record.organization_id),
            ])
        except TransactionCancelled as cancelled:
            if cancelled.failed:
                raise ValidationFailed.single("api_key", "value_already_exist") from cancelled
            raise

    def find_api_key(self, key_hash: str) -> ApiKeyRecord | None:
        response = self._client.get_item(
            TableName=self._table, ConsistentRead=True,
            Key=to_attributes({"pk": keys.api_key_pk(key_hash), "sk": keys.API_KEY_LOOKUP_SK}))
        if "Item" not in response:
            return None
        return ApiKeyRecord.model_validate(from_attributes(response["Item"]))

    def list_api_keys(self, organization_id: str) -> list[ApiKeyRecord]:
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table, ConsistentRead=True,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_attributes({":pk": keys.organization_pk(organization_id),
                                                     ":prefix": keys.API_KEY_SK_PREFIX}))
        return [ApiKeyRecord.model_validate(from_attributes(item)) for page in pages for item in page["Items"]]

    def revoke_api_key(self, record: ApiKeyRecord) -> None:
        transact(self._client, [
            {"Delete": {"TableName": self._table, "Key": to_attributes(
                {"pk": keys.api_key_pk(record.key_hash), "sk": keys.API_KEY_LOOKUP_SK})}},
            {"Delete": {"TableName": self._table, "Key": to_attributes(
                {"pk": keys.organization_pk(record.organization_id),
                 "sk": keys.organization_api_key_sk(record.key_id)})}},
            setup_change(record.organization_id),
        ])
