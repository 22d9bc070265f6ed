"""The minute sweep (RULES.md §5, DESIGN.md "beat")."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .models import MonitorState

REQUEUE_AFTER = timedelta(seconds=30)


def requeue_stale(now=None) -> int:
    """Re-queue evaluations stored but never run (a crash or a broker outage between commit and
    enqueue): the database, not the broker, is the source of truth."""
    from .tasks import evaluate_shipment

    now = now or timezone.now()
    ids = sorted(set(
        MonitorState.objects.filter(dirty_from__isnull=False, dirty_since__lt=now - REQUEUE_AFTER)
        .values_list("shipment_id", flat=True)
    ))
    for shipment_id in ids:
        evaluate_shipment.delay(shipment_id)
    return len(ids)


def sweep(now=None) -> dict:
    return {"requeued": requeue_stale(now)}
