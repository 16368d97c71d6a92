"""Fixtures of the pay-in-advance tests (helpers in in_advance_fixtures.py): ingestion's reception clock pinned, and
the events table's stream as Lambda's event source delivers it."""
from __future__ import annotations

import pytest
from in_advance_fixtures import RECEIVED, ReceptionClock, stream_poller

from chalicelib.local.stream_poller import StreamPoller


@pytest.fixture
def reception(monkeypatch) -> ReceptionClock:
    return ReceptionClock(monkeypatch, RECEIVED)


@pytest.fixture
def event_stream(dynamodb) -> StreamPoller:
    return stream_poller(dynamodb)
