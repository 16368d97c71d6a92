"""The price of a pay-in-advance charge's units: what each event pays, and what a recurring metric's periodic
invoice bills for the units it carries into a period. Through `charge_amount`, as every fee."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.domain.aggregations.pay_in_advance import InAdvanceStep
from chalicelib.domain.pricing.charge_models import charge_amount
from chalicelib.domain.pricing.properties import ChargeProperties
from chalicelib.domain.pricing.usage import Usage

ZERO = Decimal(0)
ONE = Decimal(1)


def in_advance_price(charge_model: str, properties: ChargeProperties, units: Decimal, events_count: int) -> Decimal:
    """The charge model's amount for `units`, and nothing before the first unit: a graduated first range's flat
    amount is paid by the event that enters the range (Lago), not by a period without usage."""
    if units <= 0:
        return ZERO
    return charge_amount(charge_model, properties, Usage(units, events_count))


def in_advance_amount(charge_model: str, properties: ChargeProperties, step: InAdvanceStep,
                      proration: Decimal = ONE) -> Decimal:
    """An event's fee, unrounded: the price of the period's mark after the event less its price before, so a
    graduated range's flat amount is paid once, by the event entering the range; nothing when the mark did not
    rise. `proration` is a prorated charge's share of the period left (Lago: the days from the event's day to the
    period's end over the period's days)."""
    if step.units == 0:
        return ZERO
    after = in_advance_price(charge_model, properties, step.after.mark, step.after.events_count)
    before = in_advance_price(charge_model, properties, step.before.mark, step.before.events_count)
    return max(after - before, ZERO) * proration
