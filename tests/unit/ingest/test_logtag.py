"""LogTag Analyzer CSV exports (the less certain layout of FORMATS.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shipments.ingest import UnknownFormat

from .conftest import read_bytes


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_description_rows_header_iso_dates_and_an_empty_value(corpus):
    parsed = corpus("logtag_iso.csv", default_tz="Europe/Zurich")
    result = parsed.result
    assert (result.format, result.timezone) == ("logtag", "Europe/Zurich")
    assert result.metadata["description"] == {
        "Serial #": "1001234567",
        "Description": "Apheresis shipper 7",
        "Last reading": "2023-04-17 15:08:00",
        "Reading interval": "5 minutes",
        "Non alert range": "2.0  to  8.0 °C",
    }
    assert result.metadata["non_alert_range"] == {"low": 2.0, "high": 8.0, "unit": "°C",
                                                  "text": "2.0  to  8.0 °C"}
    assert result.metadata["date_order"] is None
    assert [(r.line, r.recorded_at, r.temperature_c, r.logger_serial) for r in parsed.readings] == [
        (7, utc(2023, 4, 17, 12, 53), 4.5, "1001234567"),
        (8, utc(2023, 4, 17, 12, 58), 4.7, "1001234567"),
        (10, utc(2023, 4, 17, 13, 8), 8.6, "1001234567"),
    ]
    assert (result.rows, result.skipped) == (4, 1)
    assert result.metadata["skipped_reasons"] == {"no temperature value": 1}


def test_slash_dates_day_first_when_a_day_is_over_twelve(corpus):
    parsed = corpus("logtag_dayfirst.csv")
    assert parsed.result.metadata["date_order"] == {
        "order": "day-first", "reason": "a date in the file's first rows is impossible month-first"}
    assert [(r.recorded_at, r.temperature_c) for r in parsed.readings] == [
        (utc(2023, 4, 12, 23, 59), -71.5),
        (utc(2023, 4, 13, 0, 0), -71.25),
        (utc(2023, 4, 13, 0, 1), -70.0),
    ]


def test_slash_dates_month_first_when_day_first_is_impossible(corpus):
    parsed = corpus("logtag_monthfirst.csv")
    assert parsed.result.metadata["date_order"]["order"] == "month-first"
    assert [r.recorded_at for r in parsed.readings] == [
        utc(2023, 4, 16, 23, 59),  # 11:59:00 PM
        utc(2023, 4, 17, 0, 0),  # 12:00:00 AM
        utc(2023, 4, 17, 12, 30),  # 12:30:00 PM
    ]


def test_ambiguous_slash_dates_read_day_first_and_dst_counted(corpus):
    parsed = corpus("logtag_ambiguous_dst.csv", default_tz="Europe/Berlin")
    # 25/10 settles the order; 02:30 and 02:45 on 25 Oct fell in the fold, 02:30 on 29 Mar in the gap
    assert [r.recorded_at for r in parsed.readings] == [
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 0, 45),
        utc(2026, 3, 29, 1, 30),
    ]
    assert parsed.result.metadata["local_times"] == {"zone": "Europe/Berlin", "ambiguous": 2, "nonexistent": 1}


def test_day_first_is_assumed_when_nothing_settles_it():
    data = b"Serial #,1\nDate,Time,Temperature\n03/04/2023,10:00,5.0\n"
    parsed = read_bytes(data)
    assert parsed.result.metadata["date_order"] == {
        "order": "day-first",
        "reason": "no date in the file's first rows settles the order; day-first assumed",
    }
    assert parsed.readings[0].recorded_at == utc(2023, 4, 3, 10, 0)


def test_a_later_date_impossible_in_the_chosen_order_is_a_row_error():
    data = b"Serial #,1\nDate,Time,Temperature\n13/04/2023,10:00,5.0\n04/14/2023,10:00,5.0\n"
    parsed = read_bytes(data)
    assert [(e.line, e.message) for e in parsed.errors] == [
        (4, "date '04/14/2023' has no month 14 when read day-first, the order used for this "
            "file's slash dates (see date_order)"),
    ]


def test_semicolons_decimal_commas_fahrenheit_in_cp1252(corpus):
    parsed = corpus("logtag_semicolon_fahrenheit.csv")
    assert parsed.result.metadata["encoding"] == "cp1252"
    assert parsed.result.metadata["unit"] == "°F"
    assert parsed.result.metadata["non_alert_range"]["low"] == 35.6
    assert [(r.recorded_at, r.temperature_c) for r in parsed.readings] == [
        (utc(2023, 4, 17, 14, 53), 5.0),
        (utc(2023, 4, 17, 14, 58), 10.0),
    ]
    assert [(e.line, e.message) for e in parsed.errors] == [(6, "temperature 'abc' is not a number")]


def test_rows_with_a_number_column_and_no_header(corpus):
    parsed = corpus("logtag_indexed_no_header.csv")
    assert [(r.line, r.recorded_at, r.temperature_c) for r in parsed.readings] == [
        (3, utc(2023, 4, 17, 14, 53), 4.5),
        (4, utc(2023, 4, 17, 15, 3), 4.6),
    ]
    assert parsed.result.metadata["notes"] == [
        "no header row was found: columns read as date, time, temperature",
        "the file names no temperature unit: values read as °C",
    ]


def test_combined_date_time_column_and_unit_suffix_on_values():
    data = "Serial #,9\nDate Time,Temperature\n17.04.2023 14:53:00,5.2 °C\n17-Apr-2023 2:58 PM,5.3°C\n".encode()
    parsed = read_bytes(data)
    assert [(r.recorded_at, r.temperature_c) for r in parsed.readings] == [
        (utc(2023, 4, 17, 14, 53), 5.2),
        (utc(2023, 4, 17, 14, 58), 5.3),
    ]


def test_time_zone_description_row_gives_a_fixed_offset():
    data = b"Serial #,9\nTime zone,UTC+10:00\nDate,Time,Temperature (C)\n2023-04-17,10:00:00,5.0\n"
    parsed = read_bytes(data, default_tz="Europe/Berlin")
    assert parsed.result.timezone == "+10:00"
    assert parsed.readings[0].recorded_at == utc(2023, 4, 17, 0, 0)


def test_forced_logtag_on_something_else_is_refused():
    with pytest.raises(UnknownFormat, match="not a LogTag CSV export"):
        read_bytes(b"hello\nworld\n", format="logtag")


def test_a_description_row_naming_date_and_time_is_not_the_header():
    data = (b"Serial #,9\nDate/time of first reading,17/04/2023 14:53:00\n"
            b"Date,Time,Temperature (C)\n17/04/2023,14:53:00,5.0\n")
    parsed = read_bytes(data)
    assert parsed.result.metadata["description"]["Date/time of first reading"] == "17/04/2023 14:53:00"
    assert [(r.line, r.temperature_c) for r in parsed.readings] == [(4, 5.0)]


def test_description_values_keep_commas_split_by_the_delimiter():
    data = "Serial #,9,,\nDescription,Shipper 7, box 2\nNon alert range,2,0  to  8,0 °C\nDate,Time,Temperature\n".encode()
    parsed = read_bytes(data + b"2023-04-17,10:00,5.0\n")
    assert parsed.result.metadata["description"] == {
        "Serial #": "9", "Description": "Shipper 7,box 2", "Non alert range": "2,0  to  8,0 °C"}
    assert parsed.result.metadata["non_alert_range"]["high"] == 8.0
    assert parsed.result.metadata["unit"] == "°C"
