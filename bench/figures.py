"""One value of results.json: rounds of a measurement summed up as median and range, beside the raw counts."""
from __future__ import annotations

import statistics
from decimal import Decimal
from typing import Any


class PathDidNotRun(SystemExit):
    """A measured path did nothing (no request counted, nothing aggregated, no invoice): the bench fails on it."""


def ensure(condition: bool, path: str, what: str) -> None:
    if not condition:
        raise PathDidNotRun(f"FAILED: {path} did not run: {what}")


def figure(values: list[float | Decimal], how: str, **raw: Any) -> dict[str, Any]:
    """`{"median", "min", "max", "rounds", "how", ...raw}` of the rounds' values."""
    numbers = [float(value) for value in values]
    return {"median": round(statistics.median(numbers), 4), "min": round(min(numbers), 4),
            "max": round(max(numbers), 4), "rounds": len(numbers), "how": how, **raw}
