"""The plan form of the console: its fields and each charge model's, the payload `PlanUseCases.create` takes (the
one `POST /api/v1/plans` receives) from what a browser posts, charges added and removed, and the domain's field
errors in words next to their inputs."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, get_args

from chalicelib.console.form_errors import in_words, of_no_field
from chalicelib.domain.charges import MAX_CHARGES
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.money import precise_amount_cents
from chalicelib.domain.plans import Interval

INTERVALS = get_args(Interval)
FIELDS = (("name", "Name"), ("code", "Code"), ("interval", "Interval"), ("amount_currency", "Currency"),
          ("base_fee", "Base fee"), ("pay_in_advance", "Pay in advance"), ("trial_period", "Trial days"))
CHARGE_MODELS = (("standard", "Standard"), ("graduated", "Graduated"), ("package", "Package"),
                 ("percentage", "Percentage"), ("volume", "Volume"))
# The properties of each model with one value, by Lago's names; graduated and volume hold ranges instead.
MODEL_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "standard": (("amount", "Amount"),),
    "package": (("amount", "Amount"), ("package_size", "Package size"), ("free_units", "Free units")),
    "percentage": (("rate", "Rate"), ("fixed_amount", "Fixed amount"),
                   ("free_units_per_events", "Free units per events"),
                   ("free_units_per_total_aggregation", "Free units per total aggregation")),
}
RANGE_MODELS = {"graduated": "graduated_ranges", "volume": "volume_ranges"}
RANGE_FIELDS = (("from_value", "From"), ("to_value", "To"), ("per_unit_amount", "Per unit"),
                ("flat_amount", "Flat fee"))
RANGE_ROWS = 3
# Properties the domain takes as JSON numbers (counts and range bounds); the others are decimal strings, as in Lago.
NUMBER_PROPERTIES = frozenset({"package_size", "free_units", "free_units_per_events", "from_value", "to_value"})
ERROR_WORDS = {
    "value_already_exist": "Another plan already has this code.",
    "invalid_amount": "Write an amount of 0 or more, such as 0.50.",
    "invalid_fixed_amount": "Write an amount of 0 or more, such as 0.50.",
    "invalid_rate": "Write a rate of 0 or more, such as 1.5.",
    "invalid_package_size": "Write a whole number above 0.",
    "invalid_free_units": "Write a whole number, 0 or more.",
    "invalid_free_units_per_events": "Write a whole number above 0.",
    "invalid_free_units_per_total_aggregation": "Write a number of 0 or more.",
    "missing_graduated_ranges": "Fill in at least one range.",
    "missing_volume_ranges": "Fill in at least one range.",
    "invalid_graduated_ranges": ("The first range starts at 0, each next one where the previous ends (or one unit "
                                 "after), and only the last has no end."),
    "invalid_volume_ranges": ("The first range starts at 0, each next one where the previous ends (or one unit "
                              "after), and only the last has no end."),
    "invalid_aggregation_type_or_charge_model": "This charge model or option does not fit this metric.",
    "not_compatible_with_pay_in_advance": "This does not work with a charge paid in advance.",
    "too_many_billable_metrics": "A plan can use at most 45 billable metrics.",
    "billable_metrics_not_found": "This billable metric no longer exists: choose another.",
}
# A charge's input: its index in ASCII digits, at most 3 of them (a plan holds at most 100 charges).
_CHARGE_KEY = re.compile(r"^charges-([0-9]{1,3})-(.+)$")


def words(code: str) -> str:
    return in_words(code, ERROR_WORDS)


def charge_field_names() -> list[str]:
    """The keys of a charge's inputs (`standard-amount`, `graduated-0-from_value`, ...), its id being
    `charges-<index>-<key>`."""
    names = ["billable_metric_id", "charge_model"]
    names += [f"{model}-{name}" for model, fields in MODEL_FIELDS.items() for name, _ in fields]
    names += [f"{model}-{row}-{name}" for model in RANGE_MODELS for row in range(RANGE_ROWS)
              for name, _ in RANGE_FIELDS]
    return names


@dataclass
class ChargeForm:
    """One charge's inputs as typed, its errors by input key, and its errors of no input."""

    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    general_errors: list[str] = field(default_factory=list)


@dataclass
class PlanForm:
    values: dict[str, str]
    charges: list[ChargeForm]
    errors: dict[str, list[str]] = field(default_factory=dict)
    general_errors: list[str] = field(default_factory=list)


def blank_charge() -> ChargeForm:
    values = {name: "" for name in charge_field_names()}
    values["charge_model"] = "standard"
    return ChargeForm(values)


def blank() -> PlanForm:
    values = {name: "" for name, _ in FIELDS}
    values["interval"] = "monthly"
    return PlanForm(values, [])


def posted(fields: dict[str, str]) -> PlanForm:
    """The form as a browser posted it: its charges in the order of their indices."""
    values = {name: fields.get(name, "").strip() for name, _ in FIELDS}
    indices = sorted({int(match.group(1)) for name in fields if (match := _CHARGE_KEY.match(name))})
    charges = [ChargeForm({name: fields.get(f"charges-{index}-{name}", "").strip() for name in charge_field_names()})
               for index in indices]
    return PlanForm(values, charges)


def with_charge_added(form: PlanForm) -> PlanForm:
    """One blank charge more, up to the domain's most charges a plan holds."""
    if len(form.charges) < MAX_CHARGES:
        form.charges.append(blank_charge())
    return form


def without_charge(form: PlanForm, index: int) -> PlanForm:
    if 0 <= index < len(form.charges):
        del form.charges[index]
    return form


def _number(text: str) -> Any:
    """A number the domain takes as JSON (a Decimal, as the API's body parser gives), or the text it refuses."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return number if number.is_finite() else text


def amount_cents(base_fee: str, currency: str) -> Any:
    """"10.00" EUR is 1000 cents, at the currency's precision; a fraction of a minor unit, a currency the domain
    does not know or a text is passed as typed, for the domain to refuse."""
    number = _number(base_fee)
    if not isinstance(number, Decimal):
        return base_fee
    try:
        cents = precise_amount_cents(number, currency.upper())
    except ValidationFailed:
        return base_fee
    return int(cents) if cents == cents.to_integral_value() else base_fee


def _property(name: str, text: str) -> Any:
    return _number(text) if name in NUMBER_PROPERTIES else text


def _ranges(charge: ChargeForm, model: str) -> list[dict[str, Any]]:
    """The range rows filled in (a blank row is ignored); a blank "To" is the open end, a blank "Flat fee" 0."""
    ranges = []
    for row in range(RANGE_ROWS):
        typed = {name: charge.values[f"{model}-{row}-{name}"] for name, _ in RANGE_FIELDS}
        if not any(typed.values()):
            continue
        ranges.append({"from_value": _property("from_value", typed["from_value"]),
                       "to_value": _property("to_value", typed["to_value"]) if typed["to_value"] else None,
                       "per_unit_amount": typed["per_unit_amount"],
                       "flat_amount": typed["flat_amount"] or "0"})
    return ranges


def charge_payload(charge: ChargeForm) -> dict[str, Any]:
    """A `charges` element: the chosen model and its properties (those of the other models are ignored)."""
    model = charge.values["charge_model"]
    payload: dict[str, Any] = {"charge_model": model}
    if charge.values["billable_metric_id"]:
        payload["billable_metric_id"] = charge.values["billable_metric_id"]
    if model in RANGE_MODELS:
        payload["properties"] = {RANGE_MODELS[model]: _ranges(charge, model)}
    elif model in MODEL_FIELDS:
        payload["properties"] = {name: _property(name, charge.values[f"{model}-{name}"])
                                 for name, _ in MODEL_FIELDS[model] if charge.values[f"{model}-{name}"]}
    return payload


def creation_payload(form: PlanForm) -> dict[str, Any]:
    """What `POST /api/v1/plans` receives as `plan`; an empty field is not sent (the domain says what is required)."""
    values = form.values
    payload: dict[str, Any] = {name: values[name] for name in ("name", "code", "interval", "amount_currency")
                               if values[name]}
    if values["base_fee"]:
        payload["amount_cents"] = amount_cents(values["base_fee"], values["amount_currency"])
    payload["pay_in_advance"] = values["pay_in_advance"] == "on"
    if values["trial_period"]:
        payload["trial_period"] = _number(values["trial_period"])
    payload["charges"] = [charge_payload(charge) for charge in form.charges]
    return payload


_PLAN_FIELD_OF = {"amount_cents": "base_fee", "trial_period": "trial_period"}


def _charge_error(charge: ChargeForm, path: list[str], codes: list[str]) -> None:
    """An error of a charge next to its input: the metric, the model, a property of the chosen model, or its
    ranges (Lago names a range's field without its row)."""
    model = charge.values["charge_model"]
    messages = [words(code) for code in codes]
    if path in (["billable_metric_id"], ["billable_metric_code"]):
        charge.errors.setdefault("billable_metric_id", []).extend(messages)
    elif path == ["charge_model"]:
        charge.errors.setdefault("charge_model", []).extend(messages)
    elif len(path) == 2 and path[0] == "properties" and model in RANGE_MODELS:
        label = dict(RANGE_FIELDS).get(path[1])
        charge.errors.setdefault(f"{model}-ranges", []).extend(
            f"{label}: {message}" if label else message for message in messages)
    elif len(path) == 2 and path[0] == "properties" and path[1] in dict(MODEL_FIELDS.get(model, ())):
        charge.errors.setdefault(f"{model}-{path[1]}", []).extend(messages)
    else:
        charge.general_errors.extend(of_no_field(" ".join(path), message) for message in messages)


def with_errors(form: PlanForm, details: dict[str, list[str]]) -> PlanForm:
    """`form` with the domain's ValidationFailed details (`code`, `charges.0.properties.amount`) in words, each next
    to its input when it has one."""
    known = dict(FIELDS)
    for path, codes in details.items():
        parts = path.split(".")
        name = _PLAN_FIELD_OF.get(path, path)
        if len(parts) > 2 and parts[0] == "charges" and parts[1].isdigit() and int(parts[1]) < len(form.charges):
            _charge_error(form.charges[int(parts[1])], parts[2:], codes)
        elif name in known:
            form.errors.setdefault(name, []).extend(map(words, codes))
        else:
            form.general_errors.extend(of_no_field(path, words(code)) for code in codes)
    return form
