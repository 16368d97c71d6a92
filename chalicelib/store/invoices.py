"""Invoices in the control table.

The invoice item (by lago_id) holds the whole snapshot; small list entries (per organization, per customer) sort
newest first by issuing date and carry what the list filters read. A customer's invoice sequence is its own
counter item, moved in the same transaction that finalizes an invoice (and advances the subscriptions it bills), so
numbers have no gap and no repeat and a subscription's period is billed once. A draft (a grace period) is not
numbered: a marker item, on the biller's due index at the draft's `finalize_at`, lists the customer's drafts. Every
transaction also records its webhook in the outbox: docs/data-model.md ("Invoices")."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from botocore.exceptions import ClientError

from chalicelib.domain.errors import InvoiceAlreadyIssued
from chalicelib.domain.invoices.draft import Draft
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.store import keys
from chalicelib.store.dynamo import (
    ControlTableRepository,
    from_attributes,
    is_condition_failure,
    number,
    query_page,
    to_attributes,
)
from chalicelib.store.unit_of_work import DynamoUnitOfWork, on_dynamodb
from chalicelib.store.webhooks import outbox_put
from chalicelib.usecases.ports import UnitOfWork

_LIST_FIELDS = ("id", "customer_id", "issuing_date", "status", "payment_status", "total_amount_cents")


def _list_sort_keys(invoice: Invoice) -> list[str]:
    """A draft sorts as sequence 0 of its issuing date; finalizing it moves its entries to its number."""
    order = keys.list_order(invoice.issuing_date.isoformat(), f"{invoice.sequential_id or 0:010d}", invoice.id)
    return keys.INVOICES.list_sort_keys(invoice.customer_id, order)


def _draft_sk(invoice: Invoice) -> str:
    return f"{keys.customer_drafts_prefix(invoice.customer_id)}{invoice.id}"


class InvoiceRepository(ControlTableRepository):
    # ------------------------------------------------------------------------------------------- reads
    def get(self, organization_id: str, invoice_id: str) -> Invoice | None:
        item = self._get(organization_id, keys.INVOICES.sk(invoice_id))
        return Invoice.model_validate(item) if item else None

    def last_sequence(self, organization_id: str, customer_id: str) -> int:
        """The customer's last invoice number's sequence (0 before its first invoice)."""
        counter = self._get(organization_id, keys.customer_invoices_counter_sk(customer_id))
        return number(counter["sequence"]) if counter else 0

    def list_page(self, organization_id: str, page: int, per_page: int, *, customer_id: str | None = None,
                  statuses: Iterable[str] = (), payment_statuses: Iterable[str] = (),
                  issuing_date_from: str | None = None, issuing_date_to: str | None = None) -> list[Invoice]:
        """Newest first: a Query of the list entries (filters applied by DynamoDB), then ONE BatchGetItem of the
        page's invoices."""
        query = self._list_query(organization_id, customer_id, statuses, payment_statuses, issuing_date_from,
                                 issuing_date_to)
        entries = [from_attributes(item) for item in query_page(self._client, query, page, per_page)]
        return self._invoices(organization_id, [entry["id"] for entry in entries])

    def _invoices(self, organization_id: str, invoice_ids: list[str]) -> list[Invoice]:
        """The invoices of these ids that exist, in that order: BatchGetItems."""
        found = self._get_many(organization_id, [keys.INVOICES.sk(invoice_id) for invoice_id in invoice_ids])
        return [Invoice.model_validate(found[keys.INVOICES.sk(invoice_id)])
                for invoice_id in invoice_ids if keys.INVOICES.sk(invoice_id) in found]

    def drafts_of(self, organization_id: str, customer_id: str) -> list[Draft]:
        """The customer's draft invoices: one Query of its draft markers (none without a grace period), then their
        items."""
        markers = self._query_all(organization_id, keys.customer_drafts_prefix(customer_id))
        invoices = {invoice.id: invoice
                    for invoice in self._invoices(organization_id, [marker["invoice_id"] for marker in markers])}
        return [Draft(invoices[marker["invoice_id"]], number(marker.get("refresh_requests", 0)))
                for marker in markers if marker["invoice_id"] in invoices]

    def of_customer_since(self, organization_id: str, customer_id: str, since: str) -> list[Invoice]:
        """The customer's invoices issued on or after the date `since` (ISO), newest first: the few of a plan period,
        where a credit note finds the fee it gives back."""
        query = self._list_query(organization_id, customer_id, (), (), since, None)
        entries = [from_attributes(item) for page in self._client.get_paginator("query").paginate(**query)
                   for item in page["Items"]]
        return self._invoices(organization_id, [entry["id"] for entry in entries])

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
        prefix = keys.INVOICES.customer_prefix(customer_id) if customer_id else keys.INVOICES.prefix()
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
    def stage_issue(self, unit: UnitOfWork, invoice: Invoice) -> None:
        """Stage a new invoice (refused with InvoiceAlreadyIssued when it exists) with what the caller staged (the
        subscriptions it bills advanced past what it bills, each conditioned on the version read; credit notes
        created or consumed): a finalized one with the customer's sequence moved from `sequential_id - 1` to
        `sequential_id` and `invoice.created`; a draft with its marker and `invoice.drafted`. Anything else moved
        since it was read refuses the unit with StaleWrite."""
        if invoice.status == "draft":
            numbering, webhook = self._draft_marker(invoice), "invoice.drafted"
        else:
            numbering, webhook = self._sequence_update(invoice), "invoice.created"
        staged = on_dynamodb(unit)
        staged.add(self._put(invoice, keys.INVOICES.sk(invoice.id), "attribute_not_exists(pk)"),
                   refused=lambda: InvoiceAlreadyIssued(invoice.id))
        staged.add(*(self._put_entry(invoice, sort_key) for sort_key in _list_sort_keys(invoice)), numbering,
                   outbox_put(invoice.organization_id, webhook, invoice.id, invoice.updated_at))

    def stage_finalize(self, unit: UnitOfWork, draft: Invoice, invoice: Invoice) -> None:
        """Stage `draft` (as read: same version, still a draft) replaced by `invoice`, finalized: its list entries
        moved to its number, its marker removed, the customer's sequence moved and `invoice.created`."""
        organization_id = invoice.organization_id
        # Every change of an invoice moves its version: the draft as read is still a draft.
        on_dynamodb(unit).add(
            self._put(invoice, keys.INVOICES.sk(invoice.id), "version = :version", {":version": draft.version}),
            *({"Delete": {"TableName": self._table, "Key": self._key(organization_id, sort_key)}}
              for sort_key in _list_sort_keys(draft) if sort_key not in _list_sort_keys(invoice)),
            *(self._put_entry(invoice, sort_key) for sort_key in _list_sort_keys(invoice)),
            {"Delete": {"TableName": self._table, "Key": self._key(organization_id, _draft_sk(draft))}},
            self._sequence_update(invoice),
            outbox_put(organization_id, "invoice.created", invoice.id, invoice.updated_at))

    def _sequence_update(self, invoice: Invoice) -> dict:
        return self._sequence_move(invoice.organization_id, keys.customer_invoices_counter_sk(invoice.customer_id),
                                   invoice.sequential_id)

    def stage_replace(self, unit: UnitOfWork, previous: Invoice, invoice: Invoice) -> None:
        """A payment status, a void or a draft's refresh: the item (conditioned on the version read) and its list
        entries."""
        on_dynamodb(unit).add(
            self._put(invoice, keys.INVOICES.sk(invoice.id), "version = :version", {":version": previous.version}),
            *(self._put_entry(invoice, sort_key) for sort_key in _list_sort_keys(invoice)))

    def replace(self, previous: Invoice, invoice: Invoice) -> None:
        """`stage_replace` alone in ONE transaction (StaleWrite when the invoice changed since it was read)."""
        unit = DynamoUnitOfWork(self._client)
        self.stage_replace(unit, previous, invoice)
        unit.commit()

    def _put(self, invoice: Invoice, sort_key: str, condition: str, values: dict | None = None) -> dict:
        return self._put_action(invoice.organization_id, sort_key, invoice.model_dump(mode="json"), condition, values)

    def _put_entry(self, invoice: Invoice, sort_key: str) -> dict:
        return self._put_action(invoice.organization_id, sort_key,
                                invoice.model_dump(mode="json", include=set(_LIST_FIELDS)))

    def request_refresh(self, organization_id: str, customer_id: str, invoice_id: str, due_at: datetime) -> bool:
        """Ask the biller to refresh a draft (late events of its periods were applied): its marker counts the request
        and is due on the biller's index at `due_at`. False when the draft is no more (finalized since)."""
        due_sk = keys.due_sk(keys.iso_due(due_at), organization_id, customer_id, invoice_id)
        try:
            self._client.update_item(
                TableName=self._table, Key=self._key(organization_id,
                                                     keys.customer_drafts_prefix(customer_id) + invoice_id),
                UpdateExpression="SET due_sk = :due ADD refresh_requests :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_attributes({":due": due_sk, ":one": 1}))
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def stage_refreshed(self, unit: UnitOfWork, draft: Draft) -> None:
        """Mark `draft` refreshed: its requests cleared (on condition that none came since it was read) and its
        marker due again when its grace period ends."""
        invoice = draft.invoice
        values = {":due": keys.due_sk(keys.iso_due(invoice.finalize_at), invoice.organization_id, invoice.customer_id,
                                      invoice.id), ":zero": 0, ":read": draft.refresh_requests}
        on_dynamodb(unit).add({"Update": {
            "TableName": self._table, "Key": self._key(invoice.organization_id, _draft_sk(invoice)),
            "UpdateExpression": "SET due_sk = :due, refresh_requests = :zero",
            "ConditionExpression": "attribute_exists(pk) AND " + (
                "refresh_requests = :read" if draft.refresh_requests
                # A marker never asked has no counter: it reads as 0.
                else "(attribute_not_exists(refresh_requests) OR refresh_requests = :read)"),
            "ExpressionAttributeValues": to_attributes(values)}})

    def _draft_marker(self, invoice: Invoice) -> dict:
        """The draft's marker, on the biller's due index at `finalize_at` (docs/data-model.md); off it for a customer on
        a test clock (no `due_pk`), which only its clock's advances bill."""
        return self._put_action(invoice.organization_id, _draft_sk(invoice), {
            "invoice_id": invoice.id, "due_pk": None if invoice.test_clock_id else keys.due_pk(invoice.id),
            "due_sk": keys.due_sk(keys.iso_due(invoice.finalize_at), invoice.organization_id, invoice.customer_id,
                                  invoice.id)})
