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
from .evaluation import as_engine_excursion, excursions_reconcile, to_us
from .models import (
    CustodyEvent,
    Excursion,
    LoggerAssignment,
    MonitorState,
    ProfileVersion,
    Shipment,
)
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


SHIPMENT_CLOCK_KINDS = ("expired", "shelf_life_at_risk", "hold_time_at_risk", "hold_time_exhausted")
LOGGER_CLOCK_KINDS = ("silent",)
_US = to_us


def _us(value: datetime | None) -> int | None:
    return None if value is None else _US(value)


def clock_rules(now: datetime) -> list[tuple[int, list[tuple[str, int]]]]:
    """Evaluate §5's time rules for every active shipment; returns the changes per shipment.

    Six queries load everything as plain tuples, joined on the shipment's status (no id lists);
    a shipment whose rules find nothing due and that has nothing open costs no query at all.
    Only shipments whose excursions change are loaded as objects and written."""
    now_us = _US(now)
    active = {"shipment__status__in": ACTIVE_STATUSES}
    rows = list(Shipment.objects.filter(status__in=ACTIVE_STATUSES).values_list(
        "pk", "status", "profile_version_id", "eta", "product_expires_at", "dewar_charged_at", "dewar_hold_time_h"))
    if not rows:
        return []
    definitions = dict(ProfileVersion.objects.filter(shipments__status__in=ACTIVE_STATUSES).distinct()
                       .values_list("pk", "definition"))
    stored_clock = defaultdict(list)
    for row in Excursion.objects.filter(kind__in=monitoring.CLOCK_KINDS, **active).exclude(
        status=ExcursionStatus.SUPERSEDED
    ):
        stored_clock[(row.shipment_id, row.logger_id)].append(row)
    stored_loggers = defaultdict(set)  # shipment -> loggers with stored silence excursions
    for shipment_id, logger_id in stored_clock:
        if logger_id is not None:
            stored_loggers[shipment_id].add(logger_id)
    delivered: dict[int, datetime] = {}
    for shipment_id, occurred_at in CustodyEvent.objects.filter(type=CustodyEventType.DELIVERED, **active).values_list(
        "shipment_id", "occurred_at"
    ):
        delivered[shipment_id] = min(occurred_at, delivered.get(shipment_id, occurred_at))
    last_reading = {
        (shipment_id, logger_id): at
        for shipment_id, logger_id, at in MonitorState.objects.filter(role=LoggerRole.PRODUCT, **active).values_list(
            "shipment_id", "logger_id", "last_reading_at")
    }
    product_windows = defaultdict(list)
    for shipment_id, logger_id, assigned_at in LoggerAssignment.objects.filter(
        role=LoggerRole.PRODUCT, released_at__isnull=True, **active
    ).values_list("shipment_id", "logger_id", "assigned_at"):
        product_windows[shipment_id].append((logger_id, assigned_at))

    due: list[tuple[int, int | None, tuple[str, ...], list, list[Excursion]]] = []
    for pk, status, version_id, eta, expires_at, charged_at, hold_time_h in rows:
        definition = definitions[version_id]
        in_transit = status in MOVING_STATUSES
        delivered_at = _us(delivered.get(pk))
        eta_us = _us(eta)
        targets: list[tuple[int | None, tuple[str, ...], monitoring.ClockFacts]] = [(None, SHIPMENT_CLOCK_KINDS, monitoring.ClockFacts(
            in_transit=in_transit, delivered_at=delivered_at, product_expires_at=_us(expires_at), eta=eta_us,
            shelf_life_margin_h=definition.get("shelf_life_margin_h"), charged_at=_us(charged_at),
            hold_time_h=hold_time_h, hold_time_margin_h=definition.get("hold_time_margin_h"),
        ))]
        max_gap_min = definition.get("max_gap_min")
        if max_gap_min is not None and in_transit:
            for logger_id, assigned_at in product_windows.get(pk, ()):
                last = last_reading.get((pk, logger_id)) or assigned_at
                targets.append((logger_id, LOGGER_CLOCK_KINDS, monitoring.ClockFacts(
                    in_transit=True, delivered_at=delivered_at, last_reading_at=_US(last), max_gap_min=max_gap_min)))
        for logger_id in stored_loggers.get(pk, ()):
            if all(t[0] != logger_id for t in targets):
                # Open excursions of a logger no longer watched (released, gap rule off): they end.
                targets.append((logger_id, LOGGER_CLOCK_KINDS, monitoring.ClockFacts()))
        for logger_id, kinds, facts in targets:
            stored = [r for r in stored_clock.get((pk, logger_id), ()) if r.kind in kinds]
            open_rows = [r for r in stored if r.status == ExcursionStatus.OPEN]
            found = [e for e in monitoring.evaluate_clock(facts, now_us, [as_engine_excursion(r) for r in open_rows])
                     if e.kind in kinds]
            if not found and not open_rows:
                continue  # nothing due, nothing open: no query at all
            # Durations of open clock excursions grow every minute; only a change of state
            # (raised, ended) is worth a write and a notification.
            found = [e for e in found if _state_changed(e, stored)]
            if found:
                due.append((pk, logger_id, kinds, found, stored))

    results: dict[int, list[tuple[str, int]]] = defaultdict(list)
    shipments = Shipment.objects.select_related("profile_version").in_bulk({d[0] for d in due})
    for pk, logger_id, kinds, found, stored in due:
        with transaction.atomic():
            results[pk] += excursions_reconcile(shipment=shipments[pk], logger_id=logger_id, kinds=kinds, found=found,
                                                full=False, now=now, stored=stored)
    for shipment_id, changes in results.items():
        excursions_changed.send(sender=Shipment, shipment_id=shipment_id, changes=changes)
    return list(results.items())


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
