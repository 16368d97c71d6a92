"""Admin CLI: `python -m chalicelib.cli COMMAND`. It acts on whatever AWS_ENDPOINT_URL and the table-name
variables name, so the same commands serve the local stack and AWS."""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the commands import what they run when they run it
    from chalicelib.billing.replay import ReplayProgress


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a timezone, e.g. 2026-12-01T00:30:00Z")
    return moment


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def organization_command(name: str, **options: str) -> argparse.ArgumentParser:
        """A command about one organization: `--organization-id` first, required."""
        command = commands.add_parser(name, **options)
        command.add_argument("--organization-id", required=True)
        return command

    commands.add_parser("serve", help="start the local stack (what `make run` does)")
    create = commands.add_parser("create-organization", help="create an organization; prints its API key last")
    create.add_argument("--name", required=True)
    create.add_argument("--api-key", help="register this key instead of generating one")
    organization_command("rotate-key", help="issue a new API key and revoke the older ones")
    organization_command("list-keys", help="list an organization's API keys (ids, never the keys)")
    organization_command("revoke-key", help="revoke one API key by its id").add_argument("--key-id", required=True)
    organization_command("webhook-key", help="print the key that signs the organization's webhooks "
                                             "(X-Lago-Signature); creates one if it has none")
    organization_command("rotate-webhook-key", help="replace the webhook signing key; prints the new one")
    organization_command("webhooks", help="list an organization's webhooks, oldest first").add_argument(
        "--status", choices=("pending", "delivered", "skipped", "failed"))
    organization_command("resend-webhooks", help="queue the organization's failed webhooks again "
                                                 "(needs WEBHOOK_QUEUE_URL)")
    bill = commands.add_parser("bill", help="run the biller as of an instant (default now); never in the future")
    bill.add_argument("--at", type=_instant, help="the instant, e.g. 2026-12-01T00:30:00Z (default: now)")
    bill.add_argument("--backfill", action="store_true",
                      help="also bill the periods that ended before their subscription was created")
    bill.add_argument("--organization-id", help="only this organization's customers")
    bill.add_argument("--external-customer-id", action="append", default=[], dest="external_customer_ids",
                      help="only this customer (repeatable; in every organization that has one)")
    commands.add_parser("template", help="print the deployment merge template (infra/merge-template.json)")
    rebuild = organization_command("rebuild-usage", help="recompute a subscription's aggregates from its stored "
                                                         "events and report the differences (--apply: write them)")
    rebuild.add_argument("--external-subscription-id", required=True)
    rebuild.add_argument("--apply", action="store_true", help="write the recomputed aggregates")
    organization_command("dead-events", help="list the events the aggregator set aside after they kept failing, "
                                             "with the reason").add_argument("--external-subscription-id")
    organization_command("replay-dead-events", help="apply the dead-lettered events again (once the cause is fixed); "
                                                    "the ones that fail again stay listed").add_argument(
        "--external-subscription-id")
    organization_command("billing-failures", help="list the customers the biller could not bill, with the reason")
    organization_command("rebill-failed", help="bill the customers the biller could not bill again, now (once the "
                                               "cause is fixed)").add_argument(
        "--at", type=_instant, help="the instant to bill as of (default: now)")
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
        return _bill(arguments)
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


class _ProgressLine:
    """The run's progress on stderr: when the due customers are known, after the last, and a line a second between."""

    def __init__(self, interval_seconds: float = 1.0):
        self._interval = interval_seconds
        self._last = None

    def __call__(self, progress: ReplayProgress) -> None:
        moment = time.monotonic()
        last_customer = progress.customers_done == progress.customers_due
        if self._last is None or last_customer or moment - self._last >= self._interval:
            self._last = moment
            print(f"customers {progress.customers_done}/{progress.customers_due} done, "
                  f"{progress.invoices_created} invoices so far", file=sys.stderr, flush=True)


def _bill(arguments: argparse.Namespace) -> int:
    from datetime import UTC

    from chalicelib.billing.replay import BillerReplay, FutureInstant, Replay
    from chalicelib.domain.clock import utc_now
    from chalicelib.store.repositories import repositories

    current_time = utc_now()
    replay = Replay(at=(arguments.at or current_time).astimezone(UTC), backfill=arguments.backfill,
                    organization_id=arguments.organization_id,
                    external_customer_ids=tuple(arguments.external_customer_ids))
    try:
        summary = BillerReplay(repositories()).run(replay, current_time=current_time, report=_ProgressLine())
    except FutureInstant as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0


def _admin(arguments: argparse.Namespace) -> None:
    from chalicelib.control_plane import organization_use_cases
    from chalicelib.store.repositories import repositories

    organizations = organization_use_cases()
    if arguments.command == "create-organization":
        organization, api_key = organizations.create(arguments.name, arguments.api_key)
        print(f"organization_id: {organization.id}")
        print(api_key)
    elif arguments.command == "rotate-key":
        print(organizations.rotate_api_key(arguments.organization_id))
    elif arguments.command == "list-keys":
        for record in organizations.api_keys(arguments.organization_id):
            print(f"{record.key_id}  created_at={record.created_at.isoformat()}")
    elif arguments.command == "revoke-key":
        organizations.revoke_api_key(arguments.organization_id, arguments.key_id)
        print(f"revoked {arguments.key_id}")
    elif arguments.command == "webhook-key":
        print(organizations.webhook_key(arguments.organization_id))
    elif arguments.command == "rotate-webhook-key":
        print(organizations.rotate_webhook_key(arguments.organization_id))
    elif arguments.command == "webhooks":
        from chalicelib.webhooks.admin import WebhookAdmin, webhook_line
        from chalicelib.webhooks.queue import SqsWebhookQueue

        for webhook in WebhookAdmin(repositories().webhooks, SqsWebhookQueue()).listed(arguments.organization_id,
                                                                                     arguments.status):
            print(webhook_line(webhook))
    elif arguments.command == "resend-webhooks":
        from chalicelib.webhooks.admin import WebhookAdmin
        from chalicelib.webhooks.queue import SqsWebhookQueue

        resent = WebhookAdmin(repositories().webhooks, SqsWebhookQueue()).resend_failed(arguments.organization_id)
        for webhook in resent:
            print(f"resent {webhook}")
        print(f"{len(resent)} webhooks resent")
    elif arguments.command == "rebuild-usage":
        from chalicelib.usage.rebuild import UsageRebuild

        report = UsageRebuild(repositories()).rebuild(arguments.organization_id, arguments.external_subscription_id,
                                                      apply=arguments.apply)
        for line in report.lines():
            print(line)
    elif arguments.command == "dead-events":
        from chalicelib.usage.dead_letters import DeadEvents, dead_event_line

        dead_events = DeadEvents(repositories()).listed(arguments.organization_id, arguments.external_subscription_id)
        for dead in dead_events:
            print(dead_event_line(dead))
        print(f"{len(dead_events)} dead-lettered events")
    elif arguments.command == "replay-dead-events":
        from chalicelib.domain.clock import utc_now
        from chalicelib.usage.dead_letters import DeadEvents

        outcomes = DeadEvents(repositories()).replay(arguments.organization_id, utc_now(),
                                                          arguments.external_subscription_id)
        for outcome in outcomes:
            print(outcome.line())
        replayed = sum(outcome.error is None for outcome in outcomes)
        print(f"{replayed} replayed, {len(outcomes) - replayed} failed again")
    elif arguments.command == "billing-failures":
        from chalicelib.billing.failures import BillingFailures
        from chalicelib.domain.clock import utc_now

        failing = BillingFailures(repositories()).failing_customers(arguments.organization_id, utc_now())
        for customer in failing:
            print(customer.line())
        print(f"{len(failing)} customers not billed")
    elif arguments.command == "rebill-failed":
        from chalicelib.billing.failures import BillingFailures
        from chalicelib.domain.clock import utc_now

        current_time = utc_now()
        outcomes = BillingFailures(repositories()).rebill_failed(arguments.organization_id,
                                                                 arguments.at or current_time, current_time)
        for failing, billed in outcomes:
            print(f"{failing.external_id}  {'billed' if billed else 'failed again'}")
        billed_count = sum(billed for _, billed in outcomes)
        print(f"{billed_count} billed, {len(outcomes) - billed_count} failed again")


if __name__ == "__main__":
    sys.exit(main())
