"""The per-event state a percentage charge with free allowances or per-transaction bounds is priced from, kept by
the stream aggregator beside the charge's aggregate so that pricing never reads the period's events.

Stored form (one item per filter bucket and period): the first events the allowance reads
(`percentage.leading_events_read`: the first N, or those up to the one crossing T), each as (timestamp,
transaction_id, value); under per-transaction bounds, the sum of every event's `transaction_amount`; the
properties it was built for (a fingerprint); and the number of events seen. Combining two states merges their
leading events in (timestamp, transaction_id) order and cuts them again: the first events of a union are among
the first events of its parts (values of a total allowance being non-negative), so any order of arrival gives
the same state. A state that cannot answer is kept as `complete=False` and pricing reads the period's events
instead: built for other properties (the plan's charge was edited mid-period), a refund among a total
allowance's leading events (`percentage.reads_later_events`), or more leading events than one item holds."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import ClassVar

from chalicelib.domain.aggregations.events import UsageEvent, numeric_property
from chalicelib.domain.aggregations.windows import Window
from chalicelib.domain.money import MONEY
from chalicelib.domain.pricing.percentage import (
    PercentageProperties,
    has_transaction_bounds,
    leading_events_read,
    reads_later_events,
    transaction_amount,
)

# At most this many leading events in one item (a transaction_id is up to 255 characters, and a DynamoDB item
# holds 400 KB): beyond it, the state is incomplete and pricing reads the events.
LEADING_EVENTS_LIMIT = 250


@dataclass(frozen=True)
class Transaction:
    timestamp_ms: int
    transaction_id: str
    value: Decimal

    def ordering_key(self) -> tuple[int, str]:
        return (self.timestamp_ms, self.transaction_id)


@dataclass(frozen=True)
class Transactions:
    """See the module docstring. `events_count` counts every event routed to it, numeric or not, so a bucket whose
    charge had events always has one (an aggregate without it predates it, and pricing reads the events)."""

    events_count: int = 0
    fingerprint: str = ""
    leading: tuple[Transaction, ...] = ()
    transactions_total: Decimal = Decimal(0)
    complete: bool = True


@dataclass(frozen=True)
class TransactionValues:
    """What percentage pricing reads of a bucket's events: the leading values in order, and the per-transaction
    amount of the events after them (0 without bounds, or when `values` holds every event's value)."""

    values: tuple[Decimal, ...] = ()
    later_amount: Decimal = Decimal(0)


def properties_fingerprint(properties: PercentageProperties) -> str:
    canonical = json.dumps(properties.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _incomplete(events_count: int) -> Transactions:
    return Transactions(events_count, complete=False)


@dataclass(frozen=True)
class TransactionsAggregation:
    """Keeps `Transactions` for one bucket priced with `properties`; `combine` is commutative and associative."""

    field_name: str | None
    properties: PercentageProperties
    empty: ClassVar[Transactions] = Transactions()

    def contribution(self, event: UsageEvent, window: Window) -> Transactions:
        window.require(event.timestamp_ms)
        fingerprint = properties_fingerprint(self.properties)
        value = numeric_property(event, self.field_name)
        if value is None:
            return Transactions(1, fingerprint)
        total = Decimal(0)
        if has_transaction_bounds(self.properties):
            with localcontext(MONEY):
                total = transaction_amount(self.properties, value)
        return self._cut(Transactions(1, fingerprint, (Transaction(event.timestamp_ms, event.transaction_id, value),),
                                      total))

    def combine(self, first: Transactions, second: Transactions) -> Transactions:
        if first == self.empty or second == self.empty:
            return second if first == self.empty else first
        count = first.events_count + second.events_count
        if not (first.complete and second.complete) or first.fingerprint != second.fingerprint:
            return _incomplete(count)
        leading = tuple(sorted(first.leading + second.leading, key=Transaction.ordering_key))
        with localcontext(MONEY):
            total = first.transactions_total + second.transactions_total
        return self._cut(Transactions(count, first.fingerprint, leading, total))

    def _cut(self, state: Transactions) -> Transactions:
        values = [transaction.value for transaction in state.leading]
        kept = state.leading[:leading_events_read(self.properties, values)]
        if len(kept) > LEADING_EVENTS_LIMIT or reads_later_events(self.properties, values[:len(kept)]):
            return _incomplete(state.events_count)
        return Transactions(state.events_count, state.fingerprint, kept, state.transactions_total)


def transaction_values(state: Transactions, properties: PercentageProperties) -> TransactionValues | None:
    """What pricing reads from a stored state, or None when it cannot answer for `properties` (pricing then reads
    the events)."""
    if state == Transactions():
        return TransactionValues()
    if not state.complete or state.fingerprint != properties_fingerprint(properties):
        return None
    values = tuple(transaction.value for transaction in state.leading)
    if not has_transaction_bounds(properties):
        return TransactionValues(values)
    with localcontext(MONEY):
        later = state.transactions_total - sum((transaction_amount(properties, value) for value in values),
                                               Decimal(0))
    return TransactionValues(values, later)
