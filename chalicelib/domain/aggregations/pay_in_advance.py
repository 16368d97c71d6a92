"""Pay-in-advance charges: each event pays only for the units that take the period's total above its highest
point so far (the high-water mark), so a decrease pays nothing and a later increase pays only past the mark.
(Lago: sum, 1 EUR a unit, events 10, -4, 8 -> fees 10, 0, 4.)

The state is per charge and filter bucket: the running total (of a charges period for a metered metric; of the
whole subscription for a recurring one, whose total carries from period to period) and the mark of the period
being billed. Events are applied in the order they are processed, as Lago's jobs apply them in arrival order."""
from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from chalicelib.domain.aggregations.arithmetic import EXACT, ZERO


class InAdvanceUnits(NamedTuple):
    units: Decimal
    high_water_mark: Decimal


def units_above_high_water_mark(period_total: Decimal, high_water_mark: Decimal = ZERO) -> InAdvanceUnits:
    """The units an event that brings the period's total to `period_total` pays for, and the new mark.
    A period's mark starts at 0: nothing has been paid for yet."""
    return InAdvanceUnits(max(ZERO, EXACT.subtract(period_total, high_water_mark)), max(period_total, high_water_mark))


class InAdvanceState(NamedTuple):
    """A charge bucket's running `total`, the highest total reached (`mark`, never below 0) in the charges period
    starting at `mark_period_ms` (None before the first event), and the events applied in that period."""

    total: Decimal = ZERO
    mark: Decimal = ZERO
    mark_period_ms: int | None = None
    events_count: int = 0


class InAdvanceStep(NamedTuple):
    """One event applied: `before` is the state it starts from, already in the period it is billed in."""

    before: InAdvanceState
    after: InAdvanceState

    @property
    def units(self) -> Decimal:
        """The units the event pays for: how far it raised the period's mark."""
        return EXACT.subtract(self.after.mark, self.before.mark)


def advance(state: InAdvanceState, delta: Decimal, period_ms: int) -> InAdvanceStep:
    """Apply an event that changes the total by `delta` in the charges period starting at `period_ms`.

    A period later than the mark's opens a new mark at the total carried into it (what a recurring metric's
    periodic invoice billed for that period in full; 0 for a metered metric, whose state starts with each
    period). An event of an earlier period than the mark's (a recurring metric's late event) counts in the
    mark's period: its units are in use from now on, and only what rises above the mark is paid."""
    if state.mark_period_ms is None or period_ms > state.mark_period_ms:
        state = InAdvanceState(state.total, max(state.total, ZERO), period_ms, 0)
    total = EXACT.add(state.total, delta)
    _, mark = units_above_high_water_mark(total, state.mark)
    return InAdvanceStep(state, InAdvanceState(total, mark, state.mark_period_ms, state.events_count + 1))


def presence_change(active: bool, is_add: bool) -> int:
    """unique_count's add/remove state machine for one value: an add of an inactive value +1, a remove of an
    active one -1, anything else (a second add, a remove of an absent value) 0."""
    if is_add and not active:
        return 1
    if active and not is_add:
        return -1
    return 0
