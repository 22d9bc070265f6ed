"""Format detection from a file's first 64 KB, for every corpus file and the real exports."""

from __future__ import annotations

import pytest

from shipments.ingest import KNOWN_FORMATS, UnknownFormat, UnreadableFile, detect
from shipments.ingest.text import HEAD_BYTES

from .conftest import BERLINGER, CORPUS

EXPECTED = {
    "berlinger_fahrenheit_negative_zone.txt": "berlinger",
    "berlinger_zone_offset.txt": "berlinger",
    "blank_only.txt": UnreadableFile,
    "empty.csv": UnreadableFile,
    "epcis_malformed_events.json": "epcis",
    "epcis_sensor.jsonld": "epcis",
    "epcis_truncated.json": "epcis",
    "hobo_cp1252_celsius_rh.csv": "hobo",
    "hobo_semicolon_decimal_comma.csv": "hobo",
    "hobo_tab_question_mark.csv": "hobo",
    "hobo_title_fahrenheit.csv": "hobo",
    "hobo_truncated.csv": "hobo",
    "hobo_utf16be.csv": "hobo",
    "image.png": UnreadableFile,
    "json_not_epcis.json": UnknownFormat,
    "logtag_ambiguous_dst.csv": "logtag",
    "logtag_dayfirst.csv": "logtag",
    "logtag_indexed_no_header.csv": "logtag",
    "logtag_iso.csv": "logtag",
    "logtag_monthfirst.csv": "logtag",
    "logtag_semicolon_fahrenheit.csv": "logtag",
    "mixed_native_then_berlinger.csv": "native_csv",
    "native_basic.csv": "native_csv",
    "native_cp1252_notes.csv": "native_csv",
    "native_cr_only.csv": "native_csv",
    "native_fahrenheit_tab.csv": "native_csv",
    "native_impossible.csv": "native_csv",
    "native_malformed.csv": "native_csv",
    "native_naive_dst.csv": "native_csv",
    "native_semicolon_decimal_comma.csv": "native_csv",
    "native_utf16.csv": "native_csv",
    "unknown_notes.txt": UnknownFormat,
}


def test_every_corpus_file_has_an_expected_outcome():
    on_disk = {p.name for p in CORPUS.iterdir() if p.suffix != ".md"}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()), ids=sorted(EXPECTED))
def test_detect_corpus_file(name, expected):
    head = (CORPUS / name).read_bytes()[:HEAD_BYTES]
    if isinstance(expected, str):
        assert detect(head, name) == expected
    else:
        with pytest.raises(expected):
            detect(head, name)


@pytest.mark.parametrize("path", sorted(BERLINGER.glob("*.txt")), ids=lambda p: p.name)
def test_detect_real_berlinger_files(path):
    assert detect(path.read_bytes()[:HEAD_BYTES], path.name) == "berlinger"


def test_detection_needs_no_file_name():
    assert detect(b"recorded_at,temperature_c\n2026-03-02T14:05:00Z,4\n") == "native_csv"


def test_known_formats_are_the_five():
    assert KNOWN_FORMATS == ("native_csv", "berlinger", "logtag", "hobo", "epcis")


@pytest.mark.parametrize(
    ("head", "filename", "message"),
    [
        (b"Sheet1\tSheet2\n", "report.xlsx", "the name suggests an Excel workbook: save it as CSV first"),
        (b"LT binary?\n", "trip.ltd", "export it as CSV from LogTag Analyzer first"),
        (b"<?xml version='1.0'?><epcis:EPCISDocument/>", None, "only the EPCIS 2.0 JSON-LD form is read"),
        (b"<html><body>login</body></html>", None, "XML or HTML"),
    ],
)
def test_unknown_formats_get_advice(head, filename, message):
    with pytest.raises(UnknownFormat) as raised:
        detect(head, filename)
    assert message in str(raised.value)
    assert str(raised.value).endswith("Known formats: native_csv, berlinger, logtag, hobo, epcis.")


def test_head_cut_inside_a_multibyte_character_still_detects():
    rows = "2026-03-02T14:05:00Z,4.0,Kühl\n".encode() * 5000
    header = b"recorded_at,temperature_c,logger"
    last_u = rows.rindex("ü".encode(), 0, HEAD_BYTES - len(header) - 1)
    padding = HEAD_BYTES - 1 - (len(header) + 1 + last_u)  # put the ü across the 64 KB mark
    data = header + b" " * padding + b"\n" + rows
    head = data[:HEAD_BYTES]
    assert head[-1:] == "ü".encode()[:1]
    assert detect(head) == "native_csv"


def test_headerless_hobo_variants():
    assert detect(b'"Plot Title: x"\n') == "hobo"
    assert detect('#;Date Time, GMT+01:00;Temp, °C\n'.encode()) == "hobo"
