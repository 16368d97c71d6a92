"""The key scheme: user ids are encoded so that no id collides with another or escapes its key component,
and every key stays under DynamoDB's byte limits."""
from __future__ import annotations

import hashlib
import re

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.store.keys import customer_external_id_sk, customer_sk, encode_user_id, organization_pk

# DynamoDB: a sort key is at most 1,024 bytes of UTF-8.
SORT_KEY_LIMIT = 1024
READABLE_LIMIT = 512


def decode_readable(encoded: str) -> str:
    """The inverse of the readable form (a test oracle: one left-to-right pass over the escapes)."""
    return re.sub("%(23|25)", lambda match: {"23": "#", "25": "%"}[match.group(1)], encoded)


def is_hashed(encoded: str) -> bool:
    return re.fullmatch("%H[0-9a-f]{64}", encoded) is not None


# Ids as users send them (any unicode, up to 255 characters), plus ids made of the escape's own pieces,
# which are the ones most likely to collide.
any_ids = st.text(max_size=255)
tricky_ids = st.lists(st.sampled_from(["#", "%", "23", "25", "%23", "%25", "H", "%H", "a", "/", "\U0001F600"]),
                      max_size=120).map("".join).filter(lambda text: len(text) <= 255)
# Long ids of wide or escaped characters: the hashed form.
long_ids = st.text(alphabet="#%H\U0001F600\u00e9a", min_size=180, max_size=255)
user_ids = st.one_of(any_ids, tricky_ids, long_ids,
                     tricky_ids.map(encode_user_id).filter(lambda text: len(text) <= 255))


def test_readable_form_escapes_percent_then_hash():
    assert encode_user_id("plain-id_42") == "plain-id_42"
    assert encode_user_id("a#b") == "a%23b"
    assert encode_user_id("a%23b") == "a%2523b"
    assert encode_user_id("a%2523b") == "a%252523b"
    assert encode_user_id("a/b c\"'é") == "a/b c\"'é"


def test_long_ids_get_the_hashed_form():
    emoji = "\U0001F600" * 255  # 1,020 bytes of UTF-8
    assert encode_user_id(emoji) == "%H" + hashlib.sha256(emoji.encode()).hexdigest()
    assert encode_user_id("%" * 170) == "%25" * 170  # 510 bytes: still readable
    assert encode_user_id("%" * 171) == "%H" + hashlib.sha256(("%" * 171).encode()).hexdigest()
    assert encode_user_id("x" * 255) == "x" * 255


def test_an_id_that_looks_hashed_stays_apart_from_the_hash():
    emoji = "\U0001F600" * 255
    lookalike = encode_user_id(emoji)
    assert encode_user_id(lookalike) == "%25H" + lookalike[2:]
    assert encode_user_id(lookalike) != encode_user_id(emoji)


def test_keys_of_one_organization_share_its_partition():
    assert organization_pk("0b5e") == "ORG#0b5e"
    assert customer_sk("01234") == "CUSTOMER#01234"
    assert customer_external_id_sk("a#b") == "CUSTOMER_EXTERNAL_ID#a%23b"


@given(user_ids)
def test_encoding_never_contains_the_separator(user_id):
    assert "#" not in encode_user_id(user_id)


@given(user_ids)
def test_encoding_is_readable_and_reversible_or_hashed(user_id):
    encoded = encode_user_id(user_id)
    if is_hashed(encoded):
        assert len(user_id.replace("%", "%25").replace("#", "%23").encode()) > READABLE_LIMIT
    else:
        assert decode_readable(encoded) == user_id
        # A readable form's every `%` starts an escape, so it can never begin like a hashed one.
        assert re.fullmatch(r"(?:[^%]|%23|%25)*", encoded)


@given(user_ids)
def test_keys_stay_under_dynamodbs_limits(user_id):
    encoded = encode_user_id(user_id)
    assert len(encoded.encode()) <= READABLE_LIMIT
    assert len(customer_external_id_sk(user_id).encode()) <= SORT_KEY_LIMIT


@given(st.sets(user_ids, max_size=40))
def test_distinct_ids_have_distinct_encodings(ids):
    assert len({encode_user_id(user_id) for user_id in ids}) == len(ids)


@given(user_ids, user_ids)
def test_two_ids_share_an_encoding_only_if_equal(first, second):
    assert (encode_user_id(first) == encode_user_id(second)) == (first == second)
