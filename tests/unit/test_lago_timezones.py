"""Lago's list of timezones: each one is a zone the period engine can compute in (the tz database has it)."""
from __future__ import annotations

import zoneinfo

from chalicelib.domain.lago_timezones import LAGO_TIMEZONES


def test_every_zone_lago_accepts_is_in_the_tz_database():
    assert len(LAGO_TIMEZONES) == 135
    assert LAGO_TIMEZONES <= zoneinfo.available_timezones() | {"UTC"}
    # Lago's renames are in, the old names out.
    assert {"Europe/Kyiv", "Asia/Yangon", "America/Nuuk"} <= LAGO_TIMEZONES
    assert not {"Europe/Kiev", "Asia/Rangoon", "America/Godthab"} & LAGO_TIMEZONES
