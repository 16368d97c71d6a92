"""The test clock's rules (chalicelib/domain/test_clocks.py): an advance only forward and one at a time, the walk
to the target, who may join, and "now" per customer."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.test_clocks import (
    MAX_CUSTOMERS_PER_CLOCK,
    AdvanceInput,
    TestClock,
    advancing_clock,
    clock_arrived,
    clock_on_the_way,
    deletable_clock,
    enrolling_clock,
)
from chalicelib.usecases.customer_time import CustomerTime

JAN_15 = datetime(2024, 1, 15, 10, tzinfo=UTC)
FEB_1 = datetime(2024, 2, 1, tzinfo=UTC)
MAR_1 = datetime(2024, 3, 1, 1, tzinfo=UTC)


def clock(**fields) -> TestClock:
    return TestClock(**{"id": "k", "organization_id": "o", "name": "n", "frozen_time": JAN_15, "created_at": JAN_15,
                        **fields})


def test_an_advance_goes_forward_only_and_one_at_a_time():
    started = advancing_clock(clock(), MAR_1)
    assert (started.status, started.advancing_to, started.frozen_time, started.version) == (
        "advancing", MAR_1, JAN_15, 2)
    with pytest.raises(ValidationFailed) as refused:
        advancing_clock(started, datetime(2024, 4, 1, tzinfo=UTC))
    assert refused.value.details == {"test_clock": ["test_clock_is_advancing"]}
    for not_later in (JAN_15, datetime(2024, 1, 1, tzinfo=UTC)):
        with pytest.raises(ValidationFailed) as refused:
            advancing_clock(clock(), not_later)
        assert refused.value.details == {"frozen_time": ["must_be_after_current_frozen_time"]}


def test_the_clock_stops_at_each_due_instant_then_arrives_at_its_target():
    on_the_way = clock_on_the_way(advancing_clock(clock(), MAR_1), FEB_1)
    assert (on_the_way.frozen_time, on_the_way.status, on_the_way.advancing_to) == (FEB_1, "advancing", MAR_1)
    arrived = clock_arrived(on_the_way)
    assert (arrived.frozen_time, arrived.status, arrived.advancing_to, arrived.version) == (MAR_1, "ready", None, 4)


def test_a_clock_advancing_cannot_be_deleted():
    assert deletable_clock(clock()).id == "k"
    with pytest.raises(ValidationFailed):
        deletable_clock(advancing_clock(clock(), MAR_1))


def test_a_customer_joins_an_existing_clock_with_room():
    with pytest.raises(NotFound) as missing:
        enrolling_clock(None)
    assert missing.value.code == "test_clock_not_found"
    assert enrolling_clock(clock(customers_count=MAX_CUSTOMERS_PER_CLOCK - 1)).id == "k"
    with pytest.raises(ValidationFailed) as full:
        enrolling_clock(clock(customers_count=MAX_CUSTOMERS_PER_CLOCK))
    assert full.value.details == {"test_clock_id": ["too_many_customers"]}


@pytest.mark.parametrize(("body", "expected"), [
    ({"frozen_time": "2024-03-01T02:00:00+01:00"}, MAR_1),
    ({"test_clock": {"frozen_time": "2024-03-01T01:00:00Z"}}, MAR_1),
])
def test_the_advance_body_names_the_new_time(body, expected):
    assert AdvanceInput.parse(body) == expected


def test_now_is_the_request_s_for_real_customers_and_the_clock_s_on_a_clock():
    reads = []

    class Clocks:
        def get(self, organization_id, test_clock_id):
            reads.append(test_clock_id)
            return clock(id=test_clock_id) if test_clock_id == "k" else None

    request_time = datetime(2026, 12, 7, 9, tzinfo=UTC)
    time = CustomerTime(request_time, Clocks(), "o")
    assert time.now_for(None) == request_time
    assert [time.now_for("k"), time.now_for("k")] == [JAN_15, JAN_15]
    assert reads == ["k"]  # read once per request
    assert time.now_for("deleted") == request_time
