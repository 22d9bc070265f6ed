"""Zones, local times across daylight-saving changes, and the date and time forms loggers write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shipments.ingest.base import ParseResult, RowProblem
from shipments.ingest.localtime import (
    DAY_FIRST,
    MONTH_FIRST,
    LocalClock,
    parse_date,
    parse_date_time,
    parse_offset,
    parse_time_of_day,
    resolve_zone,
)


def clock(name: str) -> tuple[LocalClock, ParseResult]:
    zone, zone_name = resolve_zone(name)
    result = ParseResult(format="native_csv", timezone=zone_name)
    return LocalClock(zone, zone_name, result), result


@pytest.mark.parametrize(
    ("name", "canonical", "offset"),
    [
        ("UTC", "UTC", timedelta(0)),
        ("Z", "UTC", timedelta(0)),
        ("+02:00", "+02:00", timedelta(hours=2)),
        ("-0530", "-05:30", -timedelta(hours=5, minutes=30)),
        ("GMT-05:00", "-05:00", -timedelta(hours=5)),
        ("+00:00", "UTC", timedelta(0)),
        ("Europe/Zurich", "Europe/Zurich", timedelta(hours=1)),
    ],
)
def test_resolve_zone(name, canonical, offset):
    zone, resolved = resolve_zone(name)
    assert resolved == canonical
    assert datetime(2026, 1, 15, tzinfo=zone).utcoffset() == offset


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "+25:00", "CEST+1"])
def test_resolve_zone_refuses_what_is_not_a_zone(name):
    with pytest.raises(ValueError, match="unknown time zone"):
        resolve_zone(name)


@pytest.mark.parametrize(("text", "minutes"), [("+01:00", 60), ("-5", -300), ("UTC+10:00", 600), ("+0545", 345)])
def test_parse_offset(text, minutes):
    assert parse_offset(text) == minutes


def test_parse_offset_refuses_nonsense():
    assert parse_offset("+01:75") is None
    assert parse_offset("Europe/Berlin") is None


def test_autumn_fold_reads_the_first_occurrence_and_counts_it():
    local, result = clock("Europe/Berlin")
    assert local.to_utc(datetime(2026, 10, 25, 2, 30)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert local.to_utc(datetime(2026, 10, 25, 3, 0)) == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert result.metadata["local_times"] == {"zone": "Europe/Berlin", "ambiguous": 1, "nonexistent": 0}
    assert result.metadata["dst_notes"] == [
        "1 local time fell in the autumn fold of Europe/Berlin and was read as the first "
        "(summer-time) occurrence"
    ]


def test_spring_gap_shifts_forward_by_the_gap_and_counts_it():
    local, result = clock("America/New_York")
    # 2026-03-08 02:30 does not exist in New York; 03:30 EDT is 07:30 UTC
    assert local.to_utc(datetime(2026, 3, 8, 2, 30)) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert result.metadata["local_times"]["nonexistent"] == 1
    assert result.metadata["dst_notes"] == [
        "1 local time fell in the spring gap of America/New_York (clocks went forward; such times "
        "do not exist) and was shifted forward by the gap"
    ]


def test_southern_hemisphere_fold_and_gap():
    local, result = clock("Australia/Sydney")
    # DST ends 2026-04-05 03:00 AEDT -> 02:00 AEST; starts 2026-10-04 02:00 AEST -> 03:00 AEDT
    assert local.to_utc(datetime(2026, 4, 5, 2, 30)) == datetime(2026, 4, 4, 15, 30, tzinfo=UTC)
    assert local.to_utc(datetime(2026, 10, 4, 2, 30)) == datetime(2026, 10, 3, 16, 30, tzinfo=UTC)
    assert result.metadata["local_times"] == {"zone": "Australia/Sydney", "ambiguous": 1, "nonexistent": 1}


def test_fixed_offsets_and_aware_times_have_no_dst_questions():
    local, result = clock("+01:00")
    assert local.to_utc(datetime(2026, 3, 29, 2, 30)) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    aware = datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert local.to_utc(aware) == datetime(2026, 3, 29, 7, 30, tzinfo=UTC)
    assert "local_times" not in result.metadata


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2023-04-17", DAY_FIRST, (2023, 4, 17)),
        ("2023/4/7", DAY_FIRST, (2023, 4, 7)),
        ("17/04/2023", DAY_FIRST, (2023, 4, 17)),
        ("04/17/2023", MONTH_FIRST, (2023, 4, 17)),
        ("07/29/16", MONTH_FIRST, (2016, 7, 29)),
        ("17.04.2023", MONTH_FIRST, (2023, 4, 17)),
        ("17-Apr-2023", DAY_FIRST, (2023, 4, 17)),
        ("7 April 23", DAY_FIRST, (2023, 4, 7)),
    ],
)
def test_parse_date_forms(text, order, expected):
    assert parse_date(text, "date", order) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2023-02-30", "date '2023-02-30' is not a valid date"),
        ("17-Foo-2023", "date '17-Foo-2023' has an unknown month name"),
        ("tomorrow", "date 'tomorrow' is not a date"),
    ],
)
def test_parse_date_refusals(text, message):
    with pytest.raises(RowProblem, match=f"^{message}$"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:53", (14, 53, 0, 0)),
        ("14:53:07", (14, 53, 7, 0)),
        ("14:53:07.25", (14, 53, 7, 250000)),
        ("12:00:00 AM", (0, 0, 0, 0)),
        ("12:30:00 PM", (12, 30, 0, 0)),
        ("2:53 p.m.", (14, 53, 0, 0)),
        ("11:59:59 pm", (23, 59, 59, 0)),
    ],
)
def test_parse_time_of_day_forms(text, expected):
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize("text", ["24:00", "13:00 PM", "0:30 AM", "9.30", "12:60"])
def test_parse_time_of_day_refusals(text):
    with pytest.raises(RowProblem):
        parse_time_of_day(text)


def test_parse_date_time_in_one_field():
    assert parse_date_time("2023-04-17T14:53:00") == datetime(2023, 4, 17, 14, 53)
    assert parse_date_time("07/29/16 10:26:34 AM", slash_order=MONTH_FIRST) == datetime(2016, 7, 29, 10, 26, 34)
    with pytest.raises(RowProblem, match="^date and time '2023-04-17' is not a date and time$"):
        parse_date_time("2023-04-17")
