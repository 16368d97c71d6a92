"""Typed failures of the domain; the API maps each to one Lago-shaped HTTP answer."""
from __future__ import annotations


class DomainError(Exception):
    """Base of every failure the domain reports on purpose."""


class NotFound(DomainError):
    """An id that names nothing in this organization (404 `<resource>_not_found`)."""

    def __init__(self, resource: str):
        super().__init__(f"{resource} not found")
        self.resource = resource
        self.code = f"{resource}_not_found"


class ValidationFailed(DomainError):
    """Field-level errors (422 `validation_errors`); `details` maps a field to its error codes."""

    def __init__(self, details: dict[str, list[str]]):
        super().__init__(f"validation failed: {details}")
        self.details = details

    @classmethod
    def single(cls, field: str, code: str) -> "ValidationFailed":
        return cls({field: [code]})


class NotAllowed(DomainError):
    """A request the current state refuses (405 with a business `code`)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class Contention(DomainError):
    """Concurrent writers kept winning the race; the client should retry (503)."""


class ExternalIdTaken(DomainError):
    """A repository refused a write: another record of the organization has this external id."""


class HasActiveSubscriptions(DomainError):
    """A repository refused a change that needs the organization to have no active subscription."""


class StaleWrite(DomainError):
    """A repository refused a write: the record changed since it was read."""


class InvoiceAlreadyIssued(Exception):
    """A repository refused a write: the invoice's id is taken, an earlier run (or a concurrent one) issued it."""


class FeeAlreadyCreated(Exception):
    """A repository refused a write: the fee's id is taken, an earlier delivery of its event created it."""


class CodeTaken(DomainError):
    """A repository refused a write: another record of the organization has this code."""


class Unavailable(DomainError):
    """The store failed part-way (a write not done, or not known to be done); the same request again
    completes it (503, retryable)."""


class NotReadyYet(DomainError):
    """What the request needs is still being computed (events stored but not yet aggregated): the same request a
    moment later succeeds (503 with `code`, retryable)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code
