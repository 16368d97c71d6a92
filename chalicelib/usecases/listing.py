"""Listing an organization's records a page at a time, newest first, with their live count (the list routes of
plans, metrics, customers and test clocks, and under ListDocuments the billing documents)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

Record = TypeVar("Record")
Record_co = TypeVar("Record_co", covariant=True)


class PagedRecords(Protocol[Record_co]):
    """Records listed a page at a time, newest first, with their live count; `filters` are the store's own keywords
    (a customer, statuses, dates), passed through unchanged."""

    def list_page(self, organization_id: str, page: int, per_page: int, **filters: Any) -> Sequence[Record_co]: ...
    def count(self, organization_id: str, **filters: Any) -> int: ...


@dataclass(frozen=True)
class Listed(Generic[Record]):
    """One page of records and how many the whole list holds."""

    records: Sequence[Record]
    total_count: int


class ListPage(Generic[Record]):
    """The page `page` of `per_page` records matching `filters`, and the count of all of them."""

    def __init__(self, records: PagedRecords[Record]) -> None:
        self._records = records

    def __call__(self, organization_id: str, page: int, per_page: int, **filters: Any) -> Listed[Record]:
        listed = self._records.list_page(organization_id, page, per_page, **filters)
        return Listed(listed, self._records.count(organization_id, **filters))
