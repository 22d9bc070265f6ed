"""Bytes to lines: encodings, line ends across chunk boundaries, the line-length cap, streaming."""

from __future__ import annotations

import codecs
import io

import pytest

from shipments.ingest import UnreadableFile, parse
from shipments.ingest.base import RowProblem, parse_number
from shipments.ingest.text import (
    HEAD_BYTES,
    MAX_LINE_CHARS,
    Line,
    TextSource,
    sniff_delimiter,
    sniff_encoding,
    split_fields,
)


class Trickle(io.RawIOBase):
    """A stream that hands out at most ``step`` bytes per read, and counts what it handed out."""

    def __init__(self, data: bytes, step: int):
        self._data = data
        self._step = step
        self.position = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self._step if size < 0 else min(size, self._step)
        chunk = self._data[self.position : self.position + size]
        self.position += len(chunk)
        return chunk


def lines_of(data: bytes, step: int | None = None) -> list[Line]:
    stream = io.BytesIO(data) if step is None else Trickle(data, step)
    return list(TextSource(stream).lines())


TEXT = "a,b\r\nKühl;−4,5\r\rlast °C\nx\r"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"])
@pytest.mark.parametrize("step", [1, 2, 3, 7, None])
def test_lines_are_the_same_whatever_the_chunking_and_encoding(encoding, step):
    text = TEXT.replace("−", "-") if encoding == "cp1252" else TEXT
    lines = lines_of(text.encode(encoding), step)
    expected = ["a,b", text.split("\r\n")[1].split("\r")[0], "", "last °C", "x"]
    assert [(line.number, line.text, line.too_long) for line in lines] == [
        (i, t, 0) for i, t in enumerate(expected, start=1)
    ]


def test_no_line_after_a_final_newline_but_a_last_line_without_one_counts():
    assert [line.text for line in lines_of(b"a\nb\n")] == ["a", "b"]
    assert [line.text for line in lines_of(b"a\nb")] == ["a", "b"]
    assert [line.text for line in lines_of(b"a\n\n\nb")] == ["a", "", "", "b"]


def test_a_long_line_is_cut_at_the_cap_and_its_length_kept():
    data = b"head\n" + b"y" * (MAX_LINE_CHARS * 3 + 5) + b"\r\ntail"
    lines = lines_of(data, step=10_000)
    assert [(line.number, len(line.text), line.too_long) for line in lines] == [
        (1, 4, 0), (2, MAX_LINE_CHARS, MAX_LINE_CHARS * 3 + 5), (3, 4, 0),
    ]


def test_a_line_exactly_at_the_cap_is_not_too_long():
    lines = lines_of(b"z" * MAX_LINE_CHARS + b"\n")
    assert (len(lines[0].text), lines[0].too_long) == (MAX_LINE_CHARS, 0)


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        (codecs.BOM_UTF8 + b"a,b\n", "utf-8-sig"),
        (codecs.BOM_UTF16_LE + "a,b\n".encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + "a,b\n".encode("utf-16-be"), "utf-16"),
        (codecs.BOM_UTF32_LE + "a,b\n".encode("utf-32-le"), "utf-32"),
        ("recorded_at,temperature_c\n".encode("utf-16-le"), "utf-16-le"),
        ("recorded_at,temperature_c\n".encode("utf-16-be"), "utf-16-be"),
        ("Temp, °C".encode(), "utf-8"),
        (b"Temp, \xb0C", "cp1252"),
        (b"Temp, \xb0C \x81", "latin-1"),
    ],
)
def test_sniff_encoding(head, encoding):
    assert sniff_encoding(head) == encoding


def test_empty_head_is_unreadable():
    with pytest.raises(UnreadableFile, match="^the file is empty$"):
        sniff_encoding(b"")


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [
        ("a,b,c", ","),
        ("a;b,5;c", ";"),
        ("a\tb;c,d", "\t"),
        ('"#","Date Time, GMT-05:00","Temp, °F"', ","),
        ('"#";"Date Time, GMT+01:00";"Temp, °C"', ";"),
        ("single", ","),
    ],
)
def test_sniff_delimiter(line, delimiter):
    assert sniff_delimiter(line) == delimiter


def test_split_fields_strips_and_unquotes():
    assert split_fields(' a , "b, c" ,"d""e"', ",") == ["a", "b, c", 'd"e']
    assert split_fields("1; 2 ;3", ";") == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("4.5", 4.5), ("+8.0", 8.0), ("-16.8", -16.8), ("−3,25", -3.25), (" 1,5 ", 1.5), ("1e2", 100.0)],
)
def test_parse_number_accepts_what_loggers_write(text, value):
    assert parse_number(text, "temperature") == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "temperature is empty"),
        ("1.234,5", "temperature '1.234,5' is not a number"),
        ("1,2,3", "temperature '1,2,3' is not a number"),
        ("1_000", "temperature '1_000' is not a number"),
        ("warm", "temperature 'warm' is not a number"),
    ],
)
def test_parse_number_refuses_the_rest(text, message):
    with pytest.raises(RowProblem, match=f"^{message}$"):
        parse_number(text, "temperature")


def test_parse_streams_instead_of_reading_the_whole_file():
    rows = b"".join(b"2026-03-02T14:%02d:00Z,4.0\n" % (i % 60) for i in range(100_000))
    data = b"recorded_at,temperature_c\n" + rows
    stream = Trickle(data, step=1 << 20)
    result, items = parse(stream)
    first = next(items)
    assert first.line == 2
    assert stream.position <= HEAD_BYTES + (1 << 18)  # the head and one chunk, not 2.5 MB
    assert len(data) > 5 * stream.position
    assert sum(1 for _ in items) == 99_999
    assert result.rows == 100_000
