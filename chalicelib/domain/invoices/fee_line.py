"""One fee of an invoice, as the computation gives it (Lago's FeeObject, less what the store adds)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.pricing.groups import UNGROUPED, PricingGroup


class FeeLine(BaseModel):
    """A subscription (base) fee, a charge fee of one bucket, a charge's min-amount true-up, or the fee of one event
    of a pay-in-advance charge.

    `charge_id` is None for the subscription fee; `filter_index` None is the default bucket (and the
    subscription fee and true-ups); `true_up_of_charge` marks the true-up of `charge_id` (Lago: a charge fee
    linked to its parent). `from_datetime`/`to_datetime` bound the window billed, the end not covered.
    `precise_unit_amount` is in currency units: amount / units (0 without units). `event_transaction_id` names
    the event a pay-in-advance fee was created for (None for the others); `invoiceable` is false for a
    pay-in-advance charge's fee that no invoice bills; `grouped_by` the pricing group a charge fee bills (Lago's fee
    `grouped_by`; `()` when its bucket is not grouped). Defaults: invoices stored before these fields parse."""

    model_config = ConfigDict(frozen=True)

    fee_type: Literal["subscription", "charge"]
    subscription_id: str
    charge_id: str | None = None  # defaults: a stored fee drops its nulls
    filter_index: int | None = None
    true_up_of_charge: bool
    units: Decimal
    total_aggregated_units: Decimal
    events_count: int
    amount_cents: int
    precise_amount_cents: Decimal
    precise_unit_amount: Decimal
    from_datetime: datetime
    to_datetime: datetime
    pay_in_advance: bool
    event_transaction_id: str | None = None
    invoiceable: bool = True
    grouped_by: PricingGroup = UNGROUPED
