"""Types shared by the models of the description, as the service writes them in JSON, and the two envelopes Lago
puts objects in: `{"<root>": object}` and `{"<plural>": [object], "meta": PaginationMeta}`."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

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


class Model(BaseModel):
    """A request or response shape; the class name is its name in `components/schemas`."""

    model_config = ConfigDict(defer_build=True)


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
