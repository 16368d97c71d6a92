"""Lago's `aggregation_type` names, and the aggregation a metric and its charge select."""
from __future__ import annotations

from chalicelib.domain.aggregations.base import Aggregation
from chalicelib.domain.aggregations.count import CountAggregation
from chalicelib.domain.aggregations.latest import LatestAggregation
from chalicelib.domain.aggregations.max import MaxAggregation
from chalicelib.domain.aggregations.prorated_sum import ProratedSumAggregation
from chalicelib.domain.aggregations.prorated_unique_count import ProratedUniqueCountAggregation
from chalicelib.domain.aggregations.sum import SumAggregation
from chalicelib.domain.aggregations.unique_count import UniqueCountAggregation
from chalicelib.domain.aggregations.weighted_sum import WeightedSumAggregation

AGGREGATIONS: dict[str, type[Aggregation]] = {
    "count_agg": CountAggregation,
    "sum_agg": SumAggregation,
    "max_agg": MaxAggregation,
    "latest_agg": LatestAggregation,
    "unique_count_agg": UniqueCountAggregation,
    "weighted_sum_agg": WeightedSumAggregation,
}
# Lago refuses `recurring: true` for count, max and latest, and proration on any metric that is not recurring.
RECURRING_TYPES = frozenset({"sum_agg", "unique_count_agg", "weighted_sum_agg"})
PRORATED_AGGREGATIONS: dict[str, type[Aggregation]] = {
    "sum_agg": ProratedSumAggregation,
    "unique_count_agg": ProratedUniqueCountAggregation,
}


def aggregation_for(aggregation_type: str, field_name: str | None = None, *, recurring: bool = False,
                    prorated: bool = False) -> Aggregation:
    """The aggregation of a metric (`aggregation_type`, `field_name`, `recurring`) on a charge (`prorated`)."""
    if aggregation_type not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation_type {aggregation_type!r}")
    if recurring and aggregation_type not in RECURRING_TYPES:
        raise ValueError(f"{aggregation_type} cannot be recurring")
    if not prorated:
        return AGGREGATIONS[aggregation_type](field_name, recurring)
    if not recurring or aggregation_type not in PRORATED_AGGREGATIONS:
        raise ValueError(f"a prorated charge needs a recurring sum or unique count, not {aggregation_type}")
    return PRORATED_AGGREGATIONS[aggregation_type](field_name)
