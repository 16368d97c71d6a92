"""Lago's page/per_page pagination and its `meta` object."""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any, Callable, TypeVar

from chalice import Response
from chalice.app import MultiDict, Request

from chalicelib.api.auth import current_organization
from chalicelib.api.errors import invalid_fields
from chalicelib.api.serialize import json_response
from chalicelib.domain.organizations import Organization
from chalicelib.usecases.listing import ListPage

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 100
# Deep pages cost a read of every item before them; this bounds one request's reads.
MAX_PAGE = 1000

Record = TypeVar("Record")


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int

    def meta(self, total_count: int) -> dict:
        total_pages = ceil(total_count / self.per_page)
        if total_count == 0:
            # Lago's answer for an empty collection.
            return {"current_page": 0, "next_page": None, "prev_page": None, "total_pages": 0, "total_count": 0}
        return {
            "current_page": self.number,
            "next_page": self.number + 1 if self.number < total_pages else None,
            "prev_page": self.number - 1 if self.number > 1 else None,
            "total_pages": total_pages,
            "total_count": total_count,
        }


def _positive(query: dict, name: str, default: int, maximum: int, errors: dict) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        errors[name] = ["value_is_invalid"]
        return default
    return int(raw)


def page_from_query(query: dict | None) -> Page:
    query = query or {}
    errors: dict = {}
    page = Page(_positive(query, "page", 1, MAX_PAGE, errors), _positive(query, "per_page", DEFAULT_PER_PAGE,
                                                                         MAX_PER_PAGE, errors))
    if errors:
        raise invalid_fields(errors)
    return page


@dataclass(frozen=True)
class ListRequest:
    """A `GET` of a list: whose, its query, and the page it asks for."""

    organization: Organization
    query: MultiDict | dict
    page: Page


def list_request(request: Request) -> ListRequest:
    query = request.query_params or {}
    return ListRequest(current_organization(request), query, page_from_query(query))


def paged_list(query: MultiDict | dict[str, str] | None, list_page: ListPage[Record], organization_id: str,
               plural: str, to_json: Callable[[Record], dict[str, Any]]) -> Response:
    """`GET /<plural>`: the page asked for, newest first, and Lago's `meta` from the live count."""
    page = page_from_query(query)
    listed = list_page(organization_id, page.number, page.per_page)
    return json_response({plural: [to_json(item) for item in listed.records], "meta": page.meta(listed.total_count)})
