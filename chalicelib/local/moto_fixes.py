"""moto's DynamoDB at the cost of what a request touches, for the local stack and the tests (nothing here runs in
AWS). moto 5.2.5 makes every request cost the size of its table:

- TransactWriteItems backs up each table it touches with `copy.deepcopy`, and restores the copies when the
  transaction is cancelled: invoicing 60 months of 10 customers took 17 GB, and a cancelled transaction put a table
  back over the writes other threads made meanwhile. Here a transaction is checked first (every condition, against
  the items as they are, under one lock shared by all transactions) and cancelled with the reasons moto gives,
  writing nothing; only then does moto apply it, with the touched items (and their tables' stream records) kept
  aside to be put back should a write still fail: all the writes or none, as DynamoDB.
- Query sorts every item of the table and sizes every item of the partition before it looks at the key condition:
  with an organization's invoices under one partition key, each read of a customer's subscriptions grew with the
  organization's history. Here moto answers the Query over the items its key condition can select (the partition's
  items in the sort-key range; for an index, the items with the index's partition key, found in an index kept by
  moto_indexes.py instead of walking the table), the rest unchanged.

And one fix of fidelity: an update's ADD (and a SET's `+`, `-`) on numbers computes in Python's default 28 digits,
rounding silently (two of 999999999999999.999999999999999 made 2000000000000000), and refuses a number written
with an exponent and no point ("0E-15"); DynamoDB is exact to 38 significant digits, takes any notation and refuses
a result that needs more. Here moto computes as DynamoDB does.

Under the local stack's parallel clients, moto's server serves each request in its own thread over one in-memory
backend that is not thread-safe: a transaction iterated a table another request was changing (`RuntimeError:
dictionary changed size during iteration`, a 5xx), and two writes could give their stream records one sequence
number (the aggregator's watermark then skipped the second event). Here the server handles one request at a time,
in the order they came, as the backend needs; DynamoDB itself is what scales in AWS. In-process moto (the tests,
reliability/) the same: a batch of events written by parallel threads lost an event or kept its stream delivering
under a busy CPU.

The server lists moto's package directory to route each request (a millisecond); here it is listed once.

Responses cost what they hold, not what moto's serializer works out again for each member (moto_serializer.py).

`install()` is idempotent."""
from __future__ import annotations

import copy
import functools
import operator
import threading
import types
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from decimal import Context, Decimal, DecimalException, Inexact, InvalidOperation, Overflow, Underflow, localcontext
from typing import Any

from moto import backends
from moto.core.botocore_stubber import BotocoreStubber
from moto.dynamodb import models
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import MockValidationException, TransactionCanceledException
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from chalicelib.local import moto_indexes, moto_serializer


class _FairLock:
    """A re-entrant lock that serves the threads in the order they asked. threading's locks are not fair: a thread that
    releases one and asks again at once gets it again, so the local stack's stream poller, sending its requests back
    to back, kept the API's requests waiting past their clients' timeouts."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._waiting: deque[int] = deque()
        self._owner: int | None = None
        self._depth = 0

    def __enter__(self) -> None:
        me = threading.get_ident()
        with self._changed:
            if self._owner == me:
                self._depth += 1
                return
            self._waiting.append(me)
            while self._owner is not None or self._waiting[0] != me:
                self._changed.wait()
            self._waiting.popleft()
            self._owner, self._depth = me, 1

    def __exit__(self, *_: object) -> None:
        with self._changed:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._changed.notify_all()


_LOCK = _FairLock()
_CONDITION_FAILED = "The conditional request failed"
# What moto's Table.query answers: the items, how many were scanned, the last evaluated key.
QueryResult = tuple[list[Item], int, dict[str, Any] | None]
TransactWriteItems = Callable[[models.DynamoDBBackend, list[dict[str, Any]]], None]


def _deepcopy_but_tables(value: object, memo: dict[int, object] | None = None) -> object:
    """moto's backup of a table becomes the table itself: the items it writes are kept aside instead."""
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _target(backend: models.DynamoDBBackend, operation_type: str, operation: dict[str, Any]) -> tuple[Any, ...]:
    """(table, hash key, range key) of one action of a transaction."""
    table = backend.get_table(operation["TableName"])
    key = operation["Key"] if operation_type != "Put" else {
        name: operation["Item"][name] for name in (table.hash_key_attr, table.range_key_attr) if name}
    return (table, *backend.get_keys_value(table, key))


def _targets(backend: models.DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(operation, table, hash key, range key) of each action of a transaction."""
    return [(operation, *_target(backend, operation_type, operation))
            for operation_type, operation in (next(iter(action.items())) for action in transact_items)]


def _cancellation_reasons(targets: list[tuple]) -> list[tuple]:
    """Per action, moto's reason (code, message, item) when its condition fails against the stored item, else
    (None, None, None)."""
    reasons = []
    for operation, table, hash_key, range_key in targets:
        current = table.get_item(hash_key, range_key)
        condition = operation.get("ConditionExpression")
        if condition is None or get_filter_expression(condition, operation.get("ExpressionAttributeNames"),
                                                      operation.get("ExpressionAttributeValues")).expr(current):
            reasons.append((None, None, None))
            continue
        shown = (current.to_json()["Attributes"]
                 if current is not None and operation.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
                 else None)
        reasons.append(("ConditionalCheckFailed", _CONDITION_FAILED, shown))
    return reasons


def _kept_aside(targets: list[tuple]) -> tuple[list, dict]:
    """The items the transaction may write, as they are, and the stream length of each table it touches."""
    items, streams = [], {}
    for _, table, hash_key, range_key in targets:
        items.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        if table.stream_shard is not None:
            streams[table.stream_shard] = len(table.stream_shard.items)
    return items, streams


def _put_back(items: list, streams: dict) -> None:
    """Each kept item back where it was (or gone again, if it was absent), and the streams as they were."""
    for table, hash_key, range_key, item in items:
        partition, position = (table.items[hash_key], range_key) if range_key else (table.items, hash_key)
        if item is None:
            partition.pop(position, None)
        else:
            partition[position] = item
        moto_indexes.reindex(table, (hash_key, range_key))
    for shard, length in streams.items():
        del shard.items[length:]


def _transact_write_items(original: TransactWriteItems) -> TransactWriteItems:
    def transact_write_items(self: models.DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        if len(transact_items) > 100 or any(len(action) != 1 for action in transact_items):
            return original(self, transact_items)  # moto's own refusals, before it writes anything
        with _LOCK:
            targets = _targets(self, transact_items)
            reasons = _cancellation_reasons(targets)
            if any(code is not None for code, _, _ in reasons):
                raise TransactionCanceledException(reasons)
            items, streams = _kept_aside(targets)
            try:
                return original(self, transact_items)
            except Exception:
                _put_back(items, streams)
                raise

    transact_write_items.installed = True
    return transact_write_items


def _selectable(table: Table, hash_key: DynamoType | None, range_comparison: str | None,
                range_values: list[DynamoType], index_name: str | None,
                hash_key_conditions: list[tuple[str, DynamoType]]) -> list[Item]:
    """The items a Query's key condition can select: of the partition, those in the sort-key range; of an index,
    those with its partition key (found through moto_indexes, or by walking the table where it does not answer)."""
    if index_name is None:
        return [item for item in table.items.get(hash_key, {}).values()
                if range_comparison is None or item.range_key.compare(range_comparison, range_values)]
    candidates = moto_indexes.items_under(table, index_name, *hash_key_conditions[0])
    if candidates is None:
        candidates = [item for partition in table.items.values() for item in partition.values()]
    return [item for item in candidates
            if all(name in item.attrs and item.attrs[name] == value for name, value in hash_key_conditions)]


def _query(original: Callable[..., QueryResult]) -> Callable[..., QueryResult]:
    @functools.wraps(original)  # `Table.query.__wrapped__`: moto's own, which the tests compare with
    def query(self: Table, hash_key: DynamoType | None, range_comparison: str | None, range_values: list[DynamoType],
              *arguments: Any, **options: Any) -> QueryResult:
        index_name = arguments[4] if len(arguments) > 4 else options.get("index_name")
        conditions = options.get("hash_key_conditions") or []
        if not self.range_key_attr or (index_name is None and hash_key is None) or (index_name and not conditions):
            return original(self, hash_key, range_comparison, range_values, *arguments, **options)
        view = copy.copy(self)  # the same table, holding only what the key condition can select
        view.items = defaultdict(dict)
        for item in _selectable(self, hash_key, range_comparison, range_values, index_name, conditions):
            view.items[item.hash_key][item.range_key] = item
        return original(view, hash_key, range_comparison, range_values, *arguments, **options)

    return query


# DynamoDB's numbers: 38 significant digits, magnitudes 1E-130 to 1E+126, nothing rounded.
_DYNAMODB_NUMBERS = Context(prec=38, Emin=-128, Emax=126, traps=[InvalidOperation, Overflow, Underflow, Inexact])


def _exact(original: Callable[[DynamoType, DynamoType], DynamoType],
           operation: Callable[[Decimal, Decimal], Decimal]) -> Callable[[DynamoType, DynamoType], DynamoType]:
    """`original` (DynamoType's + or -) on two numbers as DynamoDB does it: exact, in any notation ("0E-15" too,
    which moto's int() refuses), and refused past 38 digits."""
    def exact(self: DynamoType, other: DynamoType) -> DynamoType:
        if self.type != other.type or not self.is_number():
            return original(self, other)  # moto's own errors
        try:
            with localcontext(_DYNAMODB_NUMBERS):
                return DynamoType({"N": str(operation(Decimal(self.value), Decimal(other.value)))})
        except DecimalException:
            raise MockValidationException("Number overflow. Attempting to store a number with magnitude larger "
                                          "than supported range") from None
    return exact


# moto's request entry points (the server's DomainDispatcherApplication, the in-process BotocoreStubber).
ServeRequest = Callable[..., Any]


def _one_request_at_a_time(application: ServeRequest) -> ServeRequest:
    def serve(self: object, *request: Any, **details: Any) -> Any:
        with _LOCK:
            return application(self, *request, **details)
    return serve


def _listed_once(original: Callable[[], Iterable[str]]) -> Callable[[], tuple[str, ...]]:
    """moto's server lists its own package directory to route each request: the list, read once."""
    modules = tuple(original())
    return lambda: modules


def install() -> None:
    moto_serializer.install()
    moto_indexes.install()
    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "installed", False):
        return
    models.copy = types.SimpleNamespace(deepcopy=_deepcopy_but_tables)
    backend.transact_write_items = _transact_write_items(backend.transact_write_items)
    Table.query = _query(Table.query)
    DomainDispatcherApplication.__call__ = _one_request_at_a_time(DomainDispatcherApplication.__call__)
    backends.list_of_moto_modules = _listed_once(backends.list_of_moto_modules)
    BotocoreStubber.__call__ = _one_request_at_a_time(BotocoreStubber.__call__)
    DynamoType.__add__ = _exact(DynamoType.__add__, operator.add)
    DynamoType.__sub__ = _exact(DynamoType.__sub__, operator.sub)
