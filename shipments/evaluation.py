"""Evaluation of a shipment: load the monitor state and the readings past it, run the pure engine,
persist excursions and state, and announce what changed (DESIGN.md "How data flows")."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import numpy as np
from django.db import transaction
from django.utils import timezone

from . import monitoring
from .choices import MOVING_STATUSES, CustodyEventType, ExcursionStatus, LoggerRole
from .models import Excursion, Facility, LoggerAssignment, MonitorState, Reading, Shipment
from .profiles import engine_profile, rule_evidence
from .signals import excursions_changed

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
to_us = monitoring.to_us


def from_us(value: int | None) -> datetime | None:
    return None if value is None else monitoring.from_us(int(value))


def readings_in_window(assignment: LoggerAssignment, *, after: datetime | None = None):
    qs = Reading.objects.filter(logger_id=assignment.logger_id, recorded_at__gte=assignment.assigned_at)
    if assignment.released_at is not None:
        qs = qs.filter(recorded_at__lt=assignment.released_at)
    if after is not None:
        qs = qs.filter(recorded_at__gt=after)
    return qs.order_by("recorded_at")


Position = tuple[datetime, float, float]


def series_of(queryset) -> tuple[monitoring.Series, Position | None]:
    """One logger's readings as the engine's columnar series (a single query, no model objects),
    and the newest position among them, if any."""
    rows = list(queryset.values_list("recorded_at", "temperature_c", "tilt_deg", "battery_pct", "latitude",
                                     "longitude"))
    n = len(rows)
    t = np.fromiter((to_us(r[0]) for r in rows), dtype=np.int64, count=n)
    temp = np.fromiter((r[1] for r in rows), dtype=np.float64, count=n)
    tilt = np.fromiter((np.nan if r[2] is None else r[2] for r in rows), dtype=np.float64, count=n)
    battery = np.fromiter((np.nan if r[3] is None else r[3] for r in rows), dtype=np.float64, count=n)
    position = next(((r[0], r[4], r[5]) for r in reversed(rows) if r[4] is not None and r[5] is not None), None)
    return monitoring.Series(t=t, temp=temp, tilt=tilt, battery=battery), position


def _ambient(definition: dict) -> dict:
    """Ambient loggers are recorded and charted, never alarmed on: their figures only."""
    return {**definition, "rules": [], "mkt_max_c": None, "max_gap_min": None, "max_tilt_deg": None,
            "min_battery_pct": None}


def shipment_evaluate(shipment_id: int, *, now: datetime | None = None) -> list[tuple[str, int]]:
    """Evaluate every dirty (shipment, logger) of a shipment. Returns the excursion changes
    ``[(event, excursion_id)]``, also announced by ``excursions_changed`` after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        states = list(
            MonitorState.objects.select_for_update()
            .filter(shipment_id=shipment_id, dirty_from__isnull=False)
            .order_by("id")
        )
        if not states:
            return []
        shipment = Shipment.objects.select_related("profile_version", "destination", "courier").get(pk=shipment_id)
        definition = shipment.profile_version.definition
        assignments = {a.logger_id: a for a in shipment.assignments.all()}
        changes: list[tuple[str, int]] = []
        newest_position: Position | None = None
        for state in states:
            assignment = assignments.get(state.logger_id)
            if assignment is None:
                state.dirty_from = None
                state.save(update_fields=["dirty_from"])
                continue
            product = assignment.role == LoggerRole.PRODUCT
            profile = engine_profile(definition if product else _ambient(definition))
            prior = monitoring.State.from_json(state.state) if state.state else None
            full = prior is None or state.last_reading_at is None or state.dirty_from <= state.last_reading_at
            series, position = series_of(readings_in_window(assignment, after=None if full else state.last_reading_at))
            try:
                evaluation = monitoring.evaluate(profile, series, None if full else prior)
            except monitoring.LateReadingError:
                full = True
                series, position = series_of(readings_in_window(assignment))
                evaluation = monitoring.evaluate(profile, series, None)
            if position is not None and (newest_position is None or position[0] > newest_position[0]):
                newest_position = position
            if product:
                changes += excursions_reconcile(shipment=shipment, logger_id=assignment.logger_id,
                                                kinds=monitoring.READING_KINDS, found=evaluation, full=full,
                                                now=now, definition=definition)
            state.state = evaluation.state.to_json()
            state.stats = evaluation.stats.as_dict()
            last_at = state.stats.get("last_at")
            state.last_reading_at = from_us(last_at) if isinstance(last_at, int) else state.last_reading_at
            state.dirty_from = None
            state.dirty_since = None
            state.evaluated_at = now
            state.role = assignment.role
            state.save()
        if newest_position is not None:
            position_update(shipment, position=newest_position)
        if changes:
            transaction.on_commit(
                lambda: excursions_changed.send(sender=Shipment, shipment_id=shipment_id, changes=changes)
            )
    return changes


def as_engine_excursion(row: Excursion) -> monitoring.Excursion:
    """A stored excursion in the engine's terms (for reconciliation)."""
    return monitoring.Excursion(
        kind=row.kind, rule_key=row.rule_key, started_at=to_us(row.started_at), alarm_at=to_us(row.alarm_at),
        ended_at=to_us(row.ended_at) if row.ended_at else None, duration_min=row.duration_min, peak_c=row.peak_c,
        peak_at=to_us(row.peak_at) if row.peak_at else None, direction=row.direction, threshold_c=row.threshold_c,
        after_min=row.after_min, severity=row.severity,
    )


def _row_values(found: monitoring.Excursion) -> dict:
    return {
        "kind": found.kind, "direction": found.direction, "threshold_c": found.threshold_c,
        "after_min": found.after_min, "severity": found.severity, "alarm_at": from_us(found.alarm_at),
        "ended_at": from_us(found.ended_at), "duration_min": found.duration_min, "peak_c": found.peak_c,
        "peak_at": from_us(found.peak_at),
        "status": ExcursionStatus.OPEN if found.ended_at is None else ExcursionStatus.CLOSED,
    }


def excursions_reconcile(*, shipment: Shipment, logger_id: int | None, kinds: tuple[str, ...], found,
                         full: bool, now: datetime, definition: dict | None = None,
                         stored: list[Excursion] | None = None) -> list[tuple[str, int]]:
    """Apply the engine's view of one (shipment, logger)'s excursions of ``kinds`` to the store.

    Identity is (rule_key, started_at). New -> ``raised``; changed -> ``updated``, or ``closed``
    when it just ended; a superseded one that reappears -> ``raised`` again. On a full
    evaluation a stored one the engine no longer finds is withdrawn: kept, marked superseded
    (RULES.md §2). ``stored`` may be passed when the caller loaded the rows in bulk."""
    if stored is None:
        stored = list(Excursion.objects.filter(shipment=shipment, logger_id=logger_id, kind__in=kinds))
    rows = {(e.rule_key, to_us(e.started_at)): e for e in stored}
    known = {key: as_engine_excursion(e) for key, e in rows.items() if e.status != ExcursionStatus.SUPERSEDED}
    merge = monitoring.merge_excursions(known, found, full=full)
    definition = definition if definition is not None else shipment.profile_version.definition
    changes: list[tuple[str, int]] = []
    for excursion in merge.new:
        values = _row_values(excursion)
        revived = rows.get(excursion.key)
        if revived is not None:  # withdrawn earlier, found again
            for name, value in values.items():
                setattr(revived, name, value)
            revived.save()
            changes.append(("raised", revived.pk))
            continue
        row = Excursion.objects.create(
            shipment=shipment, logger_id=logger_id, profile_version_id=shipment.profile_version_id,
            rule_key=excursion.rule_key, started_at=from_us(excursion.started_at), detected_at=now,
            evidence={"rule": rule_evidence(definition, excursion.rule_key)}, **values,
        )
        changes.append(("raised", row.pk))
    for excursion in merge.changed:
        row = rows[excursion.key]
        was_open = row.status == ExcursionStatus.OPEN
        for name, value in _row_values(excursion).items():
            setattr(row, name, value)
        row.save()
        changes.append(("closed" if was_open and row.status == ExcursionStatus.CLOSED else "updated", row.pk))
    for excursion in merge.withdrawn:
        row = rows[excursion.key]
        row.status = ExcursionStatus.SUPERSEDED
        row.save(update_fields=["status", "updated_at"])
        changes.append(("withdrawn", row.pk))
    return changes


# --- Position, region, ETA, geofence (computed when a position arrives, RULES.md §5) -----------


def facility_points() -> list[tuple[int, tuple[float, float]]]:
    """(region id, position) of every facility: the candidates for "the region it is in now"."""
    return [(f.region_id, (f.latitude, f.longitude)) for f in Facility.objects.only("latitude", "longitude", "region_id")]


def position_update(shipment: Shipment, *, position: Position) -> bool:
    """A position from the readings just evaluated: if newer than what the shipment knows, update
    last position, current region (nearest facility, geodesic) and ETA, and record an
    ``arrived`` custody event on entering the destination's geofence."""
    at, lat, lon = position
    if shipment.last_position_at and at <= shipment.last_position_at:
        return False
    shipment.last_latitude, shipment.last_longitude, shipment.last_position_at = lat, lon, at
    nearest = monitoring.nearest((lat, lon), facility_points())
    if nearest is not None:
        shipment.current_region_id = nearest[0]
    shipment.eta = eta_of(shipment)
    shipment.save(update_fields=["last_latitude", "last_longitude", "last_position_at", "current_region",
                                 "eta", "updated_at"])
    destination = shipment.destination
    if shipment.status in MOVING_STATUSES and monitoring.within_geofence(
        (lat, lon), (destination.latitude, destination.longitude), destination.geofence_radius_km
    ):
        from .services import custody_event_record

        custody_event_record(shipment=shipment, type=CustodyEventType.ARRIVED, occurred_at=at, latitude=lat,
                             longitude=lon, note=f"Entered the geofence of {destination.code}.", source="geofence")
    return True


def eta_of(shipment: Shipment) -> datetime | None:
    definition = shipment.profile_version.definition
    speed = shipment.courier.planning_speed_kmh or definition.get("planning_speed_kmh")
    if shipment.last_position_at is None or not speed:
        return shipment.planned_arrival
    destination = shipment.destination
    eta_us = monitoring.estimate_eta(
        position=(shipment.last_latitude, shipment.last_longitude),
        position_at=to_us(shipment.last_position_at),
        destination=(destination.latitude, destination.longitude),
        speed_kmh=speed,
        handling_time_h=definition.get("handling_time_h") or 0.0,
        planned_arrival=to_us(shipment.planned_arrival) if shipment.planned_arrival else None,
    )
    return from_us(eta_us)
