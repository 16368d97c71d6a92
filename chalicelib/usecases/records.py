"""What the verbs on customers, metrics and plans share: a record found or 404, and a delete refused while the
record is in use."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chalicelib.domain.errors import NotAllowed, NotFound
from chalicelib.domain.retries import retrying

Record = TypeVar("Record")


def found(record: Record | None, resource: str) -> Record:
    """`record`, or NotFound(`resource`) when it was not read."""
    if record is None:
        raise NotFound(resource)
    return record


def delete_unless_in_use(resource: str, find: Callable[[], Record], uses: Callable[[Record], int], refusal: str,
                         delete: Callable[[Record], None]) -> Record:
    """Delete the record `find()` reads, refused (405 `refusal`) while `uses` counts any use of it; the delete is
    conditioned on the record as read, so a use added meanwhile makes it read and check again."""

    def attempt() -> Record:
        record = find()
        if uses(record) > 0:
            raise NotAllowed(refusal)
        delete(record)
        return record

    return retrying(resource, attempt)
