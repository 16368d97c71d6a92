"""Concurrent writers on customers, interleaved deterministically: a botocore hook on the repositories'
DynamoDB client runs a competing request just before the request under test makes its write.
No threads, no sleeps."""
from __future__ import annotations

from interleaving import competing

from chalicelib.domain.retries import SEQUENCE_ATTEMPTS

CUSTOMERS = "/api/v1/customers"
CUSTOMER_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "customer_not_found"}


def post_customer(api, **fields):
    return api.post(CUSTOMERS, {"customer": fields})


def total_count(api) -> int:
    return api.get(CUSTOMERS).json_body["meta"]["total_count"]


def test_concurrent_creates_of_different_customers_get_consecutive_sequences(api, tenant):
    with competing("TransactWriteItems", lambda: post_customer(api, external_id="second", name="Second")) as rival:
        first = post_customer(api, external_id="first", name="First")
    assert len(rival) == 1, "the interleaving did not happen"
    assert rival[0].status_code == 200 and first.status_code == 200
    # The rival took 1 while "first" was between reading the counter and writing; "first" then took 2.
    assert rival[0].json_body["customer"]["sequential_id"] == 1
    assert first.json_body["customer"]["sequential_id"] == 2
    prefix = "LAG-" + tenant.organization_id[-4:].upper()
    assert first.json_body["customer"]["slug"] == f"{prefix}-002"
    assert total_count(api) == 2
    assert post_customer(api, external_id="third", name="Third").json_body["customer"]["sequential_id"] == 3


def test_a_create_losing_the_sequence_to_fifteen_others_still_succeeds(api):
    """Sixteen creates at once (issue 15's load): each round of the counter has one winner, so the last one wins
    at its sixteenth attempt, past the 8 other writes get (a 503 before)."""
    rivals = iter(range(15))
    with competing("TransactWriteItems", lambda: post_customer(api, external_id=f"rival-{next(rivals)}",
                                                               name="Rival"), times=15) as rival:
        last = post_customer(api, external_id="last", name="Last")
    assert [response.status_code for response in rival] == [200] * 15
    assert (last.status_code, last.json_body["customer"]["sequential_id"]) == (200, 16)
    assert total_count(api) == 16


def test_concurrent_creates_of_the_same_external_id_make_one_customer(api):
    with competing("TransactWriteItems",
                   lambda: post_customer(api, external_id="same", name="From B", city="Lyon")) as rival:
        mine = post_customer(api, external_id="same", name="From A", email="a@example.com")
    assert len(rival) == 1
    assert rival[0].status_code == 200 and mine.status_code == 200
    assert mine.json_body["customer"]["lago_id"] == rival[0].json_body["customer"]["lago_id"]
    assert total_count(api) == 1
    # Applied on top of the rival's create: both requests' fields are there.
    stored = api.get(f"{CUSTOMERS}/same").json_body["customer"]
    assert (stored["name"], stored["city"], stored["email"]) == ("From A", "Lyon", "a@example.com")
    assert stored["sequential_id"] == 1
    # The losing attempt consumed no sequence.
    assert post_customer(api, external_id="next", name="Next").json_body["customer"]["sequential_id"] == 2


def test_a_create_racing_a_delete_keeps_the_live_count_right(api):
    post_customer(api, external_id="old", name="Old")
    with competing("TransactWriteItems", lambda: api.delete(f"{CUSTOMERS}/old")) as rival:
        created = post_customer(api, external_id="new", name="New")
    assert rival[0].status_code == 200 and created.status_code == 200
    assert created.json_body["customer"]["sequential_id"] == 2
    listed = api.get(CUSTOMERS).json_body
    assert [customer["external_id"] for customer in listed["customers"]] == ["new"]
    assert listed["meta"]["total_count"] == 1


def test_an_update_racing_an_update_loses_neither(api):
    created = post_customer(api, external_id="cust", name="Cust").json_body["customer"]
    with competing("TransactWriteItems",
                   lambda: api.put(f"{CUSTOMERS}/cust", {"customer": {"city": "Lyon"}})) as rival:
        mine = post_customer(api, external_id="cust", email="new@example.com")
    assert rival[0].status_code == 200 and mine.status_code == 200
    assert (mine.json_body["customer"]["city"], mine.json_body["customer"]["email"]) == ("Lyon", "new@example.com")
    stored = api.get(f"{CUSTOMERS}/cust").json_body["customer"]
    assert (stored["city"], stored["email"], stored["lago_id"]) == ("Lyon", "new@example.com", created["lago_id"])


def test_a_rename_racing_an_update_keeps_the_update(api):
    created = post_customer(api, external_id="old", name="Cust").json_body["customer"]
    with competing("TransactWriteItems",
                   lambda: post_customer(api, external_id="old", city="Lyon")) as rival:
        renamed = api.put(f"{CUSTOMERS}/old", {"customer": {"external_id": "new"}})
    assert rival[0].status_code == 200 and renamed.status_code == 200
    stored = api.get(f"{CUSTOMERS}/new").json_body["customer"]
    assert (stored["lago_id"], stored["city"]) == (created["lago_id"], "Lyon")
    assert api.get(f"{CUSTOMERS}/old").status_code == 404
    assert total_count(api) == 1


def test_a_delete_racing_an_update_ends_deleted(api):
    post_customer(api, external_id="cust", name="Cust")
    with competing("TransactWriteItems",
                   lambda: post_customer(api, external_id="cust", city="Lyon")) as rival:
        deleted = api.delete(f"{CUSTOMERS}/cust")
    assert rival[0].status_code == 200
    assert deleted.status_code == 200
    # What was deleted is the customer as the update left it.
    assert deleted.json_body["customer"]["city"] == "Lyon"
    assert api.get(f"{CUSTOMERS}/cust").json_body == CUSTOMER_NOT_FOUND
    assert total_count(api) == 0


def test_an_update_racing_a_delete_ends_deleted(api):
    post_customer(api, external_id="cust", name="Cust")
    with competing("TransactWriteItems", lambda: api.delete(f"{CUSTOMERS}/cust")) as rival:
        updated = api.put(f"{CUSTOMERS}/cust", {"customer": {"city": "Lyon"}})
    assert rival[0].status_code == 200
    assert (updated.status_code, updated.json_body) == (404, CUSTOMER_NOT_FOUND)
    assert api.get(f"{CUSTOMERS}/cust").status_code == 404
    assert total_count(api) == 0


def test_a_create_that_keeps_losing_answers_a_retryable_503_and_leaves_no_gap(api):
    rivals = iter(range(1, 200))
    with competing("TransactWriteItems",
                   lambda: post_customer(api, external_id=f"rival-{next(rivals)}", name="Rival"),
                   times=SEQUENCE_ATTEMPTS) as rival:
        loser = post_customer(api, external_id="loser", name="Loser")
    assert loser.status_code == 503
    assert loser.json_body == {"status": 503, "error": "Service Unavailable", "code": "concurrent_modification"}
    assert all(response.status_code == 200 for response in rival)
    assert api.get(f"{CUSTOMERS}/loser").status_code == 404
    assert total_count(api) == len(rival)
    following = post_customer(api, external_id="after", name="After").json_body["customer"]
    assert following["sequential_id"] == len(rival) + 1
