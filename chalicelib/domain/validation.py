"""Field rules shared by the input models, and the translation of pydantic errors into Lago's error codes."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import iso3166
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.lago_timezones import LAGO_TIMEZONES
from chalicelib.domain.money import BILLABLE_CURRENCIES, currency_exponent

# Error codes this module raises itself (Lago's own codes); any other pydantic error type is mapped below.
LAGO_CODES = frozenset({"value_is_mandatory", "value_is_invalid", "value_is_too_long", "country_code_invalid",
                        "invalid_timezone", "invalid_email_format", "url_is_invalid",
                        "invalid_date", "invalid_format"})
Model = TypeVar("Model", bound=BaseModel)
# A JSON object as the body parser gives it (numbers as int or Decimal), as a charge's `properties` are stored, and
# as chalicelib/rendering writes a resource.
JsonObject = dict[str, Any]
# What a request sets on a stored model: the fields it sent by name, each of its field's type (`model_copy` update).
Changes = dict[str, Any]
_PYDANTIC_TO_LAGO = {"missing": "value_is_mandatory", "string_too_long": "value_is_too_long",
                     "too_long": "value_is_too_long"}
# The closed sets and bounds below are also the API's description (chalicelib/api/openapi/): each type a request
# field takes states its JSON schema, so that a client, or a fuzzer, sends what the service accepts. Codes are listed
# upper-case; the service takes them in any case.
COUNTRY_CODES = frozenset(iso3166.countries_by_alpha2)
TEXT_MAX_LENGTH = 255
LONG_TEXT_MAX_LENGTH = 1024
MAX_DAYS = 365
# Python's whitespace (`str.isspace`, what `strip` removes), spelled out so that a pattern built on it means the same
# characters to the ECMA-262 regex engines that read the API's description.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# One address; a field takes a comma-separated list of them.
EMAIL_ADDRESS = rf"[^@{WHITESPACE},]+@[^@{WHITESPACE},]+\.[^@{WHITESPACE},]+"


class RequestObject(BaseModel):
    """An object of a request body: the fields it does not declare are ignored, as Lago ignores them."""

    model_config = ConfigDict(extra="ignore")


def raise_validation_failed(error: ValidationError) -> NoReturn:
    """Re-raise pydantic's errors as one ValidationFailed keyed by dotted field path."""
    details: dict[str, list[str]] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "base"
        code = item["type"] if item["type"] in LAGO_CODES else _PYDANTIC_TO_LAGO.get(item["type"], "value_is_invalid")
        codes = details.setdefault(field, [])
        if code not in codes:
            codes.append(code)
    raise ValidationFailed(details) from error


def parse_model(model: type[Model], payload: object) -> Model:
    """`payload` validated as `model`, or ValidationFailed in Lago's codes."""
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise_validation_failed(error)


def _invalid(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message)


def _country(value: str) -> str:
    code = value.upper()
    if code not in COUNTRY_CODES:
        raise _invalid("country_code_invalid", "not an ISO 3166 alpha-2 country code")
    return code


def _currency(value: str) -> str:
    code = value.upper()
    try:
        currency_exponent(code)  # one rule for what can be billed in, shared with fee rounding
    except ValidationFailed:
        raise _invalid("value_is_invalid", "not an ISO 4217 currency with a minor unit") from None
    return code


def _timezone(value: str) -> str:
    if value not in LAGO_TIMEZONES:
        raise _invalid("invalid_timezone", "not one of Lago's timezones")
    return value


_EMAIL = re.compile(f"^{EMAIL_ADDRESS}$")


def _email(value: str) -> str:
    # Lago accepts a comma-separated list of addresses.
    if not all(_EMAIL.match(part.strip()) for part in value.split(",")):
        raise _invalid("invalid_email_format", "not an email address")
    return value


def _url(value: str) -> str:
    """An absolute http(s) URL with a host, a port in range if any, and no whitespace or control character."""
    parts = urlsplit(value)
    try:
        port_in_range = parts.port is None or parts.port > 0
    except ValueError:
        port_in_range = False
    if (parts.scheme not in ("http", "https") or not parts.hostname or not port_in_range
            or any(character.isspace() or not character.isprintable() for character in value)):
        raise _invalid("url_is_invalid", "not an http(s) URL")
    return value


def _strict_decimal(value: object) -> Decimal:
    # The body parser gives numbers as Decimal; a bool or a string is a type error, as in Lago's API.
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _invalid("value_is_invalid", "not a number")
    return Decimal(value)


def _whole_number(value: object) -> int:
    number = _strict_decimal(value)
    if number != number.to_integral_value():
        raise _invalid("value_is_invalid", "not a whole number")
    return int(number)


def _percentage(value: Decimal) -> Decimal:
    if not Decimal(0) <= value <= Decimal(100):
        raise _invalid("value_is_invalid", "must be between 0 and 100")
    return value


def _non_blank(value: str) -> str:
    if not value.strip():
        raise _invalid("value_is_mandatory", "must not be blank")
    return value


def one_of(codes: Iterable[str]) -> WithJsonSchema:
    """Described as the closed set of `codes` its validator checks."""
    return WithJsonSchema({"enum": sorted(codes), "type": "string"})


Text = Annotated[StrictStr, Field(max_length=TEXT_MAX_LENGTH)]
LongText = Annotated[StrictStr, Field(max_length=LONG_TEXT_MAX_LENGTH)]
# Not blank: at least one character that is not whitespace.
RequiredText = Annotated[StrictStr, Field(max_length=TEXT_MAX_LENGTH), AfterValidator(_non_blank),
                         WithJsonSchema({"type": "string", "minLength": 1, "maxLength": TEXT_MAX_LENGTH,
                                         "pattern": f"[^{WHITESPACE}]"})]
CountryCode = Annotated[StrictStr, AfterValidator(_country), one_of(COUNTRY_CODES)]
CurrencyCode = Annotated[StrictStr, AfterValidator(_currency), one_of(BILLABLE_CURRENCIES)]
Timezone = Annotated[StrictStr, AfterValidator(_timezone), one_of(LAGO_TIMEZONES)]
# One address or a comma-separated list of them.
Email = Annotated[StrictStr, Field(max_length=TEXT_MAX_LENGTH), AfterValidator(_email),
                  WithJsonSchema({"type": "string", "maxLength": TEXT_MAX_LENGTH,
                                  "pattern": f"^[{WHITESPACE}]*{EMAIL_ADDRESS}[{WHITESPACE}]*"
                                             f"(,[{WHITESPACE}]*{EMAIL_ADDRESS}[{WHITESPACE}]*)*$"})]
# An absolute http(s) URL; the service takes any host and printable path, the described pattern the plain ones.
Url = Annotated[StrictStr, Field(max_length=LONG_TEXT_MAX_LENGTH), AfterValidator(_url),
                WithJsonSchema({"type": "string", "maxLength": LONG_TEXT_MAX_LENGTH,
                                "pattern": r"^https?://[A-Za-z0-9.-]+(:[1-9][0-9]{0,3})?([/?#][!-~]*)?$"})]
# A whole number sent as a JSON number (1.0 too). A bounded one states its bounds before it, where pydantic describes
# them as JSON Schema's minimum and maximum.
WHOLE_NUMBER = BeforeValidator(_whole_number)
WholeNumber = Annotated[int, WHOLE_NUMBER]
Days = Annotated[int, Field(ge=0, le=MAX_DAYS), WHOLE_NUMBER]  # payment terms, grace periods
# A JSON number, never a string or bool.
StrictDecimal = Annotated[Decimal, BeforeValidator(_strict_decimal), WithJsonSchema({"type": "number"})]
Percentage = Annotated[StrictDecimal, AfterValidator(_percentage),
                       WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100})]

# Dates the period engine can take in every timezone without leaving the calendar (year 1 to 9999).
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _instant(value: object) -> datetime:
    """An ISO-8601 date-time (`Z`, an offset, or none for UTC; a date alone is its midnight UTC), to the second."""
    if not isinstance(value, str):
        raise PydanticCustomError("invalid_date", "not an ISO-8601 date-time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("invalid_date", "not an ISO-8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC).replace(microsecond=0)
    if not _EARLIEST <= moment < _LATEST:
        raise PydanticCustomError("invalid_date", "out of the supported range (1970 to 8999)")
    return moment


Instant = Annotated[datetime, BeforeValidator(_instant),
                    WithJsonSchema({"type": "string", "format": "date-time",
                                    "pattern": r"^(19[7-9][0-9]|[2-8][0-9]{3})-"})]


# The numbers an aggregation or a price takes in (an event's aggregated property, a charge's amounts, rates and range
# bounds): at most 15 digits before the decimal point and 15 after. A period's sum of such values stays exact in the
# aggregates' 38 digits up to 100 million events at the largest value, and a price of two of them stays exact to the
# cent (docs/pricing.md, "Limits").
BILLING_DIGITS = 15


def within_billing_range(number: Decimal) -> bool:
    """Whether `number` (finite) has at most BILLING_DIGITS digits before its decimal point and as many after
    (trailing zeros of the decimals not counted)."""
    if number.is_zero():
        return True
    _, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int):  # "n", "N" or "F": NaN or an infinity, in no range
        return False
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return number.adjusted() < BILLING_DIGITS and -exponent - trailing_zeros <= BILLING_DIGITS
