"""The README's curl walk-through, run verbatim (but for the stack's port and key) against the local stack."""
from __future__ import annotations

import calendar
import json
import re
import subprocess
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.money import round_half_up

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
README_URL = "http://127.0.0.1:8000"
README_KEY = "demo-key"


def _blocks(title: str) -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def walkthrough_commands() -> str:
    blocks = _blocks("A walk-through with curl")
    assert blocks[0].strip() == f"BILLING_API_KEY={README_KEY} make run"
    return blocks[1]


def _run(script: str, stack, api_key: str) -> list:
    script = script.replace(README_URL, stack.api_url).replace(README_KEY, api_key)
    finished = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True,
                              timeout=60)
    assert finished.returncode == 0, finished.stderr
    return json_documents(finished.stdout)


def json_documents(output: str) -> list:
    """curl -s prints each body with no separator: decode them one after the other."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    while position < len(output):
        if output[position].isspace():
            position += 1
            continue
        document, position = decoder.raw_decode(output, position)
        documents.append(document)
    return documents


def test_readme_walkthrough_works_verbatim(stack, api_key):
    (health, created, fetched, organization, metric, plan, subscription, event, usage, listed, missing,
     refused, terminated, invoices, deleted) = _run(walkthrough_commands(), stack, api_key)

    assert health == {"status": "ok"}
    customer = created["customer"]
    assert customer["external_id"] == "acme/eu#1"
    assert customer["country"] == "FR" and customer["vat_rate"] == 20
    assert fetched["customer"]["lago_id"] == customer["lago_id"]
    assert organization["organization"]["vat_rate"] == 19.6
    assert organization["organization"]["timezone"] == "Europe/Paris"
    assert metric["billable_metric"]["code"] == "api_calls"
    assert plan["plan"]["charges"][0]["billable_metric_code"] == "api_calls"
    assert subscription["subscription"]["status"] == "active"
    assert event["event"]["transaction_id"] == "tx-1"
    # 35 units, all in the first tier at 0.01: 35 cents; the customer's own 20 % VAT: 7; total 42.
    charge = usage["customer_usage"]["charges_usage"][0]
    assert (charge["units"], charge["amount_cents"]) == ("35.0", 35), usage
    assert (usage["customer_usage"]["amount_cents"], usage["customer_usage"]["taxes_amount_cents"],
            usage["customer_usage"]["total_amount_cents"]) == (35, 7, 42)
    assert customer["lago_id"] in [listed_customer["lago_id"] for listed_customer in listed["customers"]]
    assert missing == {"status": 404, "error": "Not Found", "code": "customer_not_found"}
    assert refused == {"status": 405, "error": "Method Not Allowed", "code": "customer_has_active_subscription"}
    assert terminated["subscription"]["status"] == "terminated"
    # The final invoice: started and terminated today (Europe/Paris, the organization's timezone), so the base fee
    # is one day of the month, rounded cumulatively from the 1st (docs/periods.md); 35 cents of usage; 20 % VAT.
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    month_days = calendar.monthrange(today.year, today.month)[1]
    one_day = round_half_up(Decimal(1000) * today.day / month_days) - round_half_up(
        Decimal(1000) * (today.day - 1) / month_days)
    (invoice,) = invoices["invoices"]
    assert [(fee["item"]["type"], fee["amount_cents"]) for fee in invoice["fees"]] == [
        ("subscription", one_day), ("charge", 35)]
    assert invoice["taxes_amount_cents"] == round_half_up(Decimal(one_day + 35) * 20 / 100)
    assert invoice["billing_periods"][0]["invoicing_reason"] == "subscription_terminating"
    assert (invoice["status"], invoice["number"]) == ("finalized", f"{customer['slug']}-001")
    assert deleted["customer"]["lago_id"] == customer["lago_id"]


def test_readme_month_simulated_on_a_test_clock_works_verbatim(stack, api_key):
    (simulation,) = _blocks("Simulating months with a test clock")
    metric, plan, customer, subscription, *events, advanced, invoices, deleted = _run(simulation, stack, api_key)
    assert (metric["billable_metric"]["code"], plan["plan"]["code"]) == ("calls", "monthly")
    clock_id = customer["customer"]["test_clock_id"]
    assert customer["customer"]["created_at"] == "2024-01-15T10:00:00Z"
    assert subscription["subscription"]["started_at"] == "2024-01-15T10:00:00Z"
    assert [event["event"]["timestamp"] for event in events] == ["2024-01-15T10:00:00.000Z"] * 10
    assert advanced["test_clock"]["lago_id"] == clock_id
    assert advanced["test_clock"]["status"] in ("advancing", "ready")
    (invoice,) = invoices["invoices"]
    # 15 to 31 January: 17 of 31 days of 3100 = 1700; 10 calls at 0.10 EUR = 100; the customer's VAT is 0.
    assert [fee["amount_cents"] for fee in invoice["fees"]] == [3100 * 17 // 31, 10 * 10]
    assert (invoice["issuing_date"], invoice["total_amount_cents"]) == ("2024-02-01", 1700 + 100)
    assert deleted["test_clock"]["lago_id"] == clock_id
