"""Admin CLI: `python -m chalicelib.cli COMMAND`. It acts on whatever AWS_ENDPOINT_URL and the table-name
variables name, so the same commands serve the local stack and AWS."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a timezone, e.g. 2026-12-01T00:30:00Z")
    return moment


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="start the local stack (what `make run` does)")
    create = commands.add_parser("create-organization", help="create an organization; prints its API key last")
    create.add_argument("--name", required=True)
    create.add_argument("--api-key", help="register this key instead of generating one")
    rotate = commands.add_parser("rotate-key", help="issue a new API key and revoke the older ones")
    rotate.add_argument("--organization-id", required=True)
    listing = commands.add_parser("list-keys", help="list an organization's API keys (ids, never the keys)")
    listing.add_argument("--organization-id", required=True)
    revoke = commands.add_parser("revoke-key", help="revoke one API key by its id")
    revoke.add_argument("--organization-id", required=True)
    revoke.add_argument("--key-id", required=True)
    webhook_key = commands.add_parser("webhook-key", help="print the key that signs the organization's webhooks "
                                                          "(X-Lago-Signature); creates one if it has none")
    webhook_key.add_argument("--organization-id", required=True)
    rotate_webhook_key = commands.add_parser("rotate-webhook-key", help="replace the webhook signing key; prints "
                                                                        "the new one")
    rotate_webhook_key.add_argument("--organization-id", required=True)
    listing_webhooks = commands.add_parser("webhooks", help="list an organization's webhooks, oldest first")
    listing_webhooks.add_argument("--organization-id", required=True)
    listing_webhooks.add_argument("--status", choices=("pending", "delivered", "skipped", "failed"))
    resend = commands.add_parser("resend-webhooks", help="queue the organization's failed webhooks again "
                                                         "(needs WEBHOOK_QUEUE_URL)")
    resend.add_argument("--organization-id", required=True)
    bill = commands.add_parser("bill", help="run the biller as of an instant")
    bill.add_argument("--at", required=True, type=_instant)
    commands.add_parser("template", help="print the deployment merge template (infra/merge-template.json)")
    rebuild = commands.add_parser("rebuild-usage", help="recompute a subscription's aggregates from its stored events "
                                                        "and report the differences (--apply: write them)")
    rebuild.add_argument("--organization-id", required=True)
    rebuild.add_argument("--external-subscription-id", required=True)
    rebuild.add_argument("--apply", action="store_true", help="write the recomputed aggregates")
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.command == "serve":
        from chalicelib.local.stack import serve
        serve()
    elif arguments.command == "template":
        from chalicelib.deployment import merge_template
        print(json.dumps(merge_template(), indent=2, sort_keys=True))
    elif arguments.command == "bill":
        from chalicelib.local.stack import fire_biller
        print(json.dumps(fire_biller(arguments.at)))
    else:
        from botocore.exceptions import BotoCoreError, ClientError

        from chalicelib.domain.errors import DomainError, NotFound, ValidationFailed

        try:
            _admin(arguments)
        except NotFound as missing:
            print(f"error: {missing.code}", file=sys.stderr)
            return 1
        except ValidationFailed as invalid:
            print(f"error: {json.dumps(invalid.details)}", file=sys.stderr)
            return 1
        except (DomainError, ClientError, BotoCoreError) as failure:
            print(f"error: {failure}", file=sys.stderr)
            return 1
    return 0


def _admin(arguments) -> None:
    from chalicelib.domain import organization_service
    from chalicelib.store.repositories import repositories

    store = repositories().organizations
    if arguments.command == "create-organization":
        organization, api_key = organization_service.create_organization(store, arguments.name, arguments.api_key)
        print(f"organization_id: {organization.id}")
        print(api_key)
    elif arguments.command == "rotate-key":
        print(organization_service.rotate_api_key(store, arguments.organization_id))
    elif arguments.command == "list-keys":
        for record in store.list_api_keys(arguments.organization_id):
            print(f"{record.key_id}  created_at={record.created_at.isoformat()}")
    elif arguments.command == "revoke-key":
        organization_service.revoke_api_key(store, arguments.organization_id, arguments.key_id)
        print(f"revoked {arguments.key_id}")
    elif arguments.command == "webhook-key":
        print(organization_service.webhook_key(store, arguments.organization_id))
    elif arguments.command == "rotate-webhook-key":
        print(organization_service.rotate_webhook_key(store, arguments.organization_id))
    elif arguments.command == "webhooks":
        from chalicelib.webhooks.admin import webhook_line

        for webhook in repositories().webhooks.list(arguments.organization_id, arguments.status):
            print(webhook_line(webhook))
    elif arguments.command == "resend-webhooks":
        from chalicelib.webhooks.admin import resend_failed

        resent = resend_failed(repositories(), arguments.organization_id)
        for webhook in resent:
            print(f"resent {webhook}")
        print(f"{len(resent)} webhooks resent")
    elif arguments.command == "rebuild-usage":
        from chalicelib.usage.rebuild import rebuild_usage

        report = rebuild_usage(repositories(), arguments.organization_id, arguments.external_subscription_id,
                               apply=arguments.apply)
        for line in report.lines():
            print(line)


if __name__ == "__main__":
    sys.exit(main())
