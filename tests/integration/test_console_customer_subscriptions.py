"""The console's Subscriptions tab through the app: "Assign plan", "Change plan" (upgrade now, downgrade at the
period's end) and "Terminate" each doing what `/api/v1/subscriptions` does, the API then showing the same
subscriptions; refusals in words next to their fields with nothing written; CSRF; another organization's customer
unseen; the tab's constant DynamoDB cost."""
from __future__ import annotations

import re
from html import unescape

import pytest
from builders import create_clock, create_customer, create_plan, subscribe
from test_console import SIGNED_IN_AT, browser, clock, signed_in  # noqa: F401 (the console's fixtures)
from test_current_usage import dynamodb_requests

MARCH_1 = "2026-03-01T00:00:00Z"
TAB = "/console/customers/cust/subscriptions"


@pytest.fixture(autouse=True)
def same_now(monkeypatch, api_clock, clock):  # noqa: F811 (the console's clock fixture)
    """The API's and the console's "now": 9:00 on 1 March 2026."""
    api_clock.set(SIGNED_IN_AT)
    monkeypatch.setattr("chalicelib.console.customer_subscriptions.utc_now", lambda: clock.now)


@pytest.fixture
def catalog(api) -> None:
    """Monthly EUR plans in arrears: basic 10 EUR, premium 50 EUR, cheap 5 EUR, and a 10 USD one; customer `cust`."""
    for code, cents, currency in (("basic", 1000, "EUR"), ("premium", 5000, "EUR"), ("cheap", 500, "EUR"),
                                  ("dollar", 1000, "USD")):
        create_plan(api, code=code, amount_cents=cents, amount_currency=currency)
    create_customer(api)


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def subscriptions_of(api, status: str = "active") -> list[dict]:
    response = api.get(f"/api/v1/subscriptions?external_customer_id=cust&status[]={status}")
    assert response.status_code == 200
    return response.json_body["subscriptions"]


def rows(page: str) -> list[list[str]]:
    """The subscriptions table's rows, each cell in words (the last, the actions, left out)."""
    body = re.search(r'<table class="subscriptions">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [[text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)[:-1]]
            for row in body.split("</tr>")[:-1]]


def post(signed_in, path: str, fields: dict):  # noqa: F811
    return signed_in.post(path, {"csrf_token": signed_in.csrf_token(), **fields})


def assign(signed_in, **fields):  # noqa: F811
    return post(signed_in, TAB, {"plan_code": "basic", "billing_time": "calendar", "subscription_at": "",
                                 "external_id": "sub", **fields})


def test_assign_plan_creates_the_subscription_the_api_shows(api, signed_in, catalog):  # noqa: F811
    page = signed_in.get(TAB).body.decode()
    assert '<label for="plan_code">Plan</label>' in page and '<label for="billing_time">Billing time</label>' in page
    assert '<label for="subscription_at">Start date</label>' in page and 'type="date"' in page
    # 1000 cents of EUR is €10.00; 1000 cents of USD $10.00
    assert '<option value="basic">Plan basic (basic, monthly, €10.00)</option>' in page
    assert '<option value="dollar">Plan dollar (dollar, monthly, $10.00)</option>' in page
    assert "No subscription yet" in page

    response = assign(signed_in, billing_time="anniversary")
    assert (response.status_code, response.headers["Location"]) == (303, f"{TAB}?done=assigned")
    [shown] = subscriptions_of(api)
    assert {name: shown[name] for name in ("external_id", "plan_code", "billing_time", "status", "subscription_at",
                                           "started_at")} == {
        "external_id": "sub", "plan_code": "basic", "billing_time": "anniversary", "status": "active",
        "subscription_at": "2026-03-01T09:00:00Z", "started_at": "2026-03-01T09:00:00Z"}  # empty Start date: now
    page = signed_in.get(f"{TAB}?done=assigned").body.decode()
    assert "The plan is assigned." in page
    assert rows(page) == [["sub", "sub", "Plan basic (basic)", "active", "2026-03-01", "anniversary"]]


def test_a_start_date_is_its_midnight_utc_and_an_empty_external_id_a_new_one(api, signed_in, catalog):  # noqa: F811
    assert assign(signed_in, subscription_at="2026-03-10", external_id="").status_code == 303
    [shown] = subscriptions_of(api, "pending")  # from 10 March: pending until then
    assert (shown["subscription_at"], shown["plan_code"]) == ("2026-03-10T00:00:00Z", "basic")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", shown["external_id"])
    assert rows(signed_in.get(TAB).body.decode()) == [
        [shown["external_id"], shown["external_id"], "Plan basic (basic)", "pending", "2026-03-10", "calendar"]]


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"plan_code": ""}, "plan_code", "Choose a plan."),
    ({"plan_code": "gone"}, "plan_code", "This plan does not exist any more."),
    ({"subscription_at": "31/03/2026"}, "subscription_at", "Use a date such as 2026-03-31."),
    ({"billing_time": "weekly"}, "billing_time", "This value is not valid."),
])
def test_a_refused_assignment_says_why_next_to_the_field_and_writes_nothing(api, signed_in, catalog, fields,  # noqa: F811
                                                                            field, words):
    response = assign(signed_in, external_id="kept-id", **fields)
    page = response.body.decode()
    assert response.status_code == 422
    assert f'<p class="error" id="{field}-error">{words}</p>' in page
    assert re.search(rf'id="{field}" name="{field}"[^>]* aria-invalid="true"[^>]*aria-describedby="[^"]*'
                     rf'{field}-error"', page)
    assert 'name="external_id" value="kept-id"' in page  # the values typed are kept
    if field == "subscription_at":
        assert 'value="31/03/2026"' in page
    assert subscriptions_of(api) == [] and subscriptions_of(api, "pending") == []


def test_a_plan_in_another_currency_than_the_customers_is_refused_next_to_plan(api, signed_in, catalog):  # noqa: F811
    api.put("/api/v1/customers/cust", {"customer": {"currency": "USD"}})
    response = assign(signed_in, plan_code="basic")
    assert response.status_code == 422
    assert ('<p class="error" id="plan_code-error">The plan&#39;s currency is not the customer&#39;s: a customer is '
            'billed in one currency.</p>') in response.body.decode()
    assert subscriptions_of(api) == []


def test_on_a_test_clock_now_is_the_clocks_frozen_time_as_in_the_api(api, signed_in, catalog):  # noqa: F811
    test_clock = create_clock(api, "2026-02-10T12:00:00Z")
    create_customer(api, "simulated", test_clock_id=test_clock["lago_id"])
    response = post(signed_in, "/console/customers/simulated/subscriptions",
                    {"plan_code": "basic", "billing_time": "calendar", "subscription_at": "", "external_id": "sim"})
    assert response.status_code == 303
    shown = api.get("/api/v1/subscriptions/sim").json_body["subscription"]
    assert (shown["subscription_at"], shown["started_at"]) == ("2026-02-10T12:00:00Z", "2026-02-10T12:00:00Z")


def test_another_customers_external_id_is_refused_next_to_it(api, signed_in, catalog):  # noqa: F811
    create_customer(api, "neighbour")
    subscribe(api, external_customer_id="neighbour", external_id="taken", plan_code="basic", subscription_at=MARCH_1)
    response = assign(signed_in, external_id="taken", plan_code="premium")
    assert response.status_code == 422
    assert ('<p class="error" id="external_id-error">Another customer&#39;s subscription has this external id.</p>'
            in response.body.decode())
    assert subscriptions_of(api) == []
    assert api.get("/api/v1/subscriptions/taken").json_body["subscription"]["plan_code"] == "basic"


def test_names_and_ids_typed_by_users_show_as_text(api, signed_in, catalog):  # noqa: F811
    markup = "<img src=x onerror=alert(1)>"
    subscribe(api, plan_code="basic", external_id=markup, name=markup, subscription_at=MARCH_1)
    page = signed_in.get(TAB).body.decode()
    assert markup not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'action="/console/customers/cust/subscriptions/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/plan"' in page


def subscribed(api) -> None:
    """`sub` on basic from 1 March (calendar): its current period is March."""
    subscribe(api, plan_code="basic", subscription_at=MARCH_1)


def test_change_plan_offers_the_plans_of_its_currency_each_saying_upgrade_or_downgrade(api, signed_in,  # noqa: F811
                                                                                       catalog):
    subscribed(api)
    page = signed_in.get(TAB).body.decode()
    change = re.search(r'<form method="post" action="/console/customers/cust/subscriptions/sub/plan"'
                       r' aria-label="Change plan of sub".*?</form>', page, re.S).group(0)
    options = re.findall(r'<option value="(\w*)">(.*?)</option>', change)
    # yearly base fees: basic 12 x 10 = 120 EUR; premium 600 (more: upgrade); cheap 60 (less: downgrade); the USD
    # plan and basic itself are not offered; newest plan first, as GET /api/v1/plans lists them
    assert options == [
        ("", "Choose a plan"),
        ("cheap", "Plan cheap (cheap, monthly, €5.00): downgrade, takes effect at the end of the current period"),
        ("premium", "Plan premium (premium, monthly, €50.00): upgrade, takes effect now")]
    assert '<label for="plan_code-1">Plan</label>' in change and "<summary>Change plan</summary>" in page
    assert ">Terminate</a>" in page


def test_an_upgrade_takes_effect_now_as_the_api_shows(api, signed_in, catalog):  # noqa: F811
    subscribed(api)
    response = post(signed_in, f"{TAB}/sub/plan", {"plan_code": "premium"})
    assert (response.status_code, response.headers["Location"]) == (303, f"{TAB}?done=upgraded")
    current = api.get("/api/v1/subscriptions/sub").json_body["subscription"]
    assert (current["plan_code"], current["status"], current["previous_plan_code"]) == ("premium", "active", "basic")
    page = signed_in.get(response.headers["Location"]).body.decode()
    assert "Upgraded: the new plan took effect now." in page
    assert rows(page) == [["sub", "sub", "Plan premium (premium)", "active", "2026-03-01", "calendar"],
                          ["sub", "sub", "Plan basic (basic)", "terminated", "2026-03-01", "calendar"]]


def test_a_downgrade_is_scheduled_for_the_periods_end_as_the_api_shows(api, signed_in, catalog):  # noqa: F811
    subscribed(api)
    response = post(signed_in, f"{TAB}/sub/plan", {"plan_code": "cheap"})
    assert (response.status_code, response.headers["Location"]) == (303, f"{TAB}?done=downgraded")
    current = api.get("/api/v1/subscriptions/sub").json_body["subscription"]
    # March's period ends at 1 April 00:00 UTC: the downgrade's date
    assert (current["plan_code"], current["next_plan_code"], current["downgrade_plan_date"]) == (
        "basic", "cheap", "2026-04-01")
    [pending] = subscriptions_of(api, "pending")
    assert (pending["external_id"], pending["plan_code"]) == ("sub", "cheap")
    page = signed_in.get(response.headers["Location"]).body.decode()
    assert "Downgrade scheduled: the new plan takes effect at the end of the current period." in page
    assert rows(page) == [["sub", "sub", "Plan cheap (cheap)", "pending", "2026-03-01", "calendar"],
                          ["sub", "sub", "Plan basic (basic)", "active Downgrades to cheap on 2026-04-01",
                           "2026-03-01", "calendar"]]


def test_a_change_without_a_plan_says_so_next_to_its_select_and_changes_nothing(api, signed_in, catalog):  # noqa: F811
    subscribed(api)
    response = post(signed_in, f"{TAB}/sub/plan", {"plan_code": ""})
    page = response.body.decode()
    assert response.status_code == 422
    assert '<p class="error" id="plan_code-1-error">Choose a plan.</p>' in page
    assert 'aria-invalid="true" aria-describedby="plan_code-1-help plan_code-1-error"' in page
    assert '<details class="change-plan" open>' in page
    current = api.get("/api/v1/subscriptions/sub").json_body["subscription"]
    assert (current["plan_code"], current["next_plan_code"]) == ("basic", None)


def test_terminate_asks_for_confirmation_then_ends_it_as_the_api_does(api, signed_in, catalog):  # noqa: F811
    subscribed(api)
    confirmation = signed_in.get(f"{TAB}/sub/terminate")
    page = confirmation.body.decode()
    assert confirmation.status_code == 200
    assert '<form method="post" action="/console/customers/cust/subscriptions/sub/terminate" class="confirm">' in page
    assert '<button type="submit">Terminate subscription</button>' in page
    assert subscriptions_of(api)[0]["status"] == "active"  # the confirmation changed nothing
    response = post(signed_in, f"{TAB}/sub/terminate", {})
    assert (response.status_code, response.headers["Location"]) == (303, f"{TAB}?done=terminated")
    [ended] = subscriptions_of(api, "terminated")
    assert (ended["external_id"], ended["terminated_at"]) == ("sub", "2026-03-01T09:00:00Z")
    assert subscriptions_of(api) == []
    page = signed_in.get(response.headers["Location"]).body.decode()
    assert "The subscription is terminated." in page and ">Terminate</a>" not in page
    assert rows(page) == [["sub", "sub", "Plan basic (basic)", "terminated", "2026-03-01", "calendar"]]
    assert signed_in.get(f"{TAB}/sub/terminate").status_code == 404  # no longer active


def test_posts_without_the_csrf_token_are_refused_and_change_nothing(api, signed_in, catalog):  # noqa: F811
    subscribed(api)
    for path, fields in ((TAB, {"plan_code": "premium", "external_id": "other"}),
                         (f"{TAB}/sub/plan", {"plan_code": "premium"}), (f"{TAB}/sub/terminate", {})):
        assert signed_in.post(path, fields).status_code == 403, path
        assert signed_in.post(path, {**fields, "csrf_token": "0" * 64}).status_code == 403, path
    [current] = subscriptions_of(api)
    assert (current["external_id"], current["plan_code"], current["next_plan_code"]) == ("sub", "basic", None)


def test_another_organizations_customer_and_another_customers_subscription_are_not_found(
        api, other_api, signed_in, catalog):  # noqa: F811
    create_customer(other_api, "theirs")
    create_plan(other_api, code="basic")
    subscribe(other_api, external_customer_id="theirs", external_id="their-sub", plan_code="basic",
              subscription_at=MARCH_1)
    theirs = "/console/customers/theirs/subscriptions"
    assert signed_in.get(theirs).status_code == 404
    assert post(signed_in, theirs, {"plan_code": "basic", "external_id": "x"}).status_code == 404
    assert signed_in.get(f"{theirs}/their-sub/terminate").status_code == 404
    assert post(signed_in, f"{theirs}/their-sub/terminate", {}).status_code == 404
    assert other_api.get("/api/v1/subscriptions/their-sub").json_body["subscription"]["status"] == "active"
    create_customer(api, "neighbour")
    subscribe(api, external_customer_id="neighbour", external_id="their-sub", plan_code="basic",
              subscription_at=MARCH_1)
    assert signed_in.get(f"{TAB}/their-sub/terminate").status_code == 404  # not cust's
    assert post(signed_in, f"{TAB}/their-sub/plan", {"plan_code": "premium"}).status_code == 404
    assert api.get("/api/v1/subscriptions/their-sub").json_body["subscription"]["plan_code"] == "basic"


def test_the_tab_costs_the_same_requests_for_one_subscription_and_many(api, signed_in, catalog):  # noqa: F811
    subscribed(api)
    one = dynamodb_requests(signed_in, TAB)
    for number in range(2, 8):
        subscribe(api, plan_code="basic", external_id=f"sub-{number}", subscription_at=MARCH_1)
    many = dynamodb_requests(signed_in, TAB)
    assert len(rows(signed_in.get(TAB).body.decode())) == 7
    assert many == one
    # the secret, the session, the organization; the customer twice (its id's lookup, its record: the tab's and the
    # listing's); one Query of the customer's copies for the statuses shown; the listing's customer and plan; the
    # plans' page and their count
    assert len(one) == 3 + 2 * 2 + 1 + 2 + 2
