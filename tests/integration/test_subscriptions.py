"""Subscriptions through the HTTP API: Lago's shapes, every validation rule with its Lago code, each state
change (pending -> active, active -> terminated, pending -> canceled), idempotent re-POSTs, currencies,
the current billing period worked out by hand, lists with their filters, and the customer's refusals while
it has a subscription.

Every subscription_at is explicit (the period and the status follow from it, not from the clock), except
in the one test of the default; "now" is only compared against far past or far future dates, or pinned with
`api_clock` where a test needs it inside a period."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from builders import SUBSCRIBED_AT, create_customer, create_plan, subscribe, subscription_body

SUBSCRIPTIONS = "/api/v1/subscriptions"
CUSTOMERS = "/api/v1/customers"
TIME_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
EMPTY_META = {"current_page": 0, "next_page": None, "prev_page": None, "total_pages": 0, "total_count": 0}
SUBSCRIPTION_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "subscription_not_found"}
PAST = SUBSCRIBED_AT
# The API's clock when a test needs PAST to be in the current period: a subscription dated a past period would
# start billing with the period containing the request (the migration rule, test_backdated_subscriptions.py).
NOVEMBER_25 = datetime(2026, 11, 25, 12, tzinfo=UTC)
FUTURE = "2099-01-15T00:00:00Z"

LAGO_FIELDS = ("lago_id", "external_id", "lago_customer_id", "external_customer_id", "name", "plan_code",
               "plan_amount_cents", "plan_amount_currency", "billing_time", "status", "created_at", "started_at",
               "subscription_at", "ending_at", "terminated_at", "canceled_at", "trial_ended_at",
               "current_billing_period_started_at", "current_billing_period_ending_at", "previous_plan_code",
               "next_plan_code", "downgrade_plan_date", "on_termination_credit_note", "on_termination_invoice")


def invalid(**details: str) -> dict:
    return {"status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
            "error_details": {name: [code] for name, code in details.items()}}


def not_found(resource: str) -> dict:
    return {"status": 404, "error": "Not Found", "code": f"{resource}_not_found"}


def post(api, **fields):
    return api.post(SUBSCRIPTIONS, {"subscription": subscription_body(**fields)})


def path_of(external_id: str, status: str | None = None) -> str:
    return f"{SUBSCRIPTIONS}/{quote(external_id, safe='')}" + (f"?status={status}" if status else "")


def listed(api, query: str = "") -> dict:
    response = api.get(f"{SUBSCRIPTIONS}{query}")
    assert response.status_code == 200, response.body
    return response.json_body


def plan_count(api, code: str = "startup") -> int:
    return api.get(f"/api/v1/plans/{code}").json_body["plan"]["active_subscriptions_count"]


@pytest.fixture
def ready(api):
    """A customer (no currency yet) and a monthly EUR plan."""
    return create_customer(api), create_plan(api)


# ---------------------------------------------------------------------------------------------- create


def test_create_in_the_past_is_active_backdated_with_lagos_object(api, ready, api_clock):
    api_clock.set(NOVEMBER_25)
    customer, plan = ready
    response = post(api, name="Repository A")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    subscription = response.json_body["subscription"]
    for field in LAGO_FIELDS:
        assert field in subscription, field
    uuid.UUID(subscription["lago_id"])
    assert subscription["external_id"] == "sub"
    assert (subscription["lago_customer_id"], subscription["external_customer_id"]) == (customer["lago_id"], "cust")
    assert (subscription["plan_code"], subscription["plan_amount_cents"], subscription["plan_amount_currency"]) == \
        ("startup", 1000, "EUR")
    assert subscription["name"] == "Repository A"
    assert (subscription["status"], subscription["billing_time"]) == ("active", "calendar")
    assert subscription["subscription_at"] == subscription["started_at"] == PAST
    assert TIME_Z.match(subscription["created_at"])
    for field in ("ending_at", "terminated_at", "canceled_at", "trial_ended_at", "previous_plan_code",
                  "next_plan_code", "downgrade_plan_date", "on_termination_credit_note"):
        assert subscription[field] is None, field
    assert subscription["on_termination_invoice"] == "generate"
    # Calendar monthly in UTC, started 17 November 10:00: the first period runs from that instant (Lago's
    # current_billing_period starts at started_at, not at the day's midnight) to the month's last second.
    assert subscription["current_billing_period_started_at"] == "2026-11-17T10:00:00Z"
    assert subscription["current_billing_period_ending_at"] == "2026-11-30T23:59:59Z"
    # The extended object carries the plan, as read after the write.
    assert subscription["plan"]["lago_id"] == plan["lago_id"]
    assert subscription["plan"]["active_subscriptions_count"] == 1
    assert plan_count(api) == 1
    # The customer's currency is set by its first subscription.
    assert api.get(f"{CUSTOMERS}/cust").json_body["customer"]["currency"] == "EUR"

    found = api.get(path_of("sub"))
    assert found.status_code == 200
    assert found.json_body == {"subscription": subscription}


def test_subscription_at_defaults_to_now(api, ready):
    subscription = subscribe(api, subscription_at=...)
    assert subscription["status"] == "active"
    assert subscription["started_at"] == subscription["subscription_at"] == subscription["created_at"]
    assert subscription["current_billing_period_started_at"] == subscription["started_at"]


def test_create_in_the_future_is_pending_without_a_period(api, ready):
    subscription = subscribe(api, subscription_at=FUTURE)
    assert (subscription["status"], subscription["subscription_at"]) == ("pending", FUTURE)
    assert subscription["started_at"] is None
    assert subscription["current_billing_period_started_at"] is None
    assert subscription["current_billing_period_ending_at"] is None
    # Lago's GET defaults to active.
    assert api.get(path_of("sub")).json_body == SUBSCRIPTION_NOT_FOUND
    assert api.get(path_of("sub", "pending")).json_body["subscription"]["lago_id"] == subscription["lago_id"]
    assert plan_count(api) == 1


@pytest.mark.parametrize("plan_fields, customer_fields, subscription_fields, period", [
    # Anniversary monthly from 31 January: February has no 31st, so the first period ends the day before
    # the clamped anniversary (28 February).
    ({}, {}, {"billing_time": "anniversary", "subscription_at": "2026-01-31T10:00:00Z"},
     ("2026-01-31T10:00:00Z", "2026-02-27T23:59:59Z")),
    # Calendar weekly: Wednesday 18 November 2026, weeks run Monday to Sunday (22 November).
    ({"interval": "weekly"}, {}, {"subscription_at": "2026-11-18T08:00:00Z"},
     ("2026-11-18T08:00:00Z", "2026-11-22T23:59:59Z")),
    # Anniversary weekly: from the Wednesday to the next Tuesday.
    ({"interval": "weekly"}, {}, {"billing_time": "anniversary", "subscription_at": "2026-11-18T08:00:00Z"},
     ("2026-11-18T08:00:00Z", "2026-11-24T23:59:59Z")),
    # Calendar quarterly: 10 May is in the April-June quarter.
    ({"interval": "quarterly"}, {}, {"subscription_at": "2026-05-10T00:00:00Z"},
     ("2026-05-10T00:00:00Z", "2026-06-30T23:59:59Z")),
    # Calendar yearly with charges billed monthly: the current (charges) period is the month.
    ({"interval": "yearly", "bill_charges_monthly": True}, {}, {"subscription_at": "2026-05-10T00:00:00Z"},
     ("2026-05-10T00:00:00Z", "2026-05-31T23:59:59Z")),
    ({"interval": "yearly"}, {}, {"subscription_at": "2026-05-10T00:00:00Z"},
     ("2026-05-10T00:00:00Z", "2026-12-31T23:59:59Z")),
    # Europe/Paris, calendar monthly, 15 March 12:00Z: March ends at 1 April 00:00 Paris (CEST, +02:00),
    # 2026-03-31T22:00:00Z, so the last second is 21:59:59Z.
    ({}, {"timezone": "Europe/Paris"}, {"subscription_at": "2026-03-15T12:00:00Z"},
     ("2026-03-15T12:00:00Z", "2026-03-31T21:59:59Z")),
    # Europe/Paris, anniversary: 31 January 23:30Z is already 1 February 00:30 in Paris (CET, +01:00), so
    # the anniversary is the 1st and the period ends at 1 March 00:00 Paris = 2026-02-28T23:00:00Z.
    ({}, {"timezone": "Europe/Paris"}, {"billing_time": "anniversary", "subscription_at": "2026-01-31T23:30:00Z"},
     ("2026-01-31T23:30:00Z", "2026-02-28T22:59:59Z")),
])
def test_current_billing_period_worked_out_by_hand(api, api_clock, plan_fields, customer_fields, subscription_fields,
                                                  period):
    api_clock.set(datetime.fromisoformat(subscription_fields["subscription_at"]))  # created as it starts
    create_customer(api, **customer_fields)
    create_plan(api, **plan_fields)
    subscription = subscribe(api, **subscription_fields)
    assert subscription["started_at"] == subscription["current_billing_period_started_at"] == period[0]
    assert subscription["current_billing_period_ending_at"] == period[1]


def test_the_organizations_timezone_applies_when_the_customer_has_none(api, api_clock):
    api_clock.set(NOVEMBER_25)
    assert api.put("/api/v1/organizations", {"organization": {"timezone": "America/New_York"}}).status_code == 200
    create_customer(api)
    create_plan(api)
    # November 2026 in New York is EST (-05:00): December begins at 2026-12-01T05:00:00Z.
    subscription = subscribe(api, subscription_at="2026-11-17T10:00:00Z")
    assert subscription["current_billing_period_ending_at"] == "2026-12-01T04:59:59Z"


# ------------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize("fields, expected", [
    ({"external_customer_id": ..., "plan_code": ..., "external_id": ...},
     {"external_customer_id": ["value_is_mandatory"], "plan_code": ["value_is_mandatory"],
      "external_id": ["value_is_mandatory"]}),
    ({"external_id": None}, {"external_id": ["value_is_mandatory"]}),
    ({"external_id": "  "}, {"external_id": ["value_is_mandatory"]}),
    ({"external_id": 42}, {"external_id": ["value_is_invalid"]}),
    ({"external_id": "x" * 256}, {"external_id": ["value_is_too_long"]}),
    ({"name": "x" * 256}, {"name": ["value_is_too_long"]}),
    ({"billing_time": "weekly"}, {"billing_time": ["value_is_invalid"]}),
    ({"billing_time": 1}, {"billing_time": ["value_is_invalid"]}),
    ({"subscription_at": "yesterday"}, {"subscription_at": ["invalid_date"]}),
    ({"subscription_at": 1700000000}, {"subscription_at": ["invalid_date"]}),
    ({"subscription_at": "2026-13-01T00:00:00Z"}, {"subscription_at": ["invalid_date"]}),
    ({"subscription_at": "9999-12-31T23:59:59Z"}, {"subscription_at": ["invalid_date"]}),
    ({"subscription_at": "0001-01-01T00:00:00Z"}, {"subscription_at": ["invalid_date"]}),
    ({"ending_at": "soon"}, {"ending_at": ["invalid_date"]}),
    # Lago's rule: ending_at on a later (UTC) day than subscription_at, and than today.
    ({"subscription_at": "2098-01-15T00:00:00Z", "ending_at": "2098-01-15T23:00:00Z"}, {"ending_at": ["invalid_date"]}),
    ({"subscription_at": "2098-01-15T00:00:00Z", "ending_at": "2097-01-01T00:00:00Z"}, {"ending_at": ["invalid_date"]}),
    ({"subscription_at": "2020-01-01T00:00:00Z", "ending_at": "2021-01-01T00:00:00Z"}, {"ending_at": ["invalid_date"]}),
])
def test_invalid_fields_are_refused_with_lagos_codes_and_store_nothing(api, ready, fields, expected):
    response = post(api, **fields)
    assert response.status_code == 422
    assert response.json_body == {"status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
                                  "error_details": expected}
    assert listed(api, "?status[]=active&status[]=pending")["meta"] == EMPTY_META
    assert plan_count(api) == 0


def test_valid_optional_fields_are_kept(api, ready):
    subscription = subscribe(api, billing_time="anniversary", ending_at="2099-06-30T12:00:00Z",
                             subscription_at="2026-11-17T10:00:00.750+01:00")
    assert subscription["billing_time"] == "anniversary"
    assert subscription["ending_at"] == "2099-06-30T12:00:00Z"
    # An offset is converted to UTC; times are kept to the second.
    assert subscription["subscription_at"] == "2026-11-17T09:00:00Z"


def test_missing_root_key_is_a_400(api, ready):
    response = api.post(SUBSCRIPTIONS, {"customer": {}})
    assert response.json_body == {"status": 400,
                                  "error": "BadRequest: param is missing or the value is empty: subscription"}


def test_unknown_customer_or_plan_is_a_404_and_stores_nothing(api, ready):
    assert post(api, external_customer_id="nobody").json_body == not_found("customer")
    assert post(api, plan_code="nothing").json_body == not_found("plan")
    assert listed(api)["meta"] == EMPTY_META
    assert api.get(f"{CUSTOMERS}/cust").json_body["customer"]["currency"] is None


# -------------------------------------------------------------------------------------- idempotency


def test_the_same_external_id_and_plan_returns_the_existing_subscription(api, ready):
    first = subscribe(api, name="First")
    again = post(api, name="Second", subscription_at="2026-11-20T00:00:00Z")
    assert again.status_code == 200
    assert again.json_body["subscription"]["lago_id"] == first["lago_id"]
    assert again.json_body["subscription"]["name"] == "First"
    assert listed(api)["meta"]["total_count"] == 1
    assert plan_count(api) == 1
    # Terminating it once is enough to free the customer: it was counted once.
    assert api.delete(path_of("sub")).status_code == 200
    assert api.delete(f"{CUSTOMERS}/cust").status_code == 200


def test_another_plan_for_a_pending_subscription_replaces_its_plan(api, ready):
    pending = subscribe(api, subscription_at=FUTURE)
    create_plan(api, "premium", amount_cents=5000)
    create_plan(api, "mini", amount_cents=100)
    for code in ("premium", "mini"):  # an upgrade and a downgrade alike: it has not started
        response = post(api, plan_code=code, subscription_at=FUTURE)
        assert response.status_code == 200, response.body
        moved = response.json_body["subscription"]
        assert (moved["lago_id"], moved["status"], moved["plan_code"]) == (pending["lago_id"], "pending", code)
        assert (moved["next_plan_code"], moved["downgrade_plan_date"]) == (None, None)
    assert [plan_count(api, code) for code in ("startup", "premium", "mini")] == [0, 0, 1]
    assert api.get(path_of("sub", "pending")).json_body["subscription"]["plan_code"] == "mini"
    assert [item["plan_code"] for item in api.get(f"{SUBSCRIPTIONS}?status[]=pending").json_body["subscriptions"]] \
        == ["mini"]
    create_plan(api, "dollars", amount_currency="USD")
    assert post(api, plan_code="dollars", subscription_at=FUTURE).json_body == invalid(
        currency="currencies_does_not_match")


def test_another_customer_cannot_take_a_current_external_id(api, ready):
    subscribe(api)
    create_customer(api, "other")
    assert post(api, external_customer_id="other").json_body == invalid(external_id="value_already_exist")


# ------------------------------------------------------------------------------------------ currency


def test_a_plan_in_another_currency_than_the_customers_is_refused(api):
    create_customer(api, currency="USD")
    create_plan(api)
    assert post(api).json_body == invalid(currency="currencies_does_not_match")
    assert plan_count(api) == 0


def test_the_first_subscription_sets_the_currency_for_the_next_ones(api, ready):
    subscribe(api)
    create_plan(api, "dollars", amount_currency="USD")
    assert post(api, external_id="sub-2", plan_code="dollars").json_body == invalid(
        currency="currencies_does_not_match")
    create_plan(api, "euros")
    assert subscribe(api, external_id="sub-3", plan_code="euros")["plan_amount_currency"] == "EUR"


def test_the_customers_currency_cannot_change_while_it_has_a_subscription(api, ready):
    subscribe(api)
    response = api.put(f"{CUSTOMERS}/cust", {"customer": {"currency": "USD"}})
    assert response.json_body == invalid(currency="currencies_does_not_match")
    assert api.post(CUSTOMERS, {"customer": {"external_id": "cust", "currency": "EUR"}}).status_code == 200
    api.delete(path_of("sub"))
    assert api.put(f"{CUSTOMERS}/cust", {"customer": {"currency": "USD"}}).status_code == 200


# ------------------------------------------------------------------------------------- state changes


def test_terminate_an_active_subscription(api, ready, api_clock):
    # Inside the first period [17 November, 1 December): the stored period is the one the biller invoices next, so
    # with the wall clock past 1 December the termination would not cut it.
    api_clock.set(datetime(2026, 11, 20, tzinfo=UTC))
    created = subscribe(api)
    response = api.delete(path_of("sub"))
    assert response.status_code == 200
    terminated = response.json_body["subscription"]
    assert (terminated["lago_id"], terminated["status"]) == (created["lago_id"], "terminated")
    assert TIME_Z.match(terminated["terminated_at"]) and terminated["terminated_at"] >= created["created_at"]
    # The current period stops at the termination (Lago's inclusive end: terminated_at itself).
    assert terminated["current_billing_period_started_at"] == created["current_billing_period_started_at"]
    assert terminated["current_billing_period_ending_at"] == terminated["terminated_at"]
    assert terminated["plan"]["active_subscriptions_count"] == 0
    assert plan_count(api) == 0

    assert api.get(path_of("sub")).json_body == SUBSCRIPTION_NOT_FOUND
    assert api.get(path_of("sub", "terminated")).json_body["subscription"] == {
        name: value for name, value in terminated.items()}
    # No active subscription is left: terminating again is Lago's 404.
    assert api.delete(path_of("sub")).json_body == SUBSCRIPTION_NOT_FOUND
    assert listed(api)["meta"] == EMPTY_META
    assert [s["lago_id"] for s in listed(api, "?status[]=terminated")["subscriptions"]] == [created["lago_id"]]


def test_an_external_id_can_be_reused_after_termination(api, ready):
    first = subscribe(api)
    api.delete(path_of("sub"))
    second = subscribe(api)
    assert second["lago_id"] != first["lago_id"]
    assert api.get(path_of("sub")).json_body["subscription"]["lago_id"] == second["lago_id"]
    assert api.get(path_of("sub", "terminated")).json_body["subscription"]["lago_id"] == first["lago_id"]


def test_cancel_a_pending_subscription(api, ready):
    created = subscribe(api, subscription_at=FUTURE)
    # Without ?status=pending only an active subscription is terminated.
    assert api.delete(path_of("sub")).json_body == SUBSCRIPTION_NOT_FOUND
    response = api.delete(path_of("sub", "pending"))
    assert response.status_code == 200
    canceled = response.json_body["subscription"]
    assert (canceled["lago_id"], canceled["status"]) == (created["lago_id"], "canceled")
    assert TIME_Z.match(canceled["canceled_at"]) and canceled["terminated_at"] is None
    assert api.get(path_of("sub", "pending")).json_body == SUBSCRIPTION_NOT_FOUND
    assert api.get(path_of("sub", "canceled")).json_body["subscription"]["status"] == "canceled"
    assert plan_count(api) == 0
    assert api.delete(f"{CUSTOMERS}/cust").status_code == 200


def test_status_values_outside_lagos_are_refused(api, ready):
    subscribe(api)
    assert api.get(path_of("sub", "paused")).json_body == invalid(status="value_is_invalid")
    assert api.delete(path_of("sub", "terminated")).json_body == invalid(status="value_is_invalid")
    assert api.put(path_of("sub", "canceled"), {"subscription": {"name": "x"}}).json_body == invalid(
        status="value_is_invalid")
    assert api.get(f"{SUBSCRIPTIONS}?status[]=active&status[]=bogus").json_body == invalid(status="value_is_invalid")


# -------------------------------------------------------------------------------------------- update


def test_update_name_and_ending_at(api, ready):
    created = subscribe(api)
    response = api.put(path_of("sub"), {"subscription": {"name": "Renamed", "ending_at": "2099-01-01T00:00:00Z"}})
    assert response.status_code == 200
    updated = response.json_body["subscription"]
    assert (updated["name"], updated["ending_at"]) == ("Renamed", "2099-01-01T00:00:00Z")
    assert updated["lago_id"] == created["lago_id"]
    assert api.get(path_of("sub")).json_body == response.json_body
    # Absent keeps, null clears.
    cleared = api.put(path_of("sub"), {"subscription": {"ending_at": None}}).json_body["subscription"]
    assert (cleared["name"], cleared["ending_at"]) == ("Renamed", None)
    assert api.put(path_of("sub"), {"subscription": {"ending_at": "2020-01-01T00:00:00Z"}}).json_body == invalid(
        ending_at="invalid_date")
    # subscription_at only changes a pending subscription (ignored here, as Lago does).
    same = api.put(path_of("sub"), {"subscription": {"subscription_at": "2026-11-01T00:00:00Z"}})
    assert same.json_body["subscription"]["subscription_at"] == created["subscription_at"]
    assert listed(api)["subscriptions"][0]["name"] == "Renamed"


def test_moving_a_pending_subscription(api, ready, api_clock):
    api_clock.set(NOVEMBER_25)
    subscribe(api, subscription_at=FUTURE)
    # Still in the future: still pending, with the new date.
    moved = api.put(path_of("sub", "pending"), {"subscription": {"subscription_at": "2098-03-01T00:00:00Z"}})
    assert moved.json_body["subscription"]["status"] == "pending"
    assert moved.json_body["subscription"]["subscription_at"] == "2098-03-01T00:00:00Z"
    # Moved into the past: active from that date (backdated), with its first period.
    response = api.put(path_of("sub", "pending"), {"subscription": {"subscription_at": PAST}})
    assert response.status_code == 200
    active = response.json_body["subscription"]
    assert (active["status"], active["started_at"]) == ("active", PAST)
    assert active["current_billing_period_ending_at"] == "2026-11-30T23:59:59Z"
    assert api.get(path_of("sub")).json_body["subscription"]["status"] == "active"
    assert api.get(path_of("sub", "pending")).json_body == SUBSCRIPTION_NOT_FOUND
    assert listed(api)["meta"]["total_count"] == 1
    assert listed(api, "?status[]=pending")["meta"] == EMPTY_META
    assert plan_count(api) == 1


def test_update_refusals(api, ready):
    assert api.put(path_of("nothing"), {"subscription": {"name": "x"}}).json_body == SUBSCRIPTION_NOT_FOUND
    subscribe(api)
    assert api.put(path_of("sub", "pending"), {"subscription": {"name": "x"}}).json_body == SUBSCRIPTION_NOT_FOUND
    assert api.put(path_of("sub"), {"subscription": {"subscription_at": "tomorrow"}}).json_body == invalid(
        subscription_at="invalid_date")
    assert api.put(path_of("sub"), {"subscription": {"subscription_at": None}}).json_body["subscription"][
        "subscription_at"] == PAST
    assert api.put(path_of("sub"), {"subscription": {"name": 7}}).json_body == invalid(name="value_is_invalid")


# --------------------------------------------------------------------------------------------- lists


def test_list_filters_and_pagination(api):
    create_customer(api, "alice")
    create_customer(api, "bob")
    create_plan(api, "basic")
    create_plan(api, "pro")
    subscribe(api, external_customer_id="alice", plan_code="basic", external_id="a-basic")
    subscribe(api, external_customer_id="alice", plan_code="pro", external_id="a-pro")
    subscribe(api, external_customer_id="bob", plan_code="basic", external_id="b-basic")
    subscribe(api, external_customer_id="bob", plan_code="pro", external_id="b-pro-pending", subscription_at=FUTURE)
    subscribe(api, external_customer_id="bob", plan_code="pro", external_id="b-pro-ended")
    api.delete(path_of("b-pro-ended"))

    def ids(query: str) -> list[str]:
        return [subscription["external_id"] for subscription in listed(api, query)["subscriptions"]]

    # Newest first; active only by default.
    assert ids("") == ["b-basic", "a-pro", "a-basic"]
    assert ids("?status[]=active&status[]=pending") == ["b-pro-pending", "b-basic", "a-pro", "a-basic"]
    assert ids("?status[]=terminated&status[]=canceled") == ["b-pro-ended"]
    assert ids("?external_customer_id=bob") == ["b-basic"]
    assert ids("?external_customer_id=bob&status[]=pending&status[]=terminated") == ["b-pro-ended",
                                                                                     "b-pro-pending"]
    assert ids("?plan_code=pro") == ["a-pro"]
    assert ids("?plan_code=pro&status[]=active&status[]=pending&status[]=terminated") == [
        "b-pro-ended", "b-pro-pending", "a-pro"]
    assert ids("?external_customer_id=alice&plan_code=basic") == ["a-basic"]
    assert listed(api, "?external_customer_id=nobody") == {"subscriptions": [], "meta": EMPTY_META}
    assert listed(api, "?plan_code=nothing") == {"subscriptions": [], "meta": EMPTY_META}

    page = listed(api, "?per_page=2&page=2&status[]=active&status[]=pending")
    assert [s["external_id"] for s in page["subscriptions"]] == ["a-pro", "a-basic"]
    assert page["meta"] == {"current_page": 2, "next_page": None, "prev_page": 1, "total_pages": 2, "total_count": 4}
    page = listed(api, "?per_page=1&page=2&external_customer_id=alice")
    assert [s["external_id"] for s in page["subscriptions"]] == ["a-basic"]
    assert page["meta"] == {"current_page": 2, "next_page": None, "prev_page": 1, "total_pages": 2, "total_count": 2}
    assert listed(api, "?plan_code=basic")["meta"]["total_count"] == 2
    assert listed(api, "?status=terminated")["meta"]["total_count"] == 1
    assert "plan" not in listed(api)["subscriptions"][0]
    assert api.get(f"{SUBSCRIPTIONS}?per_page=0").json_body == invalid(per_page="value_is_invalid")


def test_a_terminated_subscription_of_a_deleted_customer_still_shows_its_ids(api, ready):
    subscribe(api)
    api.delete(path_of("sub"))
    assert api.delete(f"{CUSTOMERS}/cust").status_code == 200
    shown = listed(api, "?status[]=terminated")["subscriptions"][0]
    assert (shown["external_customer_id"], shown["plan_code"]) == ("cust", "startup")


def test_hostile_external_ids_round_trip(api, ready):
    for external_id in ("acme#1/eu %", "é" * 255, "%H" + "0" * 64, "SUBSCRIPTION#x"):
        created = subscribe(api, external_id=external_id)
        assert api.get(path_of(external_id)).json_body["subscription"]["lago_id"] == created["lago_id"]
        assert api.delete(path_of(external_id)).status_code == 200
        assert api.get(path_of(external_id, "terminated")).json_body["subscription"]["external_id"] == external_id


# ------------------------------------------------------------------------ the customer's refusals


def test_a_customer_with_an_active_subscription_cannot_be_deleted_until_it_is_terminated(api, ready):
    subscribe(api)
    refused = api.delete(f"{CUSTOMERS}/cust")
    assert refused.json_body == {"status": 405, "error": "Method Not Allowed",
                                 "code": "customer_has_active_subscription"}
    assert api.delete(path_of("sub")).status_code == 200
    assert api.delete(f"{CUSTOMERS}/cust").status_code == 200


def test_a_pending_subscription_blocks_the_customers_deletion_too(api, ready):
    subscribe(api, subscription_at=FUTURE)
    assert api.delete(f"{CUSTOMERS}/cust").status_code == 405
    api.delete(path_of("sub", "pending"))
    assert api.delete(f"{CUSTOMERS}/cust").status_code == 200


def test_a_plan_with_a_subscription_shows_its_count(api, ready):
    subscribe(api)
    subscribe(api, external_id="sub-2", subscription_at=FUTURE)
    assert plan_count(api) == 2
    api.delete(path_of("sub"))
    api.delete(path_of("sub-2", "pending"))
    assert plan_count(api) == 0


def test_another_organization_sees_nothing(api, other_api, ready):
    subscribe(api)
    assert other_api.get(path_of("sub")).json_body == SUBSCRIPTION_NOT_FOUND
    assert other_api.delete(path_of("sub")).json_body == SUBSCRIPTION_NOT_FOUND
    assert other_api.get(SUBSCRIPTIONS).json_body == {"subscriptions": [], "meta": EMPTY_META}
    assert other_api.post(SUBSCRIPTIONS, {"subscription": {"external_customer_id": "cust", "plan_code": "startup",
                                                           "external_id": "sub"}}).json_body == not_found("customer")
    assert api.get(path_of("sub")).json_body["subscription"]["status"] == "active"
