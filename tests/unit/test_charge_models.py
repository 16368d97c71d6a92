"""Charge models: Lago's numbers (lago-semantics.md §3), hand-worked cases, properties of graduated and
volume pricing, the min-amount true-up, and the validation of each model's `properties`."""
from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.money import amount_cents
from chalicelib.domain.pricing.charge_models import charge_amount, parse_properties
from chalicelib.domain.pricing.true_up import true_up_amount_cents
from chalicelib.domain.pricing.usage import Usage

D = Decimal


def price(model: str, properties: dict, units, events_count: int = 0, event_values=()) -> Decimal:
    usage = Usage(D(units), events_count, tuple(D(value) for value in event_values))
    return charge_amount(model, parse_properties(model, properties), usage)


def ranges(*rows, price_field="per_unit_amount") -> list[dict]:
    """Ranges from (from, to, price, flat) rows, amounts as Lago's decimal strings."""
    return [{"from_value": low, "to_value": high, price_field: str(unit_price), "flat_amount": str(flat)}
            for low, high, unit_price, flat in rows]


LAGO_GRADUATED = {"graduated_ranges": ranges((0, 10, 10, 2), (11, 20, 5, 3), (21, None, 5, 3))}
LAGO_VOLUME = {"volume_ranges": ranges((0, 100, 2, 10), (101, 200, 1, 0), (201, None, "0.5", 50))}
LAGO_PACKAGE = {"amount": "100", "package_size": 10, "free_units": 0}
LAGO_PERCENTAGE = {"rate": "1.3", "fixed_amount": "2", "free_units_per_events": 3,
                   "free_units_per_total_aggregation": "250"}
LAGO_GRADUATED_PERCENTAGE = {"graduated_percentage_ranges": ranges((0, 10, 1, 200), (11, 20, 2, 300), (21, None, 3, 400),
                                                                   price_field="rate")}
ADJACENT_GRADUATED = {"graduated_ranges": ranges((0, D("0.1"), 10, 0), (D("0.1"), 1, 5, 0), (1, None, 2, 0))}

# Every numeric example of lago-semantics.md §3, then cases worked out by hand. Cents are EUR.
EXAMPLES = [
    ("§3 standard: 10 × 5.12345", "standard", {"amount": "5.12345"}, 10, (), "51.2345", 5123),
    ("§3 graduated U=0: first tier's flat 2", "graduated", LAGO_GRADUATED, 0, (), "2", 200),
    ("§3 graduated U=1: 1×10 + 2", "graduated", LAGO_GRADUATED, 1, (), "12", 1200),
    ("§3 graduated U=10: 10×10 + 2", "graduated", LAGO_GRADUATED, 10, (), "102", 10200),
    ("§3 graduated U=11: 102 + 1×5 + 3", "graduated", LAGO_GRADUATED, 11, (), "110", 11000),
    ("§3 graduated U=12: 102 + 2×5 + 3", "graduated", LAGO_GRADUATED, 12, (), "115", 11500),
    ("§3 graduated U=21: 102 + (10×5 + 3) + (1×5 + 3)", "graduated", LAGO_GRADUATED, 21, (), "163", 16300),
    ("§3 volume U=100: 100×2 + 10", "volume", LAGO_VOLUME, 100, (), "210", 21000),
    ("§3 volume U=100.5: ceil 101 picks 101-200, 100.5×1", "volume", LAGO_VOLUME, "100.5", (), "100.5", 10050),
    ("§3 volume U=101: 101×1", "volume", LAGO_VOLUME, 101, (), "101", 10100),
    ("§3 volume U=300: 300×0.5 + 50", "volume", LAGO_VOLUME, 300, (), "200", 20000),
    ("§3 package 121 units: ceil(121/10)=13 × 100", "package", LAGO_PACKAGE, 121, (), "1300", 130000),
    ("§3 package 10 free: ceil(111/10)=12 × 100", "package", {**LAGO_PACKAGE, "free_units": 10}, 121, (), "1200",
     120000),
    ("§3 package 200 free: 121-200 < 0 -> 0", "package", {**LAGO_PACKAGE, "free_units": 200}, 121, (), "0", 0),
    ("§3 percentage: free 250 of 800 -> 550×1.3% = 7.15; free events min(3, 2 totals < 250) -> (4-2)×2 = 4",
     "percentage", LAGO_PERCENTAGE, 800, (50, 100, 250, 400), "11.15", 1115),
    ("§3 graduated_percentage U=0: first tier's flat 200", "graduated_percentage", LAGO_GRADUATED_PERCENTAGE, 0, (),
     "200", 20000),
    ("§3 graduated_percentage U=11: 10×1% + 200 + 1×2% + 300", "graduated_percentage", LAGO_GRADUATED_PERCENTAGE, 11,
     (), "500.12", 50012),
    # Hand-worked.
    ("by hand: adjacent graduated U=0.05: 0.05×10", "graduated", ADJACENT_GRADUATED, "0.05", (), "0.5", 50),
    ("by hand: adjacent graduated U=0.5: 0.1×10 + 0.4×5 (no +1 step)", "graduated", ADJACENT_GRADUATED, "0.5", (),
     "3.0", 300),
    ("by hand: adjacent graduated U=3: 0.1×10 + 0.9×5 + 2×2", "graduated", ADJACENT_GRADUATED, 3, (), "9.5", 950),
    ("by hand: integer graduated U=10.5: 102 + 0.5×5 + 3", "graduated", LAGO_GRADUATED, "10.5", (), "107.5", 10750),
    ("by hand: graduated_percentage U=21: 200.1 + 300.2 + 1×3% + 400", "graduated_percentage",
     LAGO_GRADUATED_PERCENTAGE, 21, (), "900.33", 90033),
    ("by hand: volume U=0: first range's flat 10", "volume", LAGO_VOLUME, 0, (), "10", 1000),
    ("by hand: package U=1 starts a package: ceil(1/10)=1 × 100", "package", LAGO_PACKAGE, 1, (), "100", 10000),
    ("by hand: package paid units exactly 0: 10 - 10 free", "package", {**LAGO_PACKAGE, "free_units": 10}, 10, (),
     "0", 0),
    ("by hand: percentage U=0 charges nothing, not even the fixed fee", "percentage", LAGO_PERCENTAGE, 0, (0,), "0",
     0),
    ("by hand: percentage without allowances: 800×1.3% + 4×2", "percentage", {"rate": "1.3", "fixed_amount": "2"}, 800,
     (50, 100, 250, 400), "18.4", 1840),
    ("by hand: percentage T=150: totals 50,150,400 -> free 150, events < 150: 1 -> 650×1.3% + 3×2", "percentage",
     {"rate": "1.3", "fixed_amount": "2", "free_units_per_total_aggregation": "150"}, 800, (50, 100, 250, 400), "14.45",
     1445),
    ("by hand: percentage N=2: free 50+100, 2 free events -> 650×1.3% + 2×2", "percentage",
     {"rate": "1.3", "fixed_amount": "2", "free_units_per_events": 2}, 800, (50, 100, 250, 400), "12.45", 1245),
    ("by hand: per-transaction bounds [1, 3], N=1: free 50; 100->1.3+2=3.3->3; 250->5.25->3; 400->7.2->3",
     "percentage", {**LAGO_PERCENTAGE, "free_units_per_total_aggregation": None, "free_units_per_events": 1,
                    "per_transaction_min_amount": "1", "per_transaction_max_amount": "3"},
     800, (50, 100, 250, 400), "9", 900),
    ("by hand: per-transaction bounds, T=120: 50 free, 100 pays 30 -> 0.39+2, 250 -> 3.25+2, 400 -> 5.2+2 -> max 6",
     "percentage", {**LAGO_PERCENTAGE, "free_units_per_events": None, "free_units_per_total_aggregation": "120",
                    "per_transaction_max_amount": "6"},
     800, (50, 100, 250, 400), "13.64", 1364),
    ("by hand, departure: N=3 and T=10 with totals 50,150: free 10, free events min(3, 0 totals < 10) = 0 -> "
     "140×1% + 2×1", "percentage", {"rate": "1", "fixed_amount": "1", "free_units_per_events": 3,
                                    "free_units_per_total_aggregation": "10"}, 150, (50, 100), "3.4", 340),
    ("by hand, departure: mixed ranges 0-10 at 1, 10-20 at 2, 21- at 3, U=25: 10×1 + (20-10)×2 + (25-20)×3",
     "graduated", {"graduated_ranges": ranges((0, 10, 1, 0), (10, 20, 2, 0), (21, None, 3, 0))}, 25, (), "45", 4500),
    ("by hand, departure: volume 0-0.5 at 1, 1.5- at 2, U=0.7 (no range by Lago's rule): 0.7×2", "volume",
     {"volume_ranges": ranges((0, D("0.5"), 1, 0), (D("1.5"), None, 2, 0))}, "0.7", (), "1.4", 140),
    ("by hand: negative units -> 0, not the first tier's flat", "graduated", LAGO_GRADUATED, -5, (), "0", 0),
    ("by hand: negative units -> 0 (standard)", "standard", {"amount": "5"}, "-0.5", (), "0", 0),
    ("by hand: a negative amount -> 0: a refund of 100 priced per transaction is 100×10% = -10", "percentage",
     {"rate": "10", "per_transaction_max_amount": "100"}, 0, (-100,), "0", 0),
]


@pytest.mark.parametrize("source, model, properties, units, event_values, amount, cents", EXAMPLES,
                         ids=[row[0] for row in EXAMPLES])
def test_lago_examples_and_hand_worked_cases(source, model, properties, units, event_values, amount, cents):
    properties = {key: value for key, value in properties.items() if value is not None}
    priced = price(model, properties, units, len(event_values), event_values)
    assert priced == D(amount)
    assert amount_cents(priced, "EUR") == cents


def test_min_amount_true_up_from_lago():
    # lago-semantics §3 charge options: 700 used, min 1000, full 31-day month -> 300 cents.
    assert true_up_amount_cents(1000, 31, 31, [700]) == 300


@pytest.mark.parametrize("source, min_cents, duration, days, fees, true_up", [
    ("by hand: the fees of every filter bucket count: 1000 - (400 + 200 + 100)", 1000, 31, 31, [400, 200, 100], 300),
    ("by hand: 15 of 30 days: 1000/30×15 = 500 - 200", 1000, 30, 15, [200], 300),
    ("by hand: 10 of 31 days: 1000/31×10 = 322.58 - 0 -> 323", 1000, 31, 10, [], 323),
    ("by hand: 1/31×1 = 0.032 -> 0", 1, 31, 1, [], 0),
    ("by hand: 100/3×1 = 33.33; - 33 = 0.33 -> 0", 100, 3, 1, [33], 0),
    ("by hand: 1000/16×1 = 62.5 -> 63 (half-up)", 1000, 16, 1, [], 63),
    ("by hand: fees above the minimum: no true-up", 1000, 31, 31, [1200], 0),
])
def test_min_amount_true_up_by_hand(source, min_cents, duration, days, fees, true_up):
    assert true_up_amount_cents(min_cents, duration, days, fees) == true_up


# --- properties -------------------------------------------------------------------------------------------

prices = st.integers(min_value=0, max_value=10_000).map(lambda cents: D(cents) / 100)


@st.composite
def tier_rows(draw, adjacent: bool):
    """Valid ranges as (from, to, per_unit, flat) rows: integer style (next from = to + 1) or adjacent decimals."""
    widths = draw(st.lists(st.integers(min_value=1, max_value=50), max_size=5))
    rows, start = [], D(0)
    for width in widths:
        end = start + (D(width) / 10 if adjacent else width)
        rows.append((start, end, draw(prices), draw(prices)))
        start = end if adjacent else end + 1
    rows.append((start, None, draw(prices), draw(prices)))
    return rows


any_tiers = st.booleans().flatmap(lambda adjacent: st.tuples(st.just(adjacent), tier_rows(adjacent)))
units = st.integers(min_value=0, max_value=40_000).map(lambda tenths: D(tenths) / 10)


def lago_graduated_oracle(rows, adjacent: bool, total: Decimal) -> Decimal:
    """Lago's own count, written out separately: a reached tier holds min(U, to) - from (+ 1 for integer
    ranges past the first), and adds its units × price + flat; tiers stop at the one containing U."""
    amount = D(0)
    for low, high, unit_price, flat in rows:
        effective = total if high is None or total < high else high
        tier_units = effective if low == 0 else effective - low + (0 if adjacent else 1)
        amount += tier_units * unit_price + flat
        if high is None or high >= total:
            break
    return amount


@given(tiers=any_tiers, total=units)
def test_graduated_is_the_sum_of_its_tiers(tiers, total):
    adjacent, rows = tiers
    assert price("graduated", {"graduated_ranges": ranges(*rows)}, total) == lago_graduated_oracle(rows, adjacent, total)


@given(tiers=any_tiers, first=units, second=units)
def test_graduated_never_decreases_as_units_grow(tiers, first, second):
    _, rows = tiers
    low, high = sorted((first, second))
    properties = {"graduated_ranges": ranges(*rows)}
    assert price("graduated", properties, low) <= price("graduated", properties, high)


@given(tiers=any_tiers, first=units, second=units)
def test_volume_never_decreases_within_one_range(tiers, first, second):
    """Within one range the amount is U × price + flat, non-decreasing in U for a price >= 0. Across a range
    boundary volume is NOT monotone in general: all units take the new range's price, so 100 units at 2 + 10
    flat cost 210 and 101 units at 1 cost 101 (see the next two tests)."""
    _, rows = tiers
    low, high = sorted((first, second))
    properties = {"volume_ranges": ranges(*rows)}
    containing = [index for index, (_, end, _, _) in enumerate(rows) if end is None or low <= end]
    same_range = rows[containing[0]][1] is None or high <= rows[containing[0]][1]
    if same_range:
        assert price("volume", properties, low) <= price("volume", properties, high)


@given(tiers=any_tiers, first=units, second=units)
def test_volume_never_decreases_when_prices_and_flat_fees_never_decrease(tiers, first, second):
    """Moving to a later range multiplies more units by a price at least as high and adds a flat fee at least
    as high, so with non-decreasing per-unit and flat amounts volume is monotone across ranges too."""
    _, rows = tiers
    unit_prices = sorted(row[2] for row in rows)
    flats = sorted(row[3] for row in rows)
    rows = [(start, end, unit_price, flat) for (start, end, _, _), unit_price, flat in zip(rows, unit_prices, flats)]
    low, high = sorted((first, second))
    properties = {"volume_ranges": ranges(*rows)}
    assert price("volume", properties, low) <= price("volume", properties, high)


def test_volume_drops_across_a_range_boundary_when_the_price_drops():
    assert price("volume", LAGO_VOLUME, 100) == D("210")
    assert price("volume", LAGO_VOLUME, 101) == D("101")


@given(tiers=any_tiers, total=units)
def test_volume_picks_the_range_of_lagos_rule(tiers, total):
    """Lago: the range with from <= ceil(U) and (to null or U <= to), all units at its price plus its flat."""
    _, rows = tiers
    ceiling = total.to_integral_value(rounding=ROUND_CEILING)
    low, high, unit_price, flat = next(row for row in rows
                                       if row[0] <= ceiling and (row[1] is None or total <= row[1]))
    assert price("volume", {"volume_ranges": ranges(*rows)}, total) == total * unit_price + flat



def prorated_sum(carried: int, added: int, days_left: int, days_in_period: int) -> Decimal:
    """A recurring sum's prorated units: what was carried in weighs the whole period, what was added weighs its days
    left (the day it came included) over the period's days, rounded up at 5 decimals (lago-semantics §1.3)."""
    return (carried + D(added) * days_left / days_in_period).quantize(D("0.00001"), rounding=ROUND_CEILING)


# A prorated volume charge: Lago picks the range from the full units (66 carried from March + 234 added = 300 in
# April) and prices the prorated units at it, plus the whole flat amount of that range (VolumeService#number_of_units;
# spec/services/charge_models/volume_service_spec.rb "when charge is prorated": 198.6 units, 300 full -> 149.3).
PRORATED_VOLUME = [
    # 234 on 14 April: 14..30 April = 17 days of 30 -> 66 + 234 x 17/30 = 66 + 132.6 = 198.6.
    # Full 300 -> 201-∞: 198.6 x 0.5 + 50 = 99.3 + 50 = 149.30 -> 14930 (from the prorated 198.6: 101-200,
    # 198.6 x 1 = 19860, the amount before this rule).
    ("issue 16: 66 in March, 234 on 14 April", 66, 234, 17, "198.6", 300, "149.3", 14930),
    # 300 on 30 April: 1 day of 30 -> 300 x 1/30 = 10. Full 300 -> 201-∞: 10 x 0.5 + 50 = 55.00 -> 5500; the flat
    # amount is not prorated (from the prorated 10: 0-100, 10 x 2 + 10 = 3000).
    ("300 on the period's last day: the whole flat 50", 0, 300, 1, "10", 300, "55", 5500),
    # 80 on 21 April: 21..30 April = 10 days -> 40 + 80 x 10/30 = 40 + 26.666666... = 66.66667 (up at 5 decimals).
    # Full 120 -> 101-200 without flat: 66.66667 x 1 = 66.66667 -> 6667 (half-up of 6666.667); the prorated units'
    # range 0-100 would add its flat 10: 66.66667 x 2 + 10 = 143.33334 -> 14333.
    ("40 carried, 80 on 21 April: no flat of the lower range", 40, 80, 10, "66.66667", 120, "66.66667", 6667),
]


@pytest.mark.parametrize("case, carried, added, days_left, units, full_units, amount, cents", PRORATED_VOLUME,
                         ids=[row[0] for row in PRORATED_VOLUME])
def test_prorated_volume_prices_the_prorated_units_at_the_range_of_the_full_units(case, carried, added, days_left,
                                                                                   units, full_units, amount, cents):
    assert (prorated_sum(carried, added, days_left, 30), carried + added) == (D(units), full_units)
    priced = charge_amount("volume", parse_properties("volume", LAGO_VOLUME), Usage(D(units), 2, (), D(full_units)))
    assert (priced, amount_cents(priced, "EUR")) == (D(amount), cents)


# --- validation -------------------------------------------------------------------------------------------

def refusal(model: str, properties: dict) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        parse_properties(model, properties)
    return refused.value.details


@pytest.mark.parametrize("amount", [None, "-0.01", "abc", "NaN", "Infinity", 1.5, True, [], {}])
def test_standard_amount_must_be_a_decimal_of_at_least_zero(amount):
    properties = {} if amount is None else {"amount": amount}
    assert refusal("standard", properties) == {"amount": ["invalid_amount"]}


@pytest.mark.parametrize("amount", ["0", "0.01", D("5.12345"), 3])
def test_standard_amount_as_string_or_number(amount):
    assert parse_properties("standard", {"amount": amount}).amount == D(amount)


@pytest.mark.parametrize("properties, details", [
    ({"amount": "1", "package_size": 0}, {"package_size": ["invalid_package_size"]}),
    ({"amount": "1", "package_size": "10"}, {"package_size": ["invalid_package_size"]}),
    ({"amount": "1", "package_size": D("2.5")}, {"package_size": ["invalid_package_size"]}),
    ({"amount": "1"}, {"package_size": ["invalid_package_size"]}),
    ({"amount": "1", "package_size": 10, "free_units": -1}, {"free_units": ["invalid_free_units"]}),
    ({"amount": "1", "package_size": 10, "free_units": D("0.5")}, {"free_units": ["invalid_free_units"]}),
    ({"amount": "-1", "package_size": 10}, {"amount": ["invalid_amount"]}),
])
def test_package_properties(properties, details):
    assert refusal("package", properties) == details


def test_package_sizes_as_json_numbers():
    parsed = parse_properties("package", {"amount": "1", "package_size": D("10"), "free_units": D("0")})
    assert (parsed.package_size, parsed.free_units) == (10, 0)


RANGE_CASES = [
    ("no ranges at all", None, "missing"),
    ("an empty list", [], "missing"),
    ("first from is not 0", [(1, None)], "invalid"),
    ("a gap: next from is to + 2", [(0, 10), (12, None)], "invalid"),
    ("an overlap: next from is below to", [(0, 10), (9, None)], "invalid"),
    ("to equal to from", [(0, 0), (1, None)], "invalid"),
    ("to below from", [(0, 10), (11, 5), (6, None)], "invalid"),
    ("a null to before the last range", [(0, None), (1, None)], "invalid"),
    ("the last range has a to", [(0, 10), (11, 20)], "invalid"),
    ("a bound given as a string", [(0, "10"), (11, None)], "invalid"),
]
RANGE_FIELDS = [("graduated", "graduated_ranges", "per_unit_amount"), ("volume", "volume_ranges", "per_unit_amount"),
                ("graduated_percentage", "graduated_percentage_ranges", "rate")]


@pytest.mark.parametrize("model, field, price_field", RANGE_FIELDS)
@pytest.mark.parametrize("case, bounds, kind", RANGE_CASES, ids=[case[0] for case in RANGE_CASES])
def test_range_bounds(model, field, price_field, case, bounds, kind):
    properties = {} if bounds is None else {field: ranges(*[(low, high, 1, 0) for low, high in bounds],
                                                          price_field=price_field)}
    assert refusal(model, properties) == {field: [f"{kind}_{field}"]}


@pytest.mark.parametrize("model, field, price_field", RANGE_FIELDS)
@pytest.mark.parametrize("bounds", [[(0, None)], [(0, 10), (11, 20), (21, None)],
                                    [(0, D("0.1")), (D("0.1"), 1), (1, None)], [(0, 10), (10, 20), (21, None)]],
                         ids=["one range", "integer", "adjacent", "mixed"])
def test_valid_range_bounds(model, field, price_field, bounds):
    properties = {field: ranges(*[(low, high, 1, 0) for low, high in bounds], price_field=price_field)}
    assert len(getattr(parse_properties(model, properties), field)) == len(bounds)


@pytest.mark.parametrize("model, field, price_field, price_code", [
    ("graduated", "graduated_ranges", "per_unit_amount", "invalid_amount"),
    ("volume", "volume_ranges", "per_unit_amount", "invalid_amount"),
    ("graduated_percentage", "graduated_percentage_ranges", "rate", "invalid_rate"),
])
def test_range_amounts(model, field, price_field, price_code):
    properties = {field: ranges((0, None, "-1", "x"), price_field=price_field)}
    assert refusal(model, properties) == {price_field: [price_code], "flat_amount": ["invalid_amount"]}


@pytest.mark.parametrize("properties, details", [
    ({}, {"rate": ["invalid_rate"]}),
    ({"rate": "-1"}, {"rate": ["invalid_rate"]}),
    ({"rate": "1", "fixed_amount": "-2"}, {"fixed_amount": ["invalid_fixed_amount"]}),
    ({"rate": "1", "free_units_per_events": 0}, {"free_units_per_events": ["invalid_free_units_per_events"]}),
    ({"rate": "1", "free_units_per_events": "3"}, {"free_units_per_events": ["invalid_free_units_per_events"]}),
    ({"rate": "1", "free_units_per_total_aggregation": "x"},
     {"free_units_per_total_aggregation": ["invalid_free_units_per_total_aggregation"]}),
    ({"rate": "1", "per_transaction_min_amount": "abc"}, {"per_transaction_min_amount": ["invalid_amount"]}),
    ({"rate": "1", "per_transaction_max_amount": "-1"}, {"per_transaction_max_amount": ["invalid_amount"]}),
    ({"rate": "1", "per_transaction_min_amount": "5", "per_transaction_max_amount": "1"},
     {"per_transaction_max_amount": ["per_transaction_max_lower_than_per_transaction_min"]}),
])
def test_percentage_properties(properties, details):
    assert refusal("percentage", properties) == details


def test_percentage_optional_fields_may_be_null():
    parsed = parse_properties("percentage", {"rate": "1.3", "fixed_amount": None, "free_units_per_events": None})
    assert (parsed.rate, parsed.fixed_amount, parsed.free_units_per_events) == (D("1.3"), None, None)


@pytest.mark.parametrize("name", ["custom", "dynamic", "Standard", ""])
def test_an_unknown_charge_model_is_refused(name):
    assert refusal(name, {}) == {"charge_model": ["value_is_invalid"]}


def test_a_fee_amount_is_exact_to_the_cent_and_storable_however_many_digits_its_factors_have():
    # Prorated units with 28 digits (a quotient) at a price of 30: the product's 58 digits are kept to the 38 a
    # stored amount has. u x (10^15 - 10^-15) with u = 0.6451612903225806451612903226:
    #   u x 10^15  = 645161290322580.6451612903226
    #   u x 10^-15 =               0.0000000000000006451612903225806451612903226
    #   difference = 645161290322580.6451612903225993548387096774193548387096774 (58 digits)
    # -> 38 digits (15 + 23 decimals, the next digit 9 rounds up): 645161290322580.64516129032259935483871;
    # in cents 64516129032258064.516... -> 64516129032258065 (half-up).
    units = Decimal("0.6451612903225806451612903226")
    amount = charge_amount("standard", parse_properties("standard", {"amount": "999999999999999.999999999999999"}),
                           Usage(units, 1))
    assert len(amount.as_tuple().digits) <= 38
    assert amount == Decimal("645161290322580.64516129032259935483871")
    assert amount_cents(amount, "EUR") == 64516129032258065
