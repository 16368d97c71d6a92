"""The fields a client names a coded record by, billable metrics and plans alike: a name, the code the API and other
records refer to it by, and a description."""
from __future__ import annotations

from chalicelib.domain.validation import LongText, RequestObject, RequiredText


class CodedFields(RequestObject):
    name: RequiredText | None = None
    code: RequiredText | None = None
    description: LongText | None = None
