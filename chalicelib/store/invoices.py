"""Invoices in the control table.

The invoice item (by lago_id) holds the whole snapshot; small list entries (per organization, per customer) sort
newest first by issuing date and carry what the list filters read. A customer's invoice sequence is its own
counter item, moved in the same transaction that stores the invoice and advances the subscriptions it bills, so
numbers have no gap and no repeat and a subscription's period is billed once: docs/data-model.md ("Invoices")."""
from __future__ import annotations

from collections.abc import Iterable

from chalicelib.domain.errors import StaleWrite
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.store import keys
from chalicelib.store.dynamo import (
    ControlTableRepository,
    TransactionCancelled,
    from_attributes,
    number,
    query_page,
    to_attributes,
    transact,
)

_LIST_FIELDS = ("id", "customer_id", "issuing_date", "status", "payment_status", "total_amount_cents")


class InvoiceAlreadyIssued(Exception):
    """The invoice's id is taken: an earlier run (or a concurrent one) issued it."""


def _customer_sequence_sk(customer_id: str) -> str:
    return f"COUNTER#customer_invoices{keys.SEPARATOR}{customer_id}"


def _list_sort_keys(invoice: Invoice) -> list[str]:
    order = keys.SEPARATOR.join((invoice.issuing_date.isoformat(), f"{invoice.sequential_id:010d}", invoice.id))
    return [keys.invoices_prefix() + order, keys.customer_invoices_prefix(invoice.customer_id) + order]


class InvoiceRepository(ControlTableRepository):
    # ------------------------------------------------------------------------------------------- reads
    def get(self, organization_id: str, invoice_id: str) -> Invoice | None:
        item = self._get(organization_id, keys.invoice_sk(invoice_id))
        return Invoice.model_validate(item) if item else None

    def last_sequence(self, organization_id: str, customer_id: str) -> int:
        """The customer's last invoice number's sequence (0 before its first invoice)."""
        counter = self._get(organization_id, _customer_sequence_sk(customer_id))
        return number(counter["sequence"]) if counter else 0

    def list_page(self, organization_id: str, page: int, per_page: int, *, customer_id: str | None = None,
                  statuses: Iterable[str] = (), payment_statuses: Iterable[str] = (),
                  issuing_date_from: str | None = None, issuing_date_to: str | None = None) -> list[Invoice]:
        """Newest first: a Query of the list entries (filters applied by DynamoDB), then ONE BatchGetItem of the
        page's invoices."""
        query = self._list_query(organization_id, customer_id, statuses, payment_statuses, issuing_date_from,
                                 issuing_date_to)
        entries = [from_attributes(item) for item in query_page(self._client, query, page, per_page)]
        if not entries:
            return []
        response = self._client.batch_get_item(RequestItems={self._table: {
            "Keys": [self._key(organization_id, keys.invoice_sk(entry["id"])) for entry in entries],
            "ConsistentRead": True}})
        found = {item["id"]: Invoice.model_validate(item)
                 for item in map(from_attributes, response["Responses"].get(self._table, []))}
        return [found[entry["id"]] for entry in entries if entry["id"] in found]

    def count(self, organization_id: str, *, customer_id: str | None = None, statuses: Iterable[str] = (),
              payment_statuses: Iterable[str] = (), issuing_date_from: str | None = None,
              issuing_date_to: str | None = None) -> int:
        """`total_count`: a COUNT Query of the same list entries."""
        query = {**self._list_query(organization_id, customer_id, statuses, payment_statuses, issuing_date_from,
                                    issuing_date_to), "Select": "COUNT"}
        return sum(response["Count"] for response in self._client.get_paginator("query").paginate(**query))

    def _list_query(self, organization_id: str, customer_id: str | None, statuses: Iterable[str],
                    payment_statuses: Iterable[str], issuing_date_from: str | None,
                    issuing_date_to: str | None) -> dict:
        prefix = keys.customer_invoices_prefix(customer_id) if customer_id else keys.invoices_prefix()
        low, high = prefix + (issuing_date_from or ""), prefix + (issuing_date_to or "9999-12-31") + "$"
        values: dict = {":pk": keys.organization_pk(organization_id), ":low": low, ":high": high}
        filters, names = [], {}
        for field, wanted in (("status", list(statuses)), ("payment_status", list(payment_statuses))):
            if wanted:
                names[f"#{field}"] = field
                placeholders = [f":{field}{index}" for index in range(len(wanted))]
                values.update(dict(zip(placeholders, wanted)))
                filters.append(f"#{field} IN ({', '.join(placeholders)})")
        query = {"TableName": self._table, "ScanIndexForward": False, "ConsistentRead": True,
                 "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
                 "ExpressionAttributeValues": to_attributes(values)}
        if filters:
            query["FilterExpression"] = " AND ".join(filters)
            query["ExpressionAttributeNames"] = names
        return query

    # ------------------------------------------------------------------------------------------ writes
    def issue(self, invoice: Invoice, subscription_actions: list[dict]) -> None:
        """Store a finalized invoice, with in ONE transaction: its list entries, the customer's sequence moved from
        `sequential_id - 1` to `sequential_id`, and `subscription_actions` (the subscriptions it bills, advanced
        past what it bills, each conditioned on the version read). Raises InvoiceAlreadyIssued when the invoice
        exists, StaleWrite when the sequence or a subscription moved since they were read."""
        organization_id = invoice.organization_id
        previous = invoice.sequential_id - 1
        sequence_condition = "attribute_not_exists(pk)" if previous == 0 else "#sequence = :previous"
        sequence_update = {"Update": {
            "TableName": self._table, "Key": self._key(organization_id, _customer_sequence_sk(invoice.customer_id)),
            "UpdateExpression": "SET #sequence = :next", "ConditionExpression": sequence_condition,
            "ExpressionAttributeNames": {"#sequence": "sequence"},
            "ExpressionAttributeValues": to_attributes(
                {":next": invoice.sequential_id, **({":previous": previous} if previous else {})})}}
        actions = [self._put(invoice, keys.invoice_sk(invoice.id), "attribute_not_exists(pk)"),
                   *(self._put_entry(invoice, sort_key) for sort_key in _list_sort_keys(invoice)),
                   sequence_update, *subscription_actions]
        try:
            transact(self._client, actions)
        except TransactionCancelled as cancelled:
            if 0 in cancelled.failed:
                raise InvoiceAlreadyIssued(invoice.id) from cancelled
            raise StaleWrite() from cancelled

    def replace(self, previous: Invoice, invoice: Invoice) -> None:
        """A payment status or a void: the item (conditioned on the version read) and its list entries."""
        actions = [self._put(invoice, keys.invoice_sk(invoice.id), "version = :version",
                             {":version": previous.version}),
                   *(self._put_entry(invoice, sort_key) for sort_key in _list_sort_keys(invoice))]
        try:
            transact(self._client, actions)
        except TransactionCancelled as cancelled:
            raise StaleWrite() from cancelled

    def _put(self, invoice: Invoice, sort_key: str, condition: str, values: dict | None = None) -> dict:
        item = {"pk": keys.organization_pk(invoice.organization_id), "sk": sort_key, **invoice.model_dump(mode="json")}
        put = {"TableName": self._table, "Item": to_attributes(item), "ConditionExpression": condition}
        if values:
            put["ExpressionAttributeValues"] = to_attributes(values)
        return {"Put": put}

    def _put_entry(self, invoice: Invoice, sort_key: str) -> dict:
        entry = {name: value for name, value in invoice.model_dump(mode="json").items() if name in _LIST_FIELDS}
        return {"Put": {"TableName": self._table, "Item": to_attributes(
            {"pk": keys.organization_pk(invoice.organization_id), "sk": sort_key, **entry})}}
