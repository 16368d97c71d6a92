"""The biller's choice between billing inline and queueing, on fakes of its ports (no AWS)."""
from __future__ import annotations

from datetime import UTC, datetime

from fakes.control_plane import FixedClock
from fakes.world import InMemoryRepositories

from chalicelib.billing.biller import Biller

NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)


class FakeSubscriptions:
    def __init__(self, due: list[tuple[str, str, str]]):
        self._due = due

    def due(self, until: datetime) -> list[tuple[str, str, str]]:
        return list(self._due) if until == NOW else []

    def backfill_due(self, until: datetime) -> list[tuple[str, str, str]]:
        return []


class FakeStores(InMemoryRepositories):
    """The in-memory stores, with a due index that names exactly `due` at NOW."""

    def __init__(self, due: list[tuple[str, str, str]]):
        super().__init__(FixedClock(NOW))
        self.subscriptions = FakeSubscriptions(due)


class FakeQueue:
    def __init__(self, configured: bool):
        self.configured = configured
        self.sent: list[tuple[list[tuple[str, str]], datetime]] = []

    def is_configured(self) -> bool:
        return self.configured

    def enqueue(self, customers: list[tuple[str, str]], now: datetime) -> int:
        self.sent.append((customers, now))
        return len(customers)


def test_past_the_inline_limit_the_due_customers_are_queued_once_each(monkeypatch):
    monkeypatch.setenv("BILLER_INLINE_CUSTOMERS", "1")
    queue = FakeQueue(configured=True)
    due = [("org", "a", "s1"), ("org", "a", "s2"), ("org", "b", "s3")]
    assert Biller(FakeStores(due), queue).bill_due_customers(NOW) == {
        "now": NOW.isoformat(), "customers_due": 2, "customers_queued": 2, "customers_failed": 0,
        "invoices_created": 0}
    assert queue.sent == [([("org", "a"), ("org", "b")], NOW)]


def test_nothing_due_queues_nothing_and_bills_nothing(monkeypatch):
    monkeypatch.setenv("BILLER_INLINE_CUSTOMERS", "0")
    queue = FakeQueue(configured=True)
    assert Biller(FakeStores([]), queue).bill_due_customers(NOW)["customers_due"] == 0
    assert queue.sent == []
