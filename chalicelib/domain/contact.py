"""The postal and legal identity fields that customers and organizations share, as clients send them."""
from __future__ import annotations

from chalicelib.domain.validation import CountryCode, Email, RequestObject, Text


class PostalAddress(RequestObject):
    address_line1: Text | None = None
    address_line2: Text | None = None
    city: Text | None = None
    state: Text | None = None
    zipcode: Text | None = None
    country: CountryCode | None = None


class LegalIdentity(PostalAddress):
    email: Email | None = None
    legal_name: Text | None = None
    legal_number: Text | None = None
    tax_identification_number: Text | None = None
