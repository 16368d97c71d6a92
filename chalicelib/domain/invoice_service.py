"""The verbs on an issued invoice: its payment status, and voiding it. A finalized invoice's amounts and fees
never change; only these two do (docs/api-coverage.md, Invoices)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from chalicelib.domain.clock import CustomerClock
from chalicelib.domain.errors import NotAllowed, NotFound
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.retries import retrying
from chalicelib.domain.validation import raise_validation_failed


class InvoiceStore(Protocol):
    def get(self, organization_id: str, invoice_id: str) -> Invoice | None: ...
    def replace(self, previous: Invoice, invoice: Invoice) -> None: ...


class InvoiceUpdate(BaseModel):
    """The `invoice` object of `PUT /invoices/{lago_id}`."""

    model_config = ConfigDict(extra="ignore")
    payment_status: Literal["pending", "succeeded", "failed"] | None = None


def _found(store: InvoiceStore, organization_id: str, invoice_id: str) -> Invoice:
    invoice = store.get(organization_id, invoice_id)
    if invoice is None:
        raise NotFound("invoice")
    return invoice


def _changed(invoice: Invoice, now: datetime, **changes) -> Invoice:
    return invoice.model_copy(update={**changes, "updated_at": now, "version": invoice.version + 1})


def update_invoice(store: InvoiceStore, organization_id: str, invoice_id: str, payload: dict,
                   clock: CustomerClock) -> Invoice:
    """`PUT /invoices/{lago_id}`: the payment status (Lago's `payment_status`); a voided invoice keeps its own."""
    try:
        update = InvoiceUpdate.model_validate(payload)
    except ValidationError as error:
        raise_validation_failed(error)

    def attempt() -> Invoice:
        invoice = _found(store, organization_id, invoice_id)
        if update.payment_status is None or update.payment_status == invoice.payment_status:
            return invoice
        if invoice.status == "voided":
            raise NotAllowed("invoice_voided")
        changed = _changed(invoice, clock.now_for(invoice.test_clock_id), payment_status=update.payment_status)
        store.replace(invoice, changed)
        return changed

    return retrying("invoice", attempt)


def void_invoice(store: InvoiceStore, organization_id: str, invoice_id: str, clock: CustomerClock) -> Invoice:
    """`POST /invoices/{lago_id}/void`: a finalized invoice not paid becomes `voided` (405 `not_voidable`
    otherwise, as Lago). Its number stays used: numbers never repeat."""

    def attempt() -> Invoice:
        invoice = _found(store, organization_id, invoice_id)
        if invoice.status != "finalized" or invoice.payment_status == "succeeded":
            raise NotAllowed("not_voidable")
        now = clock.now_for(invoice.test_clock_id)
        voided = _changed(invoice, now, status="voided", voided_at=now)
        store.replace(invoice, voided)
        return voided

    return retrying("invoice", attempt)
