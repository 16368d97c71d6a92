"""The cost of a million events (bench/cost.py) from one measured batch, line by line, worked out by hand."""
from __future__ import annotations

from decimal import Decimal

from bench.cost import BatchCost, dollars_per_million_events


def test_a_million_events_cost_ten_thousand_batches_of_a_hundred():
    batch = BatchCost(events=100, requests=100, write_units=200, read_units=Decimal(10),
                      cpu_seconds=Decimal("0.1"), stored_bytes=2**20)
    cost = dollars_per_million_events(batch)
    # 10,000 batches:
    assert cost["dynamodb_writes"] == Decimal("1.25")         # 200 units x $0.625 / 10^6 x 10^4
    assert cost["dynamodb_reads"] == Decimal("0.0125")        # 10 units x $0.125 / 10^6 x 10^4
    assert cost["dynamodb_storage"] == Decimal("2.44140625")  # 1 MiB = 1/1024 GB x $0.25 x 10^4, one month
    assert cost["lambda_requests"] == Decimal("0.004")        # 2 invocations x $0.20 / 10^6 x 10^4
    # (0.1 s of CPU + 100 requests x 5 ms) x 0.5 GB x $0.0000166667 x 10^4
    assert cost["lambda_duration"] == Decimal("0.0500001")
    assert cost["api_gateway"] == Decimal("0.035")            # 1 request x $3.50 / 10^6 x 10^4
    assert cost["total"] == Decimal("3.79290635")
