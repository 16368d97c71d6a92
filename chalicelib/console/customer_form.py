"""The customer form of the console (new and edit): its fields and labels, the payload the customer use cases take
from what a browser posts, and the domain's field errors in words."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.console.form_errors import in_words, of_no_field
from chalicelib.domain.customers import Customer

FIELDS = (("external_id", "External ID"), ("name", "Name"), ("email", "Email"),
          ("address_line1", "Address line 1"), ("address_line2", "Address line 2"), ("city", "City"),
          ("state", "State"), ("zipcode", "Zipcode"), ("country", "Country"), ("legal_name", "Legal name"),
          ("legal_number", "Legal number"), ("logo_url", "Logo URL"), ("phone", "Phone"), ("url", "URL"),
          ("vat_rate", "VAT rate"))
ERROR_WORDS = {
    "country_code_invalid": "Use a two-letter country code (ISO 3166), such as FR or US.",
    "invalid_email_format": "This is not an email address.",
    "url_is_invalid": "This is not a URL (https://...).",
    "value_already_exist": "Another customer already has this value.",
    "customer_has_active_subscription": "It cannot change while the customer has an active subscription.",
}
SUBSCRIBED_REASON = "Locked: the customer has an active subscription."


@dataclass
class CustomerForm:
    """What the form shows: each field's value, the errors by field (in words), and the errors of no field."""

    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    general_errors: list[str] = field(default_factory=list)
    external_id_locked: bool = False


def filled(customer: Customer) -> CustomerForm:
    values = {name: "" if getattr(customer, name) is None else str(getattr(customer, name)) for name, _ in FIELDS}
    return CustomerForm(values, external_id_locked=customer.active_subscriptions_count > 0)


def posted(fields: dict[str, str]) -> CustomerForm:
    return CustomerForm({name: fields.get(name, "").strip() for name, _ in FIELDS})


def _value(name: str, text: str) -> Any:
    if name != "vat_rate":
        return text
    try:
        return Decimal(text)
    except InvalidOperation:
        return text  # refused by the domain as not valid


def creation_payload(form: CustomerForm) -> dict[str, Any]:
    """The fields filled in (an empty field is not sent)."""
    return {name: _value(name, text) for name, text in form.values.items() if text}


def update_payload(form: CustomerForm) -> dict[str, Any]:
    """Every field: an emptied one is cleared (`None`); an empty External ID keeps the current one."""
    return {name: _value(name, text) if text else None for name, text in form.values.items()
            if text or name != "external_id"}


def with_errors(form: CustomerForm, details: dict[str, list[str]]) -> CustomerForm:
    """`form` with the domain's ValidationFailed details in words, each next to its field when it has one."""
    known = dict(FIELDS)
    for path, codes in details.items():
        name = path.split(".")[-1]
        if name in known:
            form.errors.setdefault(name, []).extend(in_words(code, ERROR_WORDS) for code in codes)
        else:
            form.general_errors.extend(of_no_field(path, in_words(code, ERROR_WORDS)) for code in codes)
    return form
