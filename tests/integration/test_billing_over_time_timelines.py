"""Fixed timelines of tests/billing_timelines.py played through the HTTP API on moto, the events' stream delivered by
the stream poller, the hourly biller's and `bill --backfill`'s runs on the DynamoDB repositories: the wiring of what
tests/unit/test_billing_over_time_property.py checks over random timelines on the in-memory stores."""
from __future__ import annotations

from datetime import datetime

import pytest
from billing_timelines import BACKDATED_OVER_AN_UNBILLABLE_EVENT, EVERY, UPGRADED_THEN_TERMINATED, Json, check, play
from in_advance_fixtures import drain, stream_poller

from chalicelib.billing.replay import BillerReplay, Replay
from chalicelib.store.repositories import repositories
from chalicelib.wiring import run_biller


class HttpService:
    """The API as a client with an API key calls it, with its clocks pinned, and the events' stream drained after each
    event."""

    def __init__(self, api, dynamodb, monkeypatch):
        self._api = api
        self._stream = stream_poller(dynamodb)
        self._monkeypatch = monkeypatch

    def _request(self, method: str, path: str, body: Json | None = None) -> Json:
        response = self._api.request(method, path, body)
        assert response.status_code == 200, (method, path, response.body)
        return response.json_body

    def set_clock(self, moment: datetime) -> None:
        self._monkeypatch.setattr("chalicelib.api.subscriptions.utc_now", lambda: moment)
        self._monkeypatch.setattr("chalicelib.api.events.utc_now_ms", lambda: moment)

    def create_metric(self, payload: Json) -> str:
        return self._request("POST", "/api/v1/billable_metrics", {"billable_metric": payload})["billable_metric"][
            "lago_id"]

    def create_plan(self, payload: Json) -> None:
        self._request("POST", "/api/v1/plans", {"plan": payload})

    def create_customer(self, payload: Json) -> None:
        self._request("POST", "/api/v1/customers", {"customer": payload})

    def create_subscription(self, payload: Json) -> None:
        self._request("POST", "/api/v1/subscriptions", {"subscription": payload})

    def terminate(self, external_id: str) -> None:
        self._request("DELETE", f"/api/v1/subscriptions/{external_id}")

    def send_event(self, payload: Json) -> None:
        self._request("POST", "/api/v1/events", {"event": payload})
        drain(self._stream)

    def run_biller(self, now: datetime) -> None:
        run_biller(now)

    def backfill(self, now: datetime) -> None:
        BillerReplay(repositories()).run(Replay(at=now, backfill=True), current_time=now)

    def subscriptions(self) -> list[Json]:
        listed = self._request("GET", f"/api/v1/subscriptions?external_customer_id=acme&per_page={EVERY}"
                                      "&status[]=active&status[]=terminated")
        assert listed["meta"]["total_count"] <= EVERY
        return listed["subscriptions"]

    def invoices(self) -> list[Json]:
        listed = self._request("GET", f"/api/v1/invoices?external_customer_id=acme&per_page={EVERY}")
        assert listed["meta"]["total_count"] <= EVERY
        return [self._request("GET", f"/api/v1/invoices/{invoice['lago_id']}")["invoice"]
                for invoice in listed["invoices"]]

    def unbillable_events(self, external_subscription_id: str) -> list[Json]:
        listed = self._request("GET", f"/api/v1/events?external_subscription_id={external_subscription_id}"
                                      f"&billable=false&per_page={EVERY}")
        assert listed["meta"]["total_count"] <= EVERY
        return listed["events"]


@pytest.mark.parametrize("timeline", [BACKDATED_OVER_AN_UNBILLABLE_EVENT, UPGRADED_THEN_TERMINATED],
                         ids=["backdated-over-an-unbillable-event", "upgraded-then-terminated"])
def test_a_timeline_bills_every_event_once_or_lists_it_with_its_reason(api, dynamodb, monkeypatch, timeline):
    check(play(HttpService(api, dynamodb, monkeypatch), timeline))
