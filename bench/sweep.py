"""The minute sweep over 10,000 in-transit shipments on PostgreSQL: its time and its number of
queries (issue 3), for a quiet minute (nothing due) and a busy one (a tenth of the shipments
raise a time-driven excursion).

    .venv/bin/python bench/sweep.py [--shipments 10000]

Creates the database ``coldchain_bench_sweep`` (dropped first). No broker: the sweep's own cost
is measured, not alert delivery.
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
DB = "coldchain_bench_sweep"
os.environ.update({
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "DJANGO_SETTINGS_MODULE": "coldchain.settings",
    "LOG_LEVEL": "WARNING",
})
os.environ.pop("REDIS_URL", None)
os.environ.pop("CELERY_BROKER_URL", None)
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shipments", type=int, default=10_000)
    args = parser.parse_args()
    for sql in (f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", f"CREATE DATABASE {DB}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql, "postgres"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)

    import django

    django.setup()
    from django.db import connection

    from shipments.models import (
        Courier,
        Facility,
        Logger,
        LoggerAssignment,
        MonitorState,
        Profile,
        Region,
        Shipment,
        Sponsor,
    )
    from shipments.profiles import profile_version_publish
    from shipments.signals import excursions_changed
    from shipments.sweep import clock_rules

    # The sweep's own cost: alert routing and delivery (queued on a broker in production) are
    # not part of it.
    excursions_changed.receivers = []

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    region = Region.objects.create(code="R", name="R")
    a = Facility.objects.create(code="A", name="A", kind="micro_factory", region=region, latitude=47.5, longitude=7.5)
    b = Facility.objects.create(code="B", name="B", kind="treatment_centre", region=region, latitude=48.1,
                                longitude=11.5)
    profile = Profile.objects.create(code="LN2", name="LN2", min_c=-196, max_c=-150, max_gap_min=30,
                                     shelf_life_margin_h=6, hold_time_margin_h=12)
    version = profile_version_publish(profile=profile)
    sponsor = Sponsor.objects.create(code="S", name="S")
    courier = Courier.objects.create(code="C", name="C")
    n = args.shipments
    loggers = Logger.objects.bulk_create([Logger(serial=f"LG-{i:05d}") for i in range(n)])
    shipments = Shipment.objects.bulk_create([
        Shipment(tracking_number=f"SHP-{i:05d}", coi=f"COI-{i:05d}", sponsor=sponsor, profile_version=version,
                 origin=a, destination=b, courier=courier, status="in_transit",
                 planned_arrival=now + timedelta(hours=6), eta=now + timedelta(hours=6),
                 product_expires_at=now + timedelta(days=3),
                 dewar_charged_at=now - timedelta(days=1), dewar_hold_time_h=240)
        for i in range(n)
    ])
    LoggerAssignment.objects.bulk_create([
        LoggerAssignment(shipment=s, logger=lg, role="product", assigned_at=now - timedelta(hours=5))
        for s, lg in zip(shipments, loggers, strict=True)
    ])
    MonitorState.objects.bulk_create([
        MonitorState(shipment=s, logger=lg, role="product", last_reading_at=now - timedelta(minutes=2))
        for s, lg in zip(shipments, loggers, strict=True)
    ])

    def run(label: str) -> None:
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            changes = clock_rules(now)
            elapsed = time.perf_counter() - started
        print(f"{label:<34} {elapsed * 1000:8.0f} ms  {count[0]:6d} queries  "
              f"{sum(len(c) for _, c in changes):6d} excursions changed")

    print(f"minute sweep (clock rules) over {n} in-transit shipments, PostgreSQL")
    run("quiet minute (nothing due)")
    # A tenth of the shipments fall silent: their loggers' last reading is 40 minutes old.
    MonitorState.objects.filter(pk__in=MonitorState.objects.order_by("id").values("id")[: n // 10]).update(
        last_reading_at=now - timedelta(minutes=40))
    run("busy minute (a tenth fall silent)")
    run("next minute (already raised)")


if __name__ == "__main__":
    main()
