"""The Usage tab's figures: each active subscription of a customer read through the API's own current-usage use
case (`GET /api/v1/customers/{external_customer_id}/current_usage`), so the console and the API never differ."""
from __future__ import annotations

from datetime import datetime

from chalicelib.control_plane import customer_time, read_current_usage, subscription_use_cases
from chalicelib.domain.errors import NotAllowed, NotReadyYet
from chalicelib.domain.organizations import Organization
from chalicelib.rendering.console import SubscriptionUsage, usage_figures

# More active subscriptions than a customer has in practice (Lago's own page lists a customer's subscriptions).
MAX_SUBSCRIPTIONS = 100


def current_usages(organization: Organization, external_customer_id: str,
                   request_time: datetime) -> list[SubscriptionUsage]:
    """The current usage of each of the customer's active subscriptions, newest first; [] when it has none."""
    listed = subscription_use_cases().list(organization, ("active",), 1, MAX_SUBSCRIPTIONS, external_customer_id,
                                           None)
    read = read_current_usage()
    clock = customer_time(organization, request_time)
    usages = []
    for shown in listed.subscriptions:
        subscription = shown.subscription
        name = f"{subscription.name or subscription.external_id} ({shown.plan.name})"
        try:
            current = read(organization, external_customer_id, subscription.external_id, apply_taxes=False,
                           clock=clock)
        except NotReadyYet:
            usages.append(SubscriptionUsage(name, None))
            continue
        except NotAllowed:  # terminated since it was listed
            continue
        usages.append(SubscriptionUsage(name, usage_figures(current.period, current.usage)))
    return usages
