"""Aggregations: Lago's own numbers (lago-semantics.md section 1), cases worked out by hand, and the property that
the stored incremental form, fed events in any order and any batching, gives what the naive recomputation gives."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.aggregate_keys import StoredAggregate
from chalicelib.domain.aggregations.arithmetic import ceil_quotient, round_units
from chalicelib.domain.aggregations.base import NO_USAGE, AggregationResult, accumulate
from chalicelib.domain.aggregations.events import UsageEvent
from chalicelib.domain.aggregations.pay_in_advance import units_above_high_water_mark
from chalicelib.domain.aggregations.registry import aggregation_for
from chalicelib.domain.aggregations.unique_count import Operation, UniqueCountAggregation
from chalicelib.domain.aggregations.windows import MS_PER_DAY, Window, epoch_ms

_transaction_ids = count()


def at(moment: str, timezone: str = "UTC") -> int:
    return epoch_ms(datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo(timezone)))


def event(moment: str | int, **properties) -> UsageEvent:
    timestamp_ms = moment if isinstance(moment, int) else at(moment)
    return UsageEvent(f"tx-{next(_transaction_ids):04d}", timestamp_ms, properties)


def adds(moment: str, member: str = "seat-1") -> UsageEvent:
    return event(moment, member=member)


def removes(moment: str, member: str = "seat-1") -> UsageEvent:
    return event(moment, member=member, operation_type="remove")


# The period of Lago's unique-count and prorated specs: 2022-07-09 .. 2022-08-08 (31 days), shown inclusive by
# Lago, here [07-09 00:00, 08-09 00:00).
JULY_2022 = Window(at("2022-07-09"), at("2022-08-09"), 31)
AUGUST_2023 = Window(at("2023-08-01"), at("2023-09-01"), 31)  # the weighted-sum spec's month
EARLIEST_MS = at("2000-01-01")


def incremental_result(aggregation, batches: list[list[UsageEvent]], window: Window) -> AggregationResult:
    """What the aggregator computes: each batch's events for this window folded into a state, the batches
    combined in the order given, the window opened with the result of every event before it (a previous period
    aggregated the same way). A unique count's per-value histories take every event of the subscription."""
    earlier = [item for batch in batches for item in batch if item.timestamp_ms < window.start_ms]
    before = Window(EARLIEST_MS, window.start_ms, window.charges_duration_days, window.timezone)
    previous = aggregation.result(accumulate(aggregation, earlier, before), before) if earlier else NO_USAGE
    batch_states = (accumulate(aggregation, [item for item in batch if routed_here(aggregation, item, window)], window)
                    for batch in batches)
    state = reduce(aggregation.combine, batch_states, aggregation.opening_state(previous, window))
    return aggregation.result(state, window)


def routed_here(aggregation, item: UsageEvent, window: Window) -> bool:
    return isinstance(aggregation, UniqueCountAggregation) or window.contains(item.timestamp_ms)


def aggregate(aggregation, events: list[UsageEvent], window: Window) -> AggregationResult:
    """The naive result, after checking that the incremental form agrees."""
    naive = aggregation.naive_result(events, window)
    assert incremental_result(aggregation, [events], window) == naive
    return naive


# ----------------------------------------------------------------------------------------------------------------
# Every numeric example of lago-semantics.md section 1, with its subsection.

SUM = aggregation_for("sum_agg", "amount")
RECURRING_SUM = aggregation_for("sum_agg", "amount", recurring=True)
PRORATED_SUM = aggregation_for("sum_agg", "amount", recurring=True, prorated=True)
RECURRING_UNIQUE = aggregation_for("unique_count_agg", "member", recurring=True)
PRORATED_UNIQUE = aggregation_for("unique_count_agg", "member", recurring=True, prorated=True)
WEIGHTED = aggregation_for("weighted_sum_agg", "value")
RECURRING_WEIGHTED = aggregation_for("weighted_sum_agg", "value", recurring=True)

TWO_OLD_AND_FOUR_IN_PERIOD = [event("2022-05-10T10:00", amount="2.5"), event("2022-06-30T23:59:59", amount="2.5")] + [
    event(f"2022-07-{day:02d}T12:00", amount=12) for day in (9, 15, 20, 31)]
PERSISTED = adds("2022-06-01T08:00")  # added before the period, still there when it starts
# 59400 / (31 × 86400) = 0.0221774193548387096774193548..., rounded up at 20 decimals (see the schedule below).
SPEC_WEIGHTED_UNITS = Decimal("0.02217741935483870968")
WEIGHTED_SPEC_EVENTS = [event("2023-08-01T00:00", value=2), event("2023-08-01T01:00", value=3),
                        event("2023-08-01T01:30", value=1), event("2023-08-01T02:00", value=-4),
                        event("2023-08-01T04:00", value=-2), event("2023-08-01T05:00", value=10),
                        event("2023-08-01T05:30", value=-10)]

LAGO_EXAMPLES = [
    pytest.param(RECURRING_SUM, TWO_OLD_AND_FOUR_IN_PERIOD, JULY_2022, "53", id="1.1 recurring sum: 2 x 2.5 + 4 x 12"),
    pytest.param(SUM, TWO_OLD_AND_FOUR_IN_PERIOD, JULY_2022, "48", id="1.1 the same events, metered: 4 x 12"),
    pytest.param(RECURRING_UNIQUE, [PERSISTED, adds("2022-07-15T09:00", "seat-2")], JULY_2022, "2",
                 id="1.2 unique count: persisted value + one new"),
    pytest.param(RECURRING_UNIQUE, [PERSISTED, removes("2022-07-20T10:00")], JULY_2022, "0",
                 id="1.2 unique count: persisted value removed inside the period"),
    pytest.param(RECURRING_UNIQUE, [PERSISTED, removes("2022-08-08T23:00")], JULY_2022, "0",
                 id="1.2 unique count: removed on the period's last day"),
    pytest.param(RECURRING_UNIQUE, [adds("2022-07-10T10:00"), removes("2022-07-25T10:00")], JULY_2022, "0",
                 id="1.2 unique count: added and removed within the period"),
    # 1 + 21/31: the new value is active 07-19 .. 08-08, 21 days.
    pytest.param(PRORATED_UNIQUE, [PERSISTED, adds("2022-07-19T15:00", "seat-2")], JULY_2022, "1.67742",
                 id="1.3 prorated unique count: persisted + new at 07-19"),
    # 07-09 .. 07-24, the removal day included: 16/31 = 0.516129..., rounded up.
    pytest.param(PRORATED_UNIQUE, [PERSISTED, removes("2022-07-24T10:00")], JULY_2022, "0.51613",
                 id="1.3 prorated unique count: persisted, removed 07-24 (16/31)"),
    # 07-10 .. 08-07: 29/31 = 0.935483...
    pytest.param(PRORATED_UNIQUE, [adds("2022-07-10T10:00"), removes("2022-08-07T10:00")], JULY_2022, "0.93549",
                 id="1.3 prorated unique count: added 07-10, removed 08-07 (29/31)"),
    pytest.param(PRORATED_UNIQUE, [PERSISTED, removes("2022-08-08T18:00")], JULY_2022, "1",
                 id="1.3 prorated unique count: removed on the last day (31/31)"),
    # 5 before the period counts fully; 08-03 .. 08-08 is 6 days: 5 + 144/31 = 9.645161..., rounded up.
    pytest.param(PRORATED_SUM, [event("2022-06-20T10:00", amount=5), event("2022-08-03T10:00", amount=12),
                                event("2022-08-03T11:00", amount=12)], JULY_2022, "9.64517",
                 id="1.3 prorated sum: 5 + 12*6/31 + 12*6/31"),
    pytest.param(WEIGHTED, WEIGHTED_SPEC_EVENTS, AUGUST_2023, SPEC_WEIGHTED_UNITS,
                 id="1.4 weighted sum: 2, +3, +1, -4, -2, +10, -10 over 5h30 of a 31-day month"),
    pytest.param(WEIGHTED, [event("2023-08-01T00:00", value=1000)], AUGUST_2023, "1000",
                 id="1.4 weighted sum: one event of 1000 at the period start"),
    pytest.param(WEIGHTED, [event("2023-08-01T00:00", value=3), event("2023-08-01T00:00", value=3)], AUGUST_2023, "6",
                 id="1.4 weighted sum: two events of 3 at the same instant"),
    # Lago's spec, recurring: the 1000 carried from before the period plus the schedule above.
    pytest.param(RECURRING_WEIGHTED, [event("2023-07-12T08:00", value=1000)] + WEIGHTED_SPEC_EVENTS, AUGUST_2023,
                 1000 + SPEC_WEIGHTED_UNITS, id="1.4 recurring weighted sum: initial value 1000 + the schedule"),
]


@pytest.mark.parametrize("aggregation, events, window, units", LAGO_EXAMPLES)
def test_lago_examples(aggregation, events, window, units):
    assert aggregate(aggregation, events, window).units == Decimal(units)


def test_weighted_sum_schedule_of_lagos_spec():
    """Section 1.4's 0.02218, with the timestamps of Lago's weighted_sum_service_spec (2023-08-01, UTC).

    running total  held from   to      seconds  total x seconds
    2              00:00       01:00   3600     7200
    5              01:00       01:30   1800     9000
    6              01:30       02:00   1800     10800
    2              02:00       04:00   7200     14400
    0              04:00       05:00   3600     0
    10             05:00       05:30   1800     18000
    0              05:30       09-01   ...      0
    sum 59400; / (31 days x 86400 s = 2678400) = 0.022177...; Lago shows it rounded at 5 decimals: 0.02218."""
    result = aggregate(WEIGHTED, WEIGHTED_SPEC_EVENTS, AUGUST_2023)
    assert result.units == ceil_quotient(Decimal(59400), 31 * 86400, 20) == SPEC_WEIGHTED_UNITS
    assert result.units.quantize(Decimal("0.00001"), ROUND_HALF_UP) == Decimal("0.02218")
    assert (result.events_count, result.total_aggregated_units) == (7, 0)


def test_weighted_sum_closing_totals_carry_into_the_next_period():
    same_instant = aggregate(WEIGHTED, [event("2023-08-01T00:00", value=3), event("2023-08-01T00:00", value=3)],
                             AUGUST_2023)
    assert same_instant == AggregationResult(Decimal(6), 2, Decimal(6))
    recurring = aggregate(RECURRING_WEIGHTED, [event("2023-07-12T08:00", value=1000)] + WEIGHTED_SPEC_EVENTS,
                          AUGUST_2023)
    assert (recurring.events_count, recurring.total_aggregated_units) == (7, 1000)


def test_pay_in_advance_high_water_mark():
    """Section 1.5: sum, standard 1 EUR a unit, events 10, -4, 8 -> fees 10, 0, 4."""
    fees, total, mark = [], Decimal(0), Decimal(0)
    for value in (10, -4, 8):
        total += value
        units, mark = units_above_high_water_mark(total, mark)
        fees.append(units * 1)
    assert fees == [10, 0, 4]
    assert mark == 14


# ----------------------------------------------------------------------------------------------------------------
# Worked by hand.

COUNT = aggregation_for("count_agg")
MAX = aggregation_for("max_agg", "amount")
LATEST = aggregation_for("latest_agg", "amount")
UNIQUE = aggregation_for("unique_count_agg", "member")


def test_window_edges_an_event_at_the_start_is_in_one_at_the_next_start_is_out():
    events = [event(JULY_2022.start_ms - 1), event(JULY_2022.start_ms), event(JULY_2022.end_ms - 1),
              event(JULY_2022.end_ms)]
    assert aggregate(COUNT, events, JULY_2022) == AggregationResult(Decimal(2), 2, Decimal(2))
    with pytest.raises(ValueError):
        COUNT.contribution(events[-1], JULY_2022)


def test_count_counts_every_event_whatever_its_properties():
    events = [event("2022-07-10"), event("2022-07-11", amount="abc"), event("2022-07-12", amount=3)]
    assert aggregate(COUNT, events, JULY_2022).units == 3


MIXED_AMOUNTS = [event("2022-07-10", amount=10), event("2022-07-11", amount="2.5"), event("2022-07-12", amount=-20),
                 event("2022-07-13", amount="abc"), event("2022-07-14"), event("2022-07-15", amount=True),
                 event("2022-07-16", amount="1e3"), event("2022-07-17", amount=" 4"), event("2022-07-18", amount=None),
                 event("2022-07-19", amount="1."), event("2022-07-20", amount=".5"), event("2022-07-21", amount=1.5)]


def test_sum_leaves_out_missing_and_non_numeric_properties_and_may_be_negative():
    # 10 + 2.5 - 20; "abc", missing, true, "1e3", " 4", null, "1." and ".5" are not numbers to Lago's pattern, and a
    # float is never read: none of them is in events_count.
    assert aggregate(SUM, MIXED_AMOUNTS, JULY_2022) == AggregationResult(Decimal("-7.5"), 3, Decimal("-7.5"))


def test_max_keeps_a_negative_maximum_and_is_0_without_events():
    assert aggregate(MAX, MIXED_AMOUNTS, JULY_2022).units == 10
    assert aggregate(MAX, [event("2022-07-10", amount=-3), event("2022-07-11", amount="-1")], JULY_2022).units == -1
    assert aggregate(MAX, [event("2022-07-10", amount="abc")], JULY_2022) == NO_USAGE


def test_latest_is_the_last_numeric_value_clamped_at_0():
    assert aggregate(LATEST, MIXED_AMOUNTS, JULY_2022) == AggregationResult(Decimal(0), 3, Decimal(0))  # -20 -> 0
    events = [event("2022-07-12", amount=7), event("2022-07-10", amount=9), event("2022-07-13", amount="n/a")]
    assert aggregate(LATEST, events, JULY_2022).units == 7
    assert aggregate(LATEST, [], JULY_2022).units == 0


def test_latest_breaks_a_timestamp_tie_by_the_greater_transaction_id():
    moment = at("2022-07-20T10:00")
    events = [UsageEvent("b", moment, {"amount": 2}), UsageEvent("c", moment, {"amount": 3}),
              UsageEvent("a", moment, {"amount": 1})]
    assert aggregate(LATEST, events, JULY_2022).units == 3


def test_unique_count_state_machine():
    events = [adds("2022-07-10", "a"), adds("2022-07-11", "a"),  # a duplicate add changes nothing
              removes("2022-07-12", "ghost"),  # removing an absent value changes nothing
              event("2022-07-13", member=1), event("2022-07-14", member="1"),  # 1 and "1" are one value
              adds("2022-07-15", "b"), event("2022-07-16", member="b", operation_type="unsubscribe"),  # not "add"
              event("2022-07-17")]  # no value: left out
    assert aggregate(UNIQUE, events, JULY_2022) == AggregationResult(Decimal(2), 2, Decimal(2))


def test_metered_unique_count_ignores_what_happened_before_the_window():
    events = [PERSISTED, removes("2022-07-20T10:00"), adds("2022-07-21T10:00", "seat-2")]
    assert aggregate(UNIQUE, events, JULY_2022).units == 1
    assert aggregate(RECURRING_UNIQUE, events, JULY_2022).units == 1


def test_prorated_unique_count_collapses_same_day_operations():
    events = [adds("2022-07-10T08:00"), removes("2022-07-10T09:00"), adds("2022-07-10T10:00"),
              removes("2022-07-10T11:00"),  # one day, however often
              adds("2022-07-20T08:00", "b"), removes("2022-07-22T08:00", "b"), adds("2022-07-22T20:00", "b"),
              removes("2022-07-25T08:00", "b")]  # 07-20 .. 07-25 without a gap: 6 days
    result = aggregate(PRORATED_UNIQUE, events, JULY_2022)
    assert result.units == ceil_quotient(Decimal(7), 31, 5) == Decimal("0.22581")
    assert (result.events_count, result.total_aggregated_units) == (0, 0)


def test_prorated_days_are_the_customers_calendar_days():
    # 2022-07-19T02:00Z is still 07-18 in Los Angeles (UTC-7): active 07-18 .. 08-08 local, 22 days.
    los_angeles = Window(at("2022-07-09", "America/Los_Angeles"), at("2022-08-09", "America/Los_Angeles"), 31,
                         "America/Los_Angeles")
    result = aggregate(PRORATED_UNIQUE, [adds("2022-07-19T02:00")], los_angeles)
    assert result.units == ceil_quotient(Decimal(22), 31, 5)


def test_prorated_days_are_calendar_days_not_elapsed_days():
    # A first period whose charges start at the subscription instant, 2023-03-05 15:20 in New York: an amount
    # added the next morning counts for 03-06 .. 03-31, 26 days (less than one day has elapsed since the start).
    new_york = Window(at("2023-03-05T15:20", "America/New_York"), at("2023-04-01", "America/New_York"), 31,
                      "America/New_York")
    amount = UsageEvent("morning", at("2023-03-06T09:00", "America/New_York"), {"amount": 31})
    assert aggregate(PRORATED_SUM, [amount], new_york).units == 26
    # Paris, 30 October 2022 lasts 25 hours: at 23:30 that day, 30 days have elapsed since 10-01 00:00, but it is
    # still the 30th, so the value is active on the 30th and the 31st.
    paris = Window(at("2022-10-01", "Europe/Paris"), at("2022-11-01", "Europe/Paris"), 31, "Europe/Paris")
    late_add = UsageEvent("late", at("2022-10-30T23:30", "Europe/Paris"), {"member": "seat-1"})
    assert aggregate(PRORATED_UNIQUE, [late_add], paris).units == ceil_quotient(Decimal(2), 31, 5)


def test_a_window_shorter_than_its_period_keeps_the_full_period_as_divisor():
    # Subscription started 2023-08-16 00:00; a value of 31 held from then to the end: 31 x 16 days / 31 days.
    second_half = Window(at("2023-08-16"), AUGUST_2023.end_ms, 31)
    assert aggregate(WEIGHTED, [event("2023-08-16T00:00", value=31)], second_half).units == 16
    # Prorated sum: an amount from before a shortened window counts for its days only (16/31 of 31).
    assert aggregate(PRORATED_SUM, [event("2023-08-01T10:00", amount=31)], second_half).units == 16


def test_recurring_sum_counts_every_event_up_to_the_window_end():
    result = aggregate(RECURRING_SUM, TWO_OLD_AND_FOUR_IN_PERIOD, JULY_2022)
    assert (result.events_count, result.total_aggregated_units) == (6, 53)


def test_registry_refuses_what_lago_refuses():
    with pytest.raises(ValueError):
        aggregation_for("custom_agg", "x")
    for aggregation_type in ("count_agg", "max_agg", "latest_agg"):
        with pytest.raises(ValueError):
            aggregation_for(aggregation_type, "x", recurring=True)
    with pytest.raises(ValueError):
        aggregation_for("sum_agg", "x", prorated=True)
    with pytest.raises(ValueError):
        aggregation_for("weighted_sum_agg", "x", recurring=True, prorated=True)


@pytest.mark.parametrize("units, function, precision, rounded", [
    ("123.456", "round", 2, "123.46"), ("123.456", "ceil", 2, "123.46"), ("123.456", "floor", 2, "123.45"),
    ("123.456", "round", None, "123"), ("123.456", "round", -1, "120"), ("2.5", "round", 0, "3"),
    ("-2.5", "round", 0, "-3"), ("-123.456", "ceil", 2, "-123.45"), ("-123.456", "floor", 1, "-123.5"),
    ("123.456", None, 2, "123.456"), ("0.0000001", "ceil", 5, "0.00001"),
])
def test_metric_rounding(units, function, precision, rounded):
    """Ruby's BigDecimal round (half away from zero), ceil and floor at the metric's precision."""
    assert round_units(Decimal(units), function, precision) == Decimal(rounded)


def test_a_naive_datetime_names_no_instant():
    with pytest.raises(ValueError):
        epoch_ms(datetime(2022, 7, 9))


# ----------------------------------------------------------------------------------------------------------------
# Properties: the stored form, fed the events in any order and any batching, equals the naive recomputation.

def local_midnight(window: Window, day: int) -> int:
    """The instant the customer's calendar day `day` (0: the window's first) begins."""
    zone = ZoneInfo(window.timezone)
    first_day = datetime.fromtimestamp(window.start_ms // 1000, zone).date()
    return epoch_ms(datetime.combine(first_day + timedelta(days=day), time(), zone))


PROPERTY_WINDOWS = [
    JULY_2022,
    # Paris, October 2022: the clocks go back on the 30th (a 25-hour day).
    Window(at("2022-10-01", "Europe/Paris"), at("2022-11-01", "Europe/Paris"), 31, "Europe/Paris"),
    # New York: a first period whose charges start at the exact subscription instant, mid-day on 5 March 2023;
    # the clocks go forward on the 12th; the full period (March) has 31 days.
    Window(at("2023-03-05T15:20:00.500", "America/New_York"), at("2023-04-01", "America/New_York"), 31,
           "America/New_York"),
    # Kolkata (UTC+05:30), a weekly period.
    Window(at("2024-02-26", "Asia/Kolkata"), at("2024-03-04", "Asia/Kolkata"), 7, "Asia/Kolkata"),
]


def instants(window: Window):
    """Timestamps on and next to the window's edges and the customer's midnights, or anywhere near the window."""
    boundaries = [window.start_ms, window.end_ms] + [local_midnight(window, day) for day in (-1, 1, 2, window.days - 1)]
    edges = sorted({moment + shift for moment in boundaries for shift in (-1, 0, 1)})
    return st.one_of(st.sampled_from(edges),
                     st.integers(window.start_ms - 3 * MS_PER_DAY, window.end_ms + 3 * MS_PER_DAY))


amounts = st.one_of(st.decimals(min_value=-1000, max_value=1000, places=3), st.integers(-1000, 1000),
                    st.sampled_from(["12.5", "-3", "007", "1e3", "", "abc", " 4", True, None, [1]]))
event_properties = st.fixed_dictionaries({}, optional={
    "amount": amounts,
    "member": st.sampled_from(["a", "b", "c", 1, "1", True, None]),
    "operation_type": st.sampled_from(["add", "remove", "unsubscribe", None]),
})


@st.composite
def deliveries(draw):
    """A window, its subscription's events, and the same events as the stream may deliver them: in any order,
    cut into batches that are applied in any order."""
    window = draw(st.sampled_from(PROPERTY_WINDOWS))
    transaction_ids = draw(st.lists(st.text("abc012", min_size=1, max_size=3), max_size=20, unique=True))
    events = [UsageEvent(transaction_id, draw(instants(window)), draw(event_properties))
              for transaction_id in transaction_ids]
    arrival = draw(st.permutations(events))
    cuts = sorted(draw(st.lists(st.integers(0, len(events)), max_size=4)))
    batches = [arrival[start:end] for start, end in zip([0] + cuts, cuts + [len(events)])]
    return window, events, draw(st.permutations(batches))


PROPERTY_AGGREGATIONS = {
    "count": aggregation_for("count_agg"),
    "sum": aggregation_for("sum_agg", "amount"),
    "recurring sum": aggregation_for("sum_agg", "amount", recurring=True),
    "prorated sum": aggregation_for("sum_agg", "amount", recurring=True, prorated=True),
    "max": aggregation_for("max_agg", "amount"),
    "latest": aggregation_for("latest_agg", "amount"),
    "unique count": aggregation_for("unique_count_agg", "member"),
    "recurring unique count": aggregation_for("unique_count_agg", "member", recurring=True),
    "prorated unique count": aggregation_for("unique_count_agg", "member", recurring=True, prorated=True),
    "weighted sum": aggregation_for("weighted_sum_agg", "amount"),
    "recurring weighted sum": aggregation_for("weighted_sum_agg", "amount", recurring=True),
}


@pytest.mark.parametrize("aggregation", PROPERTY_AGGREGATIONS.values(), ids=PROPERTY_AGGREGATIONS.keys())
@given(delivery=deliveries())
def test_incremental_form_in_any_order_and_batching_equals_the_naive_result(aggregation, delivery):
    window, events, batches = delivery
    assert incremental_result(aggregation, batches, window) == aggregation.naive_result(events, window)


@pytest.mark.parametrize("aggregation", PROPERTY_AGGREGATIONS.values(), ids=PROPERTY_AGGREGATIONS.keys())
@given(delivery=deliveries())
def test_combine_is_commutative_and_associative(aggregation, delivery):
    window, _, batches = delivery
    first, second, third = ([accumulate(aggregation, [item for item in batch if routed_here(aggregation, item, window)],
                                        window) for batch in batches] + [aggregation.empty] * 3)[:3]
    combine = aggregation.combine
    assert combine(first, second) == combine(second, first)
    assert combine(combine(first, second), third) == combine(first, combine(second, third))


def lago_points_integral(events: list[UsageEvent], window: Window, initial: Decimal) -> Decimal:
    """Section 1.4 literally: points (start, initial), the events by timestamp, (end, 0); running total x time to
    the next point, summed (milliseconds: the same ratio as Lago's seconds)."""
    points = [(window.start_ms, initial)] + sorted(
        (item.timestamp_ms, Decimal(item.properties["amount"])) for item in events) + [(window.end_ms, Decimal(0))]
    running, integral = Decimal(0), Decimal(0)
    for (moment, delta), (next_moment, _) in zip(points, points[1:]):
        running += delta
        integral += running * (next_moment - moment)
    return integral


@given(window=st.sampled_from(PROPERTY_WINDOWS), initial=st.integers(-50, 50), data=st.data())
def test_weighted_sum_equals_the_time_weighted_integral(window, initial, data):
    moments = data.draw(st.lists(instants(window).filter(window.contains), max_size=15))
    events = [UsageEvent(f"t{index}", moment, {"amount": data.draw(st.integers(-1000, 1000))})
              for index, moment in enumerate(moments)]
    previous = AggregationResult(Decimal(0), 0, Decimal(initial))
    aggregation = PROPERTY_AGGREGATIONS["recurring weighted sum"]
    state = aggregation.combine(aggregation.opening_state(previous, window), accumulate(aggregation, events, window))
    expected = ceil_quotient(lago_points_integral(events, window, Decimal(initial)),
                             window.charges_duration_days * MS_PER_DAY, 20)
    assert aggregation.result(state, window).units == expected


def test_a_unique_count_bucket_read_as_its_values_counts_one_event_per_operation():
    # "a" added then removed (2 operations), "b" added once: 3 events applied to the bucket.
    histories = {"a": frozenset({Operation(1_000, "tx-1", True), Operation(2_000, "tx-2", False)}),
                 "b": frozenset({Operation(1_500, "tx-3", True)})}
    stored = StoredAggregate.of_values(histories)
    assert (stored.state, stored.events_count, stored.window_start_ms, stored.period_end_ms) == (histories, 3, None,
                                                                                                 None)
