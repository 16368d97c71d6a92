"""Concurrent writers on subscriptions, interleaved deterministically: a botocore hook runs a competing
request just before the request under test makes its write (see test_customer_races). Each write is one
conditional transaction, so the loser reads again and answers as if it had come second: nothing is
half-written and no count drifts."""
from __future__ import annotations

from builders import create_customer, create_plan, subscribe, subscribe_new_customer
from interleaving import competing
from test_subscriptions import (
    CUSTOMERS,
    EMPTY_META,
    SUBSCRIPTION_NOT_FOUND,
    invalid,
    listed,
    not_found,
    path_of,
    plan_count,
    post,
)


def test_a_customer_deleted_between_read_and_write_is_a_404_and_nothing_is_written(api):
    create_customer(api)
    create_plan(api)
    with competing("TransactWriteItems", lambda: api.delete(f"{CUSTOMERS}/cust")) as rival:
        response = post(api)
    assert rival[0].status_code == 200
    assert response.json_body == not_found("customer")
    assert listed(api, "?status[]=active&status[]=pending")["meta"] == EMPTY_META
    assert api.get(path_of("sub")).json_body == SUBSCRIPTION_NOT_FOUND
    assert plan_count(api) == 0


def test_two_creates_of_the_same_external_id_make_one_subscription(api):
    create_customer(api)
    create_plan(api)
    with competing("TransactWriteItems", lambda: post(api, name="Rival")) as rival:
        mine = post(api, name="Mine")
    assert rival[0].status_code == 200 and mine.status_code == 200
    # The loser read again and got the winner's subscription back (same external id, same plan).
    assert mine.json_body["subscription"]["lago_id"] == rival[0].json_body["subscription"]["lago_id"]
    assert mine.json_body["subscription"]["name"] == "Rival"
    assert listed(api)["meta"]["total_count"] == 1
    assert plan_count(api) == 1
    api.delete(path_of("sub"))
    assert api.delete(f"{CUSTOMERS}/cust").status_code == 200  # counted once, released once


def test_a_rival_subscription_in_another_currency_wins_the_customers_currency(api):
    create_customer(api)
    create_plan(api, "euros")
    create_plan(api, "dollars", amount_currency="USD")
    with competing("TransactWriteItems",
                   lambda: post(api, plan_code="dollars", external_id="rival")) as rival:
        mine = post(api, plan_code="euros")
    assert rival[0].status_code == 200
    assert mine.json_body == invalid(currency="currencies_does_not_match")
    assert api.get(f"{CUSTOMERS}/cust").json_body["customer"]["currency"] == "USD"
    assert plan_count(api, "euros") == 0


def test_a_plan_changed_between_read_and_write_is_read_again(api):
    create_customer(api)
    create_plan(api)
    with competing("TransactWriteItems",
                   lambda: api.put("/api/v1/plans/startup", {"plan": {"name": "Renamed"}})) as rival:
        subscription = subscribe(api)
    assert rival[0].status_code == 200
    assert subscription["plan"]["name"] == "Renamed"
    assert plan_count(api) == 1


def test_a_customer_update_racing_a_create_keeps_the_subscription_count(api):
    """The create bumps the customer's version, so the update's whole-item put retries on top of it."""
    create_customer(api)
    create_plan(api)
    with competing("TransactWriteItems", lambda: post(api)) as rival:
        updated = api.put(f"{CUSTOMERS}/cust", {"customer": {"city": "Lyon"}})
    assert rival[0].status_code == 200 and updated.status_code == 200
    assert updated.json_body["customer"]["currency"] == "EUR"
    assert api.delete(f"{CUSTOMERS}/cust").status_code == 405


def test_two_terminations_end_it_once(api):
    subscribe_new_customer(api)
    with competing("TransactWriteItems", lambda: api.delete(path_of("sub"))) as rival:
        mine = api.delete(path_of("sub"))
    assert rival[0].status_code == 200
    assert mine.json_body == SUBSCRIPTION_NOT_FOUND
    assert listed(api, "?status[]=terminated")["meta"]["total_count"] == 1
    assert plan_count(api) == 0
    assert api.delete(f"{CUSTOMERS}/cust").status_code == 200


def test_an_update_racing_a_termination_finds_nothing_left(api):
    subscribe_new_customer(api)
    with competing("TransactWriteItems", lambda: api.delete(path_of("sub"))) as rival:
        updated = api.put(path_of("sub"), {"subscription": {"name": "Late"}})
    assert rival[0].status_code == 200
    assert updated.json_body == SUBSCRIPTION_NOT_FOUND
    assert api.get(path_of("sub", "terminated")).json_body["subscription"]["name"] is None
