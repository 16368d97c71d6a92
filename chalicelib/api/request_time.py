"""A request's "now" for each customer it touches: the time the request arrived (which the handler reads), or the
frozen time of the test clock a customer lives on (chalicelib/domain/test_clocks.py)."""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.organizations import Organization
from chalicelib.domain.test_clocks import CustomerTime
from chalicelib.store.repositories import repositories


def customer_time(organization: Organization, request_time: datetime) -> CustomerTime:
    return CustomerTime(request_time, repositories().test_clocks, organization.id)
