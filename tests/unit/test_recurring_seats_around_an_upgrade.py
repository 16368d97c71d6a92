"""Recurring seats across an upgrade, as a hypothesis property on the in-memory stores (tests/unit/billing_world.py):
Lago's recurring queries select every event of the external subscription id (lago-semantics §1.1, §5.3), so the seats
counted before an upgrade are still counted after it, on the new plan, and the old plan's final invoice leaves them
to the new plan, which bills them once. The cases with amounts worked out by hand, through the API and the stream on
DynamoDB: tests/integration/test_plan_changes_recurring.py."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from billing_world import BillingWorld
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.invoices.invoice import Invoice

NOVEMBER_START = datetime(2026, 11, 1, tzinfo=UTC)
NOVEMBER_SECONDS = 30 * 86_400
SEAT_CENTS_ON_PRO = 200


def seats_customer() -> BillingWorld:
    """`seats` (recurring sum of n), `users` (recurring unique count of user) and `storage` (recurring sum of gb);
    plans in arrears, calendar monthly: `basic` 1000 (seats and users 1 EUR, storage 0.5 EUR) and `pro` 3000 (seats
    and users 2 EUR; no storage). Customer `cust` on `basic` as `sub` from 1 November 2026, subscribed that instant."""
    world = BillingWorld(NOVEMBER_START)
    for code, aggregation_type, field_name in (("seats", "sum_agg", "n"), ("users", "unique_count_agg", "user"),
                                               ("storage", "sum_agg", "gb")):
        world.metric({"name": code, "code": code, "aggregation_type": aggregation_type, "field_name": field_name,
                      "recurring": True})
    world.priced_plan("basic", 1000, {"seats": "1", "users": "1", "storage": "0.5"})
    world.priced_plan("pro", 3000, {"seats": "2", "users": "2"})
    world.customer("cust", vat_rate=0)
    world.subscribe("sub", "cust", NOVEMBER_START.isoformat(), plan_code="basic")
    return world


def send_seats(world: BillingWorld, seats: list[tuple[str, int, int]]) -> None:
    """Each `(transaction_id, second, n)` a `seats` event `second` into November, POSTed at that instant or, late,
    at the clock's "now" if later; then the lot delivered by the events' stream in one batch and applied."""
    records = []
    for transaction_id, second, value in seats:
        at = NOVEMBER_START + timedelta(seconds=second)
        world.clock.moment = max(world.clock.moment, at)
        records.append(world.post("sub", at, {"n": value}, code="seats", transaction_id=transaction_id))
    assert world.deliver(records) == set()


def issued_to(world: BillingWorld, subscription_id: str) -> list[Invoice]:
    return [invoice for invoice in world.invoices() if invoice.billing_periods[0].subscription_id == subscription_id]


@settings(max_examples=100, deadline=None)
@given(seats=st.lists(st.tuples(st.integers(1, NOVEMBER_SECONDS - 1), st.integers(0, 20), st.booleans()),
                      min_size=1, max_size=6),
       change_at=st.integers(3_600, NOVEMBER_SECONDS - 3_600))
def test_any_seats_around_an_upgrade_are_all_on_the_new_plan_and_none_on_the_old(seats, change_at):
    """Whatever the seats (each `(second, n, late)`: a seat from before the upgrade POSTed after it when `late`) and
    the upgrade instant in November: the new plan's usage at the month's end counts every seat of the external id
    (Σ n, as Lago's recurring query), the old plan's final invoice (issued at once by the upgrade) bills none, and
    the new plan's first invoice bills them all at its price."""
    world = seats_customer()
    events = [(f"s{index}", second, value) for index, (second, value, _) in enumerate(seats)]
    on_time = [second < change_at and not late for second, _, late in seats]
    send_seats(world, [event for event, sent in zip(events, on_time) if sent])
    world.clock.moment = NOVEMBER_START + timedelta(seconds=change_at)
    world.change_plan("sub", "cust", "pro")
    send_seats(world, [event for event, sent in zip(events, on_time) if not sent])

    total = sum(value for _, value, _ in seats)
    usage = {charge.metric.code: charge.totals for charge in
             world.current_usage("cust", "sub", datetime(2026, 11, 30, 23, tzinfo=UTC)).charges}
    assert (usage["seats"].units, usage["seats"].amount_cents) == (Decimal(total), total * SEAT_CENTS_ON_PRO)

    subscriptions = world.stores.subscriptions
    ended = subscriptions.find_latest(world.organization.id, "sub", "terminated")
    final, = issued_to(world, ended.id)
    assert [period.invoicing_reason for period in final.billing_periods] == ["subscription_terminating"]
    assert [fee.fee_type for fee in final.fees] in ([], ["subscription"])

    world.run_biller(datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    upgraded = subscriptions.find_current(world.organization.id, "sub")
    first, = issued_to(world, upgraded.id)
    assert sum(fee.amount_cents for fee in first.fees if fee.fee_type == "charge") == total * SEAT_CENTS_ON_PRO
