"""The console's plans through the app: the list and its constant DynamoDB cost, the "New plan" form creating
through the use case of `POST /api/v1/plans` (the plan equal to what `GET /api/v1/plans/{code}` returns, amounts
worked out by hand), charges added and removed by re-rendering the form with nothing written, the domain's refusals
next to their fields, CSRF, escaping, and a plan's page."""
from __future__ import annotations

import re
from html import unescape

import pytest
import test_console
from builders import create_metric, create_plan, standard_charge
from test_current_usage import dynamodb_requests

from chalicelib.control_plane import repositories

# The console's fixtures: a client keeping its session cookie, the console's clock, and that client signed in.
browser, clock, signed_in = test_console.browser, test_console.clock, test_console.signed_in
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


@pytest.fixture
def metrics(api) -> dict[str, dict]:
    return {"calls": create_metric(api, "calls"),
            "storage": create_metric(api, "storage", "sum_agg", field_name="gb", name="Storage")}


def csrf_token(browser) -> str:
    page = browser.get("/console/new-plan").body.decode()
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


def plan_form(browser, *charges: dict, action: str = "save", **values: str) -> dict:
    """The fields a browser posts: a monthly EUR plan "Startup" of 10.00, and `charges` (their keys without the
    `charges-<index>-` prefix)."""
    fields = {"csrf_token": csrf_token(browser), "name": "Startup", "code": "startup", "interval": "monthly",
              "amount_currency": "EUR", "base_fee": "10.00", "trial_period": "", "action": action, **values}
    for index, charge in enumerate(charges):
        fields.update({f"charges-{index}-{key}": value for key, value in charge.items()})
    return fields


def posted(browser, fields: dict) -> tuple[object, list[str]]:
    """The answer to the form's POST and the DynamoDB writes it made."""
    operations: list[str] = []

    def record(model, **_):
        operations.append(model.name)

    events = repositories().client.meta.events
    events.register("before-call.dynamodb", record)
    try:
        response = browser.post("/console/plans", fields)
    finally:
        events.unregister("before-call.dynamodb", record)
    return response, [operation for operation in operations if operation in WRITES]


def api_plan(api, code: str) -> dict:
    response = api.get(f"/api/v1/plans/{code}")
    assert response.status_code == 200, response.body
    return response.json_body["plan"]


def no_plan_written(api) -> bool:
    return api.get("/api/v1/plans").json_body["meta"]["total_count"] == 0


def graduated(rows: list[tuple[str, str, str, str]], model: str = "graduated") -> dict:
    """The range rows' inputs of `model`, row by row: (From, To, Per unit, Flat fee)."""
    return {f"{model}-{row}-{name}": value for row, values in enumerate(rows)
            for name, value in zip(("from_value", "to_value", "per_unit_amount", "flat_amount"), values)}


def test_a_plan_with_a_standard_and_a_graduated_charge_is_the_apis_plan(api, signed_in, metrics):
    calls, storage = metrics["calls"]["lago_id"], metrics["storage"]["lago_id"]
    response, writes = posted(signed_in, plan_form(
        signed_in,
        {"billable_metric_id": calls, "charge_model": "standard", "standard-amount": "0.50",
         "package-amount": "99"},  # another model's input: ignored
        {"billable_metric_id": storage, "charge_model": "graduated",
         **graduated([("0", "10", "1.00", ""), ("11", "", "0.50", "5"), ("", "", "", "")])},
        trial_period="14", pay_in_advance="on"))
    assert (response.status_code, response.headers["Location"]) == (303, "/console/plans/startup")
    assert writes
    plan = api_plan(api, "startup")
    # "10.00" EUR: 10.00 x 10^2 = 1000 cents.
    assert {name: plan[name] for name in ("name", "code", "interval", "amount_cents", "amount_currency",
                                          "pay_in_advance", "trial_period")} == {
        "name": "Startup", "code": "startup", "interval": "monthly", "amount_cents": 1000,
        "amount_currency": "EUR", "pay_in_advance": True, "trial_period": 14}
    standard, tiers = plan["charges"]
    assert (standard["lago_billable_metric_id"], standard["charge_model"], standard["properties"]) == (
        calls, "standard", {"amount": "0.50"})
    # The blank third row ignored, the blank "Flat fee" 0, the blank "To" of the last row open.
    assert (tiers["lago_billable_metric_id"], tiers["charge_model"], tiers["properties"]) == (
        storage, "graduated", {"graduated_ranges": [
            {"from_value": 0, "to_value": 10, "per_unit_amount": "1.00", "flat_amount": "0"},
            {"from_value": 11, "to_value": None, "per_unit_amount": "0.50", "flat_amount": "5"}]})
    # The same plan sent to the API as JSON is stored the same way (ids and times apart).
    twin = create_plan(api, code="twin", name="Startup", pay_in_advance=True, trial_period=14, charges=[
        standard_charge(metrics["calls"], "0.50"),
        {"billable_metric_id": storage, "charge_model": "graduated", "properties": {"graduated_ranges": [
            {"from_value": 0, "to_value": 10, "per_unit_amount": "1.00", "flat_amount": "0"},
            {"from_value": 11, "to_value": None, "per_unit_amount": "0.50", "flat_amount": "5"}]}}])

    def comparable(record: dict) -> dict:
        return {**record, "lago_id": None, "code": None, "created_at": None,
                "charges": [{**charge, "lago_id": None, "created_at": None} for charge in record["charges"]]}

    assert comparable(plan) == comparable(twin)


def test_each_charge_models_properties_are_saved(api, signed_in, metrics):
    calls = metrics["calls"]["lago_id"]
    response, _ = posted(signed_in, plan_form(
        signed_in,
        {"billable_metric_id": calls, "charge_model": "package", "package-amount": "5", "package-package_size": "100",
         "package-free_units": "10"},
        {"billable_metric_id": calls, "charge_model": "percentage", "percentage-rate": "1.5",
         "percentage-fixed_amount": "0.10", "percentage-free_units_per_events": "3",
         "percentage-free_units_per_total_aggregation": "100"},
        {"billable_metric_id": calls, "charge_model": "volume",
         **graduated([("0", "100", "2", "0"), ("101", "", "1", "10")], "volume")},
        {"billable_metric_id": calls, "charge_model": "standard", "standard-amount": "0.125"},
        amount_currency="JPY", base_fee="1200"))
    assert response.status_code == 303, response.body
    plan = api_plan(api, "startup")
    assert (plan["amount_cents"], plan["amount_currency"]) == (1200, "JPY")  # JPY has no minor unit: 1200 yen
    package, percentage, volume, standard = (charge["properties"] for charge in plan["charges"])
    assert package == {"amount": "5", "package_size": 100, "free_units": 10}
    assert {name: percentage[name] for name in ("rate", "fixed_amount", "free_units_per_events",
                                                 "free_units_per_total_aggregation")} == {
        "rate": "1.5", "fixed_amount": "0.10", "free_units_per_events": 3, "free_units_per_total_aggregation": "100"}
    assert volume == {"volume_ranges": [
        {"from_value": 0, "to_value": 100, "per_unit_amount": "2", "flat_amount": "0"},
        {"from_value": 101, "to_value": None, "per_unit_amount": "1", "flat_amount": "10"}]}
    assert standard == {"amount": "0.125"}


@pytest.mark.parametrize(("currency", "base_fee", "cents"), [
    ("EUR", "1234.5", 123450),  # 1234.5 x 10^2
    ("KWD", "1.234", 1234),  # KWD has 3 decimals: 1.234 x 10^3
    ("USD", "0", 0),
])
def test_the_base_fee_is_read_at_the_currencys_precision(api, signed_in, currency, base_fee, cents):
    response, _ = posted(signed_in, plan_form(signed_in, amount_currency=currency.lower(), base_fee=base_fee))
    assert response.status_code == 303, response.body
    assert (api_plan(api, "startup")["amount_cents"], api_plan(api, "startup")["amount_currency"]) == (cents, currency)


def field_error(page: str, field_id: str) -> str:
    """The error shown next to the input `field_id`, which points to it."""
    assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true" aria-describedby="[^"]*{field_id}-error', page), field_id
    return unescape(re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', page).group(1))


def input_value(page: str, field_id: str) -> str:
    return unescape(re.search(rf'<input id="{field_id}" name="{field_id}" value="([^"]*)"', page).group(1))


def refused(browser, fields: dict) -> str:
    """The page of a refused form (a code already taken is refused by the write's condition, after trying it)."""
    response, _ = posted(browser, fields)
    assert response.status_code == 422, response.body
    return response.body.decode()


def test_a_code_already_taken_is_refused_next_to_the_code(api, signed_in):
    create_plan(api, code="startup")
    page = refused(signed_in, plan_form(signed_in, name="Second"))
    assert field_error(page, "code") == "Another plan already has this code."
    assert input_value(page, "name") == "Second" and input_value(page, "base_fee") == "10.00"
    assert api.get("/api/v1/plans").json_body["meta"]["total_count"] == 1


def test_a_charge_without_a_metric_is_refused_next_to_its_metric(api, signed_in, metrics):
    page = refused(signed_in, plan_form(signed_in, {"charge_model": "standard", "standard-amount": "1"}))
    assert field_error(page, "charges-0-billable_metric_id") == "This field is required."
    assert input_value(page, "charges-0-standard-amount") == "1"
    assert no_plan_written(api)


def test_bad_amounts_are_refused_next_to_their_fields(api, signed_in, metrics):
    calls = metrics["calls"]["lago_id"]
    page = refused(signed_in, plan_form(
        signed_in, {"billable_metric_id": calls, "charge_model": "standard", "standard-amount": "ten"},
        {"billable_metric_id": calls, "charge_model": "package", "package-amount": "1", "package-package_size": "0"}))
    assert field_error(page, "charges-0-standard-amount") == "Write an amount of 0 or more, such as 0.50."
    assert field_error(page, "charges-1-package-package_size") == "Write a whole number above 0."
    assert input_value(page, "charges-0-standard-amount") == "ten"
    assert f'<option value="{calls}" selected>' in page
    # A base fee finer than the currency's minor unit (a tenth of a cent) or not a number is not an amount.
    for base_fee in ("10.005", "ten", "-1"):
        page = refused(signed_in, plan_form(signed_in, base_fee=base_fee))
        assert field_error(page, "base_fee") == "This value is not valid.", base_fee
        assert input_value(page, "base_fee") == base_fee
    assert no_plan_written(api)


@pytest.mark.parametrize(("field", "typed", "words"), [
    ("name", "", "This field is required."),
    ("interval", "daily", "This value is not valid."),
    ("amount_currency", "EURO", "This value is not valid."),
    ("trial_period", "two weeks", "This value is not valid."),
    ("trial_period", "-1", "This value is not valid."),
])
def test_a_bad_plan_field_is_refused_next_to_it(api, signed_in, field, typed, words):
    page = refused(signed_in, plan_form(signed_in, **{field: typed}))
    assert field_error(page, field) == words
    assert no_plan_written(api)


def test_ranges_that_leave_a_gap_are_refused_next_to_the_ranges(api, signed_in, metrics):
    page = refused(signed_in, plan_form(signed_in, {
        "billable_metric_id": metrics["storage"]["lago_id"], "charge_model": "graduated",
        **graduated([("0", "10", "1", "0"), ("20", "", "0.5", "0")])}))  # 11 to 19 belong to no range
    error = unescape(re.search(r'<p class="error" id="charges-0-graduated-ranges-error">([^<]*)</p>', page).group(1))
    assert error.startswith("The first range starts at 0, each next one where the previous ends")
    assert 'aria-describedby="charges-0-graduated-ranges-error"' in page
    assert input_value(page, "charges-0-graduated-1-from_value") == "20"
    # A row's own field: Lago names it without its row, so the error says which field, above the rows.
    page = refused(signed_in, plan_form(signed_in, {
        "billable_metric_id": metrics["storage"]["lago_id"], "charge_model": "volume",
        **graduated([("0", "", "a euro", "0")], "volume")}))
    error = unescape(re.search(r'<p class="error" id="charges-0-volume-ranges-error">([^<]*)</p>', page).group(1))
    assert error == "Per unit: Write an amount of 0 or more, such as 0.50."
    assert no_plan_written(api)


def test_a_metric_deleted_since_the_form_was_shown_is_refused(api, signed_in, metrics):
    gone = create_metric(api, "gone")
    fields = plan_form(signed_in, {"billable_metric_id": gone["lago_id"], "charge_model": "standard",
                                   "standard-amount": "1"})
    assert api.delete("/api/v1/billable_metrics/gone").status_code == 200
    page = refused(signed_in, fields)
    assert "This billable metric no longer exists: choose another." in page
    assert input_value(page, "charges-0-standard-amount") == "1"
    assert no_plan_written(api)


def charge_values(page: str, index: int) -> dict[str, str]:
    return {name: input_value(page, f"charges-{index}-{name}")
            for name in ("standard-amount", "package-amount", "percentage-rate")}


def test_add_charge_shows_the_form_again_with_one_more_and_writes_nothing(api, signed_in, metrics):
    calls = metrics["calls"]["lago_id"]
    response, writes = posted(signed_in, plan_form(
        signed_in, {"billable_metric_id": calls, "charge_model": "package", "package-amount": "5"},
        action="add_charge", name="Typed <name>"))
    assert (response.status_code, writes) == (200, [])
    page = response.body.decode()
    assert input_value(page, "name") == "Typed <name>" and input_value(page, "charges-0-package-amount") == "5"
    assert '<option value="package" selected>' in page and f'<option value="{calls}" selected>' in page
    assert charge_values(page, 1) == {"standard-amount": "", "package-amount": "", "percentage-rate": ""}
    assert "<legend>Charge 2</legend>" in page and "charges-2-" not in page
    assert no_plan_written(api)


def test_remove_charge_shows_the_form_again_without_it_and_writes_nothing(api, signed_in, metrics):
    response, writes = posted(signed_in, plan_form(
        signed_in, {"charge_model": "standard", "standard-amount": "1"},
        {"charge_model": "standard", "standard-amount": "2"}, {"charge_model": "standard", "standard-amount": "3"},
        action="remove_charge-1"))
    assert (response.status_code, writes) == (200, [])
    page = response.body.decode()
    assert [charge_values(page, index)["standard-amount"] for index in (0, 1)] == ["1", "3"]
    assert "charges-2-" not in page
    assert no_plan_written(api)


def test_the_form_buttons_work_in_place_with_htmx_and_without_it(signed_in, metrics):
    page = signed_in.get("/console/new-plan").body.decode()
    assert '<form id="plan-form" method="post" action="/console/plans"' in page
    tag = re.search(r'<button [^>]*>Add charge</button>', page).group(0)
    assert 'type="submit" name="action" value="add_charge"' in tag and 'hx-post="/console/plans"' in tag
    assert 'hx-select="#plan-form"' in tag and 'hx-target="#plan-form"' in tag
    for interval in ("weekly", "monthly", "quarterly", "semiannual", "yearly"):
        assert f'<option value="{interval}"' in page
    page = posted(signed_in, plan_form(signed_in, action="add_charge"))[0].body.decode()
    tag = re.search(r'<button [^>]*>Remove charge</button>', page).group(0)
    assert 'value="remove_charge-0"' in tag and 'hx-post="/console/plans"' in tag
    # The organization's metrics by name, then the charge models.
    assert re.findall(r'<option value="[^"]*">([^<]*)</option>', page.split('id="charges-0-billable_metric_id"')[1]
                      .split("</select>")[0]) == ["Choose a metric", "calls (calls)", "Storage (storage)"]
    assert re.findall(r'<option value="(\w+)"', page.split('id="charges-0-charge_model"')[1].split("</select>")[0]) == [
        "standard", "graduated", "package", "percentage", "volume"]


def test_a_post_without_its_csrf_token_is_refused_and_writes_nothing(api, signed_in):
    fields = plan_form(signed_in)
    del fields["csrf_token"]
    response, writes = posted(signed_in, fields)
    assert (response.status_code, writes) == (403, [])
    assert no_plan_written(api)


def test_a_hostile_code_and_name_are_shown_as_text_and_round_trip(api, signed_in):
    code, name = "<b>x</b>/y?z", "<script>alert(1)</script>"
    response, _ = posted(signed_in, plan_form(signed_in, code=code, name=name))
    location = "/console/plans/%3Cb%3Ex%3C%2Fb%3E%2Fy%3Fz"
    assert (response.status_code, response.headers["Location"]) == (303, location)
    assert api_plan(api, "%3Cb%3Ex%3C%2Fb%3E%2Fy%3Fz")["name"] == name
    for path in ("/console/plans", location):
        page = signed_in.get(path).body.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and name not in page and "<b>x" not in page
    assert f'href="{location}"' in signed_in.get("/console/plans").body.decode()
    # Refused, the values typed come back escaped too.
    page = refused(signed_in, plan_form(signed_in, code=code, name=name))
    assert input_value(page, "code") == code and name not in page


def table_rows(page: str) -> list[list[str]]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return [[unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_plans_are_listed_25_a_page_with_their_base_fee_and_charges(api, signed_in, metrics):
    for index in range(26):
        create_plan(api, code=f"plan-{index:02d}", amount_cents=1000 + index)
    create_plan(api, code="newest", name="Newest", interval="yearly", amount_cents=123450,
                charges=[standard_charge(metrics["calls"]), standard_charge(metrics["storage"])])
    first = signed_in.get("/console/plans").body.decode()
    rows = table_rows(first)
    # 123450 cents: €1,234.50; two charges.
    assert len(rows) == 25 and rows[0] == ["Newest", "newest", "Yearly", "€1,234.50", "2"]
    assert rows[1] == ["Plan plan-25", "plan-25", "Monthly", "€10.25", "0"]  # 1000 + 25 cents
    assert ">Next</a>" in first and ">Previous</a>" not in first and 'href="/console/new-plan">New plan</a>' in first
    second = signed_in.get("/console/plans?page=2").body.decode()
    assert [row[1] for row in table_rows(second)] == ["plan-01", "plan-00"]
    assert 'href="/console/plans?page=1" rel="prev">Previous</a>' in second and ">Next</a>" not in second


def test_odd_page_numbers_and_charge_indices_fall_back(api, signed_in):
    create_plan(api, code="startup")
    for page in ("²", "9" * 5000, "-1", "0", "x"):
        assert "startup" in signed_in.get(f"/console/plans?page={page}").body.decode(), page  # the first page
    fields = {"charges-0-standard-amount": "1", f"charges-{'9' * 5000}-standard-amount": "2",
              "charges-٣-standard-amount": "3"}  # only the first is a charge's: ASCII digits, at most 3
    for action, status in (("remove_charge-²", 422), (f"remove_charge-{'9' * 5000}", 422),
                           ("remove_charge-5", 200)):
        response, writes = posted(signed_in, plan_form(signed_in, action=action, **fields))
        # Not an action: "Save", refused for the charge's missing metric; no 6th charge: the form as it was.
        assert (response.status_code, writes) == (status, []), action
        page = response.body.decode()
        assert input_value(page, "charges-0-standard-amount") == "1" and "charges-1-" not in page


def test_a_page_of_plans_costs_the_same_requests_whatever_its_size(api, signed_in):
    for index in range(2):
        create_plan(api, code=f"plan-{index}")
    few = dynamodb_requests(signed_in, "/console/plans")
    for index in range(2, 32):
        create_plan(api, code=f"plan-{index}")
    assert dynamodb_requests(signed_in, "/console/plans") == few
    assert len(few) == 5  # the secret, the session, the organization, the page, the count


def test_a_plans_page_shows_its_fields_and_charges_in_words(api, signed_in, metrics):
    create_plan(api, code="startup", name="Startup", amount_cents=123450, trial_period=14, charges=[
        standard_charge(metrics["storage"], "0.125"),
        {"billable_metric_id": metrics["calls"]["lago_id"], "charge_model": "volume", "properties": {
            "volume_ranges": [{"from_value": 0, "to_value": 1000, "per_unit_amount": "2", "flat_amount": "0"},
                              {"from_value": 1001, "to_value": None, "per_unit_amount": "1.5",
                               "flat_amount": "10"}]}}])
    page = unescape(signed_in.get("/console/plans/startup").body.decode())
    assert "<h1>Startup</h1>" in page
    assert "<dt>Base fee</dt><dd>€1,234.50</dd>" in page and "<dt>Trial days</dt><dd>14</dd>" in page
    assert "<dt>Interval</dt><dd>Monthly</dd>" in page and "<dt>Pay in advance</dt><dd>No</dd>" in page
    assert '<h3 id="charge-1">Storage</h3>' in page and "<dt>Charge model</dt><dd>Standard</dd>" in page
    assert "<dt>Amount</dt><dd>€0.125</dd>" in page  # finer than a cent: its digits kept
    assert '<h3 id="charge-2">calls</h3>' in page and "<dt>Charge model</dt><dd>Volume</dd>" in page
    assert table_rows(page) == [["0", "1,000", "€2.00", "€0.00"], ["1,001", "and above", "€1.50", "€10.00"]]


def test_a_plans_page_shows_each_filters_prices(api, signed_in):
    metric = create_metric(api, "calls", filters=[{"key": "region", "values": ["eu", "us"]}])
    create_plan(api, code="startup", charges=[standard_charge(metric, "1", filters=[
        {"values": {"region": ["eu"]}, "invoice_display_name": "Europe", "properties": {"amount": "0.75"}},
        {"values": {"region": ["us", "eu"]}, "properties": {"amount": "2"}}])])
    page = unescape(signed_in.get("/console/plans/startup").body.decode())
    charge, europe, others = page.split("<h4>")
    assert "<dt>Amount</dt><dd>€1.00</dd>" in charge
    assert europe.startswith("Filter: Europe</h4>") and "<dt>Amount</dt><dd>€0.75</dd>" in europe
    assert others.startswith("Filter: region: us, eu</h4>") and "<dt>Amount</dt><dd>€2.00</dd>" in others


def test_another_organizations_plan_is_not_found(other_api, signed_in):
    create_plan(other_api, code="theirs")
    assert signed_in.get("/console/plans/theirs").status_code == 404
