"""Logger file uploads through the API: real device files, bad files, idempotency."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from shipments.models import Reading

from .conftest import T0, ok

pytestmark = pytest.mark.django_db(transaction=True)
BERLINGER = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "berlinger"
QTAG = BERLINGER / "QTag-CLm-doc-LR_RCPJ00010_02_202211090128.txt"
NOW = T0 + timedelta(days=1)


def upload(client, name: str, content: bytes, **fields):
    return client.post("/api/v1/uploads/", {"file": SimpleUploadedFile(name, content), **fields}, format="multipart")


@time_machine.travel(NOW, tick=False)
def test_a_berlinger_qtag_export_is_read_in_the_loggers_zone(network):
    network.patch("/api/v1/loggers/LG-2/", {"timezone": "Europe/Zurich"}, format="json")
    answer = ok(upload(network, QTAG.name, QTAG.read_bytes(), logger="LG-2"), 202)
    assert answer["format"] == "berlinger"
    assert answer["timezone"] == "Europe/Zurich"
    detail = ok(network.get(f"/api/v1/uploads/{answer['id']}/"))
    assert detail["status"] == "done" and detail["progress"] == 1.0
    assert detail["accepted"] > 0 and detail["rejected"] == 0
    assert detail["accepted"] == Reading.objects.filter(logger__serial="LG-2").count()
    assert len(detail["sha256"]) == 64
    assert "Zurich" in detail["timezone_reason"]
    # The device's own alarm configuration and results travel with the upload.
    assert detail["device"]


@time_machine.travel(NOW, tick=False)
def test_the_same_file_uploaded_again_counts_duplicates(network):
    first = ok(upload(network, QTAG.name, QTAG.read_bytes(), logger="LG-2"), 202)
    second = ok(upload(network, QTAG.name, QTAG.read_bytes(), logger="LG-2"), 202)
    a = ok(network.get(f"/api/v1/uploads/{first['id']}/"))
    b = ok(network.get(f"/api/v1/uploads/{second['id']}/"))
    assert b["accepted"] == 0 and b["duplicates"] == a["accepted"]


@time_machine.travel(NOW, tick=False)
def test_native_csv_rows_with_errors_are_reported_by_line_and_good_rows_kept(network):
    content = (
        b"recorded_at,temperature_c\n"
        b"2026-11-27T08:00:00+00:00,-180.5\n"
        b"2026-11-27T08:01:00+00:00,warm\n"
        b"2026-11-27T08:02:00+00:00,-300\n"
        b"2026-11-27T08:03:00+00:00,-181.0\n"
        b"2030-01-01T00:00:00+00:00,-181.0\n"
    )
    answer = ok(upload(network, "readings.csv", content, logger="LG-3"), 202)
    detail = ok(network.get(f"/api/v1/uploads/{answer['id']}/"))
    assert detail["accepted"] == 2 and detail["rejected"] == 3
    assert [e["line"] for e in detail["errors"]] == [3, 4, 6]
    assert "absolute zero" in detail["errors"][1]["message"]
    assert "future" in detail["errors"][2]["message"]


def test_an_empty_file_is_400(network):
    response = upload(network, "empty.csv", b"", logger="LG-3")
    assert response.status_code == 400
    assert "empty" in response.json()["detail"]


def test_an_unknown_format_is_415_naming_the_known_ones(network):
    response = upload(network, "notes.txt", b"Dear coordinator,\nthe shipment is fine.\n", logger="LG-3")
    assert response.status_code == 415
    assert "berlinger" in response.json()["detail"] and "epcis" in response.json()["detail"]


def test_a_binary_file_is_415(network):
    response = upload(network, "photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, logger="LG-3")
    assert response.status_code == 415


def test_a_file_over_the_limit_is_413(network, settings):
    settings.UPLOAD_MAX_BYTES = 100
    response = upload(network, "big.csv", b"recorded_at,temperature_c\n" + b"2026-11-27T08:00:00+00:00,1\n" * 10,
                      logger="LG-3")
    assert response.status_code == 413


def test_an_unknown_logger_is_404(network):
    response = upload(network, "r.csv", b"recorded_at,temperature_c\n2026-11-27T08:00:00+00:00,1\n", logger="NOPE")
    assert response.status_code == 404


def test_uploads_are_visible_to_their_uploader_and_coordinators(network, courier, shipment):
    _, client = courier
    answer = ok(upload(client, "r.csv", b"recorded_at,temperature_c\n2026-11-27T08:00:00+00:00,-180\n",
                       logger="LG-1"), 202)
    assert client.get(f"/api/v1/uploads/{answer['id']}/").status_code == 200
    assert network.get(f"/api/v1/uploads/{answer['id']}/").status_code == 200


# --- Exports read back by our own importer ----------------------------------------------------


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("path,fmt", [("readings.csv", "native_csv"), ("readings.epcis.jsonld", "epcis")])
def test_exports_read_back_to_the_same_readings(courier, network, shipment, path, fmt):
    import io

    from shipments.ingest import ParsedReading, parse

    _, client = courier
    values = [{"recorded_at": (T0 + timedelta(minutes=i, microseconds=250)).isoformat(),
               "temperature_c": -180.0 + i * 0.37, "latitude": 47.5 + i * 0.001, "longitude": 7.6}
              for i in range(130)]
    ok(client.post("/api/v1/loggers/LG-1/readings/", {"readings": values}, format="json"), 202)
    response = network.get(f"/api/v1/shipments/SHP-1/{path}")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    result, items = parse(io.BytesIO(content), filename=path)
    assert result.format == fmt
    read = [i for i in items if isinstance(i, ParsedReading)]
    stored = list(Reading.objects.order_by("recorded_at").values_list("recorded_at", "temperature_c"))
    assert [(r.recorded_at, r.temperature_c) for r in read] == stored
    assert {r.logger_serial for r in read} == {"LG-1"}
    if fmt == "native_csv":
        assert [r.latitude for r in read] == list(Reading.objects.order_by("recorded_at").values_list("latitude", flat=True))
    # And an upload of the export is all duplicates: nothing new, nothing lost.
    again = ok(upload(network, path, content), 202)
    detail = ok(network.get(f"/api/v1/uploads/{again['id']}/"))
    assert (detail["accepted"], detail["duplicates"], detail["rejected"]) == (0, 130, 0)


# --- Malformed files through the API: the right status, a clear message, never a 500 ------------


@time_machine.travel(NOW, tick=False)
def test_a_truncated_epcis_document_fails_the_upload_with_the_reason(network):
    document = (b'{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], '
                b'"type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": [{"type": "ObjectEvent", '
                b'"action": "OBSERVE", "eventTime": "2026-11-27T08:00:00Z", "sensorElementList": [{"sensorMetadata": '
                b'{"time": "2026-11-27T08:00:00Z"}, "sensorReport": [{"type": "Temperature", "value": -180.2, "uom"')
    answer = ok(upload(network, "truncated.jsonld", document, logger="LG-3"), 202)
    assert answer["format"] == "epcis"
    detail = ok(network.get(f"/api/v1/uploads/{answer['id']}/"))
    assert detail["status"] == "failed"
    assert "line 1" in detail["failure"] and detail["accepted"] == 0


@time_machine.travel(NOW, tick=False)
def test_a_huge_line_and_mixed_rows_are_row_errors_and_the_good_rows_stay(network):
    content = (
        b"recorded_at,temperature_c\n"
        b"2026-11-27T08:00:00+00:00,-180.5\n"
        + b"2026-11-27T08:01:00+00:00," + b"9" * 200_000 + b"\n"
        + b"\t2022-11-08 10:20\t5.2\t\n"  # a Berlinger data row in the middle of a CSV
        + b"2026-11-27T08:03:00+00:00,-181.0\n"
    )
    answer = ok(upload(network, "mixed.csv", content, logger="LG-3"), 202)
    detail = ok(network.get(f"/api/v1/uploads/{answer['id']}/"))
    assert detail["status"] == "done"
    assert (detail["accepted"], detail["rejected"]) == (2, 2)
    assert [e["line"] for e in detail["errors"]] == [3, 4]
    assert Reading.objects.filter(logger__serial="LG-3").count() == 2


@time_machine.travel(NOW, tick=False)
def test_an_upload_without_a_file_or_with_an_unknown_format_name_is_refused(network):
    assert network.post("/api/v1/uploads/", {"logger": "LG-3"}, format="multipart").status_code == 400
    response = upload(network, "r.csv", b"recorded_at,temperature_c\n", logger="LG-3", format="excel")
    assert response.status_code == 415 and "native_csv" in response.json()["detail"]
