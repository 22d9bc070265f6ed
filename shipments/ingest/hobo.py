"""Onset HOBOware CSV exports (``hobo``).

- Optional first line ``Plot Title: <title>`` (maybe in double quotes, maybe followed by empty
  fields): kept as ``metadata["title"]``.
- A header row in double quotes: ``"#","Date Time, GMT-05:00","Temp, °F (LGR S/N: 10679014,
  SEN S/N: 10679014, LBL: water pipe)"``, then event columns (``Coupler Detached (LGR S/N: …)``,
  ``Host Connected``, ``Stopped``, ``End Of File``…). The delimiter is the header's: comma, or
  semicolon / TAB (European exports, with decimal commas).
- The ``GMT±hh:mm`` in the ``Date Time`` header is a fixed offset for the whole file: the logger
  does not follow daylight saving time, so neither do we. Without one, times are read in the
  upload's zone, with DST handled as ``localtime`` says, and the notes say so.
- The unit is in the temperature header: ``°C`` or ``°F`` (degree sign in UTF-8, Windows-1252,
  ``º``, or a literal ``?`` where an export lost it). A temperature header naming no unit is
  refused rather than guessed. °F is converted and rounded to 0.01 °C.
- Logger and sensor serial numbers and the label (``LGR S/N``, ``SEN S/N``, ``LBL``) are kept in
  ``metadata["serials"]``; the logger serial is given on every reading. A relative humidity
  column (``RH, %``) fills ``humidity_pct``; a second temperature column is ignored and listed.
- Rows: ``1,07/29/16 10:26:34 AM,72.86`` (``%m/%d/%y %I:%M:%S %p``) or, re-saved by a spreadsheet,
  ``%m/%d/%Y %H:%M``; dates are month-first (the US form HOBOware writes), ``dd.mm.yy`` when
  dotted. Event rows (an empty temperature and ``Logged`` in an event column) are skipped and
  counted by event name; a row with no temperature and no event likewise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import tzinfo

from .base import (
    Items,
    ParsedReading,
    ParseResult,
    RowError,
    RowProblem,
    UnknownFormat,
    line_too_long,
    parse_humidity,
    parse_number,
    shorten,
    to_celsius,
)
from .localtime import (
    MONTH_FIRST,
    LocalClock,
    offset_name,
    offset_zone,
    parse_date_time,
    parse_offset,
)
from .text import MAX_LINE_CHARS, TextSource, sniff_delimiter, split_fields

FORMAT = "hobo"

MAX_PREAMBLE_LINES = 20
_GMT = re.compile(r"GMT\s*([+-]\s*\d{1,2}(?::?\d{2})?)", re.IGNORECASE)
_UNIT = re.compile(r",\s*(?:°|º|˚|\?|Â°|\ufffd|\*|deg\.?\s*)?\s*([CFK])\b")
_SERIAL = {
    "logger": re.compile(r"LGR S/N:\s*([^,)]+)"),
    "sensor": re.compile(r"SEN S/N:\s*([^,)]+)"),
    "label": re.compile(r"LBL:\s*([^)]+)"),
}


def parse(source: TextSource, *, zone: tzinfo, zone_name: str) -> tuple[ParseResult, Items]:
    lines = source.lines()
    title = None
    header = None
    for line in lines:
        if line.number > MAX_PREAMBLE_LINES or line.too_long:
            break
        text = line.text.strip()
        if not text:
            continue
        fields = split_fields(text, sniff_delimiter(text))
        first = fields[0].strip('"').strip() if fields else ""
        if first.lower().startswith("plot title"):
            title = first.split(":", 1)[1].strip() if ":" in first else ""
            continue
        if any(f.lower().startswith("date time") for f in fields):
            header = line
            break
    if header is None:
        raise UnknownFormat(
            "the file is not a HOBOware CSV export: no header row with a 'Date Time' column "
            f"in its first {MAX_PREAMBLE_LINES} lines"
        )
    delimiter = sniff_delimiter(header.text)
    columns = split_fields(header.text, delimiter)
    layout = _layout(columns)

    metadata: dict = {"title": title, "columns": columns, "unit": f"°{layout['unit']}"}
    metadata["serials"] = layout["serials"]
    metadata["serial"] = layout["serials"].get("logger")
    if layout["ignored"]:
        metadata["ignored_columns"] = layout["ignored"]
    offset = layout["offset"]
    if offset is not None:
        name = offset_name(offset)
        clock_zone: tzinfo = offset_zone(offset)
        metadata["timezone_reason"] = (
            f"the file's '{columns[layout['time']]}' header gives the fixed offset {name} "
            f"(HOBO loggers do not follow daylight saving time)"
        )
    else:
        name, clock_zone = zone_name, zone
        metadata["timezone_reason"] = (
            f"the file's 'Date Time' header gives no GMT offset, so its times are read in "
            f"{zone_name}, the zone given for this upload"
        )
    result = ParseResult(format=FORMAT, timezone=name, metadata=metadata)
    clock = LocalClock(clock_zone, name, result)
    return result, _rows(lines, delimiter, layout, result, clock)


def _layout(columns: list[str]) -> dict:
    time_col = next(i for i, c in enumerate(columns) if c.lower().startswith("date time"))
    temperature_cols = [i for i, c in enumerate(columns) if re.match(r"^\s*temp", c, re.IGNORECASE)]
    if not temperature_cols:
        raise UnknownFormat("the HOBOware export has no temperature ('Temp, °C …') column")
    temp_col = temperature_cols[0]
    unit_match = _UNIT.search(columns[temp_col])
    if not unit_match:
        raise UnknownFormat(
            f"the HOBOware temperature column {shorten(columns[temp_col])!r} names no unit "
            f"(°C or °F), so its values cannot be read safely"
        )
    humidity_col = next(
        (i for i, c in enumerate(columns) if re.match(r"^\s*RH\b", c, re.IGNORECASE)), None
    )
    serials = {}
    for key, pattern in _SERIAL.items():
        match = pattern.search(columns[temp_col])
        if match:
            serials[key] = match.group(1).strip()
    taken = {0, time_col, temp_col} | ({humidity_col} if humidity_col is not None else set())
    events = {}
    ignored = [columns[i] for i in temperature_cols[1:]]
    for i, name in enumerate(columns):
        if i in taken or i in temperature_cols or not name:
            continue
        events[i] = re.sub(r"\s*\(.*\)\s*$", "", name).strip() or name
    gmt = _GMT.search(columns[time_col])
    offset = parse_offset(gmt.group(1).replace(" ", "")) if gmt else None
    return {
        "time": time_col,
        "temperature": temp_col,
        "humidity": humidity_col,
        "unit": unit_match.group(1).upper(),
        "serials": serials,
        "events": events,
        "ignored": ignored,
        "offset": offset,
    }


def _rows(lines, delimiter: str, layout: dict, result: ParseResult, clock: LocalClock) -> Iterator:
    time_col, temp_col, humidity_col = layout["time"], layout["temperature"], layout["humidity"]
    unit, events = layout["unit"], layout["events"]
    serial = layout["serials"].get("logger")
    for line in lines:
        if line.too_long:
            yield RowError(line.number, line_too_long(line.too_long, MAX_LINE_CHARS))
            continue
        if not line.text.strip():
            continue
        fields = split_fields(line.text, delimiter)
        if len(fields) <= time_col or not fields[time_col]:
            yield RowError(line.number, f"no date and time in the row: {shorten(line.text)!r}")
            continue
        value = fields[temp_col] if len(fields) > temp_col else ""
        try:
            local = parse_date_time(fields[time_col], "date and time", MONTH_FIRST)
            if not value:
                logged = [name for i, name in events.items() if i < len(fields) and fields[i]]
                result.skip(f"event row ({', '.join(logged)})" if logged else "no temperature value")
                continue
            temperature = to_celsius(parse_number(value, "temperature"), unit)
            humidity = parse_humidity(fields, humidity_col, "relative humidity")
        except RowProblem as problem:
            yield RowError(line.number, str(problem))
            continue
        yield ParsedReading(
            line=line.number,
            recorded_at=clock.to_utc(local),
            temperature_c=temperature,
            logger_serial=serial,
            humidity_pct=humidity,
        )
