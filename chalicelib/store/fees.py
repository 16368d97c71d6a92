"""Pay-in-advance fees in the control table: the item by lago_id and three copies that list them newest first
(per organization, per customer, per external subscription id), all put in the transaction that creates the fee,
on condition that the fee does not exist yet: an event's fee is created once (docs/data-model.md)."""
from __future__ import annotations

from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.errors import FeeAlreadyCreated
from chalicelib.domain.events import iso_ms
from chalicelib.domain.fees import PayInAdvanceFee
from chalicelib.store import keys
from chalicelib.store.dynamo import ControlTableRepository, from_attributes, query_page, to_attributes
from chalicelib.store.unit_of_work import on_dynamodb
from chalicelib.usecases.ports import UnitOfWork


def _list_sort_keys(fee: PayInAdvanceFee) -> list[str]:
    order = keys.list_order(iso_ms(epoch_ms(fee.created_at)), fee.id)
    return [*keys.FEES.list_sort_keys(fee.customer_id, order),
            keys.subscription_fees_prefix(fee.external_subscription_id) + order]


class FeeRepository(ControlTableRepository):
    # ------------------------------------------------------------------------------------------- reads
    def get(self, organization_id: str, fee_id: str) -> PayInAdvanceFee | None:
        item = self._get(organization_id, keys.FEES.sk(fee_id))
        return PayInAdvanceFee.model_validate(item) if item else None

    def list_page(self, organization_id: str, page: int, per_page: int, *, customer_id: str | None = None,
                  external_subscription_id: str | None = None) -> list[PayInAdvanceFee]:
        """Newest first: ONE Query of the copies (each a whole fee), reading the page * per_page first."""
        query = self._list_query(organization_id, customer_id, external_subscription_id)
        return [PayInAdvanceFee.model_validate(from_attributes(item))
                for item in query_page(self._client, query, page, per_page)]

    def count(self, organization_id: str, *, customer_id: str | None = None,
              external_subscription_id: str | None = None) -> int:
        """`total_count`: a COUNT Query of the same copies."""
        query = {**self._list_query(organization_id, customer_id, external_subscription_id), "Select": "COUNT"}
        return sum(response["Count"] for response in self._client.get_paginator("query").paginate(**query))

    def _list_query(self, organization_id: str, customer_id: str | None,
                    external_subscription_id: str | None) -> dict:
        if external_subscription_id is not None:
            prefix = keys.subscription_fees_prefix(external_subscription_id)
        elif customer_id is not None:
            prefix = keys.FEES.customer_prefix(customer_id)
        else:
            prefix = keys.FEES.prefix()
        values = {":pk": keys.organization_pk(organization_id), ":prefix": prefix}
        filters = []
        if external_subscription_id is not None:
            # An encoded id over 512 bytes is hashed in the key: the copies are told apart by the id they hold.
            filters.append("external_subscription_id = :subscription")
            values[":subscription"] = external_subscription_id
            if customer_id is not None:
                filters.append("customer_id = :customer")
                values[":customer"] = customer_id
        query = {"TableName": self._table, "ScanIndexForward": False, "ConsistentRead": True,
                 "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)"}
        if filters:
            query["FilterExpression"] = " AND ".join(filters)
        query["ExpressionAttributeValues"] = to_attributes(values)
        return query

    # ------------------------------------------------------------------------------------------ writes
    def stage_create(self, unit: UnitOfWork, fee: PayInAdvanceFee) -> None:
        """Stage `fee`: the item, on condition that it does not exist (its event's fee is created once, else
        FeeAlreadyCreated), and its list copies."""
        attributes = fee.model_dump(mode="json")
        on_dynamodb(unit).add(
            self._put_action(fee.organization_id, keys.FEES.sk(fee.id), attributes, "attribute_not_exists(pk)"),
            *(self._put_action(fee.organization_id, sort_key, attributes) for sort_key in _list_sort_keys(fee)),
            refused=lambda: FeeAlreadyCreated(fee.id))
