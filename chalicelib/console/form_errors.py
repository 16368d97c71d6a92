"""How the console's forms show the domain's refusal codes: in words (a form's own sentence for the code, else the
one every form shares, else the code itself written as a sentence), and, for an error of no field of the form, with
the path it names in front."""
from __future__ import annotations

from collections.abc import Mapping

COMMON_WORDS = {
    "value_is_mandatory": "This field is required.",
    "value_is_invalid": "This value is not valid.",
    "value_is_too_long": "This value is too long.",
}


def in_words(code: str, words: Mapping[str, str]) -> str:
    return words.get(code) or COMMON_WORDS.get(code) or code.replace("_", " ").capitalize() + "."


def of_no_field(path: str, message: str) -> str:
    """An error shown above the form: `Billing time: This value is not valid.`"""
    return f"{path.replace('_', ' ').capitalize()}: {message}"
