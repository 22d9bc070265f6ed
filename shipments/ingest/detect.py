"""Which logger format a file is in, from its first 64 KB (and its name, for advice).

The content decides; the file name only sharpens the message when nothing matches (an ``.xlsx``
or a LogTag ``.ltd`` file needs exporting first). Rules, tried in this order:

- ``epcis``: a JSON object holding ``epcisBody`` / ``EPCISDocument`` / ``eventList``;
- ``native_csv``: the first non-blank line is a header with ``recorded_at`` and
  ``temperature_c`` or ``temperature_f``;
- ``berlinger``: the first non-blank line is ``Device: …`` and a ``Conf:``, ``Hist:``, ``Res:``
  or ``Data:`` section line follows;
- ``hobo``: a ``Plot Title:`` line, or a header with a ``Date Time`` column beside ``#``, a
  ``GMT`` offset or an ``LGR S/N``;
- ``logtag``: two-field description rows such as ``Serial #`` / ``Reading interval`` /
  ``Non alert range``, or a header with separate date, time and temperature columns.
"""

from __future__ import annotations

import re

from .base import UnknownFormat, shorten
from .text import decode_head, sniff_delimiter, sniff_encoding, split_fields

_BERLINGER_SECTION = re.compile(r"^(Conf|Hist|Res|Data|Marker):\s*$")
LOGTAG_KEYS = frozenset(
    {
        "serial #",
        "serial number",
        "reading interval",
        "non alert range",
        "last reading",
        "logtag",
        "product name",
        "trip number",
        "first reading",
        "number of readings",
    }
)

_FILENAME_ADVICE = {
    ".xlsx": "the name suggests an Excel workbook: save it as CSV first",
    ".xls": "the name suggests an Excel workbook: save it as CSV first",
    ".ltd": "the name suggests a LogTag .ltd file: export it as CSV from LogTag Analyzer first",
    ".hobo": "the name suggests a HOBOware project file: export it as CSV from HOBOware first",
    ".dtf": "the name suggests a HOBO datafile: export it as CSV from HOBOware first",
    ".pdf": "the name suggests a PDF report: upload the logger's text or CSV export instead",
    ".xml": "the name suggests XML: EPCIS is read in its JSON-LD form only",
}


def detect(head: bytes, filename: str | None = None) -> str:
    """The format of a file from its first bytes (about 64 KB). Raises ``UnknownFormat`` naming
    the known formats, or ``UnreadableFile`` for empty or binary content."""
    text = decode_head(head, sniff_encoding(head))
    return detect_text(text, filename)


def detect_text(text: str, filename: str | None = None) -> str:
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        if any(key in text for key in ("epcisBody", "EPCISDocument", "eventList")):
            return "epcis"
        raise UnknownFormat("the file is JSON but not a GS1 EPCIS document (no epcisBody or eventList)")
    if stripped.startswith("<"):
        if "EPCIS" in stripped[:4096]:
            raise UnknownFormat("the file is EPCIS XML; only the EPCIS 2.0 JSON-LD form is read")
        raise UnknownFormat("the file is XML or HTML, not a logger export")

    lines = [line for line in re.split(r"\r\n|\r|\n", text, maxsplit=400)[:400] if line.strip()]
    if not lines:
        raise UnknownFormat("the file holds no text lines")
    if is_native_header(lines[0]):
        return "native_csv"
    if is_berlinger(lines):
        return "berlinger"
    if is_hobo(lines[:12]):
        return "hobo"
    if is_logtag(lines[:60]):
        return "logtag"

    reason = f"the file's format was not recognised (it begins {shorten(lines[0])!r})"
    if filename:
        lowered = filename.lower()
        for suffix, advice in _FILENAME_ADVICE.items():
            if lowered.endswith(suffix):
                reason = f"{reason}; {advice}"
                break
    raise UnknownFormat(reason)


def header_names(line: str) -> list[str]:
    return [name.strip().strip('"').strip().lower() for name in split_fields(line, sniff_delimiter(line))]


def is_native_header(line: str) -> bool:
    names = header_names(line)
    return "recorded_at" in names and ("temperature_c" in names or "temperature_f" in names)


def is_berlinger(lines: list[str]) -> bool:
    if not lines[0].startswith("Device:"):
        return False
    return any(_BERLINGER_SECTION.match(line) for line in lines[1:])


def is_hobo(lines: list[str]) -> bool:
    for line in lines:
        fields = split_fields(line, sniff_delimiter(line))
        first = fields[0].strip('"').strip() if fields else ""
        if first.lower().startswith("plot title"):
            return True
        if any(f.lower().startswith("date time") for f in fields) and (
            first == "#" or "LGR S/N" in line or "GMT" in line
        ):
            return True
    return False


def is_logtag(lines: list[str]) -> bool:
    for line in lines:
        if "logtag" in line.lower():
            return True
        fields = split_fields(line, sniff_delimiter(line))
        key = fields[0].strip('"').strip().rstrip(":").lower() if fields else ""
        if key in LOGTAG_KEYS:
            return True
        lowered = [f.lower() for f in fields]
        has_date = any(f == "date" or f.startswith("date ") for f in lowered)
        has_time = any(f == "time" or f.startswith("time ") for f in lowered)
        has_temp = any("temp" in f or "°c" in f or "°f" in f for f in lowered)
        if has_date and has_time and has_temp:
            return True
    return False

