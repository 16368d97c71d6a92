"""The container's setup cache (chalicelib/setup_cache.py): entries kept per organization at one setup version, read
once per key at it, dropped when another version is read, bounded; and, on the in-memory ports, the use cases that
read through it seeing every control-plane write at once (the fakes move the setup version as DynamoDB does)."""
from __future__ import annotations

from datetime import UTC, datetime

from fakes.control_plane import FixedClock, InMemoryControlPlane, SequentialIds

from chalicelib.setup_cache import SetupCache
from chalicelib.usecases.billable_metrics import BillableMetricUseCases
from chalicelib.usecases.organizations import OrganizationUseCases

NOW = datetime(2026, 11, 5, 10, tzinfo=UTC)


class Reads:
    """A reader that counts its calls and answers what `value` holds."""

    def __init__(self, value: object = "read") -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def test_an_entry_is_read_once_per_version_and_again_after_another_version():
    cache, reads = SetupCache(), Reads()
    assert [cache.at("org", 3).read("metric", "calls", reads) for _ in range(3)] == ["read"] * 3
    assert reads.calls == 1
    reads.value = "changed"
    assert cache.at("org", 4).read("metric", "calls", reads) == "changed"
    assert cache.at("org", 4).read("metric", "calls", reads) == "changed"
    assert reads.calls == 2


def test_an_absent_record_is_kept_as_absent_until_the_version_moves():
    cache, reads = SetupCache(), Reads(None)
    assert cache.at("org", 0).read("metric", "calls", reads) is None
    assert cache.at("org", 0).read("metric", "calls", reads) is None
    assert reads.calls == 1


def test_organizations_keep_their_own_versions():
    cache, acme, globex = SetupCache(), Reads("acme"), Reads("globex")
    cache.at("acme", 1).read("plan", "p", acme)
    cache.at("globex", 7).read("plan", "p", globex)
    assert cache.at("acme", 1).read("plan", "p", acme) == "acme"
    assert cache.at("globex", 8).read("plan", "p", globex) == "globex"
    assert (acme.calls, globex.calls) == (1, 2)


def test_read_while_reads_again_only_what_no_longer_holds():
    cache, reads = SetupCache(), Reads(5)
    setup = cache.at("org", 0)
    assert setup.read_while("history", "sub", reads, lambda value: value < 10) == 5
    assert reads.calls == 1  # cold: one read
    assert setup.read_while("history", "sub", reads, lambda value: value < 10) == 5
    assert reads.calls == 1  # held: none
    reads.value = 20
    assert setup.read_while("history", "sub", reads, lambda value: value < 5) == 20
    assert reads.calls == 2  # 5 no longer holds: read again, and kept
    assert setup.read("history", "sub", reads) == 20


def test_the_least_recently_used_organization_goes_first_and_a_full_organization_starts_over():
    cache = SetupCache(organizations=2, entries=2)
    reads = Reads()
    cache.at("a", 0).read("k", 1, reads)
    cache.at("b", 0).read("k", 1, reads)
    cache.at("a", 0)  # used: b is now the least recent
    cache.at("c", 0).read("k", 1, reads)
    assert reads.calls == 3
    cache.at("a", 0).read("k", 1, reads)
    assert reads.calls == 3  # a kept
    cache.at("b", 0).read("k", 1, reads)
    assert reads.calls == 4  # b was dropped
    setup = cache.at("b", 0)
    setup.read("k", 2, reads)  # 2 entries: full
    setup.read("k", 3, reads)  # dropped them all, then kept this one
    setup.read("k", 3, reads)
    setup.read("k", 1, reads)
    assert reads.calls == 7


def test_a_key_owner_is_only_a_hint_of_which_organization_to_read():
    cache = SetupCache()
    assert cache.key_owner("hash") is None
    cache.remember_key_owner("hash", "org")
    assert cache.key_owner("hash") == "org"
    cache.clear()
    assert cache.key_owner("hash") is None


# --------------------------------------------------------------------------------------- on the fakes


def test_authentication_on_the_fakes_refuses_a_revoked_key_at_once():
    ports = InMemoryControlPlane(FixedClock(NOW))
    organizations = OrganizationUseCases(ports.organizations, FixedClock(NOW), SequentialIds(), SetupCache())
    organization, key = organizations.create("Acme Corp")
    assert [organizations.authenticate(key) for _ in range(3)] == [ports.organizations.get(organization.id)] * 3
    [record] = organizations.api_keys(organization.id)
    organizations.revoke_api_key(organization.id, record.key_id)
    assert organizations.authenticate(key) is None


def test_every_write_of_the_fakes_moves_the_organization_setup_version():
    ports = InMemoryControlPlane(FixedClock(NOW))
    organizations = OrganizationUseCases(ports.organizations, FixedClock(NOW), SequentialIds())
    organization, _ = organizations.create("Acme Corp")
    metrics = BillableMetricUseCases(ports.billable_metrics, ports.plans, FixedClock(NOW), SequentialIds())
    versions = [ports.organizations.get(organization.id).setup_version]
    metrics.create(organization, {"name": "Calls", "code": "calls", "aggregation_type": "count_agg"})
    versions.append(ports.organizations.get(organization.id).setup_version)
    metrics.delete(organization, "calls")
    versions.append(ports.organizations.get(organization.id).setup_version)
    organizations.update(organization, {"name": "Renamed"})
    versions.append(ports.organizations.get(organization.id).setup_version)
    assert versions == [1, 2, 3, 4]  # the API key's issue first
