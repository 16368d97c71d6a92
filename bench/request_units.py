"""DynamoDB's request units, from item sizes, by its documented rules (pure: items in the wire format, numbers out).

Item size: CapacityUnitCalculations.html; units per operation: read-write-operations.html; index writes:
GSI.html#GSI.ThroughputConsiderations (links in docs/performance.md)."""
from __future__ import annotations

import base64
import math
from decimal import Decimal

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
TRANSACTION_FACTOR = 2  # a transactional read or write costs twice the plain one


def _significant_digits(number: str) -> int:
    digits = format(abs(Decimal(number)).normalize(), "f").replace(".", "").strip("0")
    return max(len(digits), 1)


def value_size(value: dict) -> int:
    """The bytes of one attribute value (`{"S": ...}`, `{"N": ...}`, ...), its name not included."""
    (kind, content), = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        return math.ceil(_significant_digits(content) / 2) + 1
    if kind == "B":
        return len(base64.b64decode(content)) if isinstance(content, str) else len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(element.encode()) for element in content)
    if kind == "NS":
        return sum(math.ceil(_significant_digits(element) / 2) + 1 for element in content)
    if kind == "BS":
        return sum(value_size({"B": element}) for element in content)
    if kind == "L":
        return 3 + sum(value_size(element) + 1 for element in content)
    if kind == "M":
        return 3 + sum(len(name.encode()) + value_size(element) + 1 for name, element in content.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict | None) -> int:
    """The bytes of an item: its attribute names and values (0 for no item)."""
    return sum(len(name.encode()) + value_size(value) for name, value in (item or {}).items())


def index_entry(item: dict | None, table_keys: tuple[str, ...], index_keys: tuple[str, ...], projection: str,
                included: tuple[str, ...] = ()) -> dict | None:
    """The entry `item` has in a global secondary index: none without every index key attribute (a sparse index);
    else the attributes the projection copies (ALL, KEYS_ONLY: the table's and the index's keys, INCLUDE: those plus
    the named ones)."""
    if item is None or any(name not in item for name in index_keys):
        return None
    if projection == "ALL":
        return dict(item)
    kept = {*table_keys, *index_keys, *(included if projection == "INCLUDE" else ())}
    return {name: value for name, value in item.items() if name in kept}


def write_units(before: dict | None, after: dict | None) -> int:
    """One item written (put, updated or deleted): the larger of its sizes before and after, per started KB; a write
    that changes nothing or is refused by its condition still costs one."""
    return max(math.ceil(max(item_size(before), item_size(after)) / WRITE_UNIT_BYTES), 1)


def index_write_units(before: dict | None, after: dict | None, key_changed: bool) -> int:
    """The writes one table write causes in one index, from the item's entry there before and after: none when the
    entry is absent or unchanged both times; an entry whose index key changed is deleted and put again (two
    writes); else one write of the larger entry."""
    if before == after:
        return 0
    if before is None:
        return write_units(None, after)
    if after is None:
        return write_units(before, None)
    if key_changed:
        return write_units(before, None) + write_units(None, after)
    return write_units(before, after)


def read_units(sizes: list[int], consistent: bool) -> Decimal:
    """One GetItem, or one page of a Query or Scan: the bytes of every item read (before any filter) summed and
    rounded up to 4 KB (a read of nothing still costs one unit); an eventually consistent read half of that."""
    units = Decimal(max(math.ceil(sum(sizes) / READ_UNIT_BYTES), 1))
    return units if consistent else units / 2


def batch_read_units(sizes: list[int], consistent: bool) -> Decimal:
    """BatchGetItem: every item rounded up to 4 KB on its own."""
    return sum((read_units([size], consistent) for size in sizes), Decimal(0))
