"""The service's own CSV format (``native_csv``): what to send when a logger's software can export
a plain table, and what the service's CSV export writes.

Layout
------
- One header line, then one reading per line. Blank lines are ignored.
- Header names are case-insensitive, in any order::

      recorded_at,temperature_c[,logger,latitude,longitude,tilt_deg,battery_pct,humidity_pct]

  ``recorded_at`` is required, and exactly one of ``temperature_c`` (°C) or ``temperature_f``
  (°F, converted to °C and rounded to 0.01 °C). Other columns are ignored and listed in the
  upload's metadata (``ignored_columns``).
- Delimiter: comma, semicolon or TAB, whichever the header uses (TAB, then ``;``, then ``,``).
  Fields may be double-quoted as in RFC 4180; a record never spans lines.
- ``recorded_at``: ISO 8601 date and time with ``T`` or a space between them, seconds and
  fractions optional (kept to the microsecond), and an offset: ``2026-03-02T14:05:00+01:00``,
  ``2026-03-02 13:05:00Z``. A time without an offset is read in the upload's zone (the logger's,
  else the origin facility's), counted in ``metadata["times_without_offset"]`` and said in the
  upload's notes; daylight-saving folds read as the first occurrence, gaps shift forward.
- Numbers: a point as the decimal mark; a decimal comma is accepted when it is the number's
  only separator (``-182,4``), which with a comma delimiter means the field is quoted. A leading
  ``+`` and the Unicode minus are accepted.
- ``logger``: the logger's serial, when one file carries several loggers; empty means the
  upload's logger. ``latitude`` and ``longitude`` come together or not at all (their ranges are
  checked with the temperature's by ``checks.check_reading``, as for the JSON API);
  ``tilt_deg`` must be in [0, 180], ``battery_pct`` and ``humidity_pct`` in [0, 100]. An empty
  optional field means "not measured".
- Encoding: UTF-8 (a byte-order mark is fine); UTF-16 with a mark and Windows-1252 are read too.

Example::

    recorded_at,temperature_c,logger,latitude,longitude
    2026-03-02T14:05:00+01:00,-182.4,LN2-0042,47.56,7.59
    2026-03-02T14:06:00+01:00,-182.1,LN2-0042,,

The same with semicolons and decimal commas::

    recorded_at;temperature_c
    2026-03-02T14:05:00+01:00;-182,4

A row that cannot be read becomes a row error naming the field and the value; the next row is
read as usual.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo

from .base import (
    Items,
    ParsedReading,
    ParseResult,
    RowError,
    RowProblem,
    UnknownFormat,
    fahrenheit_to_celsius,
    line_too_long,
    parse_number,
    shorten,
)
from .localtime import LocalClock, parse_iso
from .text import MAX_LINE_CHARS, TextSource, sniff_delimiter, split_fields

FORMAT = "native_csv"

COLUMNS: tuple[str, ...] = (
    "recorded_at",
    "temperature_c",
    "logger",
    "latitude",
    "longitude",
    "tilt_deg",
    "battery_pct",
    "humidity_pct",
)
OPTIONAL_RANGES = {
    "latitude": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
    "tilt_deg": (0.0, 180.0),
    "battery_pct": (0.0, 100.0),
    "humidity_pct": (0.0, 100.0),
}
CHECKED_LATER = frozenset({"latitude", "longitude"})
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}


def parse(source: TextSource, *, zone: tzinfo, zone_name: str) -> tuple[ParseResult, Items]:
    lines = source.lines()
    header = next((line for line in lines if line.text.strip()), None)
    if header is None or header.too_long:
        raise UnknownFormat("the file has no native CSV header line")
    delimiter = sniff_delimiter(header.text)
    names = [n.strip().strip('"').strip().lower() for n in split_fields(header.text, delimiter)]
    if "recorded_at" not in names:
        raise UnknownFormat(
            f"the native CSV header {shorten(header.text)!r} has no recorded_at column"
        )
    has_c, has_f = "temperature_c" in names, "temperature_f" in names
    if has_c == has_f:
        raise UnknownFormat(
            "the native CSV header needs exactly one of temperature_c or temperature_f "
            f"(found {shorten(header.text)!r})"
        )
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        raise UnknownFormat(f"the native CSV header repeats the column(s) {', '.join(duplicates)}")
    temperature_column = "temperature_c" if has_c else "temperature_f"
    known = set(COLUMNS) | {"temperature_f"}
    ignored = [n for n in names if n not in known]

    metadata: dict = {
        "columns": names,
        "delimiter": _DELIMITER_NAMES[delimiter],
        "unit": "°C" if has_c else "°F",
        "timezone_reason": (
            f"native CSV times carry their own offsets; one without an offset is read in "
            f"{zone_name}, the zone given for this upload"
        ),
    }
    if ignored:
        metadata["ignored_columns"] = ignored
    result = ParseResult(format=FORMAT, timezone=zone_name, metadata=metadata)
    clock = LocalClock(zone, zone_name, result)
    return result, _rows(lines, names, delimiter, temperature_column, result, clock)


class _Careful(Exception):
    """The fast path declines a row; the careful path reads it (and words any problem)."""


_INFINITIES = (float("inf"), float("-inf"))


def _rows(lines, names, delimiter, temperature_column, result, clock) -> Iterator:
    """Rows as readings. Each row first takes a fast path (a plain split, ``fromisoformat``,
    ``float``) that accepts only what the careful path would read identically; anything else
    (quotes, decimal commas, naive times, °F, odd numbers, bad values) goes the careful way."""
    width = len(names)
    index = {name: i for i, name in enumerate(names)}
    state = {"naive": 0}
    i_time = index["recorded_at"]
    i_temp = index[temperature_column]
    i_logger = index.get("logger")
    present = [(name, index[name], OPTIONAL_RANGES[name], name in CHECKED_LATER)
               for name in OPTIONAL_RANGES if name in index]
    absent = {name: None for name in OPTIONAL_RANGES if name not in index}
    fast_allowed = temperature_column == "temperature_c"
    fromisoformat = datetime.fromisoformat
    for line in lines:
        if line.too_long:
            yield RowError(line.number, line_too_long(line.too_long, MAX_LINE_CHARS))
            continue
        text = line.text
        if not text.strip():
            continue
        fields = text.split(delimiter) if '"' not in text else split_fields(text, delimiter)
        if len(fields) != width:
            yield RowError(
                line.number,
                f"expected {width} fields separated by {_DELIMITER_NAMES[delimiter]} as in the "
                f"header, found {len(fields)}: {shorten(text)!r}",
            )
            continue
        try:
            if not fast_allowed:
                raise _Careful
            stamp = fields[i_time]
            if len(stamp) < 16 or stamp[4] != "-" or stamp[10] not in "Tt ":
                raise _Careful
            recorded_at = fromisoformat(stamp)
            if recorded_at.tzinfo is None:
                raise _Careful
            raw = fields[i_temp]
            temperature = float(raw)
            if temperature != temperature or temperature in _INFINITIES or "_" in raw:
                raise _Careful
            optional: dict[str, float | None] = dict(absent)
            for name, position, (low, high), checked_later in present:
                value = fields[position]
                if not value:
                    optional[name] = None
                    continue
                number = float(value)
                if "_" in value or not (checked_later or low <= number <= high):
                    raise _Careful
                optional[name] = number
            if (optional["latitude"] is None) != (optional["longitude"] is None):
                raise _Careful
            item = ParsedReading(
                line=line.number,
                recorded_at=recorded_at.astimezone(UTC),
                temperature_c=temperature,
                logger_serial=(fields[i_logger] or None) if i_logger is not None else None,
                **optional,
            )
        except (_Careful, ValueError):
            item = _careful_row(line, fields, index, temperature_column, result, clock, state)
        yield item


def _careful_row(line, fields, index, temperature_column, result, clock, state):
    """One row read with every rule spelled out: a reading, or a RowError saying what is wrong."""
    try:
        recorded_at = parse_iso(fields[index["recorded_at"]], "recorded_at")
        if recorded_at.tzinfo is None:
            state["naive"] += 1
            result.metadata["times_without_offset"] = state["naive"]
            if state["naive"] == 1:
                result.note(
                    f"times without an offset were read in {clock.zone_name}, the zone given "
                    f"for this upload (see times_without_offset)"
                )
            recorded_at = clock.to_utc(recorded_at)
        else:
            recorded_at = recorded_at.astimezone(UTC)
        temperature = parse_number(fields[index[temperature_column]], temperature_column)
        if temperature_column == "temperature_f":
            temperature = fahrenheit_to_celsius(temperature)
        optional = {name: _optional(fields, index, name) for name in OPTIONAL_RANGES}
        if (optional["latitude"] is None) != (optional["longitude"] is None):
            missing = "longitude" if optional["longitude"] is None else "latitude"
            raise RowProblem(f"{missing} is missing: give latitude and longitude together")
        serial = fields[index["logger"]] if "logger" in index else ""
    except RowProblem as problem:
        return RowError(line.number, str(problem))
    return ParsedReading(
        line=line.number,
        recorded_at=recorded_at,
        temperature_c=temperature,
        logger_serial=serial or None,
        **optional,
    )


def _optional(fields: list[str], index: dict[str, int], name: str) -> float | None:
    position = index.get(name)
    if position is None or not fields[position]:
        return None
    value = parse_number(fields[position], name)
    if name in CHECKED_LATER:
        return value  # check_reading refuses impossible positions for every source alike
    low, high = OPTIONAL_RANGES[name]
    if not math.isfinite(value) or not low <= value <= high:
        raise RowProblem(f"{name} {fields[position]!r} is outside [{low:g}, {high:g}]")
    return value


# -- writing: what an export needs to produce files this parser reads back ----------------------

HEADER: tuple[str, ...] = COLUMNS


def format_row(
    recorded_at: datetime,
    temperature_c: float,
    logger: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    tilt_deg: float | None = None,
    battery_pct: float | None = None,
    humidity_pct: float | None = None,
) -> list[str]:
    """The fields of one native CSV row in ``HEADER`` order (write them with ``csv.writer``):
    the time as ISO 8601 in UTC with its offset, numbers with ``repr``-exact precision, absent
    values empty. Refuses naive times, which the format could not read back unambiguously."""
    if recorded_at.tzinfo is None or recorded_at.utcoffset() is None:
        raise ValueError("recorded_at must be aware")

    def number(value: float | None) -> str:
        return "" if value is None else repr(float(value))

    return [
        recorded_at.astimezone(UTC).isoformat(),
        number(temperature_c),
        logger or "",
        number(latitude),
        number(longitude),
        number(tilt_deg),
        number(battery_pct),
        number(humidity_pct),
    ]
