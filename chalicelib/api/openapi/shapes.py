"""Types shared by the models of the description, as the service writes and reads them in JSON, the two envelopes
Lago puts objects in: `{"<root>": object}` and `{"<plural>": [object], "meta": PaginationMeta}`, and the description of
a request's root object read from the domain model that parses it."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from chalicelib.domain import validation

# A rate or a count of days written from a Decimal as a JSON number (never through a float).
JsonNumber = Annotated[Decimal, WithJsonSchema({"type": "number"})]
# A decimal written as Lago writes a BigDecimal: `"35.0"`, `"0.0001"`.
DecimalText = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$")]
# An instant in UTC with `Z`: `2026-01-31T23:59:59Z` (events to the millisecond).
Instant = datetime
# A JSON object whose keys the client chooses (charge properties, event properties).
FreeObject = dict[str, Any]

# The closed sets and the text the request models check, described by the domain's own types (validation.py) and
# shown in responses the same way; the service answers codes upper-case.
CurrencyCode = validation.CurrencyCode
CountryCode = validation.CountryCode
TimezoneName = validation.Timezone
RequiredText = validation.RequiredText
# What a request's code fields take beyond their enums.
COUNTRY_TEXT = "ISO 3166 alpha-2, any case."
CURRENCY_TEXT = "ISO 4217 with a minor unit, any case."
TIMEZONE_TEXT = "One of the IANA names Lago accepts."
# An instant a request sends: ISO 8601 from 1970 to 8999; without an offset it is UTC, a date alone its midnight.
InstantInput = validation.Instant


def sent_fields_only(schema: dict) -> None:
    """A field left out of a request keeps its value (or takes the service's default): no `default: null`."""
    for field in schema.get("properties", {}).values():
        if "default" in field and field["default"] is None:
            del field["default"]


def _at_least_one_field(schema: dict) -> None:
    schema["minProperties"] = 1


def _not_null(field: dict) -> dict:
    """A field's schema without its `null` choice (the `X | None` of a field that may be left out, not cleared)."""
    choices = [choice for choice in field.get("anyOf", ()) if choice != {"type": "null"}]
    if len(choices) != 1:
        return field
    return {**{key: value for key, value in field.items() if key != "anyOf"}, **choices[0]}


class Model(BaseModel):
    """A request or response shape; the class name is its name in `components/schemas`."""

    model_config = ConfigDict(defer_build=True)


# The config of a request's root object (`{"customer": {...}}`): the service refuses it empty (400).
ROOT_OBJECT = ConfigDict(defer_build=True, json_schema_extra=_at_least_one_field)


class PaginationMeta(Model):
    current_page: int
    next_page: int | None
    prev_page: int | None
    total_pages: int
    total_count: int


def request_object(name: str, model: type[BaseModel], doc: str, *, required: Sequence[str] = (),
                   never_null: Iterable[str] = (), descriptions: Mapping[str, str] | None = None) -> type[BaseModel]:
    """The root object of a request as the domain's `model` parses it (every field optional, so that an update sends
    only what changes), described under `name`: never empty (400), `required` fields sent, `never_null` ones (and the
    required) left out or given a value but never null; `descriptions` add what the field's type does not say."""

    def described(schema: dict) -> None:
        _at_least_one_field(schema)
        fields = schema["properties"]
        for field in (*required, *never_null):
            fields[field] = _not_null(fields[field])
        if required:
            schema["required"] = list(required)
        for field, text in (descriptions or {}).items():
            fields[field] = {**fields[field], "description": text}

    return create_model(name, __base__=model, __doc__=doc, __cls_kwargs__={"json_schema_extra": described})


def envelope(name: str, root_key: str, model: type[BaseModel], doc: str) -> type[Model]:
    """`{root_key: model}` named `name`, Lago's envelope of one object."""
    return create_model(name, __base__=Model, __doc__=doc, **{root_key: (model, ...)})


def paginated(name: str, plural: str, model: type[Model]) -> type[Model]:
    """`{plural: [model], "meta": PaginationMeta}` named `name`, Lago's page of a list."""
    return create_model(name, __base__=Model, __doc__=f"A page of {plural}, newest first.",
                        **{plural: (list[model], ...), "meta": (PaginationMeta, ...)})
