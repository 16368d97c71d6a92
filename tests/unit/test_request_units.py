"""DynamoDB's request units from item sizes (bench/request_units.py), on sizes worked out by hand from the rules of
CapacityUnitCalculations.html and read-write-operations.html."""
from __future__ import annotations

from decimal import Decimal

import pytest

from bench.request_units import (
    batch_read_units,
    index_entry,
    index_write_units,
    item_size,
    read_units,
    write_units,
)


@pytest.mark.parametrize(("item", "size"), [
    ({"pk": {"S": "ab"}}, 2 + 2),
    ({"pk": {"S": "é"}}, 2 + 2),                           # UTF-8 bytes, not characters
    ({"n": {"N": "123.45"}}, 1 + 3 + 1),                   # 5 significant digits: 3 bytes, plus 1
    ({"n": {"N": "1000"}}, 1 + 1 + 1),                     # trailing zeros trimmed: 1 digit
    ({"n": {"N": "-0.0012"}}, 1 + 1 + 1),                  # leading zeros trimmed: 2 digits
    ({"b": {"BOOL": True}, "z": {"NULL": True}}, 1 + 1 + 1 + 1),
    ({"m": {"M": {"a": {"S": "xy"}}}}, 1 + 3 + (1 + 2 + 1)),  # 3 bytes a map, 1 an element
    ({"l": {"L": [{"N": "1"}, {"S": "abc"}]}}, 1 + 3 + (2 + 1) + (3 + 1)),
    ({"m": {"M": {}}}, 1 + 3),
    ({"s": {"SS": ["ab", "c"]}}, 1 + 3),
    ({"b": {"B": "AAEC"}}, 1 + 3),                         # base64 of 3 raw bytes
])
def test_item_sizes(item, size):
    assert item_size(item) == size


def kilobyte_item(size: int) -> dict:
    return {"pk": {"S": "x" * (size - 2)}}


def test_a_write_costs_the_larger_of_before_and_after_per_started_kilobyte():
    assert write_units(None, kilobyte_item(1024)) == 1
    assert write_units(None, kilobyte_item(1025)) == 2
    assert write_units(kilobyte_item(1025), kilobyte_item(10)) == 2  # an update that shrinks the item
    assert write_units(kilobyte_item(2049), None) == 3               # a delete
    assert write_units(None, None) == 1                              # a refused condition on an absent item


def test_an_index_entry_holds_what_its_projection_copies():
    item = {"pk": {"S": "a"}, "sk": {"S": "b"}, "due_pk": {"S": "c"}, "due_sk": {"S": "d"}, "plan": {"S": "e"}}
    keys = {name: item[name] for name in ("pk", "sk", "due_pk", "due_sk")}
    assert index_entry(item, ("pk", "sk"), ("due_pk", "due_sk"), "KEYS_ONLY") == keys
    assert index_entry(item, ("pk", "sk"), ("due_pk", "due_sk"), "INCLUDE", ("plan",)) == item
    assert index_entry(item, ("pk", "sk"), ("due_pk", "due_sk"), "ALL") == item
    assert index_entry(item, ("pk", "sk"), ("gsi1pk", "gsi1sk"), "ALL") is None  # sparse: no key attributes


def test_index_writes_follow_the_entry():
    entry, moved = {"k": {"S": "1"}}, {"k": {"S": "2"}}
    assert index_write_units(None, None, False) == 0
    assert index_write_units(entry, entry, False) == 0       # the item changed, its entry did not
    assert index_write_units(None, entry, False) == 1        # put
    assert index_write_units(entry, None, False) == 1        # removed
    assert index_write_units(entry, moved, True) == 2        # key changed: deleted and put again
    assert index_write_units(kilobyte_item(1500), kilobyte_item(100), False) == 2  # updated in place: the larger


def test_reads_in_four_kilobyte_units_halved_when_eventually_consistent():
    assert read_units([4096], consistent=True) == 1
    assert read_units([4097], consistent=True) == 2
    assert read_units([100, 100], consistent=False) == Decimal("0.5")  # a Query page's items summed first
    assert read_units([], consistent=True) == 1                         # reading nothing still costs a unit
    # BatchGetItem rounds each item: 1.5 KB and 6.5 KB read as 4 KB + 8 KB, 3 units (the documented example).
    assert batch_read_units([1536, 6656], consistent=True) == 3
