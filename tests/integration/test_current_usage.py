"""Current usage through the HTTP API, read from aggregates written by the real `UsageRepository` the way the
stream aggregator writes them (events routed to their charges period and filter bucket, one `apply` per
aggregate): Lago's shape with exact numbers, the refusals (404, 405, 422), the seed's form without
`external_subscription_id`, `apply_taxes=false`, and a DynamoDB request count that does not grow with events."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from itertools import count
from urllib.parse import quote

import pytest
from builders import create, subscribe

from chalicelib.domain.aggregate_keys import AggregateKey, bucket_key
from chalicelib.domain.aggregations.base import accumulate
from chalicelib.domain.aggregations.events import UsageEvent
from chalicelib.domain.aggregations.registry import aggregation_for
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.domain.billing_context import charges_window, subscription_terms
from chalicelib.domain.pricing.filters import FilterBuckets
from chalicelib.store.repositories import repositories

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOVEMBER = epoch_ms(datetime(2026, 11, 1, tzinfo=UTC))
OCTOBER = epoch_ms(datetime(2026, 10, 1, tzinfo=UTC))
_sequences = count(1)  # stream sequence numbers, increasing across every batch of a test


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setattr("chalicelib.api.current_usage.utc_now", lambda: NOW)


def usage_path(customer: str, query: str = "") -> str:
    return f"/api/v1/customers/{quote(customer, safe='')}/current_usage{query}"


def tiers(*ranges) -> dict:
    return {"graduated_ranges": [{"from_value": low, "to_value": high, "per_unit_amount": unit, "flat_amount": flat}
                                 for low, high, unit, flat in ranges]}


def setup_plan(api, code: str = "usage") -> None:
    """2 charges x (2 filters + default): Storage (sum of gb, graduated) and "api calls" (count, standard)."""
    storage = create(api, "/api/v1/billable_metrics", "billable_metric", {
        "name": "Storage", "code": "storage", "aggregation_type": "sum_agg", "field_name": "gb",
        "filters": [{"key": "region", "values": ["eu", "us"]}]})
    calls = create(api, "/api/v1/billable_metrics", "billable_metric", {
        "name": "api calls", "code": "calls", "aggregation_type": "count_agg",
        "filters": [{"key": "method", "values": ["get", "post"]}]})
    create(api, "/api/v1/plans", "plan", {
        "name": "Usage", "code": code, "interval": "monthly", "amount_cents": 1000, "amount_currency": "EUR",
        "pay_in_advance": False, "charges": [
            {"billable_metric_id": storage["lago_id"], "charge_model": "graduated",
             "properties": tiers((0, 100, "0.01", "0"), (101, None, "0.005", "1")),
             "filters": [{"values": {"region": ["eu"]}, "invoice_display_name": "Europe",
                          "properties": tiers((0, None, "0.02", "0"))},
                         {"values": {"region": ["us"]},
                          "properties": tiers((0, 10, "0.1", "0"), (11, None, "0.05", "0.5"))}]},
            {"billable_metric_id": calls["lago_id"], "charge_model": "standard", "properties": {"amount": "0.125"},
             "filters": [{"values": {"method": ["get"]}, "properties": {"amount": "0.001"}},
                         {"values": {"method": ["post"]}, "properties": {"amount": "0.3333"}}]}]})


def subscribe_from_october(api, customer: str, external_id: str, plan: str = "usage", **fields) -> dict:
    return subscribe(api, **{"external_customer_id": customer, "plan_code": plan, "external_id": external_id,
                             "subscription_at": "2026-10-10T00:00:00Z", **fields})


def aggregate(organization_id: str, external_subscription_id: str, events: list[tuple[str, int, dict]]) -> None:
    """What the stream aggregator does with a batch: each event to the charges period containing it and to its
    filter bucket, then ONE `UsageRepository.apply` per aggregate (additive states; the shard's watermark
    advanced), so the stored items are exactly the aggregator's."""
    stores = repositories()
    subscription = stores.subscriptions.find_current(organization_id, external_subscription_id)
    plan = stores.plans.get(organization_id, subscription.plan_id)
    metrics = stores.billable_metrics.get_many(organization_id, plan.billable_metric_ids())
    terms = subscription_terms(subscription, plan, "UTC")
    groups = defaultdict(list)
    for number, (code, timestamp_ms, properties) in enumerate(events):
        event = UsageEvent(f"tx-{timestamp_ms}-{number}", timestamp_ms, properties)
        period = terms.charges_periods.period_at(datetime.fromtimestamp(timestamp_ms / 1000, UTC))
        for charge in plan.charges:
            metric = metrics[charge.billable_metric_id]
            if metric.code != code:
                continue
            buckets = FilterBuckets([item.values for item in charge.filters], metric.filter_values())
            index = buckets.bucket_of(properties)
            bucket = bucket_key(None if index is None else charge.filters[index].values)
            groups[(epoch_ms(period.start), charge.id, bucket)].append((event, period, charge, metric))
    for (period_start_ms, charge_id, bucket), grouped in groups.items():
        _, period, charge, metric = grouped[0]
        window = charges_window(terms, period)
        aggregation = aggregation_for(metric.aggregation_type, metric.field_name, recurring=metric.recurring,
                                      prorated=charge.prorated)
        state = accumulate(aggregation, [event for event, *_ in grouped], window)
        sequence = str(next(_sequences))
        stores.usage.apply(AggregateKey(organization_id, subscription.id, period_start_ms, charge_id, bucket), state,
                           shard="shardId-1", first_sequence=sequence, last_sequence=sequence,
                           window_start_ms=window.start_ms, period_end_ms=epoch_ms(period.end))


def hand_worked_events(start_ms: int) -> list[tuple[str, int, dict]]:
    """Storage: default 35 gb in 4 events, eu 12.5 in 3, us 11 in 2; calls: default 7 (an undeclared method
    goes there too), get 1000, post 3."""
    minute = 60_000
    events = [("storage", start_ms + minute * i, {"gb": gb}) for i, gb in enumerate([5, 10, 10, 10])]
    events += [("storage", start_ms + minute * i, {"gb": gb, "region": "eu"}) for i, gb in enumerate(["5", 5, "2.5"])]
    events += [("storage", start_ms + minute * i, {"gb": gb, "region": "us"}) for i, gb in enumerate([10, 1])]
    events += [("calls", start_ms + i, {"method": "put"} if i % 2 else {}) for i in range(7)]
    events += [("calls", start_ms + i, {"method": "get"}) for i in range(1000)]
    events += [("calls", start_ms + i, {"method": "post"}) for i in range(3)]
    return events


EXPECTED_CHARGES = [
    # "api calls" before "Storage": Lago orders by metric name, case-insensitively.
    {"units": "1010.0", "total_aggregated_units": "1010.0", "events_count": 1010, "amount_cents": 288,
     "code": "calls", "filters": [("1000.0", 1000, 100, None, {"method": ["get"]}),
                                  ("3.0", 3, 100, None, {"method": ["post"]}),
                                  ("7.0", 7, 88, None, None)]},
    {"units": "58.5", "total_aggregated_units": "58.5", "events_count": 9, "amount_cents": 215,
     "code": "storage", "filters": [("12.5", 3, 25, "Europe", {"region": ["eu"]}),
                                    ("11.0", 2, 155, None, {"region": ["us"]}),
                                    ("35.0", 4, 35, None, None)]},
]


def charges_view(body: dict) -> list[dict]:
    return [{"units": usage["units"], "total_aggregated_units": usage["total_aggregated_units"],
             "events_count": usage["events_count"], "amount_cents": usage["amount_cents"],
             "code": usage["billable_metric"]["code"],
             "filters": [(item["units"], item["events_count"], item["amount_cents"], item["invoice_display_name"],
                          item["values"]) for item in usage["filters"]]}
            for usage in body["customer_usage"]["charges_usage"]]


def test_current_usage_in_lagos_shape_with_exact_numbers(api, tenant, api_clock):
    api_clock.set(datetime(2026, 10, 10, tzinfo=UTC))  # created as it starts: its first period is October's
    setup_plan(api)
    create(api, "/api/v1/customers", "customer", {"external_id": "acme", "name": "Acme", "vat_rate": 10})
    subscription = subscribe_from_october(api, "acme", "sub-1")
    # October's usage (a closed period) and November's; only November shows.
    aggregate(tenant.organization_id, "sub-1", hand_worked_events(OCTOBER + 86_400_000 * 15)
              + hand_worked_events(NOVEMBER) + [("storage", NOVEMBER - 1, {"gb": 1000})])
    response = api.get(usage_path("acme", "?external_subscription_id=sub-1"))
    assert response.status_code == 200, response.body
    body = response.json_body
    usage = body["customer_usage"]
    assert {key: usage[key] for key in usage if key != "charges_usage"} == {
        "from_datetime": "2026-11-01T00:00:00Z", "to_datetime": "2026-11-30T23:59:59Z", "issuing_date": "2026-11-30",
        "lago_invoice_id": None, "currency": "EUR",
        # 10% of 503 = 50.3 -> 50: the customer's vat rate on the sum, rounded once.
        "amount_cents": 503, "taxes_amount_cents": 50, "total_amount_cents": 553}
    assert charges_view(body) == EXPECTED_CHARGES
    calls = usage["charges_usage"][0]
    plan = api.get("/api/v1/plans/usage").json_body["plan"]
    assert calls["charge"] == {"lago_id": plan["charges"][1]["lago_id"], "code": None, "charge_model": "standard",
                               "invoice_display_name": None}
    assert calls["billable_metric"] == {"lago_id": plan["charges"][1]["lago_billable_metric_id"], "name": "api calls",
                                        "code": "calls", "aggregation_type": "count_agg"}
    assert (calls["amount_currency"], calls["grouped_usage"], calls["pricing_unit_details"]) == ("EUR", [], None)
    assert subscription["current_billing_period_started_at"] == "2026-10-10T00:00:00Z"


def test_the_seeds_form_without_external_subscription_id_and_apply_taxes_false(api, tenant):
    setup_plan(api)
    api.put("/api/v1/organizations", {"organization": {"vat_rate": 20}})
    create(api, "/api/v1/customers", "customer", {"external_id": "acme", "name": "Acme"})
    subscribe_from_october(api, "acme", "sub-1")
    aggregate(tenant.organization_id, "sub-1", hand_worked_events(NOVEMBER))
    usage = api.get(usage_path("acme")).json_body["customer_usage"]
    # The organization's rate (the customer has none): 20% of 503 = 100.6 -> 101.
    assert (usage["amount_cents"], usage["taxes_amount_cents"], usage["total_amount_cents"]) == (503, 101, 604)
    untaxed = api.get(usage_path("acme", "?apply_taxes=false")).json_body["customer_usage"]
    assert (untaxed["amount_cents"], untaxed["taxes_amount_cents"], untaxed["total_amount_cents"]) == (503, 0, 503)
    assert charges_view({"customer_usage": untaxed}) == EXPECTED_CHARGES


def test_zero_usage_lists_every_charge_and_filter(api):
    setup_plan(api)
    create(api, "/api/v1/customers", "customer", {"external_id": "acme", "name": "Acme"})
    subscribe_from_october(api, "acme", "sub-1")
    usage = api.get(usage_path("acme")).json_body["customer_usage"]
    assert (usage["amount_cents"], usage["taxes_amount_cents"], usage["total_amount_cents"]) == (0, 0, 0)
    assert [(charge["billable_metric"]["code"], charge["units"], charge["events_count"], charge["amount_cents"],
             [(item["units"], item["events_count"], item["amount_cents"]) for item in charge["filters"]])
            for charge in usage["charges_usage"]] == [
        (code, "0.0", 0, 0, [("0.0", 0, 0)] * 3) for code in ("calls", "storage")]


def test_a_subscription_started_mid_period_shows_its_window_from_the_start_instant(api):
    setup_plan(api)
    create(api, "/api/v1/customers", "customer", {"external_id": "acme", "name": "Acme", "timezone": "Europe/Paris"})
    subscribe_from_october(api, "acme", "sub-1", subscription_at="2026-11-17T10:30:00Z")
    usage = api.get(usage_path("acme")).json_body["customer_usage"]
    # The customer's timezone: November ends at 23:00 UTC; the window opens at the start instant.
    assert (usage["from_datetime"], usage["to_datetime"], usage["issuing_date"]) == (
        "2026-11-17T10:30:00Z", "2026-11-30T22:59:59Z", "2026-11-30")


def test_a_recurring_metric_carries_the_earlier_periods_total(api, tenant):
    seats = create(api, "/api/v1/billable_metrics", "billable_metric", {
        "name": "Seats", "code": "seats", "aggregation_type": "sum_agg", "field_name": "n", "recurring": True})
    create(api, "/api/v1/plans", "plan", {
        "name": "Seats", "code": "seats", "interval": "monthly", "amount_cents": 0, "amount_currency": "EUR",
        "pay_in_advance": False, "charges": [{"billable_metric_id": seats["lago_id"], "charge_model": "standard",
                                              "properties": {"amount": "1"}}]})
    create(api, "/api/v1/customers", "customer", {"external_id": "acme", "name": "Acme"})
    subscribe_from_october(api, "acme", "sub-1", plan="seats", subscription_at="2026-09-10T00:00:00Z")
    day = 86_400_000
    september = epoch_ms(datetime(2026, 9, 1, tzinfo=UTC))
    aggregate(tenant.organization_id, "sub-1", [("seats", september + 12 * day, {"n": 5}),   # September: 5
                                                ("seats", OCTOBER + 3 * day, {"n": -1}),     # October: 4
                                                ("seats", NOVEMBER + day, {"n": 3})])       # November: 7
    (charge,) = api.get(usage_path("acme")).json_body["customer_usage"]["charges_usage"]
    assert (charge["units"], charge["events_count"], charge["amount_cents"]) == ("7.0", 3, 700)


NO_ACTIVE_SUBSCRIPTION = {"status": 405, "error": "Method Not Allowed", "code": "no_active_subscription"}


def test_refusals(api, other_api):
    setup_plan(api)
    for customer in ("acme", "idle", "busy"):
        create(api, "/api/v1/customers", "customer", {"external_id": customer, "name": customer})
    subscribe_from_october(api, "acme", "sub-acme")
    subscribe_from_october(api, "busy", "sub-busy-1")
    subscribe_from_october(api, "busy", "sub-busy-2")
    subscribe_from_october(api, "idle", "sub-future", subscription_at="2099-01-01T00:00:00Z")  # pending
    subscribe_from_october(api, "idle", "sub-ended")
    assert api.delete("/api/v1/subscriptions/sub-ended").status_code == 200

    def answer(path):
        response = api.get(path)
        return response.status_code, response.json_body

    assert answer(usage_path("nobody")) == (404, {"status": 404, "error": "Not Found", "code": "customer_not_found"})
    assert other_api.get(usage_path("acme")).status_code == 404
    for query in ("", "?external_subscription_id=sub-future", "?external_subscription_id=sub-ended",
                  "?external_subscription_id=sub-acme", "?external_subscription_id=unknown"):
        assert answer(usage_path("idle", query)) == (405, NO_ACTIVE_SUBSCRIPTION), query
    assert answer(usage_path("busy")) == (422, {"status": 422, "error": "Unprocessable Entity",
                                                "code": "validation_errors",
                                                "error_details": {"external_subscription_id": ["value_is_mandatory"]}})
    assert api.get(usage_path("busy", "?external_subscription_id=sub-busy-2")).status_code == 200
    assert answer(usage_path("acme", "?apply_taxes=maybe")) == (422, {
        "status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
        "error_details": {"apply_taxes": ["value_is_invalid"]}})


def dynamodb_requests(api, path: str) -> list[str]:
    """The DynamoDB operations one request to the API makes (botocore's before-call hook)."""
    operations = []

    def record(model, **_):
        operations.append(model.name)

    events = repositories().client.meta.events
    events.register("before-call.dynamodb", record)
    try:
        response = api.get(path)
    finally:
        events.unregister("before-call.dynamodb", record)
    assert response.status_code == 200, response.body
    return operations


def spread_events(total: int, start_ms: int, end_ms: int) -> list[tuple[str, int, dict]]:
    """`total` events over both charges and all their buckets, spread evenly over [start_ms, end_ms)."""
    shapes = [("storage", {"gb": 1}), ("storage", {"gb": 2, "region": "eu"}), ("storage", {"gb": 3, "region": "us"}),
              ("calls", {}), ("calls", {"method": "get"}), ("calls", {"method": "post"})]
    step = (end_ms - start_ms) // total
    return [(shapes[i % 6][0], start_ms + i * step, shapes[i % 6][1]) for i in range(total)]


def test_the_same_dynamodb_requests_for_10_and_1000_events_across_a_period_boundary(api, tenant):
    setup_plan(api)
    create(api, "/api/v1/customers", "customer", {"external_id": "acme", "name": "Acme"})
    subscribe_from_october(api, "acme", "sub-1")
    # Events from mid-October to NOW: both sides of the 1 November boundary, every bucket of both charges.
    aggregate(tenant.organization_id, "sub-1", spread_events(10, OCTOBER + 86_400_000 * 15, epoch_ms(NOW)))
    few = api.get(usage_path("acme")).json_body["customer_usage"]
    api.get(usage_path("acme", "?external_subscription_id=sub-1"))  # the container warm for both forms
    with_few = dynamodb_requests(api, usage_path("acme"))
    named_few = dynamodb_requests(api, usage_path("acme", "?external_subscription_id=sub-1"))
    aggregate(tenant.organization_id, "sub-1", spread_events(990, OCTOBER + 86_400_000 * 15, epoch_ms(NOW)))
    many = api.get(usage_path("acme")).json_body["customer_usage"]
    assert sum(charge["events_count"] for charge in few["charges_usage"]) < 10
    assert sum(charge["events_count"] for charge in many["charges_usage"]) > 500
    assert dynamodb_requests(api, usage_path("acme")) == with_few
    assert dynamodb_requests(api, usage_path("acme", "?external_subscription_id=sub-1")) == named_few
    # In a warm container (docs/data-model.md, "The setup version"): the organization (its setup version), the
    # subscription's dead-lettered events (none), the period's aggregates in one query; the customer, its
    # subscriptions, the plan and its metrics come from the container's cache, named or not.
    assert with_few == named_few == ["GetItem", "Query", "Query"]
