"""JSON readings batches through gunicorn (2 workers) on PostgreSQL, against two limits measured
in the same run: the same server answering an endpoint that only parses the same bodies, and
PostgreSQL COPY of the same rows into a table of the same shape. Goal (issue 4): readings per
second at least half of the lower limit.

    .venv/bin/python bench/ingest_api.py [--batches 200] [--clients 4]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres) and Redis at 127.0.0.1:6379. It creates the
database ``coldchain_bench`` (dropped first) and runs gunicorn on a free port. Evaluation is
queued on Redis as in production; no worker consumes during the timed window (the API does not
wait for evaluation), so what is measured is acceptance: validation, storage, enqueue.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "coldchain_bench"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
REDIS_URL = "redis://127.0.0.1:6379/9"
# Batches go round-robin to this many loggers (shipments), as a courier's integration posts for
# the loggers of many shipments. Batches of one logger are serialised by design (the ingest
# locks the logger so that duplicates and conflicts are counted exactly).
LOGGERS = 8
# Sync workers: one request at a time each, no GIL contention between threads.
WORKER_ARGS = ["--worker-class", "sync"]


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql, db], check=True,
                   stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env() -> dict:
    return {**os.environ, "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "ROOT_URLCONF": "bench.urls",
            "DEBUG": "false", "LOG_LEVEL": "WARNING", "API_THROTTLE_RATE": "1000000/min",
            "DJANGO_SETTINGS_MODULE": "coldchain.settings", "PYTHONPATH": str(ROOT)}


def setup() -> str:
    """Fresh database, one shipment with one logger, a courier token. Returns the token."""
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env(), check=True)
    script = f"LOGGERS = {LOGGERS}\n" + """
import django; django.setup()
from datetime import datetime, timedelta, UTC
from shipments import services
from shipments.models import *
from shipments.access import ensure_role_groups
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
r = Region.objects.create(code="R", name="R")
a = Facility.objects.create(code="A", name="A", kind="micro_factory", region=r, latitude=47.5, longitude=7.5)
b = Facility.objects.create(code="B", name="B", kind="treatment_centre", region=r, latitude=48.1, longitude=11.5)
p = Profile.objects.create(code="LN2", name="LN2", min_c=-196, max_c=-150)
AlarmRule.objects.create(profile=p, kind="single", direction="above", threshold_c=-150, after_min=10, severity="warning")
c = Courier.objects.create(code="C", name="C")
s = Sponsor.objects.create(code="S", name="S")
for n in range(LOGGERS):
    lg = Logger.objects.create(serial=f"LG-B{n}")
    services.shipment_create(tracking_number=f"SHP-B{n}", coi=f"COI-B{n}", sponsor=s, profile=p, origin=a,
        destination=b, courier=c, loggers=[services.LoggerSpec(logger=lg, assigned_at=datetime(2020, 1, 1, tzinfo=UTC))])
u = get_user_model().objects.create_user("courier")
u.groups.add(ensure_role_groups()["courier"])
Membership.objects.create(user=u, courier=c)
print(Token.objects.create(user=u).key)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env(), check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def bodies(count: int, size: int = 1000) -> list[bytes]:
    """``count`` batches; batch b is for logger b % LOGGERS, each logger's batches consecutive."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for b in range(count):
        base = start + timedelta(minutes=(b // LOGGERS) * size)
        out.append(json.dumps({"readings": [
            {"recorded_at": (base + timedelta(minutes=i)).isoformat(), "temperature_c": -180.0 + (i % 13) * 0.1,
             "latitude": 47.5 + i * 1e-5, "longitude": 7.5, "battery_pct": 90.0}
            for i in range(size)]}).encode())
    return out


def post_all(port: int, path: str, token: str, payloads: list[bytes], clients: int) -> float:
    """Send every payload (keep-alive connections, ``clients`` threads); seconds taken. ``path``
    has ``{logger}``, filled with the serial of payload i's logger."""
    queue = [(path.format(logger=f"LG-B{i % LOGGERS}"), body) for i, body in enumerate(payloads)]
    queue.reverse()
    lock = threading.Lock()
    failures: list[str] = []

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                target, body = queue.pop()
            conn.request("POST", target, body=body, headers={"Authorization": f"Token {token}",
                                                          "Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            if response.status != 202:
                failures.append(f"{response.status} {data[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, first: {failures[0]}")
    return elapsed


def copy_rate(payloads: list[bytes], *, with_foreign_key: bool) -> float:
    """Readings per second of PostgreSQL COPY of the same rows, one transaction per batch, into a
    table like the readings table: its columns and indexes, and with ``with_foreign_key`` its
    deferred foreign key to the logger too (checked for every row at commit)."""
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={DB}") as conn:
        ids = dict(conn.execute("SELECT serial, id FROM shipments_logger").fetchall())
    rows = []
    for i, body in enumerate(payloads):
        logger_id = ids[f"LG-B{i % LOGGERS}"]
        for r in json.loads(body)["readings"]:
            rows.append(f"{logger_id}\t{r['recorded_at']}\t{r['temperature_c']}\t{r['latitude']}\t{r['longitude']}\t\\N\t"
                        f"{r['battery_pct']}\t\\N\n")
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={DB}", autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS copy_target")
        conn.execute("CREATE TABLE copy_target (LIKE shipments_reading INCLUDING ALL)")
        if with_foreign_key:
            conn.execute("ALTER TABLE copy_target ADD FOREIGN KEY (logger_id) REFERENCES shipments_logger (id) "
                         "DEFERRABLE INITIALLY DEFERRED")
        per_batch = len(rows) // len(payloads)
        started = time.perf_counter()
        for i in range(len(payloads)):
            with conn.transaction(), conn.cursor() as cur, cur.copy(
                "COPY copy_target (logger_id, recorded_at, temperature_c, latitude, longitude, tilt_deg, "
                "battery_pct, humidity_pct) FROM STDIN"
            ) as copy:
                copy.write("".join(rows[i * per_batch:(i + 1) * per_batch]))
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE copy_target")
    return len(rows) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    token = setup()
    payloads = bodies(args.batches)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "coldchain.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", *WORKER_ARGS, "--keep-alive", "30", "--log-level", "warning"],
        cwd=ROOT, env=env())
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        # Warm both endpoints (imports, connections) outside the timed window.
        post_all(port, "/bench/parse-only/{logger}/", token, payloads[:4], args.clients)
        warm = [b.replace(b"2026-01-", b"2025-06-") for b in payloads[:LOGGERS]]
        post_all(port, "/api/v1/loggers/{logger}/readings/", token, warm, args.clients)

        n = args.batches * 1000
        parse_s = post_all(port, "/bench/parse-only/{logger}/", token, payloads, args.clients)
        ingest_s = post_all(port, "/api/v1/loggers/{logger}/readings/", token, payloads, args.clients)
    finally:
        server.terminate()
        server.wait(10)
    copy = copy_rate(payloads, with_foreign_key=True)
    bare = copy_rate(payloads, with_foreign_key=False)
    parse = n / parse_s
    ingest = n / ingest_s
    limit = min(parse, copy)
    print(f"readings: {n} in batches of 1000 for {LOGGERS} loggers, {args.clients} client threads, "
          f"gunicorn 2 sync workers, PostgreSQL")
    print(f"parse-only endpoint : {parse:12,.0f} readings/s")
    print(f"PostgreSQL COPY     : {copy:12,.0f} readings/s  (same shape: indexes and the logger foreign key)")
    print(f"  bare COPY         : {bare:12,.0f} readings/s  (no foreign key; ratio to it {ingest / bare:.2f})")
    print(f"readings API        : {ingest:12,.0f} readings/s ({1000 * ingest_s / args.batches:.1f} ms a batch)")
    print(f"ratio to the lower limit: {ingest / limit:.2f} (goal >= 0.50) -> {'MET' if ingest / limit >= 0.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
