"""The list use cases: a page with its live count, and the biller's documents of one customer or of none."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.errors import NotFound
from chalicelib.domain.organizations import Organization
from chalicelib.rendering.invoices import InvoiceRecords
from chalicelib.usecases.billing_documents import ListDocuments, ReadDocument
from chalicelib.usecases.listing import ListPage

NOW = datetime(2026, 11, 5, 10, tzinfo=UTC)
ORGANIZATION = Organization(id="org-1", name="Acme Corp", created_at=NOW, updated_at=NOW,
                            document_number_prefix="ACM-0001")


class Documents:
    """Documents `doc-1`.. of customer `cus-1`, newest first; the filters each list and count was asked with."""

    def __init__(self, count: int) -> None:
        self.ids = [f"doc-{number}" for number in range(count, 0, -1)]
        self.asked: list[dict[str, Any]] = []

    def list_page(self, organization_id: str, page: int, per_page: int, **filters: Any) -> Sequence[str]:
        self.asked.append(filters)
        return self.ids[(page - 1) * per_page:page * per_page]

    def count(self, organization_id: str, **filters: Any) -> int:
        self.asked.append(filters)
        return len(self.ids)

    def get(self, organization_id: str, document_id: str) -> str | None:
        return document_id if document_id in self.ids else None


@dataclass(frozen=True)
class StoredCustomer:
    id: str


class Customers:
    """The organization has customer `acme` only."""

    def find_by_external_id(self, organization_id: str, external_id: str) -> StoredCustomer | None:
        return StoredCustomer("cus-1") if external_id == "acme" else None


def _gather(organization: Organization, documents: Sequence[str]) -> InvoiceRecords:
    return InvoiceRecords(organization)


def test_a_page_comes_with_the_count_of_the_whole_list():
    listed = ListPage(Documents(3))("org-1", 2, 2)
    assert (list(listed.records), listed.total_count) == (["doc-1"], 3)


def test_the_documents_of_a_customer_are_listed_by_its_lago_id():
    documents = Documents(3)
    shown = ListDocuments(Customers(), documents, _gather)(ORGANIZATION, 1, 2, "acme", statuses=["draft"])
    assert (list(shown.documents), shown.total_count) == (["doc-3", "doc-2"], 3)
    assert documents.asked == [{"customer_id": "cus-1", "statuses": ["draft"]}] * 2


def test_a_customer_the_organization_does_not_have_has_no_documents():
    documents = Documents(3)
    shown = ListDocuments(Customers(), documents, _gather)(ORGANIZATION, 1, 2, "globex")
    assert (list(shown.documents), shown.total_count, documents.asked) == ([], 0, [])


def test_a_document_not_stored_is_not_found_by_its_kind():
    read = ReadDocument(Documents(1), _gather, "invoice")
    assert read(ORGANIZATION, "doc-1").document == "doc-1"
    with pytest.raises(NotFound) as missing:
        read(ORGANIZATION, "doc-2")
    assert missing.value.code == "invoice_not_found"
