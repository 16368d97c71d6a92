"""The admin CLI (`python -m chalicelib.cli`) as an operator runs it against the running local stack: it acts
on whatever AWS_ENDPOINT_URL names, and the keys it prints work (or stop working) against the API at once."""
from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from operator_cli import cli, create_organization, last_line

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MERGE_TEMPLATE = ROOT / "infra" / "merge-template.json"


def organization_of(stack, api_key: str) -> httpx.Response:
    return httpx.get(f"{stack.api_url}/api/v1/organizations", headers={"Authorization": f"Bearer {api_key}"},
                     timeout=10)


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {"status": 401, "error": "Unauthorized"}


def test_create_organization_prints_a_working_key_last(stack):
    organization_id, api_key = create_organization(stack, "Acme Corp")
    assert api_key and " " not in api_key and api_key != stack.api_key
    response = organization_of(stack, api_key)
    assert response.status_code == 200, response.text
    organization = response.json()["organization"]
    assert organization["name"] == "Acme Corp"
    assert organization["lago_id"] == organization_id
    # The bootstrap organization's key still names the bootstrap organization.
    assert organization_of(stack, stack.api_key).json()["organization"]["lago_id"] != organization_id


def test_rotate_key_issues_a_new_key_and_revokes_the_old_one(stack):
    organization_id, old_key = create_organization(stack, "Rotating Ltd")
    assert organization_of(stack, old_key).status_code == 200

    new_key = last_line(cli(stack, "rotate-key", "--organization-id", organization_id))
    assert new_key != old_key
    response = organization_of(stack, new_key)
    assert response.status_code == 200, response.text
    assert response.json()["organization"]["lago_id"] == organization_id
    assert_unauthorized(organization_of(stack, old_key))


def test_list_keys_then_revoke_key_makes_the_key_401(stack):
    organization_id, api_key = create_organization(stack, "Revoked Inc")
    listed = cli(stack, "list-keys", "--organization-id", organization_id).stdout.strip().splitlines()
    assert len(listed) == 1, listed
    assert api_key not in listed[0]  # ids only, never the key
    key_id = listed[0].split()[0]

    revoked = cli(stack, "revoke-key", "--organization-id", organization_id, "--key-id", key_id)
    assert key_id in last_line(revoked)
    assert_unauthorized(organization_of(stack, api_key))
    assert cli(stack, "list-keys", "--organization-id", organization_id).stdout.strip() == ""


def test_unknown_organization_is_a_clean_error(stack):
    result = cli(stack, "rotate-key", "--organization-id", str(uuid.uuid4()), check=False)
    assert result.returncode == 1
    assert "organization_not_found" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("instant", ["2026-12-01T00:30:00Z", "2026-12-01T01:30:00+01:00"])
def test_bill_runs_for_the_given_instant(stack, instant):
    result = cli(stack, "bill", "--at", instant)
    outcome = json.loads(last_line(result))
    assert (outcome["at"], outcome["backfill"]) == ("2026-12-01T00:30:00Z", False)
    assert outcome["invoices_created"] == 0
    # Its progress on stderr: customers done of due, invoices so far.
    due = outcome["customers_due"]
    assert re.findall(r"customers (\d+)/(\d+) done, \d+ invoices so far", result.stderr)[-1] == (str(due), str(due))


def test_bill_refuses_the_future(stack):
    result = cli(stack, "bill", "--at", "2999-03-01T01:00:00Z", "--backfill", check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: --at 2999-03-01T01:00:00Z is in the future; "
                                     "simulate it with a test clock")
    assert result.stdout == ""


def test_bill_refuses_an_instant_without_a_timezone(stack):
    result = cli(stack, "bill", "--at", "2026-12-01T00:30:00", check=False)
    assert result.returncode == 2
    assert "timezone" in result.stderr


def test_template_prints_the_merge_template(stack):
    if not MERGE_TEMPLATE.exists():
        pytest.skip("infra/merge-template.json is not generated yet (chalicelib/deployment.py)")
    printed = json.loads(cli(stack, "template").stdout)
    assert printed == json.loads(MERGE_TEMPLATE.read_text())
