"""The one table of aggregation types (`registry.AGGREGATION_KINDS`): every type a metric may name, and what Lago
allows each (app/models/billable_metric.rb, app/models/charge.rb)."""
from __future__ import annotations

from typing import get_args

from chalicelib.domain.aggregations.registry import AGGREGATION_KINDS
from chalicelib.domain.billable_metrics import AggregationType


def types_where(flag) -> set[str]:
    return {name for name, kind in AGGREGATION_KINDS.items() if flag(kind)}


def test_the_table_names_every_type_a_metric_accepts():
    assert set(AGGREGATION_KINDS) == set(get_args(AggregationType))


def test_what_lago_allows_each_type():
    assert types_where(lambda kind: kind.may_recur) == {"sum_agg", "unique_count_agg", "weighted_sum_agg"}
    assert types_where(lambda kind: kind.pay_in_advance) == {"count_agg", "sum_agg", "unique_count_agg"}
    assert types_where(lambda kind: kind.prorated is not None) == {"sum_agg", "unique_count_agg"}
    assert types_where(lambda kind: kind.reads_a_number) == {"sum_agg", "max_agg", "latest_agg", "weighted_sum_agg"}


def test_a_prorated_type_may_recur():
    assert all(kind.may_recur for kind in AGGREGATION_KINDS.values() if kind.prorated is not None)


def test_the_console_offers_each_type_by_its_name_in_words():
    assert [kind.label for kind in AGGREGATION_KINDS.values()] == [
        "Count", "Sum", "Max", "Unique count", "Latest", "Weighted sum"]
