"""Fixtures shared by the whole suite.

Integration tests (``@pytest.mark.integration``) need PostgreSQL (``DATABASE_URL``) and Redis
(``REDIS_URL``). Without them they are skipped, unless ``COLDCHAIN_REQUIRE_SERVICES=1`` (CI),
which turns a missing service into a failure.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("COLDCHAIN_REQUIRE_SERVICES") == "1"


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def services_problem() -> str | None:
    """Why integration tests cannot run here (None when they can)."""
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL does not point at PostgreSQL"
    if not _reachable(database_url, 5432):
        return f"PostgreSQL at {database_url} does not answer"
    if not redis_url.startswith("redis://"):
        return "REDIS_URL is not set"
    if not _reachable(redis_url, 6379):
        return f"Redis at {redis_url} does not answer"
    return None


def pytest_collection_modifyitems(config, items):
    problem = services_problem()
    if problem is None:
        return
    for item in items:
        if item.get_closest_marker("integration"):  # not item.keywords: parametrize ids match too
            if REQUIRE_SERVICES:
                item.add_marker(pytest.mark.usefixtures("_require_services"))
            else:
                item.add_marker(pytest.mark.skip(reason=f"integration: {problem}"))


@pytest.fixture
def _require_services():
    problem = services_problem()
    if problem:
        pytest.fail(f"COLDCHAIN_REQUIRE_SERVICES=1 but {problem}", pytrace=False)


# --- API clients and users ------------------------------------------------------------------


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def make_user(db):
    """Factory: a user with a role and organisation, and its token. Returns (user, client)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from shipments.access import ensure_role_groups
    from shipments.models import Membership

    def make(username: str, role: str, *, courier=None, sponsors=(), all_sponsors=False, password="pw-secret-1"):
        groups = ensure_role_groups()
        user = get_user_model().objects.create_user(username=username, password=password,
                                                    first_name=username.title(), last_name="Tester")
        user.groups.add(groups[role])
        membership = Membership.objects.create(user=user, courier=courier, all_sponsors=all_sponsors)
        membership.sponsors.set(sponsors)
        token = Token.objects.create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return user, client

    return make


# --- Real servers on loopback -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPCapture:
    """An aiosmtpd server on loopback that keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message})
        return "250 OK"

    def wait_for(self, predicate, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in list(self.messages) if predicate(m)]
            if found:
                return found
            time.sleep(0.05)
        return []

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture(scope="session")
def smtp_server():
    server = SMTPCapture()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture
def smtp_settings(smtp_server, settings):
    """Send this process's mail to the loopback SMTP server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    smtp_server.messages.clear()
    return smtp_server


def _database_url_for(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{auth}{settings_dict.get('HOST') or '127.0.0.1'}:{settings_dict.get('PORT') or 5432}/{settings_dict['NAME']}"


class WorkerProcess:
    def __init__(self, process: subprocess.Popen, log_path: Path, env: dict):
        self.process = process
        self.log_path = log_path
        self.env = env

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_worker(env_overrides: dict, log_path: Path, *, queues: str = "ingest,evaluate,alerts") -> WorkerProcess:
    """A real ``celery worker`` subprocess; returns once it is consuming."""
    env = {**os.environ, **env_overrides}
    env.pop("PYTEST_CURRENT_TEST", None)
    handle = open(log_path, "wb")  # noqa: SIM115 - kept open for the worker's lifetime
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "coldchain", "worker", "-Q", queues, "--pool", "solo",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"],
        cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        if b"ready." in log_path.read_bytes():
            return WorkerProcess(process, log_path, env)
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"celery worker did not become ready:\n{log_path.read_text(errors='replace')}")


def stop_worker(worker: WorkerProcess) -> None:
    if worker.process.poll() is None:
        worker.process.terminate()
        try:
            worker.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


@pytest.fixture(scope="session")
def worker_env(django_db_setup, django_db_blocker, smtp_server, tmp_path_factory):
    """Environment for a real worker that sees this session's test database, the test Redis
    database and the loopback SMTP server."""
    problem = services_problem()
    if problem:
        if REQUIRE_SERVICES:
            pytest.fail(f"COLDCHAIN_REQUIRE_SERVICES=1 but {problem}", pytrace=False)
        pytest.skip(f"integration: {problem}")
    from django.db import connection

    with django_db_blocker.unblock():
        database_url = _database_url_for(connection.settings_dict)
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ["REDIS_URL"],
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "EMAIL_URL": smtp_server.url,
        "TESTING": "0",
        "CONN_MAX_AGE": "0",
        "SECRET_KEY": _shared_secret(),
        "LOG_LEVEL": "INFO",
    }


def _shared_secret() -> str:
    from django.conf import settings

    return settings.SECRET_KEY


@pytest.fixture(scope="session")
def _broker_mode():
    """Make this process queue tasks on Redis instead of running them eagerly."""
    from coldchain.celery import app

    previous = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = os.environ.get("REDIS_URL")
    try:
        with app.connection_for_write() as conn:
            for queue in ("ingest", "evaluate", "alerts"):
                # A queue that does not exist yet has nothing to purge.
                with contextlib.suppress(Exception):
                    conn.default_channel.queue_purge(queue)
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Redis broker unreachable: {exc}")
    yield app
    app.conf.task_always_eager, app.conf.broker_url = previous


@pytest.fixture(scope="session")
def celery_worker(worker_env, _broker_mode, tmp_path_factory):
    """A real Celery worker consuming ingest, evaluate and alerts against the test database."""
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    worker = start_worker(worker_env, log_path)
    yield worker
    stop_worker(worker)


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
