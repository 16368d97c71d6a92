"""The local stack's pollers back off while their source is empty: 0.25 s, then twice as long each empty poll, at
most 2 s, and at once again after a poll that delivered."""
from __future__ import annotations

from chalicelib.local.polling import next_idle_seconds


def test_empty_polls_sleep_twice_as_long_each_time_up_to_two_seconds():
    sleeps, idle = [], 0.0
    for _ in range(6):
        idle = next_idle_seconds(idle, delivered=0)
        sleeps.append(idle)
    assert sleeps == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]


def test_a_poll_that_delivered_polls_again_at_once_and_the_next_empty_one_sleeps_a_quarter_second():
    assert next_idle_seconds(2.0, delivered=3) == 0.0
    assert next_idle_seconds(0.0, delivered=0) == 0.25
