"""The setup data a Lambda container keeps between requests and stream batches: per organization, what its API keys,
billable metrics, plans, customers and subscriptions were read as, valid only while the organization's
`setup_version` is the one they were read at. Every control-plane write that changes them moves that version in
the same transaction (chalicelib/store/setup_version.py), and every request and batch reads the organization item
(strongly consistent) before using an entry: so a change is seen by the next request, in every container.
docs/data-model.md, "The setup version", says what is cached and why the biller's own writes need no version.
Not a rule, so it lives outside the domain; it imports nothing of chalicelib."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

Value = TypeVar("Value")

ORGANIZATIONS_KEPT = 256  # the organizations a container keeps entries of, least recently used dropped first
ENTRIES_KEPT = 20_000  # entries of one organization; when full, its entries are dropped and read again


class OrganizationSetup:
    """The entries of one organization, each read (strongly consistent) after its setup version `version` was."""

    def __init__(self, version: int, limit: int = ENTRIES_KEPT):
        self.version = version
        self._limit = limit
        self._entries: dict[tuple[str, Hashable], Any] = {}

    def read(self, kind: str, key: Hashable, read: Callable[[], Value]) -> Value:
        """The entry of `kind` and `key` (None included), read with `read()` the first time."""
        entry = (kind, key)
        if entry not in self._entries:
            if len(self._entries) >= self._limit:
                self._entries.clear()
            self._entries[entry] = read()
        return cast(Value, self._entries[entry])

    def read_while(self, kind: str, key: Hashable, read: Callable[[], Value], holds: Callable[[Value], bool]) -> Value:
        """`read`'s entry, read again (and kept) when `holds(entry)` says it may have changed without the version
        moving (a subscription the biller may have written since)."""
        entry = (kind, key)
        if entry in self._entries and not holds(self._entries[entry]):
            del self._entries[entry]
        return self.read(kind, key, read)


class SetupCache:
    """The container's entries of each organization, at the setup version last read."""

    def __init__(self, organizations: int = ORGANIZATIONS_KEPT, entries: int = ENTRIES_KEPT):
        self._organizations: OrderedDict[str, OrganizationSetup] = OrderedDict()
        self._limit = organizations
        self._entries = entries
        self._key_owners: OrderedDict[str, str] = OrderedDict()  # API key hash -> organization id

    def at(self, organization_id: str, version: int) -> OrganizationSetup:
        """The organization's entries if they were read at `version` (the one just read), else none."""
        setup = self._organizations.get(organization_id)
        if setup is None or setup.version != version:
            setup = self._organizations[organization_id] = OrganizationSetup(version, self._entries)
        self._organizations.move_to_end(organization_id)
        while len(self._organizations) > self._limit:
            self._organizations.popitem(last=False)
        return setup

    def key_owner(self, key_hash: str) -> str | None:
        """The organization an API key's hash was found to belong to. Only a hint of which organization item to
        read: whether the key is still live is an entry of that organization (`"api_key"`)."""
        return self._key_owners.get(key_hash)

    def remember_key_owner(self, key_hash: str, organization_id: str) -> None:
        self._key_owners[key_hash] = organization_id
        self._key_owners.move_to_end(key_hash)
        while len(self._key_owners) > self._entries:
            self._key_owners.popitem(last=False)

    def clear(self) -> None:
        self._organizations.clear()
        self._key_owners.clear()


# This container's cache: the API's use cases and the stream aggregator read through it (the composition roots
# hand it in; a test clears it, as a fresh container would start).
CONTAINER_SETUP = SetupCache()
