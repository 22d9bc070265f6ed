"""Exports of a shipment's readings, in formats our own importer reads back to the same readings:
the native CSV (every field) and a GS1 EPCIS 2.0 JSON-LD document (time, temperature and device:
EPCIS sensor reports carry no position, so positions are in the CSV only).

Both are streamed: a 10-day, 1-minute trip is 14,400 rows per logger."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.utils import timezone

from .ingest import native_csv
from .models import Shipment
from .selectors import shipment_readings

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EVENT_READINGS = 60  # sensor elements per ObjectEvent (one hour at 1-minute sampling)


def _rows(shipment: Shipment, since=None, until=None) -> Iterator[tuple]:
    serials = {a.logger_id: a.logger.serial for a in shipment.assignments.select_related("logger")}
    rows = shipment_readings(shipment, since=since, until=until).values_list(
        "logger_id", "recorded_at", "temperature_c", "latitude", "longitude", "tilt_deg", "battery_pct", "humidity_pct")
    for logger_id, *values in rows.iterator(chunk_size=5000):
        yield serials[logger_id], *values


class _Line:
    """A csv.writer target that hands back the line just written."""

    def write(self, text: str) -> str:
        return text


def readings_csv(shipment: Shipment, *, since=None, until=None) -> Iterator[str]:
    """The native CSV (see ``shipments.ingest.native_csv``), header first, each row written by
    the format's own ``format_row`` so that the importer reads it back exactly."""
    writer = csv.writer(_Line(), lineterminator="\n")
    yield writer.writerow(native_csv.HEADER)
    for serial, recorded_at, temperature_c, *optional in _rows(shipment, since, until):
        yield writer.writerow(native_csv.format_row(recorded_at, temperature_c, serial, *optional))


def readings_epcis(shipment: Shipment, *, since=None, until=None) -> Iterator[str]:
    """An EPCISDocument: ObjectEvents (action OBSERVE) whose ``sensorElementList`` holds one
    element per reading (``sensorMetadata.time`` and ``deviceID``, a ``Temperature`` report in
    CEL). The shipment appears as the event's object by its tracking number (no patient data)."""
    header = {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": timezone.now().isoformat(),
        "epcisBody": {"eventList": []},
    }
    opening = json.dumps(header)
    head, _, tail = opening.rpartition("[]")
    yield head + "["
    batch: list[dict] = []
    first = True

    def event(elements: list[dict]) -> str:
        document = {
            "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "inspecting",
            "eventTime": elements[-1]["sensorMetadata"]["time"], "eventTimeZoneOffset": "+00:00",
            "epcList": [f"urn:coldchain:shipment:{shipment.tracking_number}"],
            "sensorElementList": elements,
        }
        return json.dumps(document)

    for serial, recorded_at, temperature_c, *_ in _rows(shipment, since, until):
        batch.append({"sensorMetadata": {"time": recorded_at.isoformat(), "deviceID": serial},
                      "sensorReport": [{"type": "Temperature", "value": temperature_c, "uom": "CEL"}]})
        if len(batch) == EVENT_READINGS:
            yield ("" if first else ",") + event(batch)
            first, batch = False, []
    if batch:
        yield ("" if first else ",") + event(batch)
    yield "]" + tail
