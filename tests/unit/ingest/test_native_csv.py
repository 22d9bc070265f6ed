"""The service's own CSV format (documented in shipments/ingest/native_csv.py)."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shipments.ingest import ParsedReading, RowError, UnknownFormat
from shipments.ingest.native_csv import HEADER, format_row

from .conftest import read_bytes


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_all_columns_offsets_and_fractions(corpus):
    parsed = corpus("native_basic.csv")
    assert parsed.result.format == "native_csv"
    assert parsed.result.timezone == "UTC"
    assert (parsed.result.rows, parsed.result.skipped, parsed.errors) == (4, 0, [])
    assert parsed.readings == [
        ParsedReading(2, utc(2026, 3, 2, 13, 5), -182.4, "LN2-0042", 47.56, 7.59, 3.0, 88.0, None),
        ParsedReading(3, utc(2026, 3, 2, 13, 6, 0, 250000), -182.1, "LN2-0042", battery_pct=87.5),
        ParsedReading(4, utc(2026, 3, 2, 13, 7), -181.9, None, 47.5601, 7.5902, humidity_pct=41.5),
        ParsedReading(6, utc(2026, 3, 2, 13, 8), 4.25, "LN2-0043"),
    ]


def test_semicolons_decimal_commas_bom_crlf_and_unicode_minus(corpus):
    parsed = corpus("native_semicolon_decimal_comma.csv")
    assert parsed.result.metadata["delimiter"] == "semicolons"
    assert parsed.result.metadata["encoding"] == "utf-8-sig"
    assert [(r.line, r.temperature_c, r.latitude, r.longitude) for r in parsed.readings] == [
        (2, -182.4, 47.56, 7.59),
        (3, -181.5, None, None),
        (4, -180.0, None, None),
    ]


def test_fahrenheit_column_tabs_and_ignored_columns(corpus):
    parsed = corpus("native_fahrenheit_tab.csv")
    assert parsed.result.metadata["unit"] == "°F"
    assert parsed.result.metadata["ignored_columns"] == ["note"]
    assert [(r.recorded_at, r.temperature_c) for r in parsed.readings] == [
        (utc(2026, 7, 1, 12, 0), 5.0),
        (utc(2026, 7, 1, 12, 5), 8.0),
        (utc(2026, 7, 1, 12, 10), -40.0),
    ]


def test_utf16_cp1252_and_cr_only_files(corpus):
    assert [r.temperature_c for r in corpus("native_utf16.csv").readings] == [-78.5, -78.25]
    cp1252 = corpus("native_cp1252_notes.csv")
    assert cp1252.result.metadata["encoding"] == "cp1252"
    assert {r.logger_serial for r in cp1252.readings} == {"Kühl-1"}
    assert [r.temperature_c for r in cp1252.readings] == [5.5, 5.6]
    cr_only = corpus("native_cr_only.csv")
    assert [(r.line, r.temperature_c) for r in cr_only.readings] == [(2, 2.5), (3, 2.75)]


def test_naive_times_read_in_the_given_zone_with_dst_fold_and_gap_counted(corpus):
    parsed = corpus("native_naive_dst.csv", default_tz="Europe/Berlin")
    assert parsed.result.timezone == "Europe/Berlin"
    assert [r.recorded_at for r in parsed.readings] == [
        utc(2026, 3, 29, 0, 30),  # 01:30 CET
        utc(2026, 3, 29, 1, 30),  # 02:30 does not exist: shifted forward to 03:30 CEST
        utc(2026, 3, 29, 1, 30),  # 03:30 CEST
        utc(2026, 10, 24, 23, 30),  # 01:30 CEST
        utc(2026, 10, 25, 0, 30),  # 02:30 happened twice: the first (CEST) is taken
        utc(2026, 10, 25, 0, 45),
        utc(2026, 10, 25, 2, 30),  # 03:30 CET
        utc(2026, 10, 25, 1, 15),  # carried its own offset
    ]
    metadata = parsed.result.metadata
    assert metadata["times_without_offset"] == 7
    assert metadata["local_times"] == {"zone": "Europe/Berlin", "ambiguous": 2, "nonexistent": 1}
    assert metadata["dst_notes"][0] == (
        "2 local times fell in the autumn fold of Europe/Berlin and were read as the first "
        "(summer-time) occurrence"
    )
    assert metadata["dst_notes"][1].startswith("1 local time fell in the spring gap of Europe/Berlin")


def test_naive_times_with_a_fixed_offset_zone(corpus):
    parsed = corpus("native_naive_dst.csv", default_tz="+05:30")
    assert parsed.result.timezone == "+05:30"
    assert parsed.readings[0].recorded_at == utc(2026, 3, 28, 20, 0)
    assert "local_times" not in parsed.result.metadata


def test_malformed_rows_become_row_errors_and_reading_goes_on(corpus):
    parsed = corpus("native_malformed.csv")
    assert [(e.line, e.message) for e in parsed.errors] == [
        (2, "temperature_c 'abc' is not a number"),
        (3, "recorded_at 'yesterday' is not an ISO 8601 date and time (e.g. 2026-03-02T14:05:00+01:00)"),
        (4, "longitude is missing: give latitude and longitude together"),
        (5, "battery_pct '150' is outside [0, 100]"),
        (6, "expected 5 fields separated by commas as in the header, found 2: "
            "'2026-03-02T14:09:00+01:00,4.0'"),
        (7, "expected 5 fields separated by commas as in the header, found 6: "
            "'2026-03-02T14:10:00+01:00,1.234,5,,,'"),
        (8, "recorded_at '2026-02-30T14:11:00+01:00' is not a valid ISO 8601 date and time "
            "(e.g. 2026-03-02T14:05:00+01:00)"),
    ]
    assert [(r.line, r.temperature_c) for r in parsed.readings] == [(9, 4.0)]
    assert parsed.result.rows == 8


def test_impossible_values_are_yielded_for_the_checks_to_refuse(corpus):
    parsed = corpus("native_impossible.csv")
    assert parsed.errors == []
    temperatures = [r.temperature_c for r in parsed.readings]
    assert temperatures[0] == -300.0
    assert math.isnan(temperatures[1])
    assert temperatures[2] == math.inf
    assert (parsed.readings[3].latitude, parsed.readings[4].longitude) == (95.0, -190.0)
    assert parsed.readings[5].recorded_at == utc(2099, 1, 1)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("time,temperature_c", "has no recorded_at column"),
        ("recorded_at,value", "needs exactly one of temperature_c or temperature_f"),
        ("recorded_at,temperature_c,temperature_f", "needs exactly one of temperature_c or temperature_f"),
        ("recorded_at,temperature_c,logger,logger", "repeats the column(s) logger"),
    ],
)
def test_forced_native_format_with_an_unusable_header_is_refused(header, message):
    with pytest.raises(UnknownFormat) as raised:
        read_bytes(f"{header}\n2026-03-02T14:05:00Z,4.0\n".encode(), format="native_csv")
    assert message in str(raised.value)
    assert "Known formats: native_csv, berlinger, logtag, hobo, epcis." in str(raised.value)


def test_quoted_decimal_comma_with_comma_delimiter_and_case_insensitive_header():
    parsed = read_bytes(b'Recorded_At,TEMPERATURE_C\n"2026-03-02T14:05:00Z","-182,4"\n')
    assert [r.temperature_c for r in parsed.readings] == [-182.4]


def test_date_without_time_is_refused():
    parsed = read_bytes(b"recorded_at,temperature_c\n2026-03-02,4.0\n")
    assert parsed.items == [RowError(2, "recorded_at '2026-03-02' is not an ISO 8601 date and time "
                                        "(e.g. 2026-03-02T14:05:00+01:00)")]


def test_format_row_round_trips_through_the_parser():
    moments = [datetime(2026, 3, 2, 14, 5, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
               datetime(2026, 3, 2, 13, 6, tzinfo=UTC)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerow(format_row(moments[0], -182.4, "LN2-1", 47.56, 7.59, 3.0, 88.0, 40.0))
    writer.writerow(format_row(moments[1], 4.0 / 3))
    parsed = read_bytes(out.getvalue().encode())
    assert parsed.readings == [
        ParsedReading(2, utc(2026, 3, 2, 13, 5, 0, 123456), -182.4, "LN2-1", 47.56, 7.59, 3.0, 88.0, 40.0),
        ParsedReading(3, utc(2026, 3, 2, 13, 6), 4.0 / 3),
    ]
    with pytest.raises(ValueError, match="aware"):
        format_row(datetime(2026, 3, 2), 4.0)
