"""From uploaded bytes to numbered lines of text, without holding the file in memory.

- Encoding, decided from the first 64 KB: a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32), else
  UTF-16 without a mark when every other byte is NUL, else UTF-8 when those bytes are valid UTF-8,
  else Windows-1252 (Latin-1 for the five bytes cp1252 leaves undefined). Later bytes that do not
  decode become U+FFFD, so the row holding them is reported rather than the whole upload failing.
- Refused as unreadable: an empty file, known binary formats (PNG, PDF, ZIP/XLSX, XLS, gzip...),
  NUL bytes in a file that is not UTF-16, and text made mostly of control characters.
- Lines end at CRLF, LF or CR. A line longer than ``MAX_LINE_CHARS`` is cut there and flagged with
  its full length; the rest of it is read and dropped as it streams by, so a 10 MB line without a
  newline costs neither memory nor time.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from .base import UnreadableFile

HEAD_BYTES = 64 * 1024
CHUNK_BYTES = 256 * 1024
MAX_LINE_CHARS = 64 * 1024

_BINARY_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"%PDF-", "a PDF document (export the logger's data as text or CSV instead)"),
    (b"PK\x03\x04", "a ZIP archive, e.g. an Excel .xlsx workbook (save it as CSV instead)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office document, e.g. an Excel .xls workbook (save it as CSV instead)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)

_EOL = re.compile(r"\r\n|\r|\n")
# C0 controls other than TAB, LF, VT, FF, CR, and DEL: their presence means "not text".
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


class Line(NamedTuple):
    number: int  # 1-based
    text: str  # without its line end; cut at MAX_LINE_CHARS when too long
    too_long: int = 0  # the line's full length in characters when it was cut, else 0


def read_head(stream: BinaryIO, size: int = HEAD_BYTES) -> bytes:
    """Read up to ``size`` bytes (a stream may return fewer per call)."""
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def sniff_encoding(head: bytes) -> str:
    """The codec to read the file with, judged from its first bytes; raises ``UnreadableFile``."""
    if not head:
        raise UnreadableFile("the file is empty")
    for signature, what in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise UnreadableFile(f"the file is {what}, not a logger's text export")
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        half = len(head) // 2 or 1
        even = head[0::2].count(0)
        odd = head[1::2].count(0)
        if odd > 0.3 * half and even < 0.02 * half:
            return "utf-16-le"
        if even > 0.3 * half and odd < 0.02 * half:
            return "utf-16-be"
        raise UnreadableFile("the file is binary (it contains NUL bytes), not a logger's text export")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < HEAD_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def decode_head(head: bytes, encoding: str) -> str:
    """The text of the first bytes (a character cut at the end is left out); raises
    ``UnreadableFile`` when it is not text or holds nothing but blank space."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(head, final=len(head) < HEAD_BYTES)
    if text.startswith("\ufeff"):  # a second mark, or one utf-16-le/-be left in
        text = text[1:]
    controls = len(_CONTROL.findall(text))
    if controls > max(2, len(text) // 200):
        raise UnreadableFile(
            f"the file does not look like text: {controls} control characters in its first "
            f"{len(head)} bytes (read as {encoding})"
        )
    if encoding in ("cp1252", "latin-1"):
        unusual = sum(1 for ch in text if ord(ch) > 0x7F)
        if unusual > len(text) * 0.3:
            raise UnreadableFile(
                "the file is mostly undecodable: it is not UTF-8 and reads as gibberish in Windows-1252"
            )
    if len(head) < HEAD_BYTES and not text.strip():
        raise UnreadableFile("the file is empty (only blank space)")
    return text


class TextSource:
    """An uploaded file as text: its encoding, its head (for detection) and its lines."""

    def __init__(self, stream: BinaryIO, head: bytes | None = None):
        self._stream = stream
        self._head = read_head(stream) if head is None else head
        self.encoding = sniff_encoding(self._head)
        self.head_text = decode_head(self._head, self.encoding)
        self._used = False

    def lines(self) -> Iterator[Line]:
        """The file's lines, once. Memory stays bounded by the chunk and line-length caps."""
        if self._used:
            raise RuntimeError("the file's lines were already read")
        self._used = True
        return _split_lines(self._chunks(), self.encoding)

    def read_all_text(self, limit: int) -> str:
        """The whole file as one string, for formats that cannot be read line by line (EPCIS
        JSON). Raises ``UnreadableFile`` beyond ``limit`` bytes."""
        if self._used:
            raise RuntimeError("the file was already read")
        self._used = True
        parts = [self._head]
        size = len(self._head)
        while True:
            chunk = self._stream.read(CHUNK_BYTES)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise UnreadableFile(f"the file is larger than {limit // (1024 * 1024)} MB")
            parts.append(chunk)
        text = b"".join(parts).decode(self.encoding, errors="replace")
        return text[1:] if text.startswith("\ufeff") else text

    def _chunks(self) -> Iterator[bytes]:
        yield self._head
        while True:
            chunk = self._stream.read(CHUNK_BYTES)
            if not chunk:
                return
            yield chunk


def _split_lines(chunks: Iterator[bytes], encoding: str) -> Iterator[Line]:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    number = 0
    parts: list[str] = []
    size = 0  # characters kept in parts
    full = 0  # full length once over the cap, else 0
    carry = ""
    first = True

    def add(segment: str) -> None:
        nonlocal size, full
        if not segment:
            return
        if full:
            full += len(segment)
        elif size + len(segment) > MAX_LINE_CHARS:
            parts.append(segment[: MAX_LINE_CHARS - size])
            full = size + len(segment)
            size = MAX_LINE_CHARS
        else:
            parts.append(segment)
            size += len(segment)

    def emit() -> Line:
        nonlocal number, size, full
        number += 1
        line = Line(number, "".join(parts), full)
        parts.clear()
        size = 0
        full = 0
        return line

    def pieces() -> Iterator[tuple[str, bool]]:
        for chunk in chunks:
            yield decoder.decode(chunk), False
        yield decoder.decode(b"", final=True), True

    for text, final in pieces():
        text = carry + text
        carry = ""
        if first and text:
            first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        if not final and text.endswith("\r"):
            # a CR at the end of a chunk may be the first half of a CRLF
            carry = "\r"
            text = text[:-1]
        segments = _EOL.split(text)
        # The first segment continues the line pending from the last chunk, the last one starts
        # the next; those in between are whole lines, yielded without the capped accumulation.
        add(segments[0])
        if len(segments) == 1:
            continue
        yield emit()
        for segment in segments[1:-1]:
            number += 1
            if len(segment) > MAX_LINE_CHARS:
                yield Line(number, segment[:MAX_LINE_CHARS], len(segment))
            else:
                yield Line(number, segment, 0)
        add(segments[-1])
    if parts or full:
        yield emit()


# -- delimited text ------------------------------------------------------------------------------


def sniff_delimiter(line: str) -> str:
    """TAB, ``;`` or ``,``: the first of these found outside double quotes, in that order (a
    European export separates with ``;`` and may still carry commas, as decimal commas or in a
    header such as ``Date Time, GMT+01:00``)."""
    outside = _outside_quotes(line)
    for candidate in ("\t", ";", ","):
        if candidate in outside:
            return candidate
    return ","


def _outside_quotes(line: str) -> str:
    out = []
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            out.append(ch)
    return "".join(out)


def split_fields(line: str, delimiter: str) -> list[str]:
    """One record of delimited text (double quotes as in RFC 4180), fields stripped of blank
    space. A record never spans lines here: logger exports do not quote line breaks."""
    if '"' not in line:
        return [f.strip() for f in line.split(delimiter)]
    try:
        fields = next(csv.reader((line,), delimiter=delimiter, skipinitialspace=True))
    except (csv.Error, StopIteration):
        return [f.strip() for f in line.split(delimiter)]
    return [f.strip() for f in fields]
