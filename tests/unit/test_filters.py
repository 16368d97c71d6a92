"""Charge filters: which bucket an event is priced in (lago-semantics.md §2)."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.money import amount_cents
from chalicelib.domain.pricing.charge_models import charge_amount, parse_properties
from chalicelib.domain.pricing.filters import ALL_FILTER_VALUES, FilterBuckets
from chalicelib.domain.pricing.usage import Usage

METRIC_FILTERS = {"region": ["europe", "usa", "asia"], "country": ["france", "germany"], "cloud": ["aws", "gcp"],
                  "tier": ["1", "2.5", "true"]}


def test_lago_spec_example_prices_each_bucket_with_its_own_properties():
    """§2: charge standard 10.12345; filters region=europe -> 20, region=usa -> 50, country=france -> 10.12345;
    events {}, {usa}, {europe}, {europe}, {france}; count aggregation -> europe 2 units 40.00, usa 1 unit 50.00,
    france 1 unit 10.12, default bucket 1 unit 10.12 (10.12345 -> 1012.345 cents -> 1012)."""
    charge_properties = {"amount": "10.12345"}
    filters = [({"region": ["europe"]}, {"amount": "20"}), ({"region": ["usa"]}, {"amount": "50"}),
               ({"country": ["france"]}, {"amount": "10.12345"})]
    buckets = FilterBuckets([values for values, _ in filters], METRIC_FILTERS)
    events = [{}, {"region": "usa"}, {"region": "europe"}, {"region": "europe"}, {"country": "france"}]

    units = Counter(buckets.bucket_of(properties) for properties in events)

    def bucket_cents(bucket):
        properties = charge_properties if bucket is None else filters[bucket][1]
        usage = Usage(Decimal(units[bucket]), units[bucket])
        return amount_cents(charge_amount("standard", parse_properties("standard", properties), usage), "EUR")

    assert dict(units) == {0: 2, 1: 1, 2: 1, None: 1}
    assert [bucket_cents(bucket) for bucket in (0, 1, 2, None)] == [4000, 5000, 1012, 1012]


def test_the_most_specific_filter_wins_whatever_its_age():
    buckets = FilterBuckets([{"region": ["europe"]}, {"region": ["europe"], "cloud": ["aws"]}], METRIC_FILTERS)
    assert buckets.bucket_of({"region": "europe", "cloud": "aws"}) == 1
    assert buckets.bucket_of({"region": "europe", "cloud": "gcp"}) == 0


def test_equally_specific_filters_go_to_the_oldest():
    buckets = FilterBuckets([{"cloud": ["aws"]}, {"region": ["europe"]}, {"region": ["europe"]}], METRIC_FILTERS)
    assert buckets.bucket_of({"region": "europe", "cloud": "aws"}) == 0
    assert buckets.bucket_of({"region": "europe"}) == 1


def test_an_event_must_have_every_key_of_the_filter():
    buckets = FilterBuckets([{"region": ["europe"], "cloud": ["aws"]}], METRIC_FILTERS)
    assert buckets.bucket_of({"region": "europe"}) is None
    assert buckets.bucket_of({"region": "europe", "cloud": "aws", "unrelated": "x"}) == 0


def test_all_filter_values_means_the_values_the_metric_declares():
    buckets = FilterBuckets([{"region": [ALL_FILTER_VALUES]}], METRIC_FILTERS)
    assert [buckets.bucket_of({"region": region}) for region in ("europe", "asia", "mars")] == [0, 0, None]


def test_values_are_compared_as_lago_stringifies_them():
    buckets = FilterBuckets([{"tier": ["1"]}, {"tier": ["2.5"]}, {"tier": ["true"]}], METRIC_FILTERS)
    # Numbers match by value: DynamoDB hands a stored 1.0 back as 1, so "1" and 1.0 must agree.
    assert [buckets.bucket_of({"tier": value}) for value in (1, Decimal("1.0"), Decimal("2.50"), "2.50")] == [0, 0, 1, None]
    assert [buckets.bucket_of({"tier": value}) for value in (True, "true", False, None, ["1"])] == [2, 2, None, None, None]


def test_no_filters_means_everything_is_in_the_default_bucket():
    assert FilterBuckets([], METRIC_FILTERS).bucket_of({"region": "europe"}) is None


@pytest.mark.parametrize("charge_filters, details", [
    ([{"planet": ["mars"]}], {"values": ["value_is_invalid"]}),
    ([{"region": ["mars"]}], {"values": ["value_is_invalid"]}),
    ([{"region": [ALL_FILTER_VALUES, "europe"]}], {"values": ["value_is_invalid"]}),
    ([{"planet": [ALL_FILTER_VALUES]}], {"values": ["value_is_invalid"]}),
    ([{"region": []}], {"values": ["value_is_mandatory"]}),
    ([{}], {"values": ["value_is_mandatory"]}),
])
def test_filters_must_use_the_metrics_keys_and_values(charge_filters, details):
    with pytest.raises(ValidationFailed) as refused:
        FilterBuckets(charge_filters, METRIC_FILTERS)
    assert refused.value.details == details


filter_values = st.dictionaries(st.sampled_from(["region", "cloud"]),
                                st.lists(st.sampled_from(["europe", "usa", "aws", "gcp"]), min_size=1, unique=True),
                                min_size=1).map(lambda values: {key: [value for value in chosen if value in
                                                                      METRIC_FILTERS[key]] or [ALL_FILTER_VALUES]
                                                                for key, chosen in values.items()})
events = st.dictionaries(st.sampled_from(["region", "cloud", "other"]),
                         st.sampled_from(["europe", "usa", "asia", "aws", "gcp", "mars"]))


@given(charge_filters=st.lists(filter_values, max_size=5), properties=events)
def test_bucket_is_the_first_of_the_matching_filters_with_most_keys(charge_filters, properties):
    def matches(values):
        return all(properties.get(key) in (METRIC_FILTERS[key] if accepted == [ALL_FILTER_VALUES] else accepted)
                   for key, accepted in values.items())

    matching = [index for index, values in enumerate(charge_filters) if matches(values)]
    expected = max(matching, key=lambda index: (len(charge_filters[index]), -index)) if matching else None
    assert FilterBuckets(charge_filters, METRIC_FILTERS).bucket_of(properties) == expected
