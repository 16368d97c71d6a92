"""Pricing groups (`pricing_group_keys`, formerly `grouped_by`) from the API to the invoice: events through the
stream handler, each group aggregated and priced on its own, current usage's `grouped_usage` and one invoice fee
per group with its `grouped_by`, read over HTTP. Lago's two cases: a recurring unique count grouped by three keys
(spec/scenarios/current_usage/by_aggregation_type/unique_count_agg_spec.rb) and a filter grouped by country
(spec/scenarios/invoices/filters_and_grouped_by_spec.rb)."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from builders import create_customer, create_metric, create_plan, subscribe, subscribe_now
from in_advance_fixtures import drain, fees_of, in_advance_plan
from in_advance_fixtures import send as send_event
from test_current_usage import dynamodb_requests
from test_openapi import _assert_described
from usage_fixtures import event_item, store_and_deliver

from app import app
from chalicelib.api.openapi.document import openapi_document
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.store.dynamo import to_attributes
from chalicelib.store.keys import aggregate_sk, usage_pk
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import USAGE
from chalicelib.usage.rebuild import UsageRebuild
from chalicelib.wiring import run_biller

STARTED = datetime(2026, 1, 15, 10, tzinfo=UTC)
VAT = 20
USAGE_PATH = "/api/v1/customers/cust/current_usage?external_subscription_id=sub"


@pytest.fixture
def document() -> dict:
    return openapi_document(app.routes)


def at(day: int, hour: int = 12, month: int = 1) -> int:
    return epoch_ms(datetime(2026, month, day, hour, tzinfo=UTC))


def send(dynamodb, organization_id: str, events: list[tuple[str, int, str, dict]]) -> None:
    """Store the events as ingestion does and deliver them to the stream handler in one batch."""
    store_and_deliver(dynamodb, [event_item(organization_id, tx, timestamp_ms, code, properties)
                                 for tx, timestamp_ms, code, properties in events])


def current_usage(api, monkeypatch, now: datetime, document: dict | None = None) -> dict:
    monkeypatch.setattr("chalicelib.api.current_usage.utc_now", lambda: now)
    response = api.get(USAGE_PATH)
    assert response.status_code == 200, response.body
    if document is not None:
        _assert_described(document, "/api/v1/customers/{external_id}/current_usage", "get", response)
    return response.json_body["customer_usage"]


def setup(api, api_clock, metric: dict, charge: dict, **customer) -> None:
    create_customer(api, **customer)
    create_plan(api, amount_cents=0, charges=[{"billable_metric_id": metric["lago_id"], **charge}])
    api_clock.set(STARTED)
    subscribe(api, external_customer_id="cust", plan_code="startup", external_id="sub",
              subscription_at=STARTED.isoformat().replace("+00:00", "Z"))


def grouped(usage: dict) -> dict:
    """Each grouped_usage entry of the only charge by its grouped_by values: (units, events, cents, filters)."""
    (charge,) = usage["charges_usage"]
    return {tuple(entry["grouped_by"].values()): (entry["units"], entry["events_count"], entry["amount_cents"],
                                                  [(item["units"], item["amount_cents"], item["values"])
                                                   for item in entry["filters"]])
            for entry in charge["grouped_usage"]}


def test_lagos_recurring_unique_count_grouped_by_three_keys(api, api_clock, dynamodb, tenant, monkeypatch):
    items = create_metric(api, "items", "unique_count_agg", "item_id")
    assert api.put("/api/v1/billable_metrics/items", {"billable_metric": {"recurring": True}}).status_code == 200
    setup(api, api_clock, items, {"charge_model": "standard",
                                  "properties": {"amount": "1", "grouped_by": ["key_1", "key_2", "key_3"]}})
    plan = api.get("/api/v1/plans/startup").json_body["plan"]
    # Lago shows the keys under both names while `grouped_by` is deprecated.
    assert plan["charges"][0]["properties"] == {"amount": "1", "pricing_group_keys": ["key_1", "key_2", "key_3"],
                                                "grouped_by": ["key_1", "key_2", "key_3"]}

    def item(tx, item_id, key_3, second):
        return tx, at(20) + second * 1000, "items", {"item_id": item_id, "key_1": "2024", "key_2": "Feb",
                                                      "key_3": key_3}

    send(dynamodb, tenant.organization_id, [item("e1", "001", "08", 0), item("e2", "001", "06", 2),
                                            item("e3", "002", "06", 3)])
    # Ungrouped, the items are {001, 002}: 2 units, 200 cents. Per group: 08 holds {001}, 06 holds {001, 002}:
    # 1 + 2 = 3 units at 1 EUR, 300 cents.
    usage = current_usage(api, monkeypatch, datetime(2026, 1, 25, tzinfo=UTC))
    assert usage["amount_cents"] == 1 * 100 + 2 * 100
    assert grouped(usage) == {("2024", "Feb", "06"): ("2.0", 2, 200, []), ("2024", "Feb", "08"): ("1.0", 1, 100, [])}
    # Recurring: February carries both groups' items.
    february = current_usage(api, monkeypatch, datetime(2026, 2, 10, tzinfo=UTC))
    assert february["amount_cents"] == 300
    assert set(grouped(february)) == {("2024", "Feb", "06"), ("2024", "Feb", "08")}
    # Item 001 removed from group 08 in February: that group is empty and left out, as Lago's current usage does.
    removed = item("e4", "001", "08", 0)
    send(dynamodb, tenant.organization_id, [(removed[0], at(12, month=2), "items",
                                             {**removed[3], "operation_type": "remove"})])
    after = current_usage(api, monkeypatch, datetime(2026, 2, 20, tzinfo=UTC))
    assert (after["amount_cents"], grouped(after)) == (200, {("2024", "Feb", "06"): ("2.0", 2, 200, [])})
    assert UsageRebuild(repositories()).rebuild(tenant.organization_id, "sub").differences == []


def filters_and_groups(api, api_clock) -> None:
    """Lago's filters_and_grouped_by case: sum of `value`, 10 EUR a unit; the filter cloud aws (any region) at
    12 EUR, grouped by country."""
    metric = create_metric(api, "compute", "sum_agg", "value")
    response = api.put("/api/v1/billable_metrics/compute", {"billable_metric": {"filters": [
        {"key": "cloud", "values": ["aws", "gcp", "azure"]}, {"key": "region", "values": ["us", "europe", "asia"]}]}})
    assert response.status_code == 200, response.body
    setup(api, api_clock, metric, {
        "charge_model": "standard", "properties": {"amount": "10"},
        "filters": [{"values": {"cloud": ["aws"], "region": ["__ALL_FILTER_VALUES__"]},
                     "properties": {"amount": "12", "grouped_by": ["country"]}}]},
          billing_configuration={"vat_rate": VAT})


FILTER_EVENTS = [("us", at(16), "compute", {"cloud": "aws", "region": "us", "country": "us", "value": 10}),
                 ("fr", at(17), "compute", {"cloud": "aws", "region": "europe", "country": "france", "value": 10}),
                 ("none", at(18), "compute", {"cloud": "aws", "region": "asia", "value": 10}),
                 ("cn", at(19), "compute", {"cloud": "gcp", "region": "asia", "country": "china", "value": 10})]


def test_lagos_filter_grouped_by_country_gives_one_fee_per_group(api, api_clock, dynamodb, tenant, document, monkeypatch):
    filters_and_groups(api, api_clock)
    send(dynamodb, tenant.organization_id, FILTER_EVENTS)
    aws = {"cloud": ["aws"], "region": ["__ALL_FILTER_VALUES__"]}
    per_group = 10 * 12 * 100      # 10 units at 12 EUR in each of the filter's three groups
    default = 10 * 10 * 100        # gcp matches no filter: 10 units at 10 EUR
    usage = current_usage(api, monkeypatch, datetime(2026, 1, 25, tzinfo=UTC), document)
    assert usage["amount_cents"] == 3 * per_group + default
    (charge,) = usage["charges_usage"]
    assert (charge["units"], charge["events_count"]) == ("40.0", 4)
    # `filters` sums each filter's groups; `grouped_usage` has the filter's groups (a missing country is null)
    # and the default bucket's ungrouped usage ({}).
    assert [(item["units"], item["amount_cents"], item["values"]) for item in charge["filters"]] == [
        ("30.0", 3 * per_group, aws), ("10.0", default, None)]
    assert grouped(usage) == {(None,): ("10.0", 1, per_group, [("10.0", per_group, aws)]),
                              ("france",): ("10.0", 1, per_group, [("10.0", per_group, aws)]),
                              ("us",): ("10.0", 1, per_group, [("10.0", per_group, aws)]),
                              (): ("10.0", 1, default, [("10.0", default, None)])}

    run_biller(datetime(2026, 2, 1, 1, tzinfo=UTC))
    response = api.get("/api/v1/invoices?external_customer_id=cust")
    (invoice,) = response.json_body["invoices"]
    _assert_described(document, "/api/v1/invoices", "get", response)
    fees = sorted(((fee["amount_cents"], fee["units"], fee["events_count"], fee["item"]["grouped_by"],
                    fee["item"]["filters"]) for fee in invoice["fees"] if fee["item"]["type"] == "charge"),
                  key=repr)
    assert fees == sorted([(per_group, "10.0", 1, {"country": "us"}, aws),
                           (per_group, "10.0", 1, {"country": "france"}, aws),
                           (per_group, "10.0", 1, {"country": None}, aws),
                           (default, "10.0", 1, {}, None)], key=repr)
    fees_cents = 3 * per_group + default
    taxes = int((Decimal(fees_cents) * VAT / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert (invoice["fees_amount_cents"], invoice["taxes_amount_cents"]) == (fees_cents, taxes)
    assert UsageRebuild(repositories()).rebuild(tenant.organization_id, "sub").differences == []


def test_a_min_amount_counts_every_group_of_the_charge(api, api_clock, dynamodb, tenant):
    metric = create_metric(api, "compute", "sum_agg", "value")
    setup(api, api_clock, metric, {"charge_model": "standard", "min_amount_cents": 10000,
                                   "properties": {"amount": "1", "pricing_group_keys": ["team"]}})
    send(dynamodb, tenant.organization_id, [("a", at(16), "compute", {"team": "a", "value": 12}),
                                            ("b", at(17), "compute", {"team": "b", "value": 20})])
    run_biller(datetime(2026, 2, 1, 1, tzinfo=UTC))
    (invoice,) = api.get("/api/v1/invoices?external_customer_id=cust").json_body["invoices"]
    charges = [(fee["amount_cents"], fee["item"]["grouped_by"]) for fee in invoice["fees"]
               if fee["item"]["type"] == "charge"]
    # The minimum, prorated to the 17 days billed of January (15..31), tops up the sum of both groups' fees.
    true_up = int((Decimal(10000) * 17 / 31 - (1200 + 2000)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert charges == [(12 * 100, {"team": "a"}), (20 * 100, {"team": "b"}), (true_up, {})]


def test_hostile_group_values_are_aggregated_apart(api, api_clock, dynamodb, tenant, monkeypatch):
    metric = create_metric(api, "compute", "count_agg")
    setup(api, api_clock, metric, {"charge_model": "standard", "properties": {"amount": "1",
                                                                              "pricing_group_keys": ["who"]}})
    values = ["a#b", "a/b", "a%23b", "é" * 400, "a#b"]
    send(dynamodb, tenant.organization_id, [(f"t{n}", at(16) + n, "compute", {"who": value})
                                            for n, value in enumerate(values)])
    usage = current_usage(api, monkeypatch, datetime(2026, 1, 25, tzinfo=UTC))
    assert {key[0]: entry[1] for key, entry in grouped(usage).items()} == {
        "a#b": 2, "a/b": 1, "a%23b": 1, "é" * 400: 1}
    assert UsageRebuild(repositories()).rebuild(tenant.organization_id, "sub").differences == []


def test_grouped_current_usage_reads_the_period_in_one_query_whatever_the_groups(api, api_clock, dynamodb, tenant, monkeypatch):
    metric = create_metric(api, "compute", "count_agg")
    setup(api, api_clock, metric, {"charge_model": "standard", "properties": {"amount": "1",
                                                                              "pricing_group_keys": ["who"]}})
    monkeypatch.setattr("chalicelib.api.current_usage.utc_now", lambda: datetime(2026, 1, 25, tzinfo=UTC))
    send(dynamodb, tenant.organization_id, [("t0", at(16), "compute", {"who": "a"})])
    api.get(USAGE_PATH)  # the container's setup cache warm
    few = dynamodb_requests(api, USAGE_PATH)
    send(dynamodb, tenant.organization_id, [(f"t{n}", at(16) + n, "compute", {"who": str(n)}) for n in range(1, 200)])
    assert len(current_usage(api, monkeypatch, datetime(2026, 1, 25, tzinfo=UTC))["charges_usage"][0][
        "grouped_usage"]) == 200
    assert dynamodb_requests(api, USAGE_PATH) == few
    assert few.count("Query") == 2  # the dead-lettered events, and the period's aggregates


def test_bad_group_keys_are_refused_on_the_field_sent(api):
    metric = create_metric(api, "compute", "sum_agg", "value")
    body = {"name": "P", "code": "p", "interval": "monthly", "amount_cents": 0, "amount_currency": "EUR",
            "pay_in_advance": False}

    def refused(properties: dict, **filter_values) -> dict:
        response = api.post("/api/v1/plans", {"plan": {**body, "charges": [
            {"billable_metric_id": metric["lago_id"], "charge_model": "standard",
             "properties": {"amount": "1", **properties}}]}})
        assert response.status_code == 422, response.body
        return response.json_body["error_details"]

    assert refused({"pricing_group_keys": ["team", ""]}) == {"charges.0.properties.pricing_group_keys": ["invalid_type"]}
    assert refused({"grouped_by": "team"}) == {"charges.0.properties.grouped_by": ["invalid_type"]}


def test_pay_in_advance_fees_follow_each_groups_high_water_mark(api, tenant, reception, event_stream, document):
    in_advance_plan(api, properties={"amount": "1", "pricing_group_keys": ["team"]})
    for transaction_id, team, gb in (("a1", "a", 10), ("a2", "a", -4), ("b1", "b", 5), ("a3", "a", 8)):
        send_event(api, transaction_id, {"team": team, "gb": gb})
    drain(event_stream)
    fees = fees_of(api)
    # Team a: totals 10, 6, 14 under marks 10, 10, 14: 10, 0 and 4 units; team b: 5 units. At 1 EUR a unit. (One
    # mark for both teams would have made b1 pay 1 unit and a3 8.)
    assert [(fee["event_transaction_id"], fee["units"], fee["amount_cents"], fee["item"]["grouped_by"])
            for fee in fees] == [("a1", "10.0", 1000, {"team": "a"}), ("a2", "0.0", 0, {"team": "a"}),
                                 ("b1", "5.0", 500, {"team": "b"}), ("a3", "4.0", 400, {"team": "a"})]
    assert [fee["total_aggregated_units"] for fee in fees] == ["10.0", "6.0", "5.0", "14.0"]
    _assert_described(document, "/api/v1/fees", "get", api.get("/api/v1/fees?external_subscription_id=sub"))


def test_rebuild_usage_recreates_a_lost_group(api, api_clock, dynamodb, tenant, monkeypatch):
    metric = create_metric(api, "compute", "sum_agg", "value")
    setup(api, api_clock, metric, {"charge_model": "standard", "properties": {"amount": "1",
                                                                              "pricing_group_keys": ["team"]}})
    org = tenant.organization_id
    send(dynamodb, org, [("a", at(16), "compute", {"team": "a#1", "value": 3}),
                         ("b", at(17), "compute", {"team": "b", "value": 4})])
    before = current_usage(api, monkeypatch, datetime(2026, 1, 25, tzinfo=UTC))
    subscription_id = repositories().subscriptions.find_current(org, "sub").id
    (lost,) = [key for key in repositories().usage.all_aggregates(org, subscription_id)
               if key.group == (("team", "a#1"),)]
    dynamodb.delete_item(TableName=USAGE.name, Key=to_attributes(
        {"pk": usage_pk(org, subscription_id), "sk": aggregate_sk(lost.period_start_ms, lost.charge_id, lost.bucket,
                                                                  lost.group)}))
    assert current_usage(api, monkeypatch, datetime(2026, 1, 25, tzinfo=UTC))["amount_cents"] == 4 * 100
    report = UsageRebuild(repositories()).rebuild(org, "sub", apply=True)
    assert [(difference.key, difference.stored) for difference in report.differences] == [(lost, None)]
    assert current_usage(api, monkeypatch, datetime(2026, 1, 25, tzinfo=UTC)) == before
    assert before["amount_cents"] == 3 * 100 + 4 * 100
    assert UsageRebuild(repositories()).rebuild(org, "sub").differences == []


def test_an_upgrade_carries_each_group_of_a_recurring_sum(api, api_clock, dynamodb, tenant, monkeypatch):
    seats = create_metric(api, "seats", "sum_agg", "n")
    assert api.put("/api/v1/billable_metrics/seats", {"billable_metric": {"recurring": True}}).status_code == 200
    create_plan(api, "pro", amount_cents=2000, charges=[{
        "billable_metric_id": seats["lago_id"], "charge_model": "graduated", "properties": {
            "pricing_group_keys": ["team"], "graduated_ranges": [
                {"from_value": 0, "to_value": 10, "per_unit_amount": "1", "flat_amount": "0"},
                {"from_value": 11, "to_value": None, "per_unit_amount": "0.5", "flat_amount": "0"}]}}])
    setup(api, api_clock, seats, {"charge_model": "standard", "properties": {"amount": "1",
                                                                            "pricing_group_keys": ["team"]}})
    org = tenant.organization_id
    send(dynamodb, org, [("a1", at(16), "seats", {"team": "a", "n": 8}), ("b1", at(17), "seats", {"team": "b", "n": 8})])
    api_clock.set(datetime(2026, 1, 20, tzinfo=UTC))
    subscribe_now(api, plan_code="pro")
    send(dynamodb, org, [("a2", at(22), "seats", {"team": "a", "n": 4})])
    # On the new plan each team's seats carry over and are priced apart: team a 8 + 4 = 12 (10 x 1 + 2 x 0.5 =
    # 11 EUR), team b 8 (8 EUR). Priced together, 20 seats would be 15 EUR.
    usage = current_usage(api, monkeypatch, datetime(2026, 1, 25, tzinfo=UTC))
    assert grouped(usage) == {("a",): ("12.0", 2, (10 * 1 + 2 * Decimal("0.5")) * 100, []),
                              ("b",): ("8.0", 1, 8 * 100, [])}


def test_a_recurring_in_advance_charge_is_renewed_per_group(api, tenant, api_clock, reception, event_stream):
    in_advance_plan(api, recurring=True, properties={"amount": "1", "pricing_group_keys": ["team"]})
    for transaction_id, team, gb in (("a1", "a", 10), ("a2", "a", -4), ("b1", "b", 5)):
        send_event(api, transaction_id, {"team": team, "gb": gb})
    drain(event_stream)
    assert run_biller(datetime(2026, 2, 1, 0, 30, tzinfo=UTC))["invoices_created"] == 1
    # February's periodic invoice renews what each team ends January with, in full: a 10 - 4 = 6, b 5.
    (invoice,) = [invoice for invoice in api.get("/api/v1/invoices?external_customer_id=cust").json_body["invoices"]
                  if invoice["billing_periods"][0]["invoicing_reason"] == "subscription_periodic"]
    assert sorted((fee["amount_cents"], fee["item"]["grouped_by"]) for fee in invoice["fees"]
                  if fee["item"]["type"] == "charge") == sorted([(6 * 100, {"team": "a"}), (5 * 100, {"team": "b"})],
                                                                key=repr)
    # In February each team's mark opens at its own carried total: a -4 (total 2, mark 6) pays nothing, b +3
    # (total 8 over its mark 5) pays 3. One mark for both (11) would have made b's +3 (total 10) pay nothing.
    reception.now = datetime(2026, 2, 10, tzinfo=UTC)
    for transaction_id, team, gb in (("a3", "a", -4), ("b2", "b", 3)):
        send_event(api, transaction_id, {"team": team, "gb": gb}, at=datetime(2026, 2, 9, tzinfo=UTC))
    drain(event_stream)
    assert [(fee["event_transaction_id"], fee["units"], fee["item"]["grouped_by"]) for fee in fees_of(api)[3:]] == [
        ("a3", "0.0", {"team": "a"}), ("b2", "3.0", {"team": "b"})]
