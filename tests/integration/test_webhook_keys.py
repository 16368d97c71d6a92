"""The organization's webhook signing key (Lago's `hmac_key`): created with the organization, shown only by the
admin CLI (`webhook-key`, `rotate-webhook-key`), never in an API response."""
from __future__ import annotations

from interleaving import competing

from chalicelib.cli import main
from chalicelib.store import keys
from chalicelib.store.repositories import repositories
from chalicelib.store.tables import CONTROL

ORGANIZATIONS = "/api/v1/organizations"


def cli(capsys, *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out.strip(), captured.err.strip()


def stored_key(dynamodb, organization_id: str) -> str | None:
    item = dynamodb.get_item(TableName=CONTROL.name, Key={"pk": {"S": keys.organization_pk(organization_id)},
                                                          "sk": {"S": keys.ORGANIZATION_SK}})["Item"]
    return item.get("hmac_key", {}).get("S")


def test_an_organization_gets_a_strong_key_at_creation_and_the_cli_prints_it(dynamodb, tenant, capsys):
    created = stored_key(dynamodb, tenant.organization_id)
    # 32 random bytes, url-safe base64 without padding: 43 characters.
    assert created is not None and len(created) >= 43

    code, printed, _ = cli(capsys, "webhook-key", "--organization-id", tenant.organization_id)
    assert (code, printed) == (0, created)
    assert cli(capsys, "webhook-key", "--organization-id", tenant.organization_id)[1] == created


def test_each_organization_has_its_own_key(dynamodb, tenant, other_tenant):
    assert stored_key(dynamodb, tenant.organization_id) != stored_key(dynamodb, other_tenant.organization_id)


def test_rotation_replaces_the_key(dynamodb, tenant, capsys):
    before = stored_key(dynamodb, tenant.organization_id)

    code, rotated, _ = cli(capsys, "rotate-webhook-key", "--organization-id", tenant.organization_id)

    assert code == 0 and rotated not in ("", before)
    assert stored_key(dynamodb, tenant.organization_id) == rotated
    assert cli(capsys, "webhook-key", "--organization-id", tenant.organization_id)[1] == rotated


def test_an_organization_without_a_key_gets_one_once(dynamodb, tenant, capsys):
    dynamodb.update_item(TableName=CONTROL.name, UpdateExpression="REMOVE hmac_key",
                         Key={"pk": {"S": keys.organization_pk(tenant.organization_id)},
                              "sk": {"S": keys.ORGANIZATION_SK}})

    first = cli(capsys, "webhook-key", "--organization-id", tenant.organization_id)[1]
    second = cli(capsys, "webhook-key", "--organization-id", tenant.organization_id)[1]

    assert first and first == second == stored_key(dynamodb, tenant.organization_id)


def test_a_concurrent_first_reader_gets_the_key_the_first_writer_stored(dynamodb, tenant):
    dynamodb.update_item(TableName=CONTROL.name, UpdateExpression="REMOVE hmac_key",
                         Key={"pk": {"S": keys.organization_pk(tenant.organization_id)},
                              "sk": {"S": keys.ORGANIZATION_SK}})
    store = repositories().organizations
    with competing("UpdateItem", lambda: store.hmac_key(tenant.organization_id, "written-first")) as competitor:
        key = store.hmac_key(tenant.organization_id, "written-second")
    assert competitor == ["written-first"]
    assert key == "written-first" == stored_key(dynamodb, tenant.organization_id)


def test_unknown_organization_is_an_error_not_a_new_key(dynamodb, capsys):
    for command in ("webhook-key", "rotate-webhook-key"):
        code, printed, error = cli(capsys, command, "--organization-id", "no-such-organization")
        assert (code, printed, error) == (1, "", "error: organization_not_found")


def test_the_key_never_appears_in_organization_responses(api, dynamodb, tenant):
    key = stored_key(dynamodb, tenant.organization_id)

    answers = [api.get(ORGANIZATIONS),
               api.put(ORGANIZATIONS, {"organization": {"webhook_url": "https://hooks.example.com/lago"}}),
               # A client cannot set it either: the field is not Lago's and is ignored.
               api.put(ORGANIZATIONS, {"organization": {"hmac_key": "chosen-by-client", "name": "x"}})]

    for answer in answers:
        assert answer.status_code == 200, answer.body
        assert key not in answer.body.decode()
        assert "hmac" not in answer.body.decode()
    assert stored_key(dynamodb, tenant.organization_id) == key
