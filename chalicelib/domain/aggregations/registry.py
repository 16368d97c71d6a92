"""Lago's `aggregation_type` names, what Lago allows each, and the aggregation a metric and its charge select: the
one table every rule on aggregation types reads."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.aggregations.base import AnyAggregation
from chalicelib.domain.aggregations.count import CountAggregation
from chalicelib.domain.aggregations.latest import Latest, LatestAggregation
from chalicelib.domain.aggregations.max import MaxAggregation, Maximum
from chalicelib.domain.aggregations.moments import Moments
from chalicelib.domain.aggregations.prorated_sum import ProratedSumAggregation
from chalicelib.domain.aggregations.prorated_unique_count import ProratedUniqueCountAggregation
from chalicelib.domain.aggregations.sum import SumAggregation, Totals
from chalicelib.domain.aggregations.unique_count import ActiveValues, Histories, UniqueCountAggregation
from chalicelib.domain.aggregations.weighted_sum import WeightedSumAggregation

# The state of any aggregation below: a count, Totals (sum), Moments (prorated and weighted sum), Maximum, Latest,
# or unique count's Histories or ActiveValues (its summary).
AggregateState = int | Totals | Moments | Maximum | Latest | Histories | ActiveValues


@dataclass(frozen=True)
class AggregationKind:
    """One aggregation type: its name in words (the console's); its aggregation; whether its property must be a
    number (Lago's numeric rule); whether a metric of it may be `recurring` and a charge on it `pay_in_advance`; its
    prorated aggregation (a prorated charge needs a recurring metric of a type that has one)."""

    label: str
    aggregation: type[AnyAggregation]
    reads_a_number: bool
    may_recur: bool
    pay_in_advance: bool
    prorated: type[AnyAggregation] | None = None


# In the order the console offers them.
AGGREGATION_KINDS: dict[str, AggregationKind] = {
    "count_agg": AggregationKind("Count", CountAggregation, reads_a_number=False, may_recur=False,
                                 pay_in_advance=True),
    "sum_agg": AggregationKind("Sum", SumAggregation, reads_a_number=True, may_recur=True, pay_in_advance=True,
                               prorated=ProratedSumAggregation),
    "max_agg": AggregationKind("Max", MaxAggregation, reads_a_number=True, may_recur=False, pay_in_advance=False),
    "unique_count_agg": AggregationKind("Unique count", UniqueCountAggregation, reads_a_number=False,
                                        may_recur=True, pay_in_advance=True, prorated=ProratedUniqueCountAggregation),
    "latest_agg": AggregationKind("Latest", LatestAggregation, reads_a_number=True, may_recur=False,
                                  pay_in_advance=False),
    "weighted_sum_agg": AggregationKind("Weighted sum", WeightedSumAggregation, reads_a_number=True, may_recur=True,
                                        pay_in_advance=False),
}


def aggregation_for(aggregation_type: str, field_name: str | None = None, *, recurring: bool = False,
                    prorated: bool = False) -> AnyAggregation:
    """The aggregation of a metric (`aggregation_type`, `field_name`, `recurring`) on a charge (`prorated`)."""
    kind = AGGREGATION_KINDS.get(aggregation_type)
    if kind is None:
        raise ValueError(f"unknown aggregation_type {aggregation_type!r}")
    if recurring and not kind.may_recur:
        raise ValueError(f"{aggregation_type} cannot be recurring")
    if not prorated:
        return kind.aggregation(field_name, recurring)
    if not recurring or kind.prorated is None:
        raise ValueError(f"a prorated charge needs a recurring sum or unique count, not {aggregation_type}")
    return kind.prorated(field_name)
