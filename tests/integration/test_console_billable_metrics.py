"""The console's billable metrics through the app: the list (25 a page, a constant number of DynamoDB requests), the
"New billable metric" form creating through the API's own use case (every aggregation type, filters, recurring),
its refusals next to their fields with nothing written, a metric's page, its deletion after a confirmation and the
refusal while a plan uses it, CSRF, hostile codes in the path and names shown as text."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest
from builders import create_metric, create_plan, standard_charge
from test_console import browser, clock, signed_in  # noqa: F401 (the console's fixtures)
from test_current_usage import dynamodb_requests

METRICS = "/api/v1/billable_metrics"
# What the API answers of a metric that the form sets (the rest is the record's id and dates).
COMPARED = ("name", "code", "description", "aggregation_type", "field_name", "recurring", "filters",
            "weighted_interval")


@pytest.fixture
def console(signed_in):  # noqa: F811 (test_console's fixture)
    """The console signed in to the `api` fixture's organization."""
    return signed_in


def metric_form(token: str, **fields: str) -> dict[str, str]:
    """A Sum of `gb` named Storage, code `storage`, without filters, unless `fields` say otherwise."""
    return {"csrf_token": token, "name": "Storage", "code": "storage", "description": "", "aggregation_type": "sum_agg",
            "field_name": "gb", "filter_rows": "3", "filter_key_0": "", "filter_values_0": "", "filter_key_1": "",
            "filter_values_1": "", "filter_key_2": "", "filter_values_2": "", **fields}


def form_errors(page: str) -> dict[str, str]:
    return {field: unescape(words) for field, words in re.findall(r'<p class="error" id="(\w+)-error">([^<]*)</p>',
                                                                   page)}


def api_metric(api, code: str) -> dict:
    response = api.get(f"{METRICS}/{quote(code, safe='')}")
    assert response.status_code == 200, response.body
    return response.json_body["billable_metric"]


def total_count(api) -> int:
    return api.get(METRICS).json_body["meta"]["total_count"]


def test_the_form_offers_the_six_aggregations_in_words(console):
    page = console.get("/console/new-billable-metric").body.decode()
    assert re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', page) == [
        ("count_agg", "Count"), ("sum_agg", "Sum"), ("max_agg", "Max"), ("unique_count_agg", "Unique count"),
        ("latest_agg", "Latest"), ("weighted_sum_agg", "Weighted sum")]
    for label in ("Name", "Code", "Description", "Aggregation", "Field name", "Recurring"):
        assert f">{label}</label>" in page
    assert page.count(">Filter key</label>") == 3 and page.count(">Filter values</label>") == 3
    assert ">Save</button>" in page and 'name="csrf_token"' in page


@pytest.mark.parametrize("aggregation_type, field_name", [
    ("count_agg", ""), ("sum_agg", "gb"), ("max_agg", "gb"), ("unique_count_agg", "user_id"), ("latest_agg", "gb"),
    ("weighted_sum_agg", "gb")])
def test_each_aggregation_is_created_from_the_form_as_the_api_creates_it(api, console, aggregation_type,
                                                                         field_name):
    form = metric_form(console.csrf_token(), code="by-form", aggregation_type=aggregation_type,
                       field_name=field_name, description="Measured by the console")
    response = console.post("/console/billable-metrics", form)
    assert (response.status_code, response.headers["Location"]) == (303, "/console/billable-metrics/by-form")
    body = {"name": "Storage", "code": "by-api", "aggregation_type": aggregation_type,
            "description": "Measured by the console", "recurring": False, "filters": []}
    by_api = create_metric(api, **{**body, "field_name": field_name or None})
    by_form = api_metric(api, "by-form")
    assert {name: by_form[name] for name in COMPARED} == {**{name: by_api[name] for name in COMPARED},
                                                          "code": "by-form"}
    assert by_form["field_name"] == (field_name or None)


def test_filters_and_recurring_are_saved_and_shown(api, console):
    form = metric_form(console.csrf_token(), recurring="true", filter_key_0="region",
                       filter_values_0=" eu, us ,, ap ", filter_key_2="tier", filter_values_2="gold")
    assert console.post("/console/billable-metrics", form).status_code == 303
    metric = api_metric(api, "storage")
    assert metric["recurring"] is True
    # Empty values between commas are left out; the empty middle row is not sent.
    assert metric["filters"] == [{"key": "region", "values": ["eu", "us", "ap"]},
                                 {"key": "tier", "values": ["gold"]}]
    page = console.get("/console/billable-metrics/storage").body.decode()
    assert "<h1>Storage</h1>" in page and "<td>region</td><td>eu, us, ap</td>" in page
    assert "<dt>Aggregation</dt><dd>Sum</dd>" in page and "<dt>Recurring</dt><dd>Yes</dd>" in page


def test_add_filter_shows_the_form_again_with_one_more_row_and_writes_nothing(api, console):
    form = metric_form(console.csrf_token(), filter_key_0="region", filter_values_0="eu, us", add_filter="1")
    response = console.post("/console/billable-metrics", form)
    page = response.body.decode()
    assert response.status_code == 200 and page.count(">Filter key</label>") == 4
    assert 'name="filter_rows" value="4"' in page and 'id="filter_key_3"' in page
    assert 'value="region"' in page and 'value="eu, us"' in page and 'value="Storage"' in page
    assert total_count(api) == 0


def test_odd_numbers_of_rows_and_pages_fall_back_to_the_defaults(api, console):
    # Rows shown: the rows posted (3 unless a number from 1 to 100), and the one "Add filter" adds.
    for rows, shown in (("²", 3 + 1), ("9" * 5000, 3 + 1), ("-1", 3 + 1), ("0", 1 + 1), ("7", 7 + 1)):
        form = metric_form(console.csrf_token(), filter_rows=rows, add_filter="1")
        page = console.post("/console/billable-metrics", form).body.decode()
        assert page.count(">Filter key</label>") == shown, rows
    many = console.post("/console/billable-metrics", metric_form(console.csrf_token(), filter_rows="500",
                                                               add_filter="1")).body.decode()
    assert many.count(">Filter key</label>") == 100  # the domain's MAX_FILTER_KEYS
    for page in ("²", "9" * 5000, "0", "x"):
        assert console.get(f"/console/billable-metrics?page={quote(page)}").status_code == 200, page


def test_refusals_are_shown_next_to_their_fields_and_nothing_is_written(api, console):
    token = console.csrf_token()
    nameless = console.post("/console/billable-metrics", metric_form(token, name=" ", code=""))
    assert nameless.status_code == 422
    assert form_errors(nameless.body.decode()) == {"name": "This field is required.",
                                                   "code": "This field is required."}
    fieldless = console.post("/console/billable-metrics", metric_form(token, field_name="", recurring="true",
                                                                         aggregation_type="max_agg"))
    assert fieldless.status_code == 422
    assert form_errors(fieldless.body.decode()) == {
        "field_name": "This field is required.",
        "recurring": "Only these aggregations can be recurring: Sum, Unique count, Weighted sum."}
    page = fieldless.body.decode()
    assert '<option value="max_agg" selected>Max</option>' in page and 'value="Storage"' in page
    assert 'id="field_name" name="field_name" value="" aria-invalid="true"' in page
    filters = console.post("/console/billable-metrics", metric_form(
        token, filter_key_0="region", filter_values_0="eu", filter_key_1="region", filter_values_1="us",
        filter_key_2="tier", filter_values_2=" , "))
    assert form_errors(filters.body.decode()) == {"filter_key_1": "Another billable metric already has this value.",
                                                  "filter_values_2": "This field is required."}
    assert 'value="region"' in filters.body.decode()
    assert total_count(api) == 0
    assert console.post("/console/billable-metrics", metric_form(token)).status_code == 303
    taken = console.post("/console/billable-metrics", metric_form(token, name="Other"))
    assert taken.status_code == 422
    assert form_errors(taken.body.decode()) == {"code": "Another billable metric already has this value."}
    assert total_count(api) == 1 and api_metric(api, "storage")["name"] == "Storage"


def test_a_post_without_its_csrf_token_is_refused_and_writes_nothing(api, console):
    form = metric_form("")
    del form["csrf_token"]
    assert console.post("/console/billable-metrics", form).status_code == 403
    assert console.post("/console/billable-metrics", {**form, "csrf_token": "0" * 64}).status_code == 403
    assert total_count(api) == 0
    create_metric(api, "calls")
    assert console.post("/console/billable-metrics/calls/delete", {}).status_code == 403
    assert api.get(f"{METRICS}/calls").status_code == 200


def test_a_metric_is_deleted_after_a_confirmation(api, console):
    create_metric(api, "calls")
    page = console.get("/console/billable-metrics/calls").body.decode()
    assert 'href="/console/billable-metrics/calls/delete">Delete</a>' in page
    confirmation = console.get("/console/billable-metrics/calls/delete").body.decode()
    assert "Delete billable metric</button>" in confirmation and 'name="csrf_token"' in confirmation
    response = console.post("/console/billable-metrics/calls/delete", {"csrf_token": console.csrf_token()})
    assert (response.status_code, response.headers["Location"]) == (303, "/console/billable-metrics")
    assert api.get(f"{METRICS}/calls").status_code == 404
    assert console.get("/console/billable-metrics/calls").status_code == 404


def test_deleting_is_refused_with_the_reason_while_a_plan_uses_the_metric(api, console):
    metric = create_metric(api, "calls")
    create_plan(api, charges=[standard_charge(metric)])
    reason = "This billable metric cannot be deleted while a plan uses it."
    page = console.get("/console/billable-metrics/calls/delete").body.decode()
    assert reason in page and "Delete billable metric</button>" not in page
    refused = console.post("/console/billable-metrics/calls/delete", {"csrf_token": console.csrf_token()})
    assert refused.status_code == 409 and reason in refused.body.decode()
    assert api_metric(api, "calls")["plans_count"] == 1


def test_a_hostile_code_round_trips_as_one_path_segment(api, console):
    code = "a/b#c?d%e ü€"
    response = console.post("/console/billable-metrics", metric_form(console.csrf_token(), code=code))
    segment = quote(code, safe="")  # a%2Fb%23c%3Fd%25e%20%C3%BC%E2%82%AC
    assert (response.status_code, response.headers["Location"]) == (303, f"/console/billable-metrics/{segment}")
    assert api_metric(api, code)["code"] == code
    assert f'href="/console/billable-metrics/{segment}"' in console.get("/console/billable-metrics").body.decode()
    page = console.get(f"/console/billable-metrics/{segment}").body.decode()
    assert f"<dt>Code</dt><dd>{code}</dd>" in page and f'href="/console/billable-metrics/{segment}/delete"' in page
    deleted = console.post(f"/console/billable-metrics/{segment}/delete", {"csrf_token": console.csrf_token()})
    assert deleted.status_code == 303 and api.get(f"{METRICS}/{segment}").status_code == 404


def test_a_metric_name_is_shown_as_text(api, console):
    hostile = "<img src=x onerror=alert(1)>"
    create_metric(api, "markup", name=hostile, filters=[{"key": "<b>", "values": ["<i>"]}])
    for path in ("/console/billable-metrics", "/console/billable-metrics/markup",
                 "/console/billable-metrics/markup/delete"):
        page = console.get(path).body.decode()
        assert "&lt;img src=x onerror=alert(1)&gt;" in page and hostile not in page, path
    page = console.get("/console/billable-metrics/markup").body.decode()
    assert "<td>&lt;b&gt;</td><td>&lt;i&gt;</td>" in page
    refused = console.post("/console/billable-metrics", metric_form(console.csrf_token(), name=hostile, code=""))
    assert refused.status_code == 422 and hostile not in refused.body.decode()


def listed_codes(page: str) -> list[str]:
    return re.findall(r'<td><a href="/console/billable-metrics/([^"]+)">', page)


def test_metrics_are_listed_25_a_page_with_next_and_previous(api, console):
    for index in range(27):
        create_metric(api, f"metric-{index:02d}")
    first = console.get("/console/billable-metrics").body.decode()
    assert len(listed_codes(first)) == 25 and listed_codes(first)[0] == "metric-26"
    assert ">Next</a>" in first and ">Previous</a>" not in first and ">New billable metric</a>" in first
    second = console.get("/console/billable-metrics?page=2").body.decode()
    assert listed_codes(second) == ["metric-01", "metric-00"]
    assert 'href="/console/billable-metrics?page=1" rel="prev">Previous</a>' in second and ">Next</a>" not in second


def test_a_row_shows_the_aggregation_in_words_its_field_and_whether_it_recurs(api, console):
    create_metric(api, "seats", "unique_count_agg", "user_id", name="Seats", recurring=True)
    page = console.get("/console/billable-metrics").body.decode()
    assert re.search(r">Seats</a></td>\s*<td>seats</td>\s*<td>Unique count</td>\s*<td>user_id</td>\s*<td>Yes</td>",
                     page)


def test_a_page_of_metrics_costs_the_same_requests_whatever_its_size(api, console):
    for index in range(2):
        create_metric(api, f"few-{index}")
    few = dynamodb_requests(console, "/console/billable-metrics")
    for index in range(30):
        create_metric(api, f"many-{index:02d}")
    assert dynamodb_requests(console, "/console/billable-metrics") == few
    assert len(few) == 5  # the secret, the session, the organization, the page, the count


def test_a_session_sees_its_own_organization_only(api, other_api, console):
    create_metric(other_api, "rival")
    assert console.get("/console/billable-metrics/rival").status_code == 404
    assert listed_codes(console.get("/console/billable-metrics").body.decode()) == []
    refused = console.post("/console/billable-metrics/rival/delete", {"csrf_token": console.csrf_token()})
    assert refused.status_code == 404 and other_api.get(f"{METRICS}/rival").status_code == 200
