"""The minute sweep (RULES.md §5, DESIGN.md "beat"): re-queue work that was stored but never
run, and evaluate the rules that fire with time for every active shipment.

Set-based: a fixed number of queries whatever the number of shipments (only the excursions that
actually change are written one by one)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import monitoring
from .choices import ACTIVE_STATUSES, MOVING_STATUSES, CustodyEventType, ExcursionStatus, LoggerRole
from .evaluation import excursions_reconcile, to_us
from .models import CustodyEvent, Excursion, LoggerAssignment, MonitorState, Shipment
from .signals import excursions_changed

log = logging.getLogger(__name__)
REQUEUE_AFTER = timedelta(seconds=30)


def requeue_stale(now: datetime) -> int:
    """Re-queue evaluations stored but never run (a crash or a broker outage between commit and
    enqueue): the database, not the broker, is the source of truth."""
    from .tasks import evaluate_shipment

    ids = sorted(set(
        MonitorState.objects.filter(dirty_from__isnull=False, dirty_since__lt=now - REQUEUE_AFTER)
        .values_list("shipment_id", flat=True)
    ))
    for shipment_id in ids:
        evaluate_shipment.delay(shipment_id)
    return len(ids)


UPLOAD_STALL = timedelta(minutes=15)


def requeue_uploads(now: datetime) -> int:
    """Uploads queued but never picked up, or stalled mid-file (a worker died): queue them again;
    processing resumes after the last stored chunk."""
    from .models import Upload
    from .tasks import upload_process

    stale = Upload.objects.filter(
        Q(status="queued", created_at__lt=now - REQUEUE_AFTER)
        | Q(status="processing", started_at__lt=now - UPLOAD_STALL)
    ).values_list("pk", flat=True)
    ids = [str(pk) for pk in stale]
    for upload_id in ids:
        upload_process.delay(upload_id)
    return len(ids)


def clock_facts(shipment: Shipment, *, last_reading_at: datetime | None, delivered_at: datetime | None,
                with_silence: bool) -> monitoring.ClockFacts:
    definition = shipment.profile_version.definition
    return monitoring.ClockFacts(
        in_transit=shipment.status in MOVING_STATUSES,
        delivered_at=to_us(delivered_at) if delivered_at else None,
        last_reading_at=to_us(last_reading_at) if (with_silence and last_reading_at) else None,
        max_gap_min=definition.get("max_gap_min") if with_silence else None,
        product_expires_at=None if with_silence or not shipment.product_expires_at else to_us(shipment.product_expires_at),
        eta=to_us(shipment.eta) if shipment.eta else None,
        shelf_life_margin_h=definition.get("shelf_life_margin_h"),
        charged_at=None if with_silence or not shipment.dewar_charged_at else to_us(shipment.dewar_charged_at),
        hold_time_h=None if with_silence else shipment.dewar_hold_time_h,
        hold_time_margin_h=definition.get("hold_time_margin_h"),
    )


SHIPMENT_CLOCK_KINDS = ("expired", "shelf_life_at_risk", "hold_time_at_risk", "hold_time_exhausted")
LOGGER_CLOCK_KINDS = ("silent",)


def clock_rules(now: datetime) -> list[tuple[int, list[tuple[str, int]]]]:
    """Evaluate §5's time rules for every active shipment; returns the changes per shipment."""
    now_us = to_us(now)
    shipments = list(
        Shipment.objects.filter(status__in=ACTIVE_STATUSES).select_related("profile_version")
    )
    if not shipments:
        return []
    ids = [s.pk for s in shipments]
    open_clock = defaultdict(list)
    for row in Excursion.objects.filter(shipment_id__in=ids, kind__in=monitoring.CLOCK_KINDS).exclude(
        status=ExcursionStatus.SUPERSEDED
    ):
        open_clock[(row.shipment_id, row.logger_id)].append(row)
    delivered = dict(
        CustodyEvent.objects.filter(shipment_id__in=ids, type=CustodyEventType.DELIVERED)
        .order_by("shipment_id", "occurred_at").values_list("shipment_id", "occurred_at")
    )
    last_reading = {
        (m.shipment_id, m.logger_id): m.last_reading_at
        for m in MonitorState.objects.filter(shipment_id__in=ids, role=LoggerRole.PRODUCT)
    }
    product_windows = defaultdict(list)
    for a in LoggerAssignment.objects.filter(shipment_id__in=ids, role=LoggerRole.PRODUCT, released_at__isnull=True):
        product_windows[a.shipment_id].append(a)

    results = []
    for shipment in shipments:
        changes: list[tuple[str, int]] = []
        targets = [(None, SHIPMENT_CLOCK_KINDS, clock_facts(shipment, last_reading_at=None,
                                                            delivered_at=delivered.get(shipment.pk),
                                                            with_silence=False))]
        for assignment in product_windows.get(shipment.pk, ()):
            last = last_reading.get((shipment.pk, assignment.logger_id)) or assignment.assigned_at
            targets.append((assignment.logger_id, LOGGER_CLOCK_KINDS,
                            clock_facts(shipment, last_reading_at=last, delivered_at=delivered.get(shipment.pk),
                                        with_silence=True)))
        for logger_id, kinds, facts in targets:
            stored = [r for r in open_clock.get((shipment.pk, logger_id), ()) if r.kind in kinds]
            open_rows = [r for r in stored if r.status == ExcursionStatus.OPEN]
            from .evaluation import as_engine_excursion

            found = [e for e in monitoring.evaluate_clock(facts, now_us, [as_engine_excursion(r) for r in open_rows])
                     if e.kind in kinds]
            if not found and not open_rows:
                continue  # nothing due, nothing open: no query at all
            # Durations of open clock excursions grow every minute; only a change of state
            # (raised, ended) is worth a write and a notification.
            found = [e for e in found if _state_changed(e, stored)]
            if not found:
                continue
            with transaction.atomic():
                changes += excursions_reconcile(shipment=shipment, logger_id=logger_id, kinds=kinds, found=found,
                                                full=False, now=now, stored=stored)
        if changes:
            results.append((shipment.pk, changes))
    for shipment_id, changes in results:
        excursions_changed.send(sender=Shipment, shipment_id=shipment_id, changes=changes)
    return results


def _state_changed(found: monitoring.Excursion, stored: list[Excursion]) -> bool:
    for row in stored:
        if row.rule_key == found.rule_key and to_us(row.started_at) == found.started_at:
            return (row.ended_at is None) != (found.ended_at is None)
    return True


def sweep(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    requeued = requeue_stale(now)
    uploads = requeue_uploads(now)
    clock = clock_rules(now)
    return {"requeued": requeued, "uploads_requeued": uploads, "clock_changes": sum(len(c) for _, c in clock)}
