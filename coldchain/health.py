"""Liveness and readiness: ``/healthz`` answers 200 when the database does; ``/readyz`` also
checks the broker (when one is configured)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def _database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        return f"database: {exc.__class__.__name__}: {exc}"
    return None


def _broker() -> str | None:
    if not settings.CELERY_BROKER_URL:
        return None
    from coldchain.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return f"broker: {exc.__class__.__name__}: {exc}"
    return None


def healthz(request):
    problem = _database()
    if problem:
        return JsonResponse({"status": "unavailable", "problems": [problem]}, status=503)
    return JsonResponse({"status": "ok"})


def readyz(request):
    problems = [p for p in (_database(), _broker()) if p]
    if problems:
        return JsonResponse({"status": "unavailable", "problems": problems}, status=503)
    return JsonResponse({"status": "ok", "broker": "configured" if settings.CELERY_BROKER_URL else "in-process"})
