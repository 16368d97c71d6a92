"""The console's Usage tab through the app: events sent through the API and delivered by the events table's stream,
then every figure of the tab equal to `GET current_usage`'s, in words (format_money), worked out by hand; the
figures alone for htmx's "Refresh"; the empty states; another organization's customer unseen."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from builders import create, create_customer, create_plan, send_event, subscribe
from in_advance_fixtures import ReceptionClock, drain
from test_console import SIGNED_IN_AT, browser, clock, signed_in  # noqa: F401 (the console's fixtures)

MARCH_1 = "2026-03-01T00:00:00Z"
EVENTS_AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def same_now(monkeypatch, api_clock, clock):  # noqa: F811 (the console's clock fixture)
    """The API's and the console's "now": 9:00 on 1 March 2026, in the subscriptions' first period."""
    api_clock.set(SIGNED_IN_AT)
    for target in ("chalicelib.console.customers.utc_now", "chalicelib.api.current_usage.utc_now"):
        monkeypatch.setattr(target, lambda: clock.now)
    ReceptionClock(monkeypatch, SIGNED_IN_AT)


def usage_plan(api) -> None:
    """"Storage" (sum of gb, 2 EUR a gb; filters: region eu "Europe" at 1.5, us at 3) and "API calls" (count,
    0.125 EUR a call); customer `cust` subscribed as `sub` from 1 March 2026."""
    storage = create(api, "/api/v1/billable_metrics", "billable_metric", {
        "name": "Storage", "code": "storage", "aggregation_type": "sum_agg", "field_name": "gb",
        "filters": [{"key": "region", "values": ["eu", "us"]}]})
    calls = create(api, "/api/v1/billable_metrics", "billable_metric", {
        "name": "API calls", "code": "calls", "aggregation_type": "count_agg"})
    create_plan(api, code="usage", charges=[
        {"billable_metric_id": storage["lago_id"], "charge_model": "standard", "properties": {"amount": "2"},
         "filters": [{"values": {"region": ["eu"]}, "invoice_display_name": "Europe",
                      "properties": {"amount": "1.5"}},
                     {"values": {"region": ["us"]}, "properties": {"amount": "3"}}]},
        {"billable_metric_id": calls["lago_id"], "charge_model": "standard", "properties": {"amount": "0.125"}}])
    create_customer(api)
    subscribe(api, plan_code="usage", subscription_at=MARCH_1)


def send_usage(api, event_stream, events: list[tuple[str, dict]]) -> None:
    for number, (code, properties) in enumerate(events):
        send_event(api, f"{code}-{number}-{properties}", code, "sub", EVENTS_AT, properties)
    drain(event_stream)


HAND_WORKED = [("storage", {"gb": "100"}), ("storage", {"gb": "400.5"}), ("storage", {"gb": "10", "region": "eu"}),
               ("storage", {"gb": "0.25", "region": "us"})] + [("calls", {})] * 3


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def usage_table(page: str) -> dict:
    """The tab's period, its rows (metric name, filters, units, amount) and its total."""
    period = re.search(r'From <time datetime="([\d-]+)">.*?to <time datetime="([\d-]+)">', page, re.S)
    rows = []
    for row in re.findall(r"<tbody>(.*?)</tbody>", page, re.S)[0].split("</tr>")[:-1]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append({"metric": text(re.search(r'<span class="metric">(.*?)</span>', cells[0]).group(1)),
                     "filters": [text(item) for item in re.findall(r"<li>(.*?)</li>", cells[0], re.S)],
                     "units": text(cells[1]), "amount": text(cells[2])})
    total = re.search(r'<tfoot><tr><th scope="row">Total</th><td></td><td class="number">(.*?)</td>', page)
    return {"from": period.group(1), "to": period.group(2), "rows": rows, "total": total.group(1)}


def test_every_figure_of_the_usage_tab_is_current_usages(api, signed_in, event_stream):  # noqa: F811
    usage_plan(api)
    send_usage(api, event_stream, HAND_WORKED)
    page = signed_in.get("/console/customers/cust/usage")
    assert page.status_code == 200
    assert '<th scope="col">Units</th><th scope="col">Amount</th>' in page.body.decode()
    table = usage_table(page.body.decode())
    # By hand: calls 3 x 0.125 = 0.375 EUR = 37.5 cents, half up 38; storage default 500.5 gb x 2 = 1001.00,
    # Europe 10 x 1.5 = 15.00, us 0.25 x 3 = 0.75: 1016.75 for 510.75 gb; total 1016.75 + 0.38 = 1017.13.
    assert table == {"from": "2026-03-01", "to": "2026-03-31", "total": "€1,017.13", "rows": [
        {"metric": "API calls", "filters": [], "units": "3", "amount": "€0.38"},  # Lago's order: by metric name
        {"metric": "Storage", "units": "510.75", "amount": "€1,016.75",
         "filters": ["Europe: 10 units, €15.00", "region: us: 0.25 units, €0.75", "Other: 500.5 units, €1,001.00"]},
    ]}
    usage = api.get("/api/v1/customers/cust/current_usage").json_body["customer_usage"]
    assert (usage["from_datetime"][:10], usage["to_datetime"][:10]) == (table["from"], table["to"])
    assert [(charge["billable_metric"]["name"], charge["units"], charge["amount_cents"],
             [(item["units"], item["amount_cents"]) for item in charge["filters"]])
            for charge in usage["charges_usage"]] == [
        ("API calls", "3.0", 38, []),
        ("Storage", "510.75", 101675, [("10.0", 1500), ("0.25", 75), ("500.5", 100100)])]
    assert usage["amount_cents"] == 101713


def test_the_figures_alone_are_the_tabs_for_htmxs_refresh(api, signed_in, event_stream):  # noqa: F811
    usage_plan(api)
    send_usage(api, event_stream, HAND_WORKED[:1])
    page = signed_in.get("/console/customers/cust/usage").body.decode()
    assert ('<form method="get" action="/console/customers/cust/usage" hx-get="/console/customers/cust/usage/figures"'
            ' hx-target="#usage" hx-swap="outerHTML">') in page
    assert '<button type="submit">Refresh</button>' in page
    send_usage(api, event_stream, [("calls", {})])
    figures = signed_in.get("/console/customers/cust/usage/figures")
    assert figures.status_code == 200
    body = figures.body.decode()
    assert body.lstrip().startswith('<div id="usage">') and "<html" not in body
    table = usage_table(body)
    assert (table["rows"][0]["amount"], table["total"]) == ("€0.13", "€200.13")  # 0.125 half up; 100 gb x 2
    assert usage_table(signed_in.get("/console/customers/cust/usage").body.decode()) == table


def test_the_empty_states_say_so(api, signed_in):  # noqa: F811
    usage_plan(api)
    page = signed_in.get("/console/customers/cust/usage").body.decode()
    assert "No usage yet in this period" in page and "<table>" not in page
    assert "From <time datetime=\"2026-03-01\">" in page
    create_customer(api, "idle")
    page = signed_in.get("/console/customers/idle/usage").body.decode()
    assert "No active subscription" in page and "No usage yet" not in page


def test_another_organizations_customer_is_not_found(other_api, signed_in):  # noqa: F811
    create_customer(other_api, "theirs")
    assert signed_in.get("/console/customers/theirs/usage").status_code == 404
    assert signed_in.get("/console/customers/theirs/usage/figures").status_code == 404


def test_each_active_subscription_has_its_own_figures(api, signed_in, event_stream):  # noqa: F811
    usage_plan(api)
    subscribe(api, plan_code="usage", external_id="second", name="Second site", subscription_at=MARCH_1)
    send_usage(api, event_stream, HAND_WORKED[-1:])
    page = signed_in.get("/console/customers/cust/usage").body.decode()
    # Newest first: "second", without usage yet, then "sub" with one call, 0.125 EUR half up 13 cents.
    assert re.findall(r"<h2>(.*?)</h2>", page) == ["Second site (Plan usage)", "sub (Plan usage)"]
    second, first = page.split("<h2>")[1:]
    assert "No usage yet in this period" in second
    assert usage_table(first)["total"] == "€0.13"
    assert api.get("/api/v1/customers/cust/current_usage?external_subscription_id=sub"
                   ).json_body["customer_usage"]["amount_cents"] == 13


def test_no_figures_while_an_event_set_aside_makes_them_wrong(api, signed_in, monkeypatch):  # noqa: F811
    usage_plan(api)
    monkeypatch.setattr("chalicelib.store.dead_letters.DeadLetterRepository.dead_events", lambda *_: ["set aside"])
    assert api.get("/api/v1/customers/cust/current_usage").json_body["code"] == "usage_pending"
    page = signed_in.get("/console/customers/cust/usage").body.decode()
    assert "Usage is being recomputed" in page and "<table>" not in page
