"""The outbox item's conditional moves, one by one: an attempt's claim (one at a time; a crashed attempt's lease
expires), the first render wins, an outcome recorded only under the lease that made it, an admin's re-send."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from interleaving import competing

from chalicelib.domain.webhooks import webhook_id
from chalicelib.store.dynamo import transact
from chalicelib.store.repositories import repositories
from chalicelib.store.webhooks import outbox_put

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
LEASE = 120


@pytest.fixture
def webhook(dynamodb, tenant):
    transact(dynamodb, [outbox_put(tenant.organization_id, "customer.created", "customer-1", NOW)])
    return repositories().webhooks.get(tenant.organization_id,
                                       webhook_id(tenant.organization_id, "customer.created", "customer-1"))


def test_an_attempt_holds_the_webhook_until_its_lease_ends(webhook):
    store = repositories().webhooks
    claimed = store.claim(webhook, NOW, LEASE)
    assert (claimed.attempts, claimed.leased_until) == (1, int(NOW.timestamp()) + LEASE)

    assert store.claim(webhook, NOW + timedelta(seconds=LEASE - 1), LEASE) is None  # still held
    # The holder crashed: once its lease is over, another attempt takes the webhook.
    later = store.claim(webhook, NOW + timedelta(seconds=LEASE + 1), LEASE)
    assert later.attempts == 2

    # The crashed attempt's late outcome changes nothing; the live one's is kept.
    store.record_attempt(claimed, "delivered", 200, None, NOW)
    assert store.get(webhook.organization_id, webhook.id).status == "pending"
    store.record_attempt(later, "delivered", 204, None, NOW + timedelta(seconds=LEASE + 2))
    delivered = store.get(webhook.organization_id, webhook.id)
    assert (delivered.status, delivered.last_status_code, delivered.leased_until) == ("delivered", 204, None)
    assert delivered.delivered_at == NOW + timedelta(seconds=LEASE + 2)
    assert store.claim(delivered, NOW + timedelta(days=1), LEASE) is None  # never sent again


def test_the_first_render_wins(webhook):
    store = repositories().webhooks
    with competing("UpdateItem", lambda: store.keep_payload(webhook, '{"first":1}')) as competitor:
        kept = store.keep_payload(webhook, '{"second":2}')
    assert competitor == ['{"first":1}']
    assert kept == '{"first":1}' == store.get(webhook.organization_id, webhook.id).payload


def test_a_failure_records_its_error_and_a_later_status_code_replaces_it(webhook):
    store = repositories().webhooks
    first = store.claim(webhook, NOW, LEASE)
    store.record_attempt(first, "pending", None, "ReadTimeoutError: timed out", NOW)
    second = store.claim(webhook, NOW + timedelta(seconds=1), LEASE)
    store.record_attempt(second, "failed", 500, None, NOW + timedelta(seconds=1))
    failed = store.get(webhook.organization_id, webhook.id)
    assert (failed.status, failed.attempts, failed.last_status_code, failed.last_error) == ("failed", 2, 500, None)


def test_only_a_failed_webhook_is_resent_and_skipped_is_final(webhook):
    store = repositories().webhooks
    assert store.mark_for_resend(webhook) is False  # pending: nothing to re-send
    store.mark_skipped(webhook)
    assert store.get(webhook.organization_id, webhook.id).status == "skipped"
    assert store.claim(webhook, NOW, LEASE) is None
    assert store.mark_for_resend(webhook) is False


def test_a_replayed_outbox_put_is_refused(dynamodb, webhook):
    from chalicelib.store.dynamo import TransactionCancelled

    with pytest.raises(TransactionCancelled) as cancelled:
        transact(dynamodb, [outbox_put(webhook.organization_id, "customer.created", "customer-1", NOW)])
    assert cancelled.value.failed == {0}
