"""A 100,000-row native CSV upload processed end to end on PostgreSQL (received, hashed, stored as
evidence, parsed, checked, stored in chunks, monitors marked), compared in the same run with
PostgreSQL COPY of the same rows into a table of the same shape. Goal (issue 4): at most 3x COPY.

    .venv/bin/python bench/upload_csv.py [--rows 100000]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres) and Redis at 127.0.0.1:6379 (evaluation is
queued there, as in production; no worker consumes it during the run). Creates the database
``coldchain_bench_upload`` (dropped first).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "coldchain_bench_upload"
os.environ.update({
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "DJANGO_SETTINGS_MODULE": "coldchain.settings",
    "LOG_LEVEL": "WARNING",
    "COLDCHAIN_VAR_DIR": "/tmp/coldchain-bench-var",
})
sys.path.insert(0, str(ROOT))


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql, "postgres"], check=True,
                   stdout=subprocess.DEVNULL)


def csv_rows(n: int) -> list[str]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [f"{(start + timedelta(minutes=i)).isoformat()},{-180.0 + (i % 17) * 0.1:.2f},LG-U,"
            f"{47.5 + (i % 1000) * 1e-4:.4f},7.5000,,{90 - i % 50},\n" for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)

    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from shipments import services
    from shipments.models import (
        AlarmRule,
        Courier,
        Facility,
        Logger,
        Profile,
        Reading,
        Region,
        Sponsor,
    )
    from shipments.uploads import upload_process, upload_receive

    region = Region.objects.create(code="R", name="R")
    a = Facility.objects.create(code="A", name="A", kind="micro_factory", region=region, latitude=47.5, longitude=7.5)
    b = Facility.objects.create(code="B", name="B", kind="treatment_centre", region=region, latitude=48.1, longitude=11.5)
    profile = Profile.objects.create(code="LN2", name="LN2", min_c=-196, max_c=-150)
    AlarmRule.objects.create(profile=profile, kind="single", direction="above", threshold_c=-150, after_min=10,
                             severity="warning")
    logger = Logger.objects.create(serial="LG-U", timezone="UTC")
    services.shipment_create(tracking_number="SHP-U", coi="COI-U", sponsor=Sponsor.objects.create(code="S", name="S"),
                             profile=profile, origin=a, destination=b, courier=Courier.objects.create(code="C", name="C"),
                             loggers=[services.LoggerSpec(logger=logger, assigned_at=datetime(2025, 1, 1, tzinfo=UTC))])

    rows = csv_rows(args.rows)
    content = ("recorded_at,temperature_c,logger,latitude,longitude,tilt_deg,battery_pct,humidity_pct\n"
               + "".join(rows)).encode()

    started = time.perf_counter()
    upload = upload_receive(uploaded=SimpleUploadedFile("bench.csv", content), user=None, logger=logger, process=False)
    upload = upload_process(str(upload.pk))
    upload_s = time.perf_counter() - started
    assert upload.accepted == args.rows, (upload.accepted, upload.errors[:3])
    assert Reading.objects.count() == args.rows

    copy_text = "".join(
        f"{logger.pk}\t{r.split(',')[0]}\t{r.split(',')[1]}\t{r.split(',')[3]}\t{r.split(',')[4]}\t\\N\t{r.split(',')[6]}\t\\N\n"
        for r in rows)
    def copy_seconds(with_foreign_key: bool) -> float:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS copy_target")
            # The same shape: columns, indexes and (with_foreign_key) the deferred foreign key to
            # the logger, as Django makes it, which PostgreSQL checks for every row at commit.
            cursor.execute("CREATE TABLE copy_target (LIKE shipments_reading INCLUDING ALL)")
            if with_foreign_key:
                cursor.execute("ALTER TABLE copy_target ADD FOREIGN KEY (logger_id) REFERENCES shipments_logger (id) "
                               "DEFERRABLE INITIALLY DEFERRED")
        started = time.perf_counter()
        with connection.connection.cursor() as cur, cur.copy(
            "COPY copy_target (logger_id, recorded_at, temperature_c, latitude, longitude, tilt_deg, battery_pct, "
            "humidity_pct) FROM STDIN"
        ) as copy:
            copy.write(copy_text)
        return time.perf_counter() - started

    copy_s = copy_seconds(True)
    bare_s = copy_seconds(False)

    print(f"rows: {args.rows} ({len(content) / 1e6:.1f} MB native CSV), PostgreSQL")
    print(f"upload end to end : {upload_s:7.2f} s  ({args.rows / upload_s:,.0f} rows/s)")
    print(f"PostgreSQL COPY   : {copy_s:7.2f} s  ({args.rows / copy_s:,.0f} rows/s; same shape: indexes, logger foreign key)")
    print(f"  bare COPY       : {bare_s:7.2f} s  (no foreign key; ratio to it {upload_s / bare_s:.2f})")
    ratio = upload_s / copy_s
    print(f"ratio upload/COPY : {ratio:.2f} (goal <= 3.00) -> {'MET' if ratio <= 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
