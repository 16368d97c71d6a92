"""What the service answers about itself: liveness and this description."""
from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict

from chalicelib.api.openapi.shapes import Model


class Health(Model):
    status: Literal["ok"]


class OpenApiDocument(Model):
    """An OpenAPI 3.1 document: this one."""

    model_config = ConfigDict(extra="allow")
    openapi: Literal["3.1.0"]
    info: dict
    paths: dict
    components: dict
