"""Types shared by the models of the description, as the service writes and reads them in JSON, and the two envelopes
Lago puts objects in: `{"<root>": object}` and `{"<plural>": [object], "meta": PaginationMeta}`."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model
from pydantic.json_schema import SkipJsonSchema

from chalicelib.domain.lago_timezones import LAGO_TIMEZONES
from chalicelib.domain.money import BILLABLE_CURRENCIES
from chalicelib.domain.validation import (
    COUNTRY_CODES,
    EMAIL_ADDRESS,
    LONG_TEXT_MAX_LENGTH,
    MAX_DAYS,
    TEXT_MAX_LENGTH,
    WHITESPACE,
)

# A rate or a count of days written from a Decimal as a JSON number (never through a float).
JsonNumber = Annotated[Decimal, WithJsonSchema({"type": "number"})]
# A rate from 0 to 100 (`vat_rate`).
Percentage = Annotated[Decimal, WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100})]
# A decimal written as Lago writes a BigDecimal: `"35.0"`, `"0.0001"`.
DecimalText = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$")]
# An instant in UTC with `Z`: `2026-01-31T23:59:59Z` (events to the millisecond).
Instant = datetime
# A JSON object whose keys the client chooses (charge properties, event properties).
FreeObject = dict[str, Any]

# The closed sets and bounds the request models check (chalicelib/domain/validation.py), so that a client, or a fuzzer,
# sends what the service accepts. Codes are listed upper-case; the service takes them in any case and answers them
# upper-case.
CurrencyCode = Literal[BILLABLE_CURRENCIES]
CountryCode = Literal[tuple(sorted(COUNTRY_CODES))]
TimezoneName = Literal[tuple(sorted(LAGO_TIMEZONES))]
Text = Annotated[str, Field(max_length=TEXT_MAX_LENGTH)]
LongText = Annotated[str, Field(max_length=LONG_TEXT_MAX_LENGTH)]
# Not blank: at least one character that is not whitespace.
RequiredText = Annotated[str, Field(min_length=1, max_length=TEXT_MAX_LENGTH, pattern=f"[^{WHITESPACE}]")]
# One address or a comma-separated list of them.
Email = Annotated[str, Field(max_length=TEXT_MAX_LENGTH,
                             pattern=f"^[{WHITESPACE}]*{EMAIL_ADDRESS}[{WHITESPACE}]*"
                                     f"(,[{WHITESPACE}]*{EMAIL_ADDRESS}[{WHITESPACE}]*)*$")]
# An absolute http(s) URL; the service takes any host and printable path, this pattern the plain ones.
Url = Annotated[str, Field(max_length=LONG_TEXT_MAX_LENGTH, pattern=r"^https?://[A-Za-z0-9.-]+(:[1-9][0-9]{0,3})?"
                                                                    r"([/?#][!-~]*)?$")]
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]
# An instant a request sends: ISO 8601 from 1970 to 8999 (the years the period engine takes, validation.py's `Instant`);
# without an offset it is UTC, a date alone its midnight.
InstantInput = Annotated[datetime, WithJsonSchema({"type": "string", "format": "date-time",
                                                   "pattern": r"^(19[7-9][0-9]|[2-8][0-9]{3})-"})]
# A field a request may leave out but never send as null (a required value that cannot be cleared).
Absent = SkipJsonSchema[None]


def _sent_fields_only(schema: dict) -> None:
    """A field left out of a request keeps its value (or takes the service's default): no `default: null`."""
    for field in schema.get("properties", {}).values():
        if "default" in field and field["default"] is None:
            del field["default"]


def _at_least_one_field(schema: dict) -> None:
    _sent_fields_only(schema)
    schema["minProperties"] = 1


class Model(BaseModel):
    """A request or response shape; the class name is its name in `components/schemas`."""

    model_config = ConfigDict(defer_build=True, json_schema_extra=_sent_fields_only)


# The config of a request's root object (`{"customer": {...}}`): the service refuses it empty (400).
ROOT_OBJECT = ConfigDict(defer_build=True, json_schema_extra=_at_least_one_field)


class PaginationMeta(Model):
    current_page: int
    next_page: int | None
    prev_page: int | None
    total_pages: int
    total_count: int


def envelope(name: str, root_key: str, model: type[Model], doc: str) -> type[Model]:
    """`{root_key: model}` named `name`, Lago's envelope of one object."""
    return create_model(name, __base__=Model, __doc__=doc, **{root_key: (model, ...)})


def paginated(name: str, plural: str, model: type[Model]) -> type[Model]:
    """`{plural: [model], "meta": PaginationMeta}` named `name`, Lago's page of a list."""
    return create_model(name, __base__=Model, __doc__=f"A page of {plural}, newest first.",
                        **{plural: (list[model], ...), "meta": (PaginationMeta, ...)})
