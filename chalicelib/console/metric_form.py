"""The console's "New billable metric" form: what a browser posts, turned into the same `billable_metric` object
`POST /api/v1/billable_metrics` receives (the domain validates it), and the domain's field errors in words."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.console.form_errors import in_words, of_no_field
from chalicelib.console.http import bounded_number
from chalicelib.domain.billable_metrics import MAX_FILTER_KEYS
from chalicelib.rendering.console_metrics import RECURRING_TYPES

TEXT_FIELDS = ("name", "code", "description", "aggregation_type", "field_name")
FILTER_ROWS = 3  # the empty filter rows a new form shows; "Add filter" adds one
ERROR_WORDS = {
    "value_already_exist": "Another billable metric already has this value.",
    "not_compatible_with_aggregation_type": f"Only these aggregations can be recurring: {RECURRING_TYPES}.",
}


@dataclass(frozen=True)
class FilterRow:
    key: str = ""
    values: str = ""  # comma-separated, as typed


@dataclass
class MetricForm:
    """What the form shows: the values typed, the filter rows, and the errors in words by field id (`name`,
    `filter_key_0`, ...) and of no field."""

    values: dict[str, str]
    recurring: bool = False
    filters: list[FilterRow] = field(default_factory=lambda: [FilterRow()] * FILTER_ROWS)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general_errors: list[str] = field(default_factory=list)


def empty_form() -> MetricForm:
    return MetricForm({name: "" for name in TEXT_FIELDS} | {"aggregation_type": "count_agg"})


def posted(fields: dict[str, str], more_rows: int = 0) -> MetricForm:
    """The form as posted (`filter_rows` says how many filter rows it had), with `more_rows` empty rows added."""
    rows = bounded_number(fields.get("filter_rows", ""), FILTER_ROWS, MAX_FILTER_KEYS)
    filters = [FilterRow(fields.get(f"filter_key_{index}", "").strip(), fields.get(f"filter_values_{index}", ""))
               for index in range(rows)]
    filters += [FilterRow()] * min(more_rows, MAX_FILTER_KEYS - rows)
    return MetricForm({name: fields.get(name, "").strip() for name in TEXT_FIELDS},
                      recurring=fields.get("recurring") == "true", filters=filters)


def _filled_rows(form: MetricForm) -> list[int]:
    """The indexes of the filter rows sent (a row with a key or values); the others are left out."""
    return [index for index, row in enumerate(form.filters) if row.key or row.values.strip()]


def creation_payload(form: MetricForm) -> dict[str, Any]:
    """The `billable_metric` object of `POST /api/v1/billable_metrics`: the fields filled in, `recurring`, and the
    filters with their values split on commas."""
    payload: dict[str, Any] = {name: text for name, text in form.values.items() if text}
    payload["recurring"] = form.recurring
    payload["filters"] = [{"key": form.filters[index].key,
                           "values": [value.strip() for value in form.filters[index].values.split(",")
                                      if value.strip()]}
                          for index in _filled_rows(form)]
    return payload


def _field_id(form: MetricForm, path: str) -> str | None:
    """The form field of an error's path: `filters.1.values.0` is the values of the second filter row sent."""
    parts = path.split(".")
    if parts[0] in form.values or parts[0] == "recurring":
        return parts[0]
    if parts[0] == "filters" and len(parts) > 2 and parts[1].isdigit() and int(parts[1]) < len(_filled_rows(form)):
        index = _filled_rows(form)[int(parts[1])]
        return f"filter_key_{index}" if parts[2] == "key" else f"filter_values_{index}"
    return None


def with_errors(form: MetricForm, details: dict[str, list[str]]) -> MetricForm:
    """`form` with the domain's ValidationFailed details in words, each next to its field when it has one."""
    for path, codes in details.items():
        field_id = _field_id(form, path)
        if field_id is not None:
            form.errors.setdefault(field_id, []).extend(in_words(code, ERROR_WORDS) for code in codes)
        else:
            form.general_errors.extend(of_no_field(path, in_words(code, ERROR_WORDS)) for code in codes)
    return form
