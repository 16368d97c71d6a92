"""The console's billable metrics in words: the aggregation types the form offers and a metric's fields as its list
and its page show them, all read from the domain's catalogue of aggregation types."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.aggregations.registry import AGGREGATION_KINDS
from chalicelib.domain.billable_metrics import BillableMetric

# (aggregation_type, name in words), in the catalogue's order: the form's "Aggregation" options.
AGGREGATION_CHOICES = tuple((name, kind.label) for name, kind in AGGREGATION_KINDS.items())
RECURRING_TYPES = ", ".join(kind.label for kind in AGGREGATION_KINDS.values() if kind.may_recur)


@dataclass(frozen=True)
class MetricView:
    """A metric as the console shows it; `filters` are (key, values joined by commas)."""

    name: str
    code: str
    description: str
    aggregation: str
    field_name: str
    recurring: str
    filters: list[tuple[str, str]]
    plans_count: int


def metric_view(metric: BillableMetric) -> MetricView:
    return MetricView(name=metric.name, code=metric.code, description=metric.description or "",
                      aggregation=AGGREGATION_KINDS[metric.aggregation_type].label,
                      field_name=metric.field_name or "", recurring="Yes" if metric.recurring else "No",
                      filters=[(item.key, ", ".join(item.values)) for item in metric.filters],
                      plans_count=metric.plans_count)
