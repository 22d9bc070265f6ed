"""LogTag Analyzer CSV exports (``logtag``). The layout depends on export settings and is known
less well than the others (``shared/data/FORMATS.md``), so this reader goes by names, not places:

- Leading description rows of a key and a value (``Serial #``, ``Description``,
  ``Last reading``, ``Reading interval``, ``Non alert range`` such as ``2.0  to  8.0 °C``...),
  kept in ``metadata["description"]``; the serial is given on every reading and the range is
  also given parsed (``non_alert_range``).
- Then a header row: the date column is the first whose name holds "date", the time column the
  first other one holding "time" (none: the date column carries both), the temperature column
  the first holding "temp" or a degree sign (none: the column after the time). Without a header
  row, the layout of FORMATS.md is assumed (date, time, temperature) and the notes say so.
- The unit comes from the temperature header, else from the non-alert range, else °C (noted).
- Dates as the exporting computer's locale wrote them: ``2023-04-17``, ``17.04.2023``,
  ``17-Apr-2023``, or with slashes. Slash dates are read day-first unless the file's first
  64 KB hold one that is impossible day-first (``04/17/2023``) and none impossible month-first;
  the choice and why are in ``metadata["date_order"]``. A later row impossible in the chosen
  order is a row error. Times as ``14:53:00``, ``14:53`` or ``2:53:00 PM``.
- Times carry no zone: they are read in the upload's zone, unless a description row gives a
  ``Time zone``/``UTC offset`` as a fixed offset (``+10:00``); DST as ``localtime`` says.
- A row with an empty temperature is skipped and counted.
"""

from __future__ import annotations

import itertools
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
from .detect import LOGTAG_KEYS
from .localtime import (
    DAY_FIRST,
    MONTH_FIRST,
    LocalClock,
    combine,
    offset_name,
    offset_zone,
    parse_date,
    parse_date_time,
    parse_offset,
    parse_time_of_day,
    slash_date_parts,
)
from .text import MAX_LINE_CHARS, TextSource, sniff_delimiter, split_fields

FORMAT = "logtag"

MAX_PREAMBLE_LINES = 200
_RANGE = re.compile(
    r"^\s*([-+−]?\d+(?:[.,]\d+)?)\s*(?:°?\s*[CF])?\s*to\s*([-+−]?\d+(?:[.,]\d+)?)\s*(°?\s*[CF])?",
    re.IGNORECASE,
)
_SLASH_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?![\d/])")
_VALUE_UNIT = re.compile(r"(?<=\d)(?:\s*°\s*|\s+)[CF]\s*$", re.IGNORECASE)
_ZONE_KEYS = ("time zone", "timezone", "utc offset", "gmt offset")


def parse(source: TextSource, *, zone: tzinfo, zone_name: str) -> tuple[ParseResult, Items]:
    lines = source.lines()
    description: dict[str, str] = {}
    header_fields: list[str] | None = None
    delimiter = ","
    first_data = None
    for line in lines:
        if line.too_long:
            first_data = line
            break
        text = line.text
        if not text.strip():
            continue
        delimiter = sniff_delimiter(text)
        fields = split_fields(text, delimiter)
        if _is_header(fields):
            header_fields = fields
            break
        if _is_data(fields):
            first_data = line
            break
        key = fields[0].rstrip(":").strip()
        # rejoined with the delimiter: a value may hold it ("2,0  to  8,0 °C" unquoted)
        value = delimiter.join(fields[1:]).rstrip(delimiter + " ")
        if key:
            description[key] = value
        if line.number >= MAX_PREAMBLE_LINES:
            break

    if header_fields is None and not any(key.lower() in LOGTAG_KEYS for key in description):
        raise UnknownFormat(
            "the file is not a LogTag CSV export: no header row with date, time and temperature "
            "columns and no description rows such as 'Serial #'"
        )
    metadata: dict = {"description": description}
    serial = _description_value(description, ("serial #", "serial number", "serial")) or None
    metadata["serial"] = serial
    non_alert = _description_value(description, ("non alert range",))
    range_unit = None
    if non_alert:
        match = _RANGE.match(non_alert)
        if match:
            range_unit = (match.group(3) or "").strip().lstrip("°").strip().upper() or None
            metadata["non_alert_range"] = {
                "low": parse_number(match.group(1), "low"),
                "high": parse_number(match.group(2), "high"),
                "unit": f"°{range_unit}" if range_unit else None,
                "text": non_alert,
            }

    result = ParseResult(format=FORMAT, timezone=zone_name, metadata=metadata)
    if header_fields is not None:
        layout = _layout(header_fields)
        metadata["columns"] = header_fields
    else:
        # FORMATS.md's order, after a row-number column when the first row has one
        shift, combined = 0, False
        if first_data is not None and not first_data.too_long:
            fields = split_fields(first_data.text, delimiter)
            shift = 0 if fields and _is_date(fields[0]) else 1
            combined = len(fields) > shift and len(fields[shift].split()) > 1
        layout = {"date": shift, "time": None if combined else shift + 1,
                  "temperature": shift + (1 if combined else 2), "unit": None, "humidity": None}
        result.note("no header row was found: columns read as date, time, temperature")
    unit = layout["unit"] or range_unit
    if unit is None:
        unit = "C"
        result.note("the file names no temperature unit: values read as °C")
    metadata["unit"] = f"°{unit}"

    zone_text = _description_value(description, _ZONE_KEYS)
    offset = parse_offset(zone_text) if zone_text else None
    if offset is not None:
        clock_zone: tzinfo = offset_zone(offset)
        result.timezone = offset_name(offset)
        metadata["timezone_reason"] = f"the file's time zone row {zone_text!r} gives the fixed offset {result.timezone}"
    else:
        clock_zone = zone
        metadata["timezone_reason"] = (
            f"LogTag CSV times carry no zone, so they are read in {zone_name}, the zone given "
            f"for this upload (the logger's, else the origin facility's)"
        )
    metadata["date_order"] = _date_order(source.head_text)
    clock = LocalClock(clock_zone, result.timezone, result)
    rest = itertools.chain([first_data], lines) if first_data is not None else lines
    return result, _rows(rest, delimiter, layout, unit, serial, result, clock)


def _description_value(description: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for key, value in description.items():
        if key.lower() in keys:
            return value
    return None


def _is_header(fields: list[str]) -> bool:
    if len(fields) < 2 or any(_is_date(f) for f in fields):
        return False  # a description row such as "Date/time of first reading,17/04/2023 14:53"
    lowered = [f.lower() for f in fields]
    has_date = any("date" in f for f in lowered)
    has_time_or_temp = any("time" in f or "temp" in f or "°" in f for f in lowered)
    return has_date and has_time_or_temp and fields[0].lower() not in LOGTAG_KEYS


def _is_date(text: str) -> bool:
    date_part = text.strip().split(" ")[0].split("T")[0]
    for order in (DAY_FIRST, MONTH_FIRST):
        try:
            parse_date(date_part, "date", order)
            return True
        except RowProblem:
            continue
    return False


def _is_data(fields: list[str]) -> bool:
    """A data row starts with a date, or with a row number (or nothing) and then a date."""
    if fields and _is_date(fields[0]):
        return True
    return len(fields) > 1 and (fields[0].isdigit() or not fields[0]) and _is_date(fields[1])


def _layout(fields: list[str]) -> dict:
    lowered = [f.lower() for f in fields]
    date_col = next(i for i, f in enumerate(lowered) if "date" in f)
    time_col = next((i for i, f in enumerate(lowered) if "time" in f and i != date_col), None)
    temp_col = next(
        (i for i, f in enumerate(lowered) if ("temp" in f or "°" in f) and i not in (date_col, time_col)),
        None,
    )
    if temp_col is None:
        temp_col = (time_col if time_col is not None else date_col) + 1
    unit = None
    if temp_col < len(fields):
        match = re.search(r"(?:°|º|\?|\(|\s)\s*([CF])\b", fields[temp_col])
        unit = match.group(1).upper() if match else None
    humidity_col = next(
        (i for i, f in enumerate(lowered) if "humid" in f or re.match(r"^%?\s*rh\b", f)), None
    )
    return {"date": date_col, "time": time_col, "temperature": temp_col, "unit": unit,
            "humidity": humidity_col}


def _date_order(head_text: str) -> dict | None:
    pairs = [(int(a), int(b)) for a, b, _ in _SLASH_DATE.findall(head_text)]
    if not pairs:
        return None
    impossible_day_first = any(b > 12 for a, b in pairs)
    impossible_month_first = any(a > 12 for a, b in pairs)
    if impossible_day_first and not impossible_month_first:
        return {"order": MONTH_FIRST, "reason": "a date in the file's first rows is impossible day-first"}
    if impossible_month_first and not impossible_day_first:
        return {"order": DAY_FIRST, "reason": "a date in the file's first rows is impossible month-first"}
    if impossible_day_first and impossible_month_first:
        return {"order": DAY_FIRST, "reason": "the file's first rows mix both orders; read day-first"}
    return {"order": DAY_FIRST, "reason": "no date in the file's first rows settles the order; day-first assumed"}


def _rows(lines, delimiter, layout, unit, serial, result: ParseResult, clock: LocalClock) -> Iterator:
    date_col, time_col = layout["date"], layout["time"]
    temp_col, humidity_col = layout["temperature"], layout["humidity"]
    for line in lines:
        if line.too_long:
            yield RowError(line.number, line_too_long(line.too_long, MAX_LINE_CHARS))
            continue
        if not line.text.strip():
            continue
        fields = split_fields(line.text, delimiter)
        needed = max(date_col, time_col or 0)
        if len(fields) <= needed:
            yield RowError(line.number, f"expected a date, a time and a temperature: {shorten(line.text)!r}")
            continue
        try:
            order = _slash_order(fields[date_col], result)
            if time_col is None:
                local = parse_date_time(fields[date_col], "date and time", order)
            else:
                local = combine(parse_date(fields[date_col], "date", order),
                                parse_time_of_day(fields[time_col], "time"))
            value = fields[temp_col] if temp_col < len(fields) else ""
            value = _VALUE_UNIT.sub("", value)
            if not value:
                result.skip("no temperature value")
                continue
            temperature = to_celsius(parse_number(value, "temperature"), unit)
            humidity = parse_humidity(fields, humidity_col, "humidity")
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


def _slash_order(date_text: str, result: ParseResult) -> str:
    order = result.metadata.get("date_order")
    if order is None:
        if slash_date_parts(date_text.split(" ")[0]) is None:
            return DAY_FIRST
        order = {"order": DAY_FIRST, "reason": "slash dates first appear after the file's first 64 KB; day-first assumed"}
        result.metadata["date_order"] = order
    return order["order"]
