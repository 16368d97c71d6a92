"""The container's setup cache (chalicelib/setup_cache.py) on moto: the DynamoDB requests a warm container saves, and
every change of setup seen by the very next request, in this container and in another one (a second SetupCache)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from builders import create_customer, create_metric, create_plan, standard_charge, subscribe
from interleaving import on_call
from usage_fixtures import event_item, store_and_deliver

from chalicelib import control_plane
from chalicelib.domain.aggregations.windows import epoch_ms
from chalicelib.setup_cache import CONTAINER_SETUP, SetupCache
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import CONTROL
from chalicelib.wiring import run_biller

EVENTS_PATH = "/api/v1/events"


@pytest.fixture
def catalog(api):
    """A count metric `calls` and a sum metric `bytes` on `size`, the customer `cust` and its subscription `sub` on a
    plan charging both."""
    metrics = {"calls": create_metric(api, "calls"), "bytes": create_metric(api, "bytes", "sum_agg", "size")}
    create_customer(api)
    create_plan(api, charges=[standard_charge(metric) for metric in metrics.values()])
    return metrics, subscribe(api)


def post_event(api, transaction_id: str, code: str = "calls", external_subscription_id: str = "sub",
               **properties):
    return api.post(EVENTS_PATH, {"event": {"transaction_id": transaction_id, "code": code, "properties": properties,
                                            "external_subscription_id": external_subscription_id}})


@contextmanager
def dynamodb_requests():
    """The DynamoDB operations made inside the block (botocore's before-call hook), in order."""
    operations: list[str] = []

    def record(model, **_):
        operations.append(model.name)

    events = repositories().client.meta.events
    events.register("before-call.dynamodb", record)
    try:
        yield operations
    finally:
        events.unregister("before-call.dynamodb", record)


@contextmanager
def container(monkeypatch, setup: SetupCache):
    """Requests served by the container whose cache is `setup`."""
    with monkeypatch.context() as patched:
        patched.setattr(control_plane, "CONTAINER_SETUP", setup)
        yield


# ------------------------------------------------------------------------------------------- requests


def test_a_single_event_costs_two_requests_in_a_warm_container(api, catalog):
    CONTAINER_SETUP.clear()  # a fresh container
    counted = []
    for transaction_id, code, properties in (("tx-1", "calls", {}), ("tx-2", "calls", {}), ("tx-3", "calls", {}),
                                             ("tx-4", "bytes", {"size": 5}), ("tx-5", "bytes", {"size": 6})):
        with dynamodb_requests() as operations:
            assert post_event(api, transaction_id, code, **properties).status_code == 200
        counted.append(operations)
    assert counted == [
        # Cold: the API key's record, the organization, the metric (code lookup, item), the subscription
        # (external-id lookup, item), the event's conditional put: 7, as without a cache.
        ["GetItem"] * 6 + ["PutItem"],
        # The key's record is kept only when read after the organization's version: at the key's second use.
        ["GetItem", "GetItem", "PutItem"],
        # Warm: the organization (its setup version) and the put.
        ["GetItem", "PutItem"],
        # Another metric: read once (lookup and item), then kept.
        ["GetItem", "GetItem", "GetItem", "PutItem"],
        ["GetItem", "PutItem"]]


# ------------------------------------------------------------------------------------------- staleness


def test_a_metric_created_after_a_request_is_accepted_at_once(api, catalog):
    assert post_event(api, "tx-1", "storage").json_body["error_details"] == {"code": ["metric_not_found"]}
    create_metric(api, "storage")
    assert post_event(api, "tx-2", "storage").status_code == 200


def test_a_deleted_metric_is_refused_by_the_next_request(api, catalog):
    create_metric(api, "spare")
    assert post_event(api, "tx-1", "spare").status_code == 200
    assert api.delete("/api/v1/billable_metrics/spare").status_code == 200
    assert post_event(api, "tx-2", "spare").json_body["error_details"] == {"code": ["metric_not_found"]}


def test_a_changed_metric_validates_the_next_event_by_its_new_field(api, catalog):
    create_metric(api, "spare", "sum_agg", "size")
    assert post_event(api, "tx-1", "spare", size=1).status_code == 200
    changed = api.put("/api/v1/billable_metrics/spare", {"billable_metric": {"field_name": "weight"}})
    assert changed.status_code == 200, changed.body
    assert post_event(api, "tx-2", "spare", size="many").status_code == 200  # `size` is no longer read
    assert post_event(api, "tx-3", "spare", weight="many").status_code == 422


def test_an_event_posted_right_after_its_subscription_is_created_is_accepted(api, catalog):
    assert post_event(api, "tx-1", external_subscription_id="sub-new").status_code == 404
    subscribe(api, external_id="sub-new")
    assert post_event(api, "tx-2", external_subscription_id="sub-new").status_code == 200


def test_after_a_termination_and_a_new_subscription_the_next_event_goes_to_the_new_one(api, catalog):
    _, first = catalog
    assert post_event(api, "tx-1").json_body["event"]["lago_subscription_id"] == first["lago_id"]
    assert api.delete("/api/v1/subscriptions/sub").status_code == 200
    second = subscribe(api)
    assert second["lago_id"] != first["lago_id"]
    assert post_event(api, "tx-2").json_body["event"]["lago_subscription_id"] == second["lago_id"]


def test_a_revoked_api_key_is_refused_by_the_next_request(api, catalog, tenant):
    assert post_event(api, "tx-1").status_code == 200
    assert post_event(api, "tx-2").status_code == 200  # the key's record now kept in the container
    records = control_plane.organization_use_cases().api_keys(tenant.organization_id)
    control_plane.organization_use_cases().revoke_api_key(tenant.organization_id, records[0].key_id)
    assert post_event(api, "tx-3").status_code == 401


def test_a_key_revoked_between_its_record_and_its_organization_read_is_refused_next(api, catalog, tenant):
    """The race the cache must not keep: the key's record read, its revocation (the setup version moved), then the
    organization read at the new version. The request itself raced the revocation; the next one is refused."""
    records = control_plane.organization_use_cases().api_keys(tenant.organization_id)

    def revoke():
        control_plane.organization_use_cases().revoke_api_key(tenant.organization_id, records[0].key_id)

    with on_call("GetItem", 2, revoke):  # the first request's organization read
        post_event(api, "tx-1")
    assert post_event(api, "tx-2").status_code == 401


# ------------------------------------------------------------------------------------- two containers


def test_two_containers_each_see_a_metric_deleted_through_the_other(api, catalog, monkeypatch):
    first, second = SetupCache(), SetupCache()
    create_metric(api, "spare")
    for setup, transaction_id in ((first, "tx-1"), (second, "tx-2"), (first, "tx-3"), (second, "tx-4")):
        with container(monkeypatch, setup):
            assert post_event(api, transaction_id, "spare").status_code == 200  # both warm
    with container(monkeypatch, first):
        assert api.delete("/api/v1/billable_metrics/spare").status_code == 200
    for setup, transaction_id in ((second, "tx-5"), (first, "tx-6")):
        with container(monkeypatch, setup):
            assert post_event(api, transaction_id, "spare").status_code == 422


def test_a_metric_deleted_while_a_container_reads_it_is_refused_by_its_next_request(api, catalog, tenant,
                                                                                     monkeypatch):
    """Container A reads the organization's version and the metric, then the metric is deleted (by container B): A
    keeps the metric at the version it read first, which the deletion moved, so its next request reads again."""
    first, second = SetupCache(), SetupCache()
    create_metric(api, "spare")
    organization = control_plane.organization_use_cases().organizations.get(tenant.organization_id)
    with container(monkeypatch, first):
        post_event(api, "tx-1", "spare")
        post_event(api, "tx-2", "spare")  # warm: the key's record kept

    def delete_in_the_other_container():  # through the use case: the test client serves one request at a time
        with container(monkeypatch, second):
            control_plane.billable_metric_use_cases().delete(organization, "spare")

    with container(monkeypatch, first):
        create_metric(api, "other")  # moves the version: A reads `spare` again on its next request
        # The organization, the key's record, the subscription and the metric read, then the deletion, before the
        # event's put: the request raced it and is accepted; A holds the metric at the version before.
        with on_call("PutItem", 1, delete_in_the_other_container):
            assert post_event(api, "tx-3", "spare").status_code == 200
        assert post_event(api, "tx-4", "spare").status_code == 422
    with container(monkeypatch, second):
        create_metric(api, "spare")
    with container(monkeypatch, first):
        assert post_event(api, "tx-5", "spare").status_code == 200


# ------------------------------------------------------------------------------------ the setup version


def setup_version(organization_id: str) -> int:
    return repositories().organizations.get(organization_id).setup_version


def test_every_control_plane_write_of_cached_setup_moves_the_setup_version(api, tenant):
    organization_id = tenant.organization_id
    writes = [
        lambda: create_metric(api, "calls"),
        lambda: api.put("/api/v1/billable_metrics/calls", {"billable_metric": {"name": "Calls"}}),
        lambda: create_metric(api, "spare"),
        lambda: api.delete("/api/v1/billable_metrics/spare"),
        lambda: create_customer(api),
        lambda: api.put("/api/v1/customers/cust", {"customer": {"city": "Lyon"}}),
        lambda: api.post("/api/v1/customers", {"customer": {"external_id": "cust", "name": "Again"}}),
        lambda: create_customer(api, "gone"),
        lambda: api.delete("/api/v1/customers/gone"),
        lambda: create_plan(api),
        lambda: create_plan(api, "mini", amount_cents=500),
        lambda: api.put("/api/v1/plans/mini", {"plan": {"name": "Mini"}}),
        lambda: subscribe(api),
        lambda: api.put("/api/v1/subscriptions/sub", {"subscription": {"name": "Renamed"}}),
        lambda: subscribe(api, plan_code="mini"),  # a downgrade scheduled
        lambda: api.delete("/api/v1/subscriptions/sub"),
        lambda: api.delete("/api/v1/plans/mini"),
        lambda: api.put("/api/v1/organizations", {"organization": {"vat_rate": 20}}),
        lambda: control_plane.organization_use_cases().issue_api_key(organization_id),
    ]
    for number, write in enumerate(writes):
        before = setup_version(organization_id)
        response = write()
        assert getattr(response, "status_code", 200) == 200, (number, response.body)
        assert setup_version(organization_id) == before + 1, number


# ----------------------------------------------------------------- what the biller writes (no version moved)


@pytest.fixture
def request_time(monkeypatch):
    """The API's "now" for events and current usage; `request_time.now` moves it."""
    class RequestTime:
        now = datetime(2026, 1, 20, tzinfo=UTC)

    monkeypatch.setattr("chalicelib.api.events.utc_now_ms", lambda: RequestTime.now)
    monkeypatch.setattr("chalicelib.api.current_usage.utc_now", lambda: RequestTime.now)
    return RequestTime


def test_a_pending_subscription_the_biller_started_is_read_again(api, tenant, api_clock, request_time):
    """The biller starts a pending subscription at its subscription_at without moving the setup version: once that
    instant is due, the container reads the customer's subscriptions again."""
    create_customer(api)
    create_plan(api, charges=[standard_charge(create_metric(api, "calls"))])
    subscribe(api, subscription_at="2026-02-01T00:00:00Z")
    usage = "/api/v1/customers/cust/current_usage"
    for _ in range(2):  # the second one warm
        assert api.get(usage).status_code == 405  # pending: no active subscription
    run_biller(datetime(2026, 2, 1, 1, tzinfo=UTC))
    request_time.now = datetime(2026, 2, 1, 2, tzinfo=UTC)
    answered = api.get(usage)
    assert answered.status_code == 200, answered.body
    assert answered.json_body["customer_usage"]["from_datetime"] == "2026-02-01T00:00:00Z"


def test_after_the_biller_switched_a_downgrade_events_go_to_the_new_subscription(api, tenant, api_clock,
                                                                                request_time):
    create_customer(api)
    create_plan(api, charges=[standard_charge(create_metric(api, "calls"))])
    create_plan(api, "mini", amount_cents=500)
    first = subscribe(api, subscription_at="2026-01-01T00:00:00Z")
    subscribe(api, plan_code="mini")  # scheduled for the end of January
    for transaction_id in ("tx-1", "tx-2"):  # the second one warm
        assert post_event(api, transaction_id).json_body["event"]["lago_subscription_id"] == first["lago_id"]
    run_biller(datetime(2026, 2, 1, 1, tzinfo=UTC))
    switched = api.get("/api/v1/subscriptions/sub").json_body["subscription"]
    assert (switched["plan_code"], switched["lago_id"] != first["lago_id"]) == ("mini", True)
    request_time.now = datetime(2026, 2, 1, 2, tzinfo=UTC)
    assert post_event(api, "tx-3").json_body["event"]["lago_subscription_id"] == switched["lago_id"]


# ------------------------------------------------------------------------------------ the stream aggregator


def at(day: int, hour: int = 0, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def batch_time(monkeypatch):
    """The stream handler's "now" (its trigger's time); `batch_time.now` moves it."""
    class BatchTime:
        now = at(20, month=11)

    monkeypatch.setattr("chalicelib.handlers.usage_stream.utc_now", lambda: BatchTime.now)
    return BatchTime


def storage_events(dynamodb, organization_id: str, events: list[tuple[str, datetime, int]]) -> None:
    store_and_deliver(dynamodb, [event_item(organization_id, transaction_id, epoch_ms(moment), "storage", {"gb": gb})
                                 for transaction_id, moment, gb in events])


def billed(api, transaction_id: str) -> bool:
    response = api.get(f"/api/v1/events/{transaction_id}?external_subscription_id=sub")
    assert response.status_code == 200, response.body
    return response.json_body["event"]["unbillable_reason"] is None


def test_an_event_after_its_draft_was_finalized_is_late_in_a_warm_container(api, dynamodb, tenant, api_clock,
                                                                             batch_time):
    """The biller finalizes a draft without moving the setup version, and the subscription's next billing action
    stays ahead: an event of the draft's period is routed on a fresh read of the history (its charges period has
    ended), which shows the period invoiced."""
    org = tenant.organization_id
    metric = create_metric(api, "storage", "sum_agg", "gb")
    create_customer(api)
    create_plan(api, charges=[standard_charge(metric, "0.01")])
    assert api.put("/api/v1/organizations", {"organization": {"billing_configuration": {
        "invoice_grace_period": 3}}}).status_code == 200
    api_clock.set(at(1, month=11))
    subscribe(api, subscription_at="2026-11-01T00:00:00Z")
    storage_events(dynamodb, org, [("a", at(10, month=11), 10)])  # 20 November: the history kept
    run_biller(at(1, 0, 30))  # November's draft
    batch_time.now = at(2, 1)
    storage_events(dynamodb, org, [("b", at(20, month=11), 20)])  # the draft takes it in
    run_biller(at(4, 0, 30))  # the grace period over: the draft finalized
    batch_time.now = at(5)
    storage_events(dynamodb, org, [("c", at(28, month=11), 100)])
    assert (billed(api, "a"), billed(api, "b"), billed(api, "c")) == (True, True, False)
    assert [invoice.status for invoice in repositories().invoices.list_page(org, 1, 10)] == ["finalized"]


def test_a_warm_aggregator_reads_no_setup_per_subscription(api, dynamodb, tenant, api_clock, batch_time):
    """100 subscriptions, one event each per batch: a warm container reads the organization once per batch and no
    setup of any subscription (the plan, its metrics, the customer, the history are kept)."""
    org = tenant.organization_id
    metric = create_metric(api, "storage", "sum_agg", "gb")
    create_customer(api)
    create_plan(api, charges=[standard_charge(metric, "0.01")])
    api_clock.set(at(1, month=11))
    for number in range(100):
        subscribe(api, external_id=f"sub-{number}", subscription_at="2026-11-01T00:00:00Z")
    control_reads = []

    def record(model, params, **_):
        if params.get("TableName") == CONTROL.name or CONTROL.name in params.get("RequestItems", {}):
            control_reads.append(model.name)

    events = repositories().client.meta.events
    events.register("before-parameter-build.dynamodb", record)  # the call's parameters, before serialization
    try:
        for batch in range(2):
            control_reads.clear()
            store_and_deliver(dynamodb, [event_item(org, f"tx-{batch}-{number}", epoch_ms(at(10, month=11)),
                                                    "storage", {"gb": 1}, f"sub-{number}") for number in range(100)])
            counted = list(control_reads)
            if batch == 0:
                # Cold: the organization, then per subscription its history (one Query of its external id's copies);
                # the plan, its metric and the customer once.
                assert counted.count("GetItem") == 1 + 3 and counted.count("Query") == 100, counted
    finally:
        events.unregister("before-parameter-build.dynamodb", record)
    assert counted == ["GetItem"]  # warm: the organization's setup version, once per batch


def test_after_an_upgrade_the_next_batch_bills_the_new_subscription(api, dynamodb, tenant, api_clock, batch_time):
    org = tenant.organization_id
    metric = create_metric(api, "storage", "sum_agg", "gb")
    create_customer(api)
    create_plan(api, charges=[standard_charge(metric, "0.01")])
    premium = create_plan(api, "premium", amount_cents=2000, charges=[standard_charge(metric, "0.02")])
    api_clock.set(at(1, month=11))
    first = subscribe(api, subscription_at="2026-11-01T00:00:00Z")
    storage_events(dynamodb, org, [("a", at(10, month=11), 10)])
    storage_events(dynamodb, org, [("b", at(11, month=11), 10)])  # warm
    api_clock.set(at(15, month=11))
    upgraded = subscribe(api, plan_code="premium")
    assert upgraded["lago_id"] != first["lago_id"]
    storage_events(dynamodb, org, [("c", at(18, month=11), 5)])
    stores = repositories()
    assert {key.charge_id for key in stores.usage.all_aggregates(org, upgraded["lago_id"])} >= {
        premium["charges"][0]["lago_id"]}


def test_two_aggregator_containers_each_see_a_charge_added_through_the_api(api, dynamodb, tenant, api_clock,
                                                                           batch_time, monkeypatch):
    """Two containers warm on a plan charging `storage`; a charge on `calls` is added: each container's next batch
    bills its `calls` event (2 calls, where the cached plan would bill none)."""
    org = tenant.organization_id
    storage, calls = create_metric(api, "storage", "sum_agg", "gb"), create_metric(api, "calls")
    create_customer(api)
    create_plan(api, charges=[standard_charge(storage, "0.01")])
    api_clock.set(at(1, month=11))
    subscription = subscribe(api, subscription_at="2026-11-01T00:00:00Z")
    first, second = SetupCache(), SetupCache()

    def batch(setup: SetupCache, transaction_id: str, code: str) -> None:
        monkeypatch.setattr("chalicelib.handlers.usage_stream.CONTAINER_SETUP", setup)
        store_and_deliver(dynamodb, [event_item(org, transaction_id, epoch_ms(at(10, month=11)), code, {"gb": 1})])

    for setup, transaction_id in ((first, "a"), (second, "b"), (first, "c"), (second, "d")):
        batch(setup, transaction_id, "storage")
    changed = api.put("/api/v1/plans/startup", {"plan": {"charges": [standard_charge(storage, "0.01"),
                                                                     standard_charge(calls)]}})
    assert changed.status_code == 200, changed.body
    calls_charge = next(charge["lago_id"] for charge in changed.json_body["plan"]["charges"]
                        if charge["billable_metric_code"] == "calls")
    batch(second, "e", "calls")
    batch(first, "f", "calls")
    [key] = [key for key in repositories().usage.all_aggregates(org, subscription["lago_id"])
             if key.charge_id == calls_charge]
    assert repositories().usage.get_aggregate(key).state == 2
