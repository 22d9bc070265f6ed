"""Uploading a logger file from the admin: the same service as the API, refusals shown, progress
listed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shipments.models import Logger, Upload

pytestmark = pytest.mark.django_db(transaction=True)  # the file is read on commit


def csv_of(minutes: int) -> bytes:
    start = timezone.now() - timedelta(minutes=minutes)
    rows = [f"{(start + timedelta(minutes=i)).isoformat()},-181.5" for i in range(minutes)]
    return ("recorded_at,temperature_c\n" + "\n".join(rows) + "\n").encode()


def test_a_coordinator_uploads_a_file_and_sees_it_read(client, world):
    logger = Logger.objects.create(serial="LG-77", model="LIBERO")
    client.force_login(world["coordinator"])
    assert "Upload a logger file" in client.get("/admin/shipments/upload/").content.decode()

    response = client.post("/admin/shipments/upload/new/", {
        "file": SimpleUploadedFile("lg-77.csv", csv_of(30)), "logger": "LG-77", "format": ""})

    assert response.status_code == 302 and response["Location"] == "/admin/shipments/upload/"
    upload = Upload.objects.get()
    assert upload.logger == logger and upload.format == "native_csv" and upload.uploaded_by == world["coordinator"]
    assert upload.status == "done" and upload.accepted == 30
    listing = client.get(response["Location"]).content.decode()
    assert "Received lg-77.csv (native_csv" in listing
    assert '<progress value="100" max="100"></progress> 100%' in listing


@pytest.mark.parametrize("name,content,fmt,message", [
    ("empty.csv", b"", "", "The file is empty."),
    ("notes.bin", b"\x00\x01\x02 nothing a logger writes", "", "Known formats"),
    ("lg.csv", b"recorded_at,temperature_c\n", "fax", "Select a valid choice"),
])
def test_a_refused_file_says_why(client, world, name, content, fmt, message):
    client.force_login(world["coordinator"])
    response = client.post("/admin/shipments/upload/new/", {"file": SimpleUploadedFile(name, content), "format": fmt})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Upload.objects.exists()


def test_only_a_coordinator_uploads_from_the_admin(client, world):
    client.force_login(world["qa"])
    assert client.get("/admin/shipments/upload/new/").status_code == 403
    assert "Upload a logger file" not in client.get("/admin/shipments/upload/").content.decode()
