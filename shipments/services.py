"""Writes of the logistics domain. Each is one atomic function; work for the workers is queued on
commit, after the rows it needs are stored (the database is the source of truth)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from .audit import audit_record
from .choices import EVENT_STATUS, CustodyEventType, LoggerRole, ShipmentStatus
from .models import (
    CustodyEvent,
    Dewar,
    IngestBatch,
    Logger,
    LoggerAssignment,
    MonitorState,
    Profile,
    Reading,
    ReadingConflict,
    Shipment,
)
from .profiles import profile_version_publish

log = logging.getLogger(__name__)

READING_FIELDS = ("temperature_c", "latitude", "longitude", "tilt_deg", "battery_pct", "humidity_pct")


# --- Shipments and assignments ----------------------------------------------------------------


@dataclass(frozen=True)
class LoggerSpec:
    logger: Logger
    role: str = LoggerRole.PRODUCT
    assigned_at: datetime | None = None
    released_at: datetime | None = None


def assignment_check(*, logger: Logger, shipment: Shipment | None, assigned_at: datetime,
                     released_at: datetime | None) -> None:
    """Raise ValidationError if the logger cannot be assigned for this window: calibration due,
    or a window of the same logger overlapping it (RULES.md §1, §5)."""
    if logger.calibration_due and logger.calibration_due < assigned_at.date():
        raise ValidationError({"loggers": f"Logger {logger.serial} was due for calibration on "
                                          f"{logger.calibration_due:%Y-%m-%d}; it cannot be assigned."})
    if released_at is not None and released_at <= assigned_at:
        raise ValidationError({"loggers": f"Logger {logger.serial}: released_at must be after assigned_at."})
    overlapping = LoggerAssignment.objects.filter(logger=logger).filter(
        Q(released_at__isnull=True) | Q(released_at__gt=assigned_at)
    )
    if released_at is not None:
        overlapping = overlapping.filter(assigned_at__lt=released_at)
    if shipment is not None and shipment.pk:
        overlapping = overlapping.exclude(shipment=shipment)
    clash = overlapping.select_related("shipment").first()
    if clash is not None:
        raise ValidationError({"loggers": f"Logger {logger.serial} is already assigned to shipment "
                                          f"{clash.shipment.tracking_number} for an overlapping window."})


def dewar_check(*, dewar: Dewar, at: datetime) -> None:
    if dewar.qualified_until and dewar.qualified_until < at.date():
        raise ValidationError({"dewar": f"Dewar {dewar.serial}'s qualification lapsed on "
                                        f"{dewar.qualified_until:%Y-%m-%d}; it cannot be used."})


@transaction.atomic
def shipment_create(*, user=None, tracking_number: str, coi: str, sponsor, profile: Profile, origin,
                    destination, courier, dewar: Dewar | None = None, loggers: Sequence[LoggerSpec] = (),
                    planned_departure=None, planned_arrival=None, product_expires_at=None) -> Shipment:
    """Create a shipment on the profile's version in force, with its logger assignments."""
    now = timezone.now()
    if origin == destination:
        raise ValidationError({"destination": "The destination must differ from the origin."})
    if dewar is not None:
        dewar_check(dewar=dewar, at=planned_departure or now)
    shipment = Shipment(
        tracking_number=tracking_number, coi=coi, sponsor=sponsor,
        profile_version=profile_version_publish(profile=profile, user=user),
        origin=origin, destination=destination, courier=courier, dewar=dewar,
        dewar_charged_at=dewar.charged_at if dewar else None,
        dewar_hold_time_h=dewar.hold_time_h if dewar else None,
        planned_departure=planned_departure, planned_arrival=planned_arrival,
        product_expires_at=product_expires_at, eta=planned_arrival,
        current_region=origin.region,
    )
    shipment.full_clean(exclude=["profile_version"])
    shipment.save()
    for spec in loggers:
        assignment_add(shipment=shipment, logger=spec.logger, role=spec.role,
                       assigned_at=spec.assigned_at or now, released_at=spec.released_at, user=user,
                       audit=False)
    audit_record(actor=user, action="shipment.create", obj=shipment, shipment=shipment,
                 data={"tracking_number": tracking_number, "profile_version": shipment.profile_version_id,
                       "loggers": [s.logger.serial for s in loggers]})
    return shipment


@transaction.atomic
def assignment_add(*, shipment: Shipment, logger: Logger, role: str = LoggerRole.PRODUCT,
                   assigned_at: datetime, released_at: datetime | None = None, user=None,
                   audit: bool = True) -> LoggerAssignment:
    Logger.objects.select_for_update().filter(pk=logger.pk).first()
    assignment_check(logger=logger, shipment=shipment, assigned_at=assigned_at, released_at=released_at)
    assignment = LoggerAssignment.objects.create(shipment=shipment, logger=logger, role=role,
                                                 assigned_at=assigned_at, released_at=released_at)
    _window_changed(assignment)
    if audit:
        audit_record(actor=user, action="assignment.add", obj=assignment, shipment=shipment,
                     data={"logger": logger.serial, "role": role, "assigned_at": assigned_at,
                           "released_at": released_at})
    return assignment


@transaction.atomic
def assignment_update(*, assignment: LoggerAssignment, assigned_at: datetime | None = None,
                      released_at: datetime | None = None, clear_release: bool = False, user=None) -> LoggerAssignment:
    """Change a window; the shipment is re-evaluated from scratch for that logger."""
    Logger.objects.select_for_update().filter(pk=assignment.logger_id).first()
    before = (assignment.assigned_at, assignment.released_at)
    if assigned_at is not None:
        assignment.assigned_at = assigned_at
    if released_at is not None or clear_release:
        assignment.released_at = released_at
    assignment_check(logger=assignment.logger, shipment=assignment.shipment,
                     assigned_at=assignment.assigned_at, released_at=assignment.released_at)
    assignment.save(update_fields=["assigned_at", "released_at"])
    _window_changed(assignment, full=True)
    audit_record(actor=user, action="assignment.update", obj=assignment, shipment=assignment.shipment,
                 data={"before": before, "after": (assignment.assigned_at, assignment.released_at)})
    return assignment


def _window_changed(assignment: LoggerAssignment, *, full: bool = False) -> None:
    """Mark the (shipment, logger) monitor state for (re-)evaluation and queue it on commit."""
    state, _ = MonitorState.objects.get_or_create(
        shipment=assignment.shipment, logger=assignment.logger, defaults={"role": assignment.role}
    )
    state.role = assignment.role
    if full:
        state.state = None
    state.dirty_from = assignment.assigned_at
    state.dirty_since = timezone.now()
    state.save(update_fields=["role", "state", "dirty_from", "dirty_since"])
    evaluation_enqueue([assignment.shipment_id])


def evaluation_enqueue(shipment_ids: Iterable[int]) -> None:
    """Queue evaluation of these shipments once the current transaction commits."""
    from .tasks import evaluate_shipment

    for shipment_id in sorted(set(shipment_ids)):
        transaction.on_commit(lambda sid=shipment_id: evaluate_shipment.delay(sid))


# --- Readings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    conflicts: int
    batch: IngestBatch
    shipment_ids: tuple[int, ...]


def readings_ingest(*, logger: Logger, readings: Sequence[dict], source: str = "api", user=None,
                    batch: IngestBatch | None = None) -> IngestResult:
    """Store validated readings of one logger in one transaction, idempotently.

    ``readings`` are dicts with an aware ``recorded_at``, ``temperature_c`` and the optional
    fields; no two share a ``recorded_at`` (the caller refuses that). The first stored value of an
    instant wins: a repeat with the same temperature counts as a duplicate; a different one is a
    conflict, kept aside in ReadingConflict. Shipments whose windows cover new readings are marked
    dirty and queued for evaluation on commit. Without ``batch`` a new IngestBatch records the
    request; with one (an upload's), its counters grow.
    """
    with transaction.atomic():
        # One ingest per logger at a time: the duplicate/conflict split stays exact, and no
        # concurrent insert can collide with the rows found new below.
        Logger.objects.select_for_update().filter(pk=logger.pk).values_list("pk").first()
        existing: dict[datetime, float] = {}
        if readings:
            times = [r["recorded_at"] for r in readings]
            existing = dict(
                Reading.objects.filter(logger=logger, recorded_at__gte=min(times), recorded_at__lte=max(times))
                .order_by().values_list("recorded_at", "temperature_c")
            )
        fresh: list[dict] = []
        conflicting: list[tuple[dict, float]] = []
        duplicates = 0
        for r in readings:
            stored = existing.get(r["recorded_at"])
            if stored is None:
                fresh.append(r)
            elif stored == r["temperature_c"]:
                duplicates += 1
            else:
                conflicting.append((r, stored))
        submitter = user if getattr(user, "pk", None) else None
        if batch is None:
            batch = IngestBatch.objects.create(source=source, submitted_by=submitter, logger=logger,
                                               accepted=len(fresh), duplicates=duplicates,
                                               conflicts=len(conflicting))
        else:
            IngestBatch.objects.filter(pk=batch.pk).update(
                accepted=F("accepted") + len(fresh), duplicates=F("duplicates") + duplicates,
                conflicts=F("conflicts") + len(conflicting))
        store_new_readings(logger_id=logger.pk, batch_id=batch.pk, readings=fresh)
        if conflicting:
            ReadingConflict.objects.bulk_create([
                ReadingConflict(logger=logger, recorded_at=r["recorded_at"], temperature_c=r["temperature_c"],
                                stored_temperature_c=stored, batch=batch,
                                values={f: r.get(f) for f in READING_FIELDS if r.get(f) is not None})
                for r, stored in conflicting
            ])
        shipment_ids = mark_dirty(logger=logger, times=[r["recorded_at"] for r in fresh])
        evaluation_enqueue(shipment_ids)
    return IngestResult(len(fresh), duplicates, len(conflicting), batch, tuple(shipment_ids))


_COPY_COLUMNS = ("logger_id", "batch_id", "recorded_at", *READING_FIELDS)


def store_new_readings(*, logger_id: int, batch_id, readings: Sequence[dict]) -> None:
    """Insert readings known to be new. On PostgreSQL one ``COPY`` (no per-row objects or
    statements: the path that keeps 10,000-reading batches in milliseconds); elsewhere
    ``bulk_create``. The caller holds the logger's lock and has checked for existing instants."""
    if not readings:
        return
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        Reading.objects.bulk_create(
            [Reading(logger_id=logger_id, batch_id=batch_id, recorded_at=r["recorded_at"],
                     **{f: r.get(f) for f in READING_FIELDS}) for r in readings],
            batch_size=2000,
        )
        return
    prefix = f"{logger_id}\t{batch_id}\t"

    def text(value) -> str:
        return "\\N" if value is None else repr(float(value))

    lines = [
        f"{prefix}{r['recorded_at'].isoformat()}\t{float(r['temperature_c'])!r}\t{text(r.get('latitude'))}\t"
        f"{text(r.get('longitude'))}\t{text(r.get('tilt_deg'))}\t{text(r.get('battery_pct'))}\t{text(r.get('humidity_pct'))}\n"
        for r in readings
    ]
    with connection.cursor() as cursor, cursor.cursor.copy(
        f"COPY {Reading._meta.db_table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN"
    ) as copy:
        copy.write("".join(lines))


def mark_dirty(*, logger: Logger, times: Sequence[datetime]) -> list[int]:
    """For every assignment of the logger whose window covers some of ``times``, lower the monitor
    state's ``dirty_from`` to the earliest covered instant (one conditional UPDATE each: the row
    lock it takes orders this ingest after an evaluation in progress). Returns the shipment ids."""
    if not times:
        return []
    lo, hi = min(times), max(times)
    assignments = LoggerAssignment.objects.filter(logger=logger, assigned_at__lte=hi).filter(
        Q(released_at__isnull=True) | Q(released_at__gt=lo)
    ).values_list("shipment_id", "role", "assigned_at", "released_at")
    now = timezone.now()
    touched: list[int] = []
    for shipment_id, role, assigned_at, released_at in assignments:
        if assigned_at <= lo and (released_at is None or hi < released_at):
            earliest = lo
        else:
            covered = [t for t in times if assigned_at <= t and (released_at is None or t < released_at)]
            if not covered:
                continue
            earliest = min(covered)
        updated = MonitorState.objects.filter(shipment_id=shipment_id, logger=logger).update(
            dirty_from=Least(Coalesce("dirty_from", Value(earliest)), Value(earliest)),
            dirty_since=Coalesce("dirty_since", Value(now)),
        )
        if not updated:  # an assignment made before monitor states existed
            MonitorState.objects.get_or_create(shipment_id=shipment_id, logger=logger,
                                               defaults={"role": role, "dirty_from": earliest, "dirty_since": now})
        touched.append(shipment_id)
    return touched


# --- Custody ------------------------------------------------------------------------------


@transaction.atomic
def custody_event_record(*, shipment: Shipment, type: str, occurred_at: datetime, latitude=None,
                         longitude=None, note: str = "", user=None, source: str = "api") -> CustodyEvent:
    """Record a custody event and move the shipment's status as API.md says. An event that would
    move a closed shipment (released, rejected, cancelled …) is refused."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    target = EVENT_STATUS.get(type)
    closed = {ShipmentStatus.RELEASED, ShipmentStatus.REJECTED, ShipmentStatus.CANCELLED, ShipmentStatus.QUARANTINED}
    if target is not None and shipment.status in closed:
        raise ValidationError({"type": f"Shipment {shipment.tracking_number} is {shipment.status}; "
                                       f"a '{type}' event cannot move it."})
    event = CustodyEvent.objects.create(shipment=shipment, type=type, occurred_at=occurred_at, latitude=latitude,
                                        longitude=longitude, note=note, recorded_by=user if getattr(user, "pk", None) else None,
                                        source=source)
    before = shipment.status
    if target is not None and target != shipment.status:
        shipment.status = target
        shipment.save(update_fields=["status", "updated_at"])
    if type == CustodyEventType.RECEIVED:
        # Open windows end at receipt (API.md: released_at defaults to "open until received").
        for assignment in shipment.assignments.filter(released_at__isnull=True, assigned_at__lt=occurred_at):
            assignment.released_at = occurred_at
            assignment.save(update_fields=["released_at"])
            _window_changed(assignment, full=True)
    audit_record(actor=user, action="custody.event", obj=event, shipment=shipment,
                 data={"type": type, "occurred_at": occurred_at, "status": [before, shipment.status],
                       "latitude": latitude, "longitude": longitude, "note": note, "source": source})
    return event


@transaction.atomic
def shipment_plan_update(*, shipment: Shipment, user=None, **changes) -> Shipment:
    """Change planning facts (planned times, product expiry). The ETA falls back to the plan
    until a position is known."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    before = {name: getattr(shipment, name) for name in changes}
    for name, value in changes.items():
        setattr(shipment, name, value)
    if "planned_arrival" in changes and shipment.last_position_at is None:
        shipment.eta = shipment.planned_arrival
    shipment.save()
    audit_record(actor=user, action="shipment.plan", obj=shipment, shipment=shipment,
                 data={"before": before, "after": changes})
    return shipment
