"""What a run is judged on, read through the public API after it: the events the service counts against the events
it accepted (each event's value a distinct power of two, so that a loss and a duplicate never cancel out in the
units), the invoices it issued against those due, their numbers, and the webhooks the endpoint received."""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, fields
from decimal import Decimal


@dataclass
class Counts:
    events_accepted: int = 0
    events_counted: int = 0
    events_lost: int = 0
    events_duplicated: int = 0
    invoices_expected: int = 0
    invoices_issued: int = 0
    invoices_duplicated: int = 0
    invoice_number_gaps: int = 0
    webhooks_expected: int = 0
    webhooks_delivered: int = 0
    webhooks_resent: int = 0  # received again under the same X-Lago-Unique-Key: the at-least-once promise
    webhooks_altered: int = 0  # received again with another body: never allowed

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{name.name: getattr(self, name.name) + getattr(other, name.name) for name in fields(self)})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def failures(self) -> list[str]:
        """What breaks the service's promises, in words; empty when the run holds."""
        found = [f"{value} {name.replace('_', ' ')}" for name, value in (
            ("events_lost", self.events_lost), ("events_duplicated", self.events_duplicated),
            ("invoices_duplicated", self.invoices_duplicated), ("invoice_number_gaps", self.invoice_number_gaps),
            ("webhooks_altered", self.webhooks_altered)) if value]
        if self.invoices_issued < self.invoices_expected:
            found.append(f"{self.invoices_expected - self.invoices_issued} invoices missing")
        if self.webhooks_delivered < self.webhooks_expected:
            found.append(f"{self.webhooks_expected - self.webhooks_delivered} webhooks not delivered")
        return found


def events_tally(accepted: list[int], counted_events: int, counted_units: Decimal) -> Counts:
    """Accepted values against the events and units the service counts. A count off by k is k lost or duplicated;
    the right count with the wrong units is one event lost and another counted twice."""
    lost, duplicated = max(0, len(accepted) - counted_events), max(0, counted_events - len(accepted))
    if not lost and not duplicated and counted_units != sum(accepted):
        lost = duplicated = 1
    return Counts(events_accepted=len(accepted), events_counted=counted_events, events_lost=lost,
                  events_duplicated=duplicated)


def finalized(invoices: list[dict]) -> list[dict]:
    return [invoice for invoice in invoices if invoice["status"] == "finalized"]


def _billed_key(invoice: dict) -> tuple:
    """What an invoice bills: its subscriptions' periods and reasons, and the events a pay-in-advance fee is for."""
    periods = sorted((period["lago_subscription_id"], period["invoicing_reason"], period["subscription_from_datetime"],
                      period["charges_from_datetime"] or "") for period in invoice["billing_periods"])
    in_advance = sorted(fee["event_transaction_id"] for fee in invoice["fees"] if fee["event_transaction_id"])
    return tuple(periods), tuple(in_advance)


def invoices_tally(invoices: list[dict], expected: int) -> Counts:
    """Finalized invoices: one per thing billed, numbered 1, 2, 3... per customer with no gap and no repeat."""
    issued = finalized(invoices)
    duplicated = len(issued) - len({_billed_key(invoice) for invoice in issued})
    numbers: dict[str, list[int]] = {}
    for invoice in issued:
        numbers.setdefault(invoice["customer"]["external_id"], []).append(invoice["sequential_id"])
    gaps = sum(len(set(range(1, max(taken) + 1)) ^ set(taken)) + len(taken) - len(set(taken))
               for taken in numbers.values())
    return Counts(invoices_expected=expected, invoices_issued=len(issued), invoices_duplicated=duplicated,
                  invoice_number_gaps=gaps)


def webhooks_tally(expected_ids: set[str], received: list[tuple[str, bytes]]) -> Counts:
    """Every webhook of the outbox received, each unique key always with the same body."""
    times = Counter(key for key, _ in received)
    bodies = {key: {body for other, body in received if other == key} for key in times}
    return Counts(webhooks_expected=len(expected_ids), webhooks_delivered=len(expected_ids & set(times)),
                  webhooks_resent=sum(count - 1 for count in times.values()),
                  webhooks_altered=sum(len(variants) - 1 for variants in bodies.values()))
