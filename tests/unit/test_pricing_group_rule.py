"""Pricing groups (`pricing_group_keys`, formerly `grouped_by`): which group an event falls in, how the keys are
validated, how a group is keyed in the usage table, and each group priced on its own (Lago's
`compute_grouped_by_aggregation`, one fee per group)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from model_builders import metric, plan, priced_charge
from test_usage_pricing import MARCH, tiers

from chalicelib.domain.aggregate_keys import AggregateKey
from chalicelib.domain.aggregations.sum import Totals
from chalicelib.domain.current_usage import price_period_usage
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.pricing.groups import UNGROUPED, empty_group, is_group_of, pricing_group
from chalicelib.domain.pricing.standard import StandardProperties
from chalicelib.store.keys import SEPARATOR, aggregate_sk, group_key, value_sk
from chalicelib.store.usage import group_attribute, group_of


def test_an_events_group_is_its_values_of_the_keys_in_order_and_null_when_missing():
    keys = ("region", "tier", "zone")
    assert pricing_group(keys, {"zone": "b", "region": "eu", "other": 1}) == (
        ("region", "eu"), ("tier", None), ("zone", "b"))
    # Lago groups on `properties->>key`: the number 8 and the text "8" are one group, true is "true", null is missing.
    assert pricing_group(("k",), {"k": 8}) == pricing_group(("k",), {"k": "8"}) == (("k", "8"),)
    assert pricing_group(("k",), {"k": True}) == (("k", "true"),)
    assert pricing_group(("k",), {"k": None}) == pricing_group(("k",), {}) == (("k", None),)
    assert pricing_group(("k",), {"k": {"b": 1, "a": [2]}}) == (("k", '{"a":[2],"b":1}'),)
    assert pricing_group((), {"k": 1}) == UNGROUPED == empty_group(())
    assert empty_group(keys) == (("region", None), ("tier", None), ("zone", None))


def test_a_group_belongs_to_a_bucket_only_under_the_same_keys():
    group = pricing_group(("a", "b"), {"a": 1})
    assert is_group_of(group, ("a", "b"))
    assert not is_group_of(group, ("b", "a"))
    assert not is_group_of(group, ("a",))
    assert is_group_of(UNGROUPED, ())


def test_pricing_group_keys_wins_over_the_older_grouped_by_and_bad_lists_are_refused():
    assert StandardProperties.parse({"amount": "1", "grouped_by": ["a"]}).pricing_group_keys == ("a",)
    assert StandardProperties.parse({"amount": "1", "pricing_group_keys": ["b"], "grouped_by": ["a"]}
                                    ).pricing_group_keys == ("b",)
    assert StandardProperties.parse({"amount": "1", "pricing_group_keys": []}).pricing_group_keys is None
    for properties, field in (({"pricing_group_keys": ["a", ""]}, "pricing_group_keys"),
                              ({"pricing_group_keys": [" "]}, "pricing_group_keys"),
                              ({"pricing_group_keys": "a"}, "pricing_group_keys"),
                              ({"pricing_group_keys": [1]}, "pricing_group_keys"),
                              ({"grouped_by": {"a": 1}}, "grouped_by")):
        with pytest.raises(ValidationFailed) as refused:
            StandardProperties.parse({"amount": "1", **properties})
        assert refused.value.details == {field: ["invalid_type"]}


def test_a_group_is_one_hashed_key_part_whatever_its_values():
    hostile = pricing_group(("k",), {"k": "a#b/c" + "é" * 300})
    other = pricing_group(("k",), {"k": "a#b/d"})
    part = group_key(hostile)
    assert part.startswith(f"{SEPARATOR}G") and SEPARATOR not in part[1:] and len(part) == 18
    assert group_key(other) != part
    assert group_key(UNGROUPED) == ""  # an ungrouped bucket keeps the keys it always had
    assert aggregate_sk(0, "c", "default") == "AGG#000000000000000#c#default"
    assert aggregate_sk(0, "c", "default", hostile) == "AGG#000000000000000#c#default" + part
    # A grouped value item never collides with an ungrouped one: the encoded value has no separator.
    grouped = value_sk(AggregateKey("o", "s", 0, "c", "default", hostile), "v")
    plain = value_sk(AggregateKey("o", "s", 0, "c", "default"), "G" + part[2:] + "#v")
    assert grouped != plain


GROUPED = metric("gb", {}, "sum_agg", "gb", name="Storage")


def test_each_group_is_priced_on_its_own_and_a_bucket_without_usage_shows_its_null_group():
    # Graduated 0-10 at 1 EUR, then 0.5 EUR: priced per group, 8 + 8 units are 16 EUR; together they would be 13.
    grouped = priced_charge("c", "gb", "graduated", {**tiers((0, 10, "1", "0"), (11, None, "0.5", "0")),
                                               "pricing_group_keys": ["team"]})
    eu, us = (("team", "eu"),), (("team", "us"),)
    usage = price_period_usage(plan(grouped), {"gb": GROUPED}, MARCH,
                               {("c", None, us): Totals(Decimal(8), 2), ("c", None, eu): Totals(Decimal(8), 1)},
                               "EUR", None)
    (charge_usage,) = usage.charges
    assert [(bucket.group, bucket.units, bucket.events_count, bucket.amount_cents)
            for bucket in charge_usage.buckets] == [(eu, 8, 1, 800), (us, 8, 2, 800)]
    assert (charge_usage.totals.units, charge_usage.totals.events_count, usage.amount_cents) == (16, 3, 1600)
    assert charge_usage.grouped
    empty = price_period_usage(plan(grouped), {"gb": GROUPED}, MARCH, {}, "EUR", None)
    assert [(bucket.group, bucket.amount_cents) for bucket in empty.charges[0].buckets] == [((("team", None),), 0)]


def test_groups_under_other_keys_are_not_priced():
    grouped = priced_charge("c", "gb", "standard", {"amount": "1", "pricing_group_keys": ["team"]})
    states = {("c", None, (("team", "eu"),)): Totals(Decimal(2), 1),
              ("c", None, (("region", "eu"),)): Totals(Decimal(5), 1),  # stored before the keys changed
              ("c", None, UNGROUPED): Totals(Decimal(7), 1)}
    usage = price_period_usage(plan(grouped), {"gb": GROUPED}, MARCH, states, "EUR", None)
    assert [(bucket.group, bucket.amount_cents) for bucket in usage.charges[0].buckets] == [((("team", "eu"),), 200)]


def test_a_group_back_to_zero_is_left_out_unless_no_group_has_usage():
    # Lago's current usage drops a group whose fee is empty (no units, amount or event), and shows the null group
    # when nothing else is left.
    grouped = priced_charge("c", "gb", "standard", {"amount": "1", "pricing_group_keys": ["team"]})
    eu, us = (("team", "eu"),), (("team", "us"),)
    usage = price_period_usage(plan(grouped), {"gb": GROUPED}, MARCH,
                               {("c", None, eu): Totals(Decimal(0), 0), ("c", None, us): Totals(Decimal(2), 1)},
                               "EUR", None)
    assert [(bucket.group, bucket.amount_cents) for bucket in usage.charges[0].buckets] == [(us, 200)]
    nothing = price_period_usage(plan(grouped), {"gb": GROUPED}, MARCH, {("c", None, eu): Totals(Decimal(0), 0)},
                                 "EUR", None)
    assert [(bucket.group, bucket.amount_cents) for bucket in nothing.charges[0].buckets] == [
        ((("team", None),), 0)]



_properties = st.dictionaries(st.sampled_from(["x", "y", "z"]),
                              st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=5)), max_size=3)


@given(_properties, _properties)
def test_two_events_share_a_stored_group_exactly_when_their_values_read_alike(first, second):
    """The usage table keys a group by a hash of its values and keeps the values on the item: equal groups get one
    key, different ones two, and the stored form reads back as the group."""
    keys = ("x", "y")
    one, other = pricing_group(keys, first), pricing_group(keys, second)
    assert (group_key(one) == group_key(other)) == (one == other)
    assert SEPARATOR not in group_key(one)[1:]
    assert group_of({"pricing_group": group_attribute(one)}) == one
