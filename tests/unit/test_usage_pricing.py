"""The period's usage priced from stored aggregate states (the pure core of current usage and of the
biller), worked out by hand: 2 charges x (2 filters + default), rounding per fee, taxes on the sum rounded
once, zero usage, Lago's order by metric name."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from model_builders import metric, plan, priced_charge

from chalicelib.domain.aggregations.base import AggregationResult
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.aggregations.windows import Window, epoch_ms
from chalicelib.domain.current_usage import price_period_usage
from chalicelib.domain.pricing.transactions import TransactionValues
from chalicelib.domain.taxes import taxes_amount_cents

MARCH = Window(epoch_ms(datetime(2026, 3, 1, tzinfo=UTC)), epoch_ms(datetime(2026, 4, 1, tzinfo=UTC)), 31)


def tiers(*ranges) -> dict:
    return {"graduated_ranges": [{"from_value": low, "to_value": high, "per_unit_amount": unit, "flat_amount": flat}
                                 for low, high, unit, flat in ranges]}


STORAGE = metric("storage", {"region": ["eu", "us"]}, "sum_agg", "gb", name="Storage")
CALLS = metric("calls", {"method": ["get", "post"]}, "count_agg", None, name="api calls")
METRICS = {"storage": STORAGE, "calls": CALLS}
STORAGE_CHARGE = priced_charge("c-storage", "storage", "graduated", tiers((0, 100, "0.01", "0"), (101, None, "0.005", "1")),
                        filters=[{"values": {"region": ["eu"]}, "properties": tiers((0, None, "0.02", "0")),
                                  "invoice_display_name": "Europe"},
                                 {"values": {"region": ["us"]},
                                  "properties": tiers((0, 10, "0.1", "0"), (11, None, "0.05", "0.5"))}])
CALLS_CHARGE = priced_charge("c-calls", "calls", "standard", {"amount": "0.125"},
                      filters=[{"values": {"method": ["get"]}, "properties": {"amount": "0.001"}},
                               {"values": {"method": ["post"]}, "properties": {"amount": "0.3333"}}])
PLAN = plan(STORAGE_CHARGE, CALLS_CHARGE)
STATES = {
    ("c-storage", None, ()): Totals(Decimal(35), 4),        # 35 units in the 0.01 tier: 0.35 EUR = 35 cents
    ("c-storage", 0, ()): Totals(Decimal("12.5"), 3),        # 12.5 x 0.02 = 0.25 -> 25
    ("c-storage", 1, ()): Totals(Decimal(11), 2),            # 10 x 0.1 + 1 x 0.05 + 0.5 = 1.55 -> 155
    ("c-calls", None, ()): 7,                                # 7 x 0.125 = 0.875 -> 87.5 -> 88 (half-up)
    ("c-calls", 0, ()): 1000,                                # 1000 x 0.001 = 1 -> 100
    ("c-calls", 1, ()): 3,                                   # 3 x 0.3333 = 0.9999 -> 99.99 -> 100
}


def test_two_charges_with_two_filters_and_default_worked_by_hand():
    usage = price_period_usage(PLAN, METRICS, MARCH, STATES, "EUR", Decimal(10))
    calls, storage = usage.charges  # "api calls" before "Storage": case-insensitive, not the plan's order
    assert (calls.charge.id, storage.charge.id) == ("c-calls", "c-storage")
    assert [(bucket.filter_index, bucket.units, bucket.events_count, bucket.amount_cents)
            for bucket in storage.buckets] == [(0, Decimal("12.5"), 3, 25), (1, Decimal(11), 2, 155),
                                               (None, Decimal(35), 4, 35)]
    assert [(bucket.filter_index, bucket.units, bucket.events_count, bucket.amount_cents)
            for bucket in calls.buckets] == [(0, 1000, 1000, 100), (1, 3, 3, 100), (None, 7, 7, 88)]
    assert (storage.totals.units, storage.totals.events_count, storage.amount_cents) == (Decimal("58.5"), 9, 215)
    assert (calls.totals.units, calls.totals.events_count, calls.amount_cents) == (1010, 1010, 288)
    assert usage.amount_cents == 503
    # 10% of 503 = 50.3 -> 50, rounded once; rounding each fee's tax would give 4+3+16+9+10+10 = 52.
    assert usage.taxes_amount_cents == 50
    assert usage.total_amount_cents == 553


def test_thirty_five_units_in_a_one_cent_tier_cost_35_cents():
    usage = price_period_usage(plan(priced_charge("c", "storage", "graduated", tiers((0, 100, "0.01", "0"),
                                                                              (101, None, "0.005", "1")))),
                               METRICS, MARCH, {("c", None, ()): Totals(Decimal(35), 4)}, "EUR", None)
    (only,) = usage.charges
    assert (only.totals.units, only.totals.events_count, only.amount_cents) == (Decimal(35), 4, 35)
    assert (usage.amount_cents, usage.taxes_amount_cents, usage.total_amount_cents) == (35, 0, 35)


def test_zero_usage_lists_every_charge_and_filter_with_zeros():
    usage = price_period_usage(PLAN, METRICS, MARCH, {}, "EUR", Decimal(20))
    assert [charge_usage.charge.id for charge_usage in usage.charges] == ["c-calls", "c-storage"]
    for charge_usage in usage.charges:
        assert [bucket.filter_index for bucket in charge_usage.buckets] == [0, 1, None]
        assert all((bucket.units, bucket.total_aggregated_units, bucket.events_count, bucket.amount_cents)
                   == (0, 0, 0, 0) for bucket in charge_usage.buckets)
    assert (usage.amount_cents, usage.taxes_amount_cents, usage.total_amount_cents) == (0, 0, 0)


def test_charges_are_ordered_by_metric_name_case_insensitively_ties_keep_the_plan_order():
    names = {"b": "beta", "a": "Alpha", "z": "ZULU", "a2": "alpha"}
    metrics = {key: metric(key, {}, "count_agg", None, name=name) for key, name in names.items()}
    usage = price_period_usage(plan(*(priced_charge(f"c-{key}", key, "standard", {"amount": "1"}) for key in names)),
                               metrics, MARCH, {}, "EUR", None)
    assert [charge_usage.metric.name for charge_usage in usage.charges] == ["Alpha", "alpha", "beta", "ZULU"]


def test_a_charge_without_filters_has_only_its_default_bucket_priced_with_the_charge_properties():
    usage = price_period_usage(plan(priced_charge("c", "calls", "package", {"amount": "5", "package_size": 10,
                                                                     "free_units": 0})),
                               METRICS, MARCH, {("c", None, ()): 11}, "JPY", Decimal("8.5"))
    (only,) = usage.charges
    assert not only.filtered
    assert [(bucket.filter_index, bucket.amount_cents) for bucket in only.buckets] == [(None, 10)]  # 2 packages
    assert usage.taxes_amount_cents == 1  # 10 x 8.5% = 0.85 -> 1 yen


def test_the_metrics_rounding_applies_to_the_units_priced():
    rounded = metric("gb", {}, "sum_agg", "gb", name="GB", rounding_function="ceil", rounding_precision=0)
    usage = price_period_usage(plan(priced_charge("c", "gb", "standard", {"amount": "1"})), {"gb": rounded}, MARCH,
                               {("c", None, ()): Totals(Decimal("2.1"), 1)}, "EUR", None)
    assert (usage.charges[0].totals.units, usage.amount_cents) == (Decimal(3), 300)


def test_a_recurring_metric_opens_with_the_previous_periods_total():
    recurring = metric("seats", {}, "sum_agg", "n", name="Seats", recurring=True)
    usage = price_period_usage(plan(priced_charge("c", "seats", "standard", {"amount": "1"})), {"seats": recurring}, MARCH,
                               {("c", None, ()): Totals(Decimal(2), 1)}, "EUR", None,
                               opening={("c", None, ()): AggregationResult.of(Decimal(5), 3)})
    totals = usage.charges[0].totals
    assert (totals.units, totals.events_count, usage.amount_cents) == (Decimal(7), 4, 700)


def test_percentage_prices_rate_and_fixed_amount_from_the_aggregate_alone():
    percent = metric("pay", {}, "sum_agg", "amount", name="Payments")
    usage = price_period_usage(plan(priced_charge("c", "pay", "percentage", {"rate": "1.5", "fixed_amount": "0.1"})),
                               {"pay": percent}, MARCH, {("c", None, ()): Totals(Decimal(200), 4)}, "EUR", None)
    assert usage.amount_cents == 340  # 200 x 1.5% + 4 x 0.1


@pytest.mark.parametrize(("option", "cents"), [
    ({"free_units_per_events": 2}, (800 - (50 + 100)) * 1),  # running totals 50, 150: 150 free units, 1 %
    ({"free_units_per_total_aggregation": "10"}, (800 - 10) * 1),  # the first total (50) exceeds 10: 10 free
    ({"per_transaction_max_amount": "3"}, 50 + 100 + 250 + 300),  # 1 % of each: 0.50, 1, 2.50, 4 capped at 3
])
def test_percentage_needing_each_events_value_is_priced_from_them(option, cents):
    percent = metric("pay", {}, "sum_agg", "amount", name="Payments")
    priced_plan = plan(priced_charge("c", "pay", "percentage", {"rate": "1", **option}))
    states = {("c", None, ()): Totals(Decimal(800), 4)}
    with pytest.raises(ValueError):
        price_period_usage(priced_plan, {"pay": percent}, MARCH, states, "EUR", None)
    values = (Decimal(50), Decimal(100), Decimal(250), Decimal(400))
    usage = price_period_usage(priced_plan, {"pay": percent}, MARCH, states, "EUR", None,
                               event_values={("c", None, ()): TransactionValues(values)})
    assert usage.amount_cents == cents


def test_taxes_are_the_rate_on_the_sum_rounded_half_up_once():
    assert taxes_amount_cents([5, 5, 5], Decimal(10)) == 2  # 1.5 -> 2; per fee 0.5 x 3 would round to 3
    assert taxes_amount_cents([5], Decimal(10)) == 1      # 0.5 -> 1, half-up
    assert taxes_amount_cents([100], None) == 0
    assert taxes_amount_cents([100], Decimal(0)) == 0
