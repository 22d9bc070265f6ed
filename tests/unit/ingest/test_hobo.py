"""Onset HOBOware CSV exports, written to FORMATS.md's layout with its variations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shipments.ingest import ParsedReading, UnknownFormat

from .conftest import read_bytes


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_title_fahrenheit_gmt_offset_twelve_hour_clock_and_events(corpus):
    parsed = corpus("hobo_title_fahrenheit.csv", default_tz="Europe/Zurich")
    result = parsed.result
    assert (result.format, result.timezone) == ("hobo", "-05:00")
    assert "fixed offset -05:00" in result.metadata["timezone_reason"]
    assert result.metadata["title"] == "10679014 water pipe"
    assert result.metadata["serials"] == {"logger": "10679014", "sensor": "10679014", "label": "water pipe"}
    assert result.metadata["serial"] == "10679014"
    assert result.metadata["unit"] == "°F"
    assert result.metadata["encoding"] == "utf-8-sig"
    assert parsed.readings == [
        ParsedReading(3, utc(2016, 7, 29, 15, 26, 34), 22.7, "10679014"),
        ParsedReading(5, utc(2016, 7, 29, 16, 26, 34), 21.8, "10679014"),
        ParsedReading(6, utc(2016, 7, 29, 17, 26, 34), 21.4, "10679014"),  # 12:26:34 PM
        ParsedReading(7, utc(2016, 7, 30, 4, 56, 34), 20.0, "10679014"),  # 11:56:34 PM
        ParsedReading(8, utc(2016, 7, 30, 5, 26, 34), 19.5, "10679014"),  # 12:26:34 AM
    ]
    assert (result.rows, result.skipped, parsed.errors) == (9, 4, [])
    assert result.metadata["skipped_reasons"] == {
        "event row (Coupler Detached)": 1,
        "event row (Coupler Attached)": 1,
        "event row (Host Connected)": 1,
        "event row (Stopped, End Of File)": 1,
    }


def test_cp1252_degree_sign_spreadsheet_dates_and_humidity(corpus):
    parsed = corpus("hobo_cp1252_celsius_rh.csv", default_tz="Europe/Berlin")
    result = parsed.result
    assert result.metadata["encoding"] == "cp1252"
    assert result.metadata["unit"] == "°C"
    assert result.metadata["title"] is None
    assert result.timezone == "+01:00"
    # The logger does not follow DST: 02:30 on the spring-forward night exists at +01:00.
    assert [(r.recorded_at, r.temperature_c, r.humidity_pct) for r in parsed.readings] == [
        (utc(2026, 3, 28, 23, 30), 4.5, 55.2),
        (utc(2026, 3, 29, 0, 30), 4.6, 55.0),
        (utc(2026, 3, 29, 1, 30), 4.7, 54.9),
        (utc(2026, 3, 29, 2, 30), 4.8, 54.7),
    ]
    assert "local_times" not in result.metadata
    assert result.metadata["skipped_reasons"] == {"event row (Host Connected)": 1, "event row (End Of File)": 1}


def test_quoted_title_semicolons_and_decimal_commas(corpus):
    parsed = corpus("hobo_semicolon_decimal_comma.csv")
    assert parsed.result.metadata["title"] == "Kühlraum 3"
    assert parsed.result.metadata["serials"]["label"] == "Kühlraum 3"
    assert [(r.line, r.recorded_at, r.temperature_c) for r in parsed.readings] == [
        (3, utc(2023, 10, 3, 6, 0), 5.25),
        (4, utc(2023, 10, 3, 6, 15), 5.5),
        (5, utc(2023, 10, 3, 6, 30), -0.75),
    ]
    assert parsed.result.skipped == 1


def test_tabs_and_a_question_mark_for_the_lost_degree_sign(corpus):
    parsed = corpus("hobo_tab_question_mark.csv")
    assert parsed.result.metadata["unit"] == "°F"
    assert parsed.result.timezone == "-08:00"
    assert [(r.recorded_at, r.temperature_c) for r in parsed.readings] == [
        (utc(2024, 1, 15, 22, 0), 2.0),
        (utc(2024, 1, 15, 22, 10), 2.5),
    ]


def test_utf16_big_endian_and_zero_offset(corpus):
    parsed = corpus("hobo_utf16be.csv")
    assert parsed.result.metadata["encoding"] == "utf-16"
    assert parsed.result.timezone == "UTC"
    assert [(r.recorded_at, r.temperature_c) for r in parsed.readings] == [
        (utc(2025, 12, 31, 23, 59, 59), -20.5),
        (utc(2026, 1, 1, 0, 0, 59), -20.25),
    ]


def test_truncated_file_keeps_the_rows_before_the_cut(corpus):
    parsed = corpus("hobo_truncated.csv")
    assert [r.line for r in parsed.readings] == [3, 5]
    assert [(e.line, e.message) for e in parsed.errors] == [
        (6, "date and time '07/29/16 12:2': time '12:2' is not a time of day"),
    ]


def test_header_without_gmt_offset_reads_in_the_given_zone():
    data = '"#","Date Time","Temp, °C (LGR S/N: 1)"\n1,10/25/26 02:30:00 AM,4.0\n'.encode()
    parsed = read_bytes(data, default_tz="Europe/Berlin")
    assert parsed.result.timezone == "Europe/Berlin"
    assert parsed.readings[0].recorded_at == utc(2026, 10, 25, 0, 30)
    assert parsed.result.metadata["local_times"]["ambiguous"] == 1


def test_temperature_header_without_unit_is_refused_not_guessed():
    data = b'"#","Date Time, GMT-05:00","Temp (LGR S/N: 1)"\n1,07/29/16 10:26:34 AM,72.86\n'
    with pytest.raises(UnknownFormat, match="names no unit"):
        read_bytes(data)


def test_row_errors_for_bad_values():
    data = (
        '"#","Date Time, GMT+00:00","Temp, °C (LGR S/N: 1)","RH, %"\n'
        "1,13/29/16 10:00:00 AM,4.0,50\n"
        "2,07/29/16 10:00:00 AM,warm,50\n"
        "3,07/29/16 10:00:00 AM,4.0,120\n"
        "4\n"
        "5,07/29/16 10:10:00 AM,4.0,50\n"
    ).encode()
    parsed = read_bytes(data)
    assert [(e.line, e.message) for e in parsed.errors] == [
        (2, "date and time '13/29/16 10:00:00 AM': date '13/29/16' has no month 13 when read "
            "month-first, the order used for this file's slash dates (see date_order)"),
        (3, "temperature 'warm' is not a number"),
        (4, "relative humidity '120' is outside [0, 100]"),
        (5, "no date and time in the row: '4'"),
    ]
    assert [(r.line, r.humidity_pct) for r in parsed.readings] == [(6, 50.0)]
