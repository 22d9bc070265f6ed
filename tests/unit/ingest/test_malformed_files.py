"""Files that break the rules: each has one exact outcome, never an unhandled exception."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from shipments.ingest import RowError, UnknownFormat, UnreadableFile, parse
from shipments.ingest.text import MAX_LINE_CHARS

from .conftest import BERLINGER, read_bytes

KNOWN = "Known formats: native_csv, berlinger, logtag, hobo, epcis."


def test_empty_file_is_unreadable(corpus):
    with pytest.raises(UnreadableFile, match="^the file is empty$"):
        corpus("empty.csv")


def test_blank_only_file_is_unreadable(corpus):
    with pytest.raises(UnreadableFile, match=r"^the file is empty \(only blank space\)$"):
        corpus("blank_only.txt")


def test_png_is_unreadable_and_says_what_it_is(corpus):
    with pytest.raises(UnreadableFile, match="^the file is a PNG image, not a logger's text export$"):
        corpus("image.png")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "an Excel .xlsx workbook"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "a PDF document"),
        (b"recorded_at,temperature_c\n2026\x00-03-02", r"binary \(it contains NUL bytes\)"),
        (bytes(range(1, 32)) * 40, "does not look like text"),
        (bytes(range(0x80, 0x100)) * 50, "mostly undecodable"),
    ],
)
def test_binary_content_is_unreadable(data, message):
    with pytest.raises(UnreadableFile, match=message):
        read_bytes(data)


def test_unknown_text_names_the_known_formats(corpus):
    with pytest.raises(UnknownFormat) as raised:
        corpus("unknown_notes.txt")
    assert str(raised.value) == (
        f"the file's format was not recognised (it begins 'Shipment notes'). {KNOWN}"
    )


def test_json_that_is_not_epcis(corpus):
    with pytest.raises(UnknownFormat, match=f"^the file is JSON but not a GS1 EPCIS document .*{KNOWN}$"):
        corpus("json_not_epcis.json")


def test_unknown_format_name_is_refused_naming_the_known_ones():
    with pytest.raises(UnknownFormat, match=f"^'xlsx' is not a format this service reads. {KNOWN}$"):
        read_bytes(b"recorded_at,temperature_c\n", format="xlsx")


def test_forcing_the_wrong_format_says_what_the_file_looks_like():
    data = (BERLINGER / "QTag-CLm-doc-LR_RCPJ00010_02_202211090128.txt").read_bytes()
    with pytest.raises(UnknownFormat, match="it looks like berlinger"):
        read_bytes(data, format="hobo")
    with pytest.raises(UnknownFormat, match="it looks like berlinger"):
        read_bytes(data, format="native_csv")


def test_bad_default_zone_is_a_value_error():
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        read_bytes(b"recorded_at,temperature_c\n", default_tz="Mars/Olympus")


def test_mixed_format_file_reads_what_fits_and_reports_the_rest(corpus):
    parsed = corpus("mixed_native_then_berlinger.csv")
    assert parsed.result.format == "native_csv"
    assert [r.line for r in parsed.readings] == [2, 5]
    assert parsed.errors == [
        RowError(3, "expected 2 fields separated by commas as in the header, found 1: '2022-11-08 04:49\\t4.4'"),
        RowError(4, "expected 2 fields separated by commas as in the header, found 3: "
                    "'1,07/29/16 10:26:34 AM,72.86'"),
    ]


def test_berlinger_with_zone_offset_bad_rows_and_a_cut_end(corpus):
    parsed = corpus("berlinger_zone_offset.txt", default_tz="Europe/Zurich")
    result = parsed.result
    assert result.timezone == "+02:00"
    assert result.metadata["timezone_reason"] == (
        "the file's 'Zone: 2.00' (hours from UTC) gives the fixed offset +02:00")
    # a fixed offset: the night the clocks change in Zurich is nothing special here
    assert [(r.recorded_at, r.temperature_c) for r in parsed.readings] == [
        (datetime(2026, 3, 28, 23, 50, tzinfo=UTC), 5.0),
        (datetime(2026, 3, 29, 0, 0, tzinfo=UTC), 5.0),
        (datetime(2026, 3, 29, 0, 10, tzinfo=UTC), 9.5),
    ]
    assert [(e.line, e.message) for e in parsed.errors] == [
        (18, "time '2026-13-29 02:20' is not a valid date and time"),
        (19, "temperature 'abc' is not a number"),
        (20, "not a Berlinger data row (expected TAB yyyy-MM-dd hh:mm TAB temperature): "
             "'garbage in the data section'"),
        (21, "not a Berlinger data row (expected TAB yyyy-MM-dd hh:mm TAB temperature): '2026-03-29 02:4'"),
    ]
    assert result.metadata["signature_present"] is False
    assert "the file ends before its 'Sig:' line: it may have been cut short" in result.metadata["notes"]
    assert result.metadata["out_of_limits_rows"] == 1


def test_berlinger_fahrenheit_unit_and_negative_fractional_zone(corpus):
    parsed = corpus("berlinger_fahrenheit_negative_zone.txt")
    assert parsed.result.timezone == "-05:30"
    assert [(r.recorded_at, r.temperature_c) for r in parsed.readings] == [
        (datetime(2026, 1, 1, 6, 30, tzinfo=UTC), 2.0),
        (datetime(2026, 1, 1, 7, 30, tzinfo=UTC), 5.0),
    ]
    metadata = parsed.result.metadata
    assert metadata["unit"] == "°F"
    assert [a["threshold_c"] for a in metadata["alarm_config"]] == [-1.11, 8.0]
    assert metadata["hist"]["days"][0]["max_c"] == 5.0
    assert metadata["signature_present"] is True


def test_truncated_real_berlinger_file_keeps_its_rows():
    data = (BERLINGER / "QTag-CLm-doc-LR_RCPJ00010_02_202211090128.txt").read_bytes()
    cut = data[: data.index(b"\t2022-11-08 06:29") + 10]
    parsed = read_bytes(cut)
    assert [r.line for r in parsed.readings] == list(range(72, 82))
    assert parsed.errors == [RowError(
        82, "not a Berlinger data row (expected TAB yyyy-MM-dd hh:mm TAB temperature): '2022-11-0'")]
    assert parsed.result.metadata["signature_present"] is False


def test_a_huge_line_is_reported_and_reading_goes_on():
    data = (b"recorded_at,temperature_c\n2026-03-02T14:05:00Z,4.0\n" + b"9" * 10_000_000
            + b"\n2026-03-02T14:06:00Z,4.5\n" + b"x" * 3_000_000)
    parsed = read_bytes(data)
    assert [r.line for r in parsed.readings] == [2, 4]
    assert [(e.line, e.message) for e in parsed.errors] == [
        (3, f"the line is 10000000 characters long (the limit is {MAX_LINE_CHARS}) and was skipped; "
            "a logger export has short lines, so this part of the file is not one"),
        (5, f"the line is 3000000 characters long (the limit is {MAX_LINE_CHARS}) and was skipped; "
            "a logger export has short lines, so this part of the file is not one"),
    ]


def test_a_file_that_is_one_huge_line_is_of_unknown_format():
    with pytest.raises(UnknownFormat, match="not recognised"):
        read_bytes(b"a" * 5_000_000)


def test_a_huge_line_in_a_forced_format_header_is_refused():
    with pytest.raises(UnknownFormat, match="no header row"):
        read_bytes(b"x" * 200_000 + b"\n", format="hobo")


def test_invalid_utf8_after_the_head_spoils_one_row_only():
    rows = b"2026-03-02T14:05:00Z,4.0\n" * 5000
    data = b"recorded_at,temperature_c\n" + rows + b"2026-03-02T14:05:00Z,4\xff.0\n"
    parsed = read_bytes(data)
    assert len(parsed.readings) == 5000
    assert parsed.errors == [RowError(5002, "temperature_c '4\ufffd.0' is not a number")]


def test_a_failure_of_ours_becomes_a_final_row_error(monkeypatch):
    from shipments.ingest import native_csv

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(native_csv, "ParsedReading", broken)  # every row, fast path or careful
    result, items = parse(io.BytesIO(b"recorded_at,temperature_c\n2026-03-02T14:05:00Z,4.0\n"))
    assert list(items) == [RowError(1, "the file could not be read past this point (RuntimeError); "
                                       "the rows before it were read")]
    assert result.metadata["aborted"] == "RuntimeError: boom"
