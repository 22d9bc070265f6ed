"""GS1 EPCIS 2.0 JSON-LD documents with sensor data (``epcis``).

A JSON document cannot be read line by line, so the file is loaded whole with ``json.loads``
(bounded: the upload limit is 50 MB and this reader refuses more than ``MAX_BYTES``); readings
are still produced lazily, one event at a time. A document that is not valid JSON (a file cut
short, say) is refused as ``UnreadableFile``, naming where the JSON broke.

- Events come from ``epcisBody.eventList`` (or, in a query document,
  ``epcisBody.queryResults.resultsBody.eventList``). Events without ``sensorElementList`` hold
  no readings and are only counted (``events_without_sensor_data``).
- Each ``sensorReport`` whose ``type`` is ``Temperature``, ``gs1:Temperature`` or
  ``https://gs1.org/voc/Temperature`` is one data row; other report types are ignored and
  counted by type (``ignored_report_types``).
- The value is ``value``, else ``meanValue``; ``uom`` must be ``CEL``, ``FAH`` or ``KEL`` (°F and
  K are converted to °C and rounded to 0.01 °C). A report without a unit is a row error rather
  than a guess.
- The time is the report's own ``time``, else the element's ``sensorMetadata.time``, else its
  ``startTime`` (a summary over an interval holds from the start of that interval, as step-hold
  reads it), else the event's ``eventTime``. A time without an offset takes the event's
  ``eventTimeZoneOffset``, else the upload's zone.
- The device is the report's ``deviceID``, else ``sensorMetadata.deviceID``.
- ``exception`` (``ALARM_CONDITION``, ``ERROR_CONDITION``) on a report or its metadata is the
  device's own alarm: kept in ``metadata["exceptions"]``. A report with an exception and no value
  is skipped and counted, not an error.
- ``line`` on readings and row errors is the 1-based index of the event in ``eventList``, and
  every row error message begins with ``event <n>:`` to say so.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, tzinfo

from .base import (
    Items,
    ParsedReading,
    ParseResult,
    RowError,
    RowProblem,
    UnknownFormat,
    UnreadableFile,
    shorten,
    to_celsius,
)
from .localtime import LocalClock, offset_zone, parse_iso, parse_offset
from .text import TextSource

FORMAT = "epcis"

MAX_BYTES = 64 * 1024 * 1024
TEMPERATURE_TYPES = frozenset(
    {
        "Temperature",
        "gs1:Temperature",
        "https://gs1.org/voc/Temperature",
        "http://gs1.org/voc/Temperature",
        "https://ref.gs1.org/voc/Temperature",
    }
)
UNITS = {"CEL": "C", "FAH": "F", "KEL": "K"}
MAX_EXCEPTIONS_KEPT = 1000


def parse(source: TextSource, *, zone: tzinfo, zone_name: str) -> tuple[ParseResult, Items]:
    text = source.read_all_text(MAX_BYTES)
    if text.lstrip()[:1] not in ("{", "["):
        raise UnknownFormat("the file is not JSON, so it is not an EPCIS JSON-LD document")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableFile(
            f"the EPCIS document is not valid JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno}); was the file cut short?"
        ) from None
    if not isinstance(document, dict):
        raise UnknownFormat("the JSON file is not an EPCIS document (its top level is not an object)")
    events = _event_list(document)
    if events is None:
        raise UnknownFormat("the JSON document has no epcisBody.eventList, so it is not an EPCIS document")
    metadata: dict = {
        "document_type": document.get("type") if isinstance(document.get("type"), str) else None,
        "schema_version": _scalar(document.get("schemaVersion")),
        "creation_date": _scalar(document.get("creationDate")),
        "events": len(events),
        "events_without_sensor_data": 0,
        "ignored_report_types": {},
        "devices": [],
        "exceptions": [],
        "timezone_reason": (
            f"EPCIS times carry their own offsets; one without would take its event's "
            f"eventTimeZoneOffset, else {zone_name}, the zone given for this upload"
        ),
    }
    result = ParseResult(format=FORMAT, timezone=zone_name, metadata=metadata)
    clock = LocalClock(zone, zone_name, result)
    return result, _rows(events, result, clock)


def _event_list(document: dict) -> list | None:
    body = document.get("epcisBody")
    if not isinstance(body, dict):
        return None
    events = body.get("eventList")
    if events is None:
        results = body.get("queryResults")
        if isinstance(results, dict) and isinstance(results.get("resultsBody"), dict):
            events = results["resultsBody"].get("eventList")
    return events if isinstance(events, list) else None


def _scalar(value: object) -> str | int | float | None:
    return value if isinstance(value, str | int | float) and not isinstance(value, bool) else None


def _rows(events: list, result: ParseResult, clock: LocalClock) -> Iterator:
    metadata = result.metadata
    devices: set[str] = set()
    for number, event in enumerate(events, start=1):
        if not isinstance(event, dict):
            yield RowError(number, f"event {number}: is not a JSON object")
            continue
        elements = event.get("sensorElementList")
        if elements is None:
            metadata["events_without_sensor_data"] += 1
            continue
        if not isinstance(elements, list):
            yield RowError(number, f"event {number}: sensorElementList is not a list")
            continue
        event_offset = event.get("eventTimeZoneOffset")
        event_zone = None
        if isinstance(event_offset, str):
            minutes = parse_offset(event_offset)
            event_zone = offset_zone(minutes) if minutes is not None else None
        for element in elements:
            if not isinstance(element, dict):
                yield RowError(number, f"event {number}: a sensor element is not a JSON object")
                continue
            sensor = element.get("sensorMetadata") or {}
            if not isinstance(sensor, dict):
                sensor = {}
            reports = element.get("sensorReport")
            if not isinstance(reports, list) or not reports:
                yield RowError(number, f"event {number}: a sensor element has no sensorReport list")
                continue
            for report in reports:
                if not isinstance(report, dict):
                    yield RowError(number, f"event {number}: a sensor report is not a JSON object")
                    continue
                kind = report.get("type")
                if kind not in TEMPERATURE_TYPES:
                    ignored = metadata["ignored_report_types"]
                    label = kind if isinstance(kind, str) else repr(kind)
                    ignored[label] = ignored.get(label, 0) + 1
                    continue
                item = _reading(number, event, sensor, report, event_zone, result, clock)
                if item is None:
                    continue
                if isinstance(item, ParsedReading) and item.logger_serial and item.logger_serial not in devices:
                    devices.add(item.logger_serial)
                    metadata["devices"].append(item.logger_serial)
                yield item


def _reading(number: int, event: dict, sensor: dict, report: dict, event_zone,
             result: ParseResult, clock: LocalClock) -> ParsedReading | RowError | None:
    exception = report.get("exception") or sensor.get("exception")
    device = report.get("deviceID") or sensor.get("deviceID")
    device = device if isinstance(device, str) and device else None
    raw_time = report.get("time") or sensor.get("time") or sensor.get("startTime") or event.get("eventTime")
    if exception and len(result.metadata["exceptions"]) < MAX_EXCEPTIONS_KEPT:
        result.metadata["exceptions"].append({
            "event": number,
            "exception": str(exception),
            "time": raw_time if isinstance(raw_time, str) else None,
            "device": device,
            "value": _scalar(report.get("value", report.get("meanValue"))),
            "uom": _scalar(report.get("uom")),
        })
    value = report.get("value")
    field_name = "value"
    if value is None:
        value = report.get("meanValue")
        field_name = "meanValue"
    try:
        if value is None:
            if exception:
                result.skip(f"{exception} report without a value")
                return None
            raise RowProblem("the temperature report has no value or meanValue")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RowProblem(f"{field_name} {shorten(json.dumps(value))} is not a number")
        uom = report.get("uom")
        if uom is None:
            raise RowProblem("the temperature report has no uom (CEL, FAH or KEL)")
        unit = UNITS.get(uom) if isinstance(uom, str) else None
        if unit is None:
            raise RowProblem(f"uom {shorten(json.dumps(uom))} is not CEL, FAH or KEL")
        if not isinstance(raw_time, str):
            raise RowProblem("no time: neither the report, its sensorMetadata nor the event has one")
        recorded_at = parse_iso(raw_time, "time")
        if recorded_at.tzinfo is None:
            if event_zone is not None:
                recorded_at = recorded_at.replace(tzinfo=event_zone).astimezone(UTC)
            else:
                recorded_at = clock.to_utc(recorded_at)
                result.note(f"times without an offset were read in {clock.zone_name}")
        else:
            recorded_at = recorded_at.astimezone(UTC)
        temperature = float(value)
        if math.isfinite(temperature):
            temperature = to_celsius(temperature, unit)
    except RowProblem as problem:
        return RowError(number, f"event {number}: {problem}")
    return ParsedReading(line=number, recorded_at=recorded_at, temperature_c=temperature,
                         logger_serial=device)
