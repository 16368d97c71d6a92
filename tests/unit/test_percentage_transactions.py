"""The per-event state of a percentage charge with free allowances or per-transaction bounds (`Transactions`):
hand-worked cases, and a property that pricing from it equals pricing from every event's value, whatever the
order and grouping in which the aggregator applied the events."""
from __future__ import annotations

from decimal import Decimal
from functools import reduce

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.aggregations.events import UsageEvent
from chalicelib.domain.aggregations.windows import Window
from chalicelib.domain.pricing.charge_models import charge_amount
from chalicelib.domain.pricing.percentage import PercentageProperties
from chalicelib.domain.pricing.transactions import (
    LEADING_EVENTS_LIMIT,
    Transactions,
    TransactionsAggregation,
    TransactionValues,
    transaction_values,
)
from chalicelib.domain.pricing.usage import Usage

WINDOW = Window(0, 10**9, 31, "UTC")


def properties(**fields) -> PercentageProperties:
    return PercentageProperties.parse(fields)


def state_of(prices: PercentageProperties, events: list[tuple[int, str, object]]) -> Transactions:
    """The state the aggregator keeps after applying `events` (timestamp_ms, transaction_id, amount) one by one."""
    aggregation = TransactionsAggregation("amount", prices)
    return reduce(aggregation.combine, (aggregation.contribution(UsageEvent(tx, ms, {"amount": amount}), WINDOW)
                                        for ms, tx, amount in events), aggregation.empty)


def priced(prices: PercentageProperties, state: Transactions, units: Decimal, count: int) -> Decimal:
    read = transaction_values(state, prices)
    return charge_amount("percentage", prices, Usage(units, count, read.values,
                                                     later_transactions_amount=read.later_amount))


def test_the_first_three_events_are_kept_whatever_the_arrival_order():
    """Lago's current-usage spec: rate 1 %, 5 EUR a transaction, the first 3 events free; four events of 10.
    Free units: the first 3 events' total, 30; (40 - 30) x 1 % = 0.10, plus (4 - 3) x 5 = 5 -> 5.10 EUR."""
    prices = properties(rate="1", fixed_amount="5", free_units_per_events=3)
    state = state_of(prices, [(4, "d", 10), (1, "a", 10), (3, "c", 10), (2, "b", 10)])
    assert [transaction.transaction_id for transaction in state.leading] == ["a", "b", "c"]
    assert transaction_values(state, prices) == TransactionValues((Decimal(10),) * 3)
    assert priced(prices, state, Decimal(40), 4) == Decimal("5.10")


def test_a_total_allowance_keeps_the_events_up_to_the_one_crossing_it():
    """T = 100: by time 60, 70, 30; the running totals 60, 130 cross 100 at the second event, so the third is not
    kept. rate 1 %: free units 100, (160 - 100) x 1 % = 0.60; free events: one total (60) below 100, fixed 2 on
    the other 2 -> 4.60 EUR."""
    prices = properties(rate="1", fixed_amount="2", free_units_per_total_aggregation="100")
    state = state_of(prices, [(3, "c", 30), (1, "a", 60), (2, "b", 70)])
    assert transaction_values(state, prices) == TransactionValues((Decimal(60), Decimal(70)))
    assert priced(prices, state, Decimal(160), 3) == Decimal("4.60")


def test_per_transaction_bounds_keep_the_later_events_amount():
    """rate 2 %, 0.50 a transaction, the first 100 of value free, each transaction between 1 and 5. By time:
    60 (free, 40 left), 70 (pays on 30: 0.60 + 0.50 = 1.10), 30 (1.10), 500 (10.50 capped at 5), 10 (0.70 raised
    to 1): 8.20 EUR, whichever order they arrive in."""
    prices = properties(rate="2", fixed_amount="0.5", free_units_per_total_aggregation="100",
                        per_transaction_min_amount="1", per_transaction_max_amount="5")
    events = [(4, "d", 500), (2, "b", 70), (5, "e", 10), (1, "a", 60), (3, "c", 30)]
    state = state_of(prices, events)
    # Kept: 60 and 70 (the total crosses 100 there); every event's bounded amount: 1.70 + 1.90 + 1.10 + 5 + 1.
    assert transaction_values(state, prices) == TransactionValues((Decimal(60), Decimal(70)),
                                                                  Decimal("10.70") - Decimal("1.70") - Decimal("1.90"))
    assert priced(prices, state, Decimal(670), 5) == Decimal("8.20")
    assert priced(prices, state_of(prices, events[:1] + events[2:3]), Decimal(510), 2) == Decimal(6)  # 500, 10: 5 + 1


def test_a_refund_within_a_total_allowance_makes_the_state_read_the_events():
    """T = 100 and a -20 refund among the first events: a later event may come to fall within T again."""
    prices = properties(rate="1", free_units_per_total_aggregation="100")
    state = state_of(prices, [(1, "a", 60), (2, "b", -20), (3, "c", 70)])
    assert (state.complete, state.events_count, transaction_values(state, prices)) == (False, 3, None)


def test_a_state_built_for_other_properties_does_not_answer():
    """The plan's charge edited mid-period: what was kept for rate 2 % cannot price rate 4 %."""
    kept = state_of(properties(rate="2", per_transaction_max_amount="5"), [(1, "a", 60)])
    assert transaction_values(kept, properties(rate="4", per_transaction_max_amount="5")) is None
    mixed = TransactionsAggregation("amount", properties(rate="4", per_transaction_max_amount="5")).combine(
        kept, state_of(properties(rate="4", per_transaction_max_amount="5"), [(2, "b", 10)]))
    assert (mixed.complete, mixed.events_count) == (False, 2)


def test_more_leading_events_than_one_item_holds_make_the_state_read_the_events():
    prices = properties(rate="1", free_units_per_events=LEADING_EVENTS_LIMIT + 1)
    state = state_of(prices, [(n, f"t{n:04d}", 1) for n in range(LEADING_EVENTS_LIMIT + 1)])
    assert (state.complete, transaction_values(state, prices)) == (False, None)
    assert state_of(prices, [(n, f"t{n:04d}", 1) for n in range(LEADING_EVENTS_LIMIT)]).complete


def test_an_event_without_a_numeric_value_is_counted_but_not_kept():
    prices = properties(rate="1", free_units_per_events=2)
    state = state_of(prices, [(1, "a", "n/a"), (2, "b", 5)])
    assert (state.events_count, transaction_values(state, prices)) == (2, TransactionValues((Decimal(5),)))


_properties = st.builds(
    lambda rate, fixed, free_events, free_total, low, high: properties(
        rate=rate, fixed_amount=fixed, free_units_per_events=free_events, free_units_per_total_aggregation=free_total,
        per_transaction_min_amount=low, per_transaction_max_amount=high),
    st.sampled_from(["0.5", "1", "1.3", "2"]), st.sampled_from([None, "0", "0.5", "2"]),
    st.sampled_from([None, 1, 2, 4]), st.sampled_from([None, "0", "15", "100", "250"]),
    st.sampled_from([None, "0.5", "1"]), st.sampled_from([None, "3", "5"]))
_values = st.one_of(st.integers(-20, 200), st.decimals("-5", "150", places=1, allow_nan=False))


@given(_properties, st.lists(st.tuples(st.integers(0, 20), _values), max_size=12), st.randoms(use_true_random=False))
def test_pricing_from_the_state_equals_pricing_from_every_event(prices, drawn, random):
    events = [(ms, f"t{index:02d}", Decimal(value)) for index, (ms, value) in enumerate(drawn)]
    in_order = [value for _, _, value in sorted(events, key=lambda event: event[:2])]
    units = sum(in_order, Decimal(0))
    expected = charge_amount("percentage", prices, Usage(units, len(events), tuple(in_order)))
    # Applied in a random order and grouping: batches folded on their own, then combined in another order.
    shuffled = random.sample(events, len(events))
    cuts = sorted(random.sample(range(len(events) + 1), min(3, len(events) + 1)))
    batches = [shuffled[low:high] for low, high in zip([0, *cuts], [*cuts, len(events)], strict=True)]
    aggregation = TransactionsAggregation("amount", prices)
    state = reduce(aggregation.combine, random.sample([state_of(prices, batch) for batch in batches], len(batches)),
                   aggregation.empty)
    assert state == state_of(prices, sorted(events))
    if transaction_values(state, prices) is None:
        assert prices.free_units_per_total_aggregation and any(value < 0 for value in in_order)
    else:
        assert priced(prices, state, units, len(events)) == expected
