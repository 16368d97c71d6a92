"""The stored form of weighted_sum and prorated sum: Σ value and Σ value × offset from the window start.

Both weigh each value by how much of the window is left after it: Σ value × (span − offset) =
total × span − moment. Keeping the offset from the START (not the time left to the end, as the architecture
first wrote it) makes each contribution independent of where the window ends, which moves when a subscription
is terminated; both sums are plain additions (DynamoDB ADD)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.aggregations.arithmetic import EXACT, ZERO


@dataclass(frozen=True)
class Moments:
    total: Decimal = ZERO
    moment: Decimal = ZERO
    events_count: int = 0

    @classmethod
    def of(cls, value: Decimal, offset: int) -> "Moments":
        return cls(value, EXACT.multiply(value, Decimal(offset)), 1)

    def __add__(self, other: "Moments") -> "Moments":
        return Moments(EXACT.add(self.total, other.total), EXACT.add(self.moment, other.moment),
                       self.events_count + other.events_count)

    def weighted_total(self, span: int) -> Decimal:
        """Σ value × (span − offset): each value counted for the part of the window from its offset to the end."""
        return EXACT.subtract(EXACT.multiply(self.total, Decimal(span)), self.moment)
