"""The verbs on an issued invoice: its payment status, and voiding it. A finalized invoice's amounts and fees
never change; only these two do (docs/api-coverage.md, Invoices). Issuing one is chalicelib/usecases/issuing.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from chalicelib.domain.errors import NotAllowed
from chalicelib.domain.invoices.invoice import Invoice
from chalicelib.domain.retries import retrying
from chalicelib.domain.validation import raise_validation_failed
from chalicelib.usecases.ports import CustomerClock, InvoiceStore
from chalicelib.usecases.records import found


class InvoiceUpdate(BaseModel):
    """The `invoice` object of `PUT /invoices/{lago_id}`."""

    model_config = ConfigDict(extra="ignore")
    payment_status: Literal["pending", "succeeded", "failed"] | None = None


def _changed(invoice: Invoice, now: datetime, **changes: Any) -> Invoice:
    return invoice.model_copy(update={**changes, "updated_at": now, "version": invoice.version + 1})


@dataclass(frozen=True)
class InvoiceUseCases:
    """Each verb takes the request's CustomerClock: "now" is the test clock's frozen time for a customer on one."""

    invoices: InvoiceStore

    def _find(self, organization_id: str, invoice_id: str) -> Invoice:
        return found(self.invoices.get(organization_id, invoice_id), "invoice")

    def update(self, organization_id: str, invoice_id: str, payload: dict[str, Any],
               clock: CustomerClock) -> Invoice:
        """`PUT /invoices/{lago_id}`: the payment status (Lago's `payment_status`); a voided invoice keeps its
        own."""
        try:
            update = InvoiceUpdate.model_validate(payload)
        except ValidationError as error:
            raise_validation_failed(error)

        def attempt() -> Invoice:
            invoice = self._find(organization_id, invoice_id)
            if update.payment_status is None or update.payment_status == invoice.payment_status:
                return invoice
            if invoice.status == "voided":
                raise NotAllowed("invoice_voided")
            changed = _changed(invoice, clock.now_for(invoice.test_clock_id), payment_status=update.payment_status)
            self.invoices.replace(invoice, changed)
            return changed

        return retrying("invoice", attempt)

    def void(self, organization_id: str, invoice_id: str, clock: CustomerClock) -> Invoice:
        """`POST /invoices/{lago_id}/void`: a finalized invoice not paid becomes `voided` (405 `not_voidable`
        otherwise, as Lago). Its number stays used: numbers never repeat."""

        def attempt() -> Invoice:
            invoice = self._find(organization_id, invoice_id)
            if invoice.status != "finalized" or invoice.payment_status == "succeeded":
                raise NotAllowed("not_voidable")
            now = clock.now_for(invoice.test_clock_id)
            voided = _changed(invoice, now, status="voided", voided_at=now)
            self.invoices.replace(invoice, voided)
            return voided

        return retrying("invoice", attempt)
