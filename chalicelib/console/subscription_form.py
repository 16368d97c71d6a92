"""The Subscriptions tab's forms: "Assign plan" (its fields, the payload of `POST /api/v1/subscriptions` it makes)
and "Change plan", with the domain's refusals in words next to their fields."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.console.customer_form import ERROR_WORDS
from chalicelib.console.form_errors import in_words, of_no_field
from chalicelib.domain.errors import NotFound, ValidationFailed

ASSIGN_FIELDS = (("plan_code", "Plan"), ("billing_time", "Billing time"), ("subscription_at", "Start date"),
                 ("external_id", "External ID"))
BILLING_TIMES = (("calendar", "Calendar"), ("anniversary", "Anniversary"))
# A refusal of the plan itself is shown next to the select "Plan".
FIELD_OF = {"currency": "plan_code"}
WORDS = {
    **ERROR_WORDS,
    "plan_code/value_is_mandatory": "Choose a plan.",
    "plan_not_found": "This plan does not exist any more.",
    "currencies_does_not_match": "The plan's currency is not the customer's: a customer is billed in one currency.",
    "invalid_date": "Use a date such as 2026-03-31.",
    "value_already_exist": "Another customer's subscription has this external id.",
    "plan_change_not_supported_yet": "This subscription's plan cannot be changed.",
}


@dataclass
class SubscriptionForm:
    """What a form shows: each field's value, the errors by field (in words), and the errors of no field."""

    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    general_errors: list[str] = field(default_factory=list)


def _words(name: str, code: str) -> str:
    return WORDS.get(f"{name}/{code}") or in_words(code, WORDS)


def empty_assignment() -> SubscriptionForm:
    return SubscriptionForm({"plan_code": "", "billing_time": "calendar", "subscription_at": "", "external_id": ""})


def posted(fields: dict[str, str], names: tuple[str, ...]) -> SubscriptionForm:
    return SubscriptionForm({name: fields.get(name, "").strip() for name in names})


def assignment_payload(assignment: SubscriptionForm, external_customer_id: str, new_id: str) -> dict[str, Any]:
    """`POST /api/v1/subscriptions`'s body: the fields filled in; an empty Start date is now (none sent), a date its
    midnight UTC (the API's own reading of a date alone); an empty External ID is `new_id`."""
    values = assignment.values
    payload = {name: values[name] for name in ("plan_code", "billing_time", "subscription_at") if values[name]}
    return {**payload, "external_customer_id": external_customer_id, "external_id": values["external_id"] or new_id}


def plan_change_payload(plan_code: str, external_customer_id: str, external_id: str) -> dict[str, Any]:
    """What `POST /api/v1/subscriptions` with the subscription's external id and another plan code sends."""
    payload = {"external_customer_id": external_customer_id, "external_id": external_id}
    return {**payload, "plan_code": plan_code} if plan_code else payload


def refusal_details(refused: ValidationFailed | NotFound) -> dict[str, list[str]]:
    """A refusal as ValidationFailed's details: a plan not found is an error of the field `plan_code`."""
    if isinstance(refused, NotFound):
        return {"plan_code": [refused.code]}
    return refused.details


def with_errors(submitted: SubscriptionForm, details: dict[str, list[str]]) -> SubscriptionForm:
    """`submitted` with the refusal's codes in words, each next to its field when the form has it."""
    for path, codes in details.items():
        name = FIELD_OF.get(path.split(".")[-1], path.split(".")[-1])
        if name in submitted.values:
            submitted.errors.setdefault(name, []).extend(_words(name, code) for code in codes)
        else:
            submitted.general_errors.extend(of_no_field(path, _words(name, code)) for code in codes)
    return submitted
