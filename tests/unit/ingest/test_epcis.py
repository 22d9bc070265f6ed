"""GS1 EPCIS 2.0 JSON-LD sensor data."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shipments.ingest import ParsedReading, RowError, UnknownFormat, UnreadableFile

from .conftest import read_bytes

DEVICE_1 = "urn:epc:id:giai:4000001.111"
DEVICE_2 = "urn:epc:id:giai:4000001.222"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def document(*events) -> bytes:
    return json.dumps({"type": "EPCISDocument", "schemaVersion": "2.0",
                       "epcisBody": {"eventList": list(events)}}).encode()


def test_type_spellings_units_means_and_report_level_overrides(corpus):
    parsed = corpus("epcis_sensor.jsonld", default_tz="Europe/Zurich")
    assert parsed.result.format == "epcis"
    assert parsed.result.timezone == "Europe/Zurich"
    assert parsed.items == [
        ParsedReading(1, utc(2026, 3, 2, 13, 5), -182.4, DEVICE_1),
        # gs1:Temperature, meanValue 37.4 °F, at the interval's startTime
        ParsedReading(2, utc(2026, 3, 2, 14, 10), 3.0, DEVICE_1),
        # the full URI, 90.15 K, with the report's own time and deviceID
        ParsedReading(2, utc(2026, 3, 2, 14, 15), -183.0, DEVICE_2),
        ParsedReading(4, utc(2026, 3, 2, 14, 30), -140.0, DEVICE_1),
        # no offset in eventTime: the event's eventTimeZoneOffset (+01:00)
        ParsedReading(5, utc(2026, 3, 2, 14, 40), -150.5, None),
    ]
    metadata = parsed.result.metadata
    assert (parsed.result.rows, parsed.result.skipped) == (6, 1)
    assert metadata["skipped_reasons"] == {"ERROR_CONDITION report without a value": 1}
    assert metadata["events"] == 5
    assert metadata["events_without_sensor_data"] == 1
    assert metadata["ignored_report_types"] == {"RelativeHumidity": 1}
    assert metadata["devices"] == [DEVICE_1, DEVICE_2]
    assert metadata["exceptions"] == [
        {"event": 4, "exception": "ALARM_CONDITION", "time": "2026-03-02T15:30:00+01:00",
         "device": DEVICE_1, "value": -140.0, "uom": "CEL"},
        {"event": 4, "exception": "ERROR_CONDITION", "time": "2026-03-02T15:31:00+01:00",
         "device": DEVICE_1, "value": None, "uom": None},
    ]
    assert metadata["schema_version"] == "2.0"
    json.dumps(metadata)


def test_malformed_events_are_row_errors_naming_the_event(corpus):
    parsed = corpus("epcis_malformed_events.json")
    assert [(e.line, e.message) for e in parsed.errors] == [
        (1, "event 1: the temperature report has no value or meanValue"),
        (2, 'event 2: value "4.5" is not a number'),
        (3, "event 3: the temperature report has no uom (CEL, FAH or KEL)"),
        (4, 'event 4: uom "DEG" is not CEL, FAH or KEL'),
        (5, "event 5: time 'yesterday' is not an ISO 8601 date and time (e.g. 2026-03-02T14:05:00+01:00)"),
        (6, "event 6: is not a JSON object"),
        (7, "event 7: a sensor element has no sensorReport list"),
        (9, "event 9: no time: neither the report, its sensorMetadata nor the event has one"),
    ]
    # an impossible temperature is yielded; check_reading refuses it
    assert parsed.readings == [ParsedReading(8, utc(2026, 3, 2, 14, 10), -300.0, None)]
    assert parsed.result.metadata["encoding"] == "utf-8-sig"


def test_truncated_document_is_unreadable_with_the_place_it_broke(corpus):
    with pytest.raises(UnreadableFile, match=r"not valid JSON \(.* at line \d+, column \d+\); was the file cut short\?"):
        corpus("epcis_truncated.json")


def test_query_document_event_list_is_read():
    data = json.dumps({"type": "EPCISQueryDocument", "epcisBody": {"queryResults": {"resultsBody": {
        "eventList": [{"eventTime": "2026-03-02T14:05:00Z", "sensorElementList": [
            {"sensorReport": [{"type": "Temperature", "value": 5, "uom": "CEL"}]}]}]}}}}).encode()
    assert read_bytes(data).items == [ParsedReading(1, utc(2026, 3, 2, 14, 5), 5.0, None)]


def test_naive_time_without_event_offset_uses_the_given_zone():
    data = document({"eventTime": "2026-07-01T12:00:00", "sensorElementList": [
        {"sensorReport": [{"type": "Temperature", "value": -80.0, "uom": "CEL"}]}]})
    parsed = read_bytes(data, default_tz="Europe/Zurich")
    assert parsed.readings[0].recorded_at == utc(2026, 7, 1, 10, 0)
    assert parsed.result.metadata["notes"] == ["times without an offset were read in Europe/Zurich"]


def test_not_an_object_or_without_event_list_is_unknown():
    with pytest.raises(UnknownFormat, match="no epcisBody.eventList"):
        read_bytes(b'{"epcisBody": {"events": []}}', format="epcis")
    with pytest.raises(UnknownFormat, match="top level is not an object"):
        read_bytes(b'[{"eventList": []}]')
    with pytest.raises(UnknownFormat, match="not JSON"):
        read_bytes(b"recorded_at,temperature_c\n", format="epcis")


def test_sensor_element_list_of_the_wrong_type():
    data = document({"eventTime": "2026-03-02T14:05:00Z", "sensorElementList": {"sensorReport": []}},
                    {"eventTime": "2026-03-02T14:05:00Z", "sensorElementList": ["x"]})
    assert read_bytes(data).items == [
        RowError(1, "event 1: sensorElementList is not a list"),
        RowError(2, "event 2: a sensor element is not a JSON object"),
    ]
