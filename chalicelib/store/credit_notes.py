"""Credit notes in the control table: the item (by lago_id), list entries per organization and per customer (newest
first), a marker per available credit note (what an invoice's finalization reads: one Query, empty for most
customers; deleted once consumed), and a counter per invoice that numbers its credit notes. A credit note is created
and consumed only inside an invoice's transaction (chalicelib/store/invoices.py): docs/data-model.md."""
from __future__ import annotations

from chalicelib.domain.credit_notes import CreditNote
from chalicelib.store import keys
from chalicelib.store.dynamo import ControlTableRepository, from_attributes, number, query_page, to_attributes
from chalicelib.store.unit_of_work import on_dynamodb
from chalicelib.usecases.ports import UnitOfWork

_LIST_FIELDS = ("id", "customer_id", "invoice_id", "issuing_date")


def _list_sort_keys(note: CreditNote) -> list[str]:
    order = keys.list_order(note.issuing_date.isoformat(), note.created_at.isoformat(), note.id)
    return keys.CREDIT_NOTES.list_sort_keys(note.customer_id, order)


def _available_sk(note: CreditNote) -> str:
    return keys.available_credit_notes_prefix(note.customer_id) + note.id


class CreditNoteRepository(ControlTableRepository):
    # ------------------------------------------------------------------------------------------- reads
    def get(self, organization_id: str, credit_note_id: str) -> CreditNote | None:
        item = self._get(organization_id, keys.CREDIT_NOTES.sk(credit_note_id))
        return CreditNote.model_validate(item) if item else None

    def get_many(self, organization_id: str, credit_note_ids: list[str]) -> dict[str, CreditNote]:
        found = self._get_many(organization_id, [keys.CREDIT_NOTES.sk(note_id) for note_id in credit_note_ids])
        return {note.id: note for note in map(CreditNote.model_validate, found.values())}

    def available(self, organization_id: str, customer_id: str) -> list[CreditNote]:
        """The customer's credit notes with a balance left: one Query of their markers, then their items."""
        markers = self._query_all(organization_id, keys.available_credit_notes_prefix(customer_id))
        notes = self.get_many(organization_id, [marker["credit_note_id"] for marker in markers])
        return [note for note in notes.values() if note.credit_status == "available"]

    def last_sequence(self, organization_id: str, invoice_id: str) -> int:
        """How many credit notes the invoice has (the last one's sequence)."""
        counter = self._get(organization_id, keys.invoice_credit_notes_counter_sk(invoice_id))
        return number(counter["sequence"]) if counter else 0

    def list_page(self, organization_id: str, page: int, per_page: int,
                  customer_id: str | None = None) -> list[CreditNote]:
        """Newest first: a Query of the list entries, then BatchGetItems of the page's credit notes."""
        entries = [from_attributes(item) for item in query_page(
            self._client, self._list_query(organization_id, customer_id), page, per_page)]
        notes = self.get_many(organization_id, [entry["id"] for entry in entries])
        return [notes[entry["id"]] for entry in entries if entry["id"] in notes]

    def count(self, organization_id: str, customer_id: str | None = None) -> int:
        query = {**self._list_query(organization_id, customer_id), "Select": "COUNT"}
        return sum(response["Count"] for response in self._client.get_paginator("query").paginate(**query))

    def _list_query(self, organization_id: str, customer_id: str | None) -> dict:
        prefix = keys.CREDIT_NOTES.customer_prefix(customer_id) if customer_id else keys.CREDIT_NOTES.prefix()
        return {"TableName": self._table, "ScanIndexForward": False, "ConsistentRead": True,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                "ExpressionAttributeValues": to_attributes({":pk": keys.organization_pk(organization_id),
                                                            ":prefix": prefix})}

    # ------------------------------------------------------------------------------------------ writes
    def stage_create(self, unit: UnitOfWork, note: CreditNote) -> None:
        """Stage `note` (on condition that it does not exist: a fee is credited once): the item, its list entries,
        its marker while it has a balance, and its invoice's counter moved from `sequential_id - 1`."""
        counter = self._sequence_move(note.organization_id, keys.invoice_credit_notes_counter_sk(note.invoice_id),
                                      note.sequential_id)
        actions = [self._put(note, keys.CREDIT_NOTES.sk(note.id), "attribute_not_exists(pk)"),
                   *(self._put_entry(note, sort_key) for sort_key in _list_sort_keys(note)), counter]
        if note.credit_status == "available":
            actions.append(self._marker_put(note))
        on_dynamodb(unit).add(*actions)

    def stage_consume(self, unit: UnitOfWork, previous: CreditNote, note: CreditNote) -> None:
        """Stage `previous` (as read: same version) replaced by `note`, an invoice having taken part of its balance;
        its marker goes with the last of it."""
        actions = [self._put(note, keys.CREDIT_NOTES.sk(note.id), "version = :version",
                             {":version": previous.version})]
        if note.credit_status == "consumed":
            actions.append({"Delete": {"TableName": self._table,
                                       "Key": self._key(note.organization_id, _available_sk(note))}})
        on_dynamodb(unit).add(*actions)

    def _put(self, note: CreditNote, sort_key: str, condition: str, values: dict | None = None) -> dict:
        return self._put_action(note.organization_id, sort_key, note.model_dump(mode="json"), condition, values)

    def _put_entry(self, note: CreditNote, sort_key: str) -> dict:
        return self._put_action(note.organization_id, sort_key, note.model_dump(mode="json", include=set(_LIST_FIELDS)))

    def _marker_put(self, note: CreditNote) -> dict:
        return self._put_action(note.organization_id, _available_sk(note), {"credit_note_id": note.id})
