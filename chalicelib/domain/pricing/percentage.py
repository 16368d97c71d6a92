"""Percentage: a `rate` (in percent) of the units beyond the free allowance, plus a fixed amount per paying event."""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import accumulate, islice
from typing import Self

from pydantic import model_validator

from chalicelib.domain.pricing.properties import ChargeProperties, DecimalAmount, PositiveCount, invalid
from chalicelib.domain.pricing.usage import Usage


class PercentageProperties(ChargeProperties):
    rate: DecimalAmount
    fixed_amount: DecimalAmount | None = None
    free_units_per_events: PositiveCount | None = None
    free_units_per_total_aggregation: DecimalAmount | None = None
    per_transaction_min_amount: DecimalAmount | None = None
    per_transaction_max_amount: DecimalAmount | None = None

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Self:
        low, high = self.per_transaction_min_amount, self.per_transaction_max_amount
        if low is not None and high is not None and low > high:
            raise invalid("per_transaction_max_lower_than_per_transaction_min", field="per_transaction_max_amount")
        return self


def _free_running_totals(properties: PercentageProperties, event_values: tuple[Decimal, ...]) -> list[Decimal]:
    # The free allowance is read from the cumulative totals of the first N events, else of the events up
    # to the one whose total first exceeds T (that one included).
    totals = accumulate(event_values)
    if properties.free_units_per_events:
        return list(islice(totals, properties.free_units_per_events))
    free_total = properties.free_units_per_total_aggregation
    if not free_total:
        return []
    taken = []
    for total in totals:
        taken.append(total)
        if total > free_total:
            break
    return taken


def _free_units_and_events(properties: PercentageProperties, event_values: tuple[Decimal, ...]) -> tuple[Decimal, int]:
    running_totals = _free_running_totals(properties, event_values)
    if not running_totals:
        return Decimal(0), 0
    free_total = properties.free_units_per_total_aggregation
    free_units = min(running_totals[-1], free_total) if free_total else running_totals[-1]
    allowances = [properties.free_units_per_events] if properties.free_units_per_events else []
    if free_total:
        allowances.append(sum(1 for total in running_totals if total < free_total))
    # Negative event values (refunds) never make the allowance cost money.
    return max(free_units, Decimal(0)), min(allowances)


def transaction_amount(properties: PercentageProperties, value: Decimal) -> Decimal:
    """What one paying event costs under per-transaction bounds: value × rate / 100 + fixed_amount, brought
    within [min, max]."""
    amount = value * properties.rate / 100 + (properties.fixed_amount or Decimal(0))
    low, high = properties.per_transaction_min_amount, properties.per_transaction_max_amount
    if low is not None:
        amount = max(amount, low)
    if high is not None:
        amount = min(amount, high)
    return amount


def has_transaction_bounds(properties: PercentageProperties) -> bool:
    return properties.per_transaction_min_amount is not None or properties.per_transaction_max_amount is not None


def _per_transaction_amount(properties: PercentageProperties, event_values: tuple[Decimal, ...]) -> Decimal:
    """Lago's per-transaction pricing (when a min or max is set): with T, the first T units of value are free
    and the event crossing T pays for the rest of its value; else the first N events are free. Each paying
    event costs its `transaction_amount`."""
    free_total = properties.free_units_per_total_aggregation
    free_events = 0 if free_total else (properties.free_units_per_events or 0)
    free_left = free_total or Decimal(0)
    amount = Decimal(0)
    for index, value in enumerate(event_values):
        if index < free_events:
            continue
        if free_left and free_left > value:
            free_left -= value
            continue
        value, free_left = value - free_left, Decimal(0)
        amount += transaction_amount(properties, value)
    return amount


def _reads_first_events(properties: PercentageProperties) -> bool:
    """Whether the allowance is read from the first N events (else from a total T, or there is none)."""
    return bool(properties.free_units_per_events) and not (properties.free_units_per_total_aggregation
                                                          and has_transaction_bounds(properties))


def leading_events_read(properties: PercentageProperties, event_values: Sequence[Decimal]) -> int:
    """How many of the first events (their values in order) the free allowance reads one by one: the first N
    (running totals, unless per-transaction bounds consume a total T instead), else those up to the one whose
    running total first exceeds T; none without an allowance. Every later event only adds to the units, the
    events count and, under per-transaction bounds, its own `transaction_amount` in full."""
    if properties.free_units_per_events and _reads_first_events(properties):
        return min(properties.free_units_per_events, len(event_values))
    free_total = properties.free_units_per_total_aggregation
    if not free_total:
        return 0
    for index, total in enumerate(accumulate(event_values)):
        if total > free_total:
            return index + 1
    return len(event_values)


def reads_later_events(properties: PercentageProperties, leading_values: Sequence[Decimal]) -> bool:
    """Whether events beyond `leading_events_read` may still matter: under a total allowance T, a negative value
    (a refund) among the leading ones lowers the running totals, so a later event may come to fall within T."""
    return (bool(properties.free_units_per_total_aggregation) and not _reads_first_events(properties)
            and any(value < 0 for value in leading_values))


def percentage_amount(properties: PercentageProperties, usage: Usage) -> Decimal:
    if has_transaction_bounds(properties):
        return _per_transaction_amount(properties, usage.event_values) + usage.later_transactions_amount
    if usage.units == 0:
        return Decimal(0)
    free_units, free_events = _free_units_and_events(properties, usage.event_values)
    rate_part = Decimal(0) if free_units > usage.units else (usage.units - free_units) * properties.rate / 100
    paying_events = usage.events_count - free_events
    fixed_part = (paying_events * properties.fixed_amount if properties.fixed_amount and paying_events > 0
                  else Decimal(0))
    return rate_part + fixed_part
