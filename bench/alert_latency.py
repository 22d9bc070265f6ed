"""Alert latency: from the POST of a breaching reading to the SMTP server holding the alert
e-mail, through gunicorn, a real Celery worker and Redis on PostgreSQL; compared, in the same
run, with the bare round trip of a no-op task on the same worker and broker.

    .venv/bin/python bench/alert_latency.py [--alerts 200] [--concurrency 2] [--db-reuse-max N]

Goal (issue 5): p50 <= 10x and p99 <= 20x the bare round trip's p50.

Celery's Django fixup closes the database connection before and after every task unless
CELERY_DB_REUSE_MAX is set, so each task on the way (evaluate, send) opens a new PostgreSQL
connection while the no-op round trip opens none. ``--db-reuse-max N`` runs the worker with that
setting (through this module's ``reusing_app``) to show what it is worth.

Each alert is its own shipment (one product logger, a profile whose rule fires on the first
breaching reading, one level-1 contact at its destination, e-mail only), measured one at a time
so the figure is latency, not queueing. The path is the production one: the readings API stores
and queues the evaluation on commit; the worker evaluates, announces the excursion; the alerts
side opens the alert, writes the delivery and queues it; the worker claims, sends, marks.

Needs PostgreSQL at 127.0.0.1:5432 (user postgres) and Redis at 127.0.0.1:6379. Creates the
database ``coldchain_bench_alerts`` (dropped first and at the end), uses Redis database 5, starts
its own SMTP server, worker and gunicorn on free ports, and stops them all when done.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "coldchain_bench_alerts"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
REDIS_URL = "redis://127.0.0.1:6379/5"
GOAL_P50, GOAL_P99 = 10.0, 20.0
WARMUP = 10
RECIPIENT = re.compile(r"^dest(\d+)@bench\.example$")


def __getattr__(name: str):
    """``celery -A bench.alert_latency:reusing_app worker``: the project's app, keeping each
    worker process's database connection across tasks (CELERY_DB_REUSE_MAX from the environment),
    to show what that setting is worth."""
    if name != "reusing_app":
        raise AttributeError(name)
    from coldchain.celery import app

    app.conf["CELERY_DB_REUSE_MAX"] = int(os.environ["BENCH_DB_REUSE_MAX"])
    return app


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql, "postgres"], check=True,
                   stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd on loopback: when each recipient's first message arrived (perf_counter)."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.arrived: dict[int, float] = {}
        self.count = 0
        self.event = threading.Condition()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        now = time.perf_counter()
        with self.event:
            for rcpt in envelope.rcpt_tos:
                match = RECIPIENT.match(rcpt)
                if match:
                    self.arrived.setdefault(int(match.group(1)), now)
            self.count += 1
            self.event.notify_all()
        return "250 OK"

    def wait(self, n: int, timeout: float = 30.0) -> float:
        deadline = time.monotonic() + timeout
        with self.event:
            while n not in self.arrived:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the e-mail for alert {n} did not arrive within {timeout}s")
                self.event.wait(left)
            return self.arrived[n]


def environment(smtp_port: int, secret: str) -> dict:
    return {**os.environ, "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_RESULT_BACKEND": REDIS_URL, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "SECRET_KEY": secret, "DEBUG": "false", "LOG_LEVEL": "WARNING", "API_THROTTLE_RATE": "1000000/min",
            "SMS_BACKEND": "console", "DJANGO_SETTINGS_MODULE": "coldchain.settings", "PYTHONPATH": str(ROOT)}


@contextmanager
def process(args: list[str], env: dict, ready: str, log: Path):
    handle = open(log, "wb")  # noqa: SIM115 - kept open for the process's lifetime
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while ready.encode() not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args[2]} did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        handle.close()


def create_world(n: int) -> str:
    """n shipments, each with its logger, its destination and its level-1 contact; a courier
    token. Runs in this process against the bench database."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from alerts.models import Contact
    from shipments import services
    from shipments.access import ensure_role_groups
    from shipments.models import (
        AlarmRule,
        Courier,
        Facility,
        Logger,
        Membership,
        Profile,
        Region,
        Sponsor,
    )

    region = Region.objects.create(code="R", name="Region", escalate_after_min=15)
    origin = Facility.objects.create(code="MF", name="Micro-factory", kind="micro_factory", region=region,
                                     latitude=47.5, longitude=7.5)
    profile = Profile.objects.create(code="LN2", name="LN2", min_c=-196, max_c=-150)
    AlarmRule.objects.create(profile=profile, kind="single", direction="above", threshold_c=-150, after_min=0,
                             severity="warning")
    sponsor, courier = Sponsor.objects.create(code="S", name="Sponsor"), Courier.objects.create(code="C", name="C")
    assigned = datetime.now(UTC) - timedelta(hours=1)
    for i in range(n):
        destination = Facility.objects.create(code=f"TC{i}", name=f"Treatment centre {i}", kind="treatment_centre",
                                              region=region, latitude=48.1, longitude=11.5)
        Contact.objects.create(name=f"Contact {i}", email=f"dest{i}@bench.example", facility=destination, level=1,
                               channels=["email"])
        services.shipment_create(
            tracking_number=f"TRK-B{i:04d}", coi=f"COI-{i}", sponsor=sponsor, profile=profile, origin=origin,
            destination=destination, courier=courier, planned_arrival=assigned + timedelta(hours=8),
            loggers=[services.LoggerSpec(logger=Logger.objects.create(serial=f"LG-B{i:04d}"), assigned_at=assigned)])
    user = get_user_model().objects.create_user("courier")
    user.groups.add(ensure_role_groups()["courier"])
    Membership.objects.create(user=user, courier=courier)
    return Token.objects.create(user=user).key


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def measure(n: int, base_url: str, token: str, inbox: Inbox) -> tuple[list[float], list[float], list[dict]]:
    """Interleaved, so both see the same load: one bare round trip, then one alert, n times.
    Returns the round trips, the alert latencies and, per alert, its wall-clock start."""
    import requests

    from alerts.tasks import ping

    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    bare, latencies, starts = [], [], []
    for i in range(n + WARMUP):
        start = time.perf_counter()
        result = ping.delay()
        result.get(timeout=10)
        round_trip = time.perf_counter() - start
        result.forget()  # leave no result behind in Redis

        at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=2)
        body = {"readings": [{"recorded_at": at.isoformat(), "temperature_c": -141.5}]}
        wall, start = time.time(), time.perf_counter()
        response = session.post(f"{base_url}/api/v1/loggers/LG-B{i:04d}/readings/", json=body, timeout=30)
        if response.status_code != 202:
            raise RuntimeError(f"POST answered {response.status_code}: {response.text[:500]}")
        arrived = inbox.wait(i)
        if i >= WARMUP:
            bare.append(round_trip)
            latencies.append(arrived - start)
            starts.append({"i": i, "wall": wall, "smtp": wall + (arrived - start)})
    return bare, latencies, starts


def stages(starts: list[dict]) -> None:
    """Median time of each stage, from the rows' own timestamps (wall clock of each process)."""
    from alerts.models import Delivery

    rows = {
        int(d.address[4:].split("@")[0]): d
        for d in Delivery.objects.select_related("alert").prefetch_related("alert__excursions")
    }
    marks = {"POST -> excursion saved (ingest, evaluate)": [], "-> delivery written (evaluate ends, reconcile)": [],
             "-> delivery claimed (send task picked up)": [], "-> e-mail at SMTP (render, send)": [],
             "-> row marked sent": []}
    for start in starts:
        d = rows[start["i"]]
        stored = min(e.updated_at for e in d.alert.excursions.all()).timestamp()
        points = [start["wall"], stored, d.created_at.timestamp(), d.claimed_at.timestamp(), start["smtp"],
                  d.sent_at.timestamp()]
        for key, (a, b) in zip(marks, zip(points, points[1:], strict=False), strict=False):
            marks[key].append(b - a)
    for key, values in marks.items():
        print(f"  {key:<46} median {statistics.median(values) * 1000:7.2f} ms")


def report(name: str, values: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
    print(f"{name:<44} n={len(values):<4} p50 {p50 * 1000:8.2f} ms   p99 {p99 * 1000:8.2f} ms   "
          f"mean {statistics.fmean(values) * 1000:8.2f} ms")
    return p50, p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (prefork)")
    parser.add_argument("--db-reuse-max", type=int, default=0,
                        help="keep worker DB connections across N tasks (Celery's CELERY_DB_REUSE_MAX; "
                             "0: as the project is configured, a new connection per task)")
    args = parser.parse_args()

    secret = secrets.token_urlsafe(40)
    inbox = Inbox()
    env = environment(inbox.port, secret) | {"BENCH_DB_REUSE_MAX": str(args.db_reuse_max)}
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND",
                                            "EMAIL_URL", "SECRET_KEY", "DEBUG", "LOG_LEVEL",
                                            "DJANGO_SETTINGS_MODULE")})
    sys.path.insert(0, str(ROOT))
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"alert_latency.{os.getpid()}"
    logs.mkdir(parents=True, exist_ok=True)

    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB}")
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        token = create_world(args.alerts + WARMUP)
        from django.db import connections

        connections.close_all()
        from coldchain.celery import app

        with app.connection_for_write() as conn:
            for queue in ("ingest", "evaluate", "alerts"):
                with suppress(Exception):  # a queue never used has nothing to purge
                    conn.default_channel.queue_purge(queue)

        port = free_port()
        with ExitStack() as stack:
            inbox.controller.start()
            stack.callback(inbox.controller.stop)
            stack.enter_context(process(
                [sys.executable, "-m", "celery", "-A",
                 "bench.alert_latency:reusing_app" if args.db_reuse_max else "coldchain", "worker",
                 "-Q", "ingest,evaluate,alerts",
                 "-c", str(args.concurrency), "--prefetch-multiplier", "1", "-O", "fair", "--without-heartbeat",
                 "--without-gossip", "--without-mingle", "-l", "info"],
                env, "ready.", logs / "worker.log"))
            stack.enter_context(process(
                [sys.executable, "-m", "gunicorn", "coldchain.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2",
                 "--log-level", "info"],
                env, "Booting worker", logs / "gunicorn.log"))
            time.sleep(1.0)  # let every gunicorn worker boot

            print(f"alert latency: {args.alerts} alerts, worker -c {args.concurrency}"
                  f"{f' (db connections reused over {args.db_reuse_max} tasks)' if args.db_reuse_max else ''}, "
                  f"gunicorn -w 2, PostgreSQL + Redis on loopback; samples interleaved\n")
            bare, alerts, starts = measure(args.alerts, f"http://127.0.0.1:{port}", token, inbox)
        bare_p50, _ = report("bare Celery round trip (no-op task)", bare)
        p50, p99 = report("POST breaching reading -> e-mail at SMTP", alerts)
        stages(starts)
    finally:
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    shutil.rmtree(logs, ignore_errors=True)  # kept only when something failed
    ratio50, ratio99 = p50 / bare_p50, p99 / bare_p50
    print()
    print(f"p50 / bare p50 = {ratio50:6.1f}x   (goal <= {GOAL_P50:g}x)  {'ok' if ratio50 <= GOAL_P50 else 'MISSED'}")
    print(f"p99 / bare p50 = {ratio99:6.1f}x   (goal <= {GOAL_P99:g}x)  {'ok' if ratio99 <= GOAL_P99 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
