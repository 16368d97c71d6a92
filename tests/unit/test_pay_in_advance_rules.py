"""Pay-in-advance charges, pure: the running total and high-water mark per period (metered and recurring), the
unique-count add/remove state machine, what each event pays under each charge model, proration by the days left,
and the fee line an event produces. Amounts are worked by hand in each test."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import model_builders as models
import pytest

from chalicelib.domain.aggregations.pay_in_advance import InAdvanceState, advance, presence_change
from chalicelib.domain.aggregations.windows import Window, epoch_ms
from chalicelib.domain.invoices.in_advance import days_left_share, in_advance_fee
from chalicelib.domain.periods import Period
from chalicelib.domain.pricing.charge_models import parse_properties
from chalicelib.domain.pricing.in_advance import in_advance_amount

JANUARY = epoch_ms(datetime(2026, 1, 1, tzinfo=UTC))
FEBRUARY = epoch_ms(datetime(2026, 2, 1, tzinfo=UTC))
D = Decimal


def applied(deltas: list[int], period_ms: int = JANUARY, state: InAdvanceState = InAdvanceState()):
    steps = []
    for delta in deltas:
        step = advance(state, D(delta), period_ms)
        steps.append(step)
        state = step.after
    return steps


def test_a_decrease_pays_nothing_and_later_increases_only_above_the_mark():
    steps = applied([10, -4, 8])
    assert [step.units for step in steps] == [10, 0, 4]
    assert [step.after.total for step in steps] == [10, 6, 14]
    assert [step.after.events_count for step in steps] == [1, 2, 3]


def test_a_first_negative_event_leaves_the_mark_at_zero():
    assert [step.units for step in applied([-5, 3, 4])] == [0, 0, 2]


def test_a_later_period_opens_its_mark_at_the_total_carried_in():
    january = applied([10, -4])[-1].after
    first, second = applied([3, 2], FEBRUARY, january)
    # 6 carried into February (billed by its periodic invoice): +3 pays 3, then +2 pays 2.
    assert (first.before.mark, first.before.mark_period_ms, first.before.events_count) == (6, FEBRUARY, 0)
    assert (first.units, second.units, second.after.total) == (3, 2, 11)


def test_a_negative_total_carried_in_opens_the_mark_at_zero():
    step = advance(InAdvanceState(D(-3), D(0), JANUARY, 2), D(5), FEBRUARY)
    assert (step.before.mark, step.units, step.after.total) == (0, 2, 2)


def test_a_late_event_of_an_earlier_period_counts_in_the_marks_period():
    february = applied([10], FEBRUARY)[-1].after
    late = advance(february, D(4), JANUARY)
    assert (late.units, late.after.mark_period_ms, late.after.total) == (4, FEBRUARY, 14)


@pytest.mark.parametrize("active, is_add, change", [(False, True, 1), (True, True, 0), (True, False, -1),
                                                     (False, False, 0)])
def test_unique_count_add_and_remove(active, is_add, change):
    assert presence_change(active, is_add) == change


def prices(charge_model: str, properties: dict, deltas: list[int]) -> list[Decimal]:
    parsed = parse_properties(charge_model, properties)
    return [in_advance_amount(charge_model, parsed, step) for step in applied(deltas)]


def test_graduated_flat_amounts_are_paid_by_the_event_entering_their_range():
    """Lago's spec: 0-100 at 2 + 50 flat, above 100 at 1.50: 40 pays 80 + 50; 80 more (120) pays 60 x 2 + 20 x 1.5."""
    ranges = {"graduated_ranges": [
        {"from_value": 0, "to_value": 100, "per_unit_amount": "2", "flat_amount": "50"},
        {"from_value": 100, "to_value": None, "per_unit_amount": "1.50", "flat_amount": "0"}]}
    assert prices("graduated", ranges, [40, 80]) == [130, 150]


def test_package_pays_each_package_when_it_is_started():
    # Packages of 10 at 5, 0 free: 3 starts the first, 7 fills it, 1 starts the second.
    assert prices("package", {"amount": "5", "package_size": 10, "free_units": 0}, [3, 7, 1]) == [5, 0, 5]


def test_percentage_pays_its_rate_on_the_units_above_the_mark_and_the_fixed_amount_per_paying_event():
    # 1 % + 0.10: 100 -> 1 + 0.10; -50 nothing; +200 (mark 100 -> 250): 150 x 1 % + 0.10.
    assert prices("percentage", {"rate": "1", "fixed_amount": "0.10"}, [100, -50, 200]) == [D("1.10"), 0, D("1.60")]


def test_a_prorated_fee_pays_the_days_left_in_the_period():
    window = Window(JANUARY, FEBRUARY, 31, "UTC")
    # 10 to 31 January: 22 of 31 days; an event before the window counts from its first day.
    assert days_left_share(window, epoch_ms(datetime(2026, 1, 10, 12, tzinfo=UTC))) == D(22) / D(31)
    assert days_left_share(window, JANUARY - 1) == 1


def test_the_fee_line_of_an_event():
    charge = models.charge("charge", "metric", "0.125", billable_metric_code="usage", pay_in_advance=True,
                           invoiceable=False)
    step, = applied([1])
    january = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    line = in_advance_fee("sub", charge, None, step, window=january, currency="EUR", transaction_id="tx")
    # 0.125 EUR = 12.5 cents, half-up: 13; precise amount kept.
    assert (line.amount_cents, line.precise_amount_cents, line.units, line.total_aggregated_units) == (
        13, D("12.5"), 1, 1)
    assert (line.pay_in_advance, line.invoiceable, line.event_transaction_id, line.events_count) == (
        True, False, "tx", 1)
    prorated = in_advance_fee("sub", charge, None, step, window=january, currency="EUR", transaction_id="tx",
                              proration=D(22) / D(31))
    assert prorated.amount_cents == 9  # 12.5 x 22 / 31 = 8.87
