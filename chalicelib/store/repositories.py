"""The repositories of one process, built lazily from the environment (nothing touches AWS at import)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from chalicelib.store.customers import CustomerRepository
from chalicelib.store.dynamo import dynamodb_client
from chalicelib.store.organizations import OrganizationRepository


@dataclass
class Repositories:
    client: object

    @cached_property
    def organizations(self) -> OrganizationRepository:
        return OrganizationRepository(self.client)

    @cached_property
    def customers(self) -> CustomerRepository:
        return CustomerRepository(self.client)


_current: Repositories | None = None


def repositories() -> Repositories:
    global _current
    if _current is None:
        _current = Repositories(dynamodb_client())
    return _current


def reset_repositories() -> None:
    """Forget the cached client (tests start a fresh moto backend per test)."""
    global _current
    _current = None
