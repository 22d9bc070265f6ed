"""Reads of the logistics domain, shaped for the API, the admin and reports."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from .choices import LoggerRole
from .evaluation import from_us, to_us
from .models import LoggerAssignment, MonitorState, Reading, Shipment

OPTIONAL_FIELDS = ("latitude", "longitude", "tilt_deg", "battery_pct", "humidity_pct")


def _iso(value_us) -> str | None:
    return from_us(value_us).isoformat() if isinstance(value_us, int) else None


def logger_stats(state: MonitorState) -> dict:
    """One logger's figures (RULES.md §4) from its monitor state, times as ISO strings."""
    stats = state.stats or {}
    return {
        "readings": stats.get("count", 0),
        "min_c": stats.get("min_c"),
        "max_c": stats.get("max_c"),
        "mean_c": stats.get("mean_c"),
        "mkt_c": stats.get("mkt_c"),
        "tor_min": stats.get("tor_min", 0.0),
        "first_at": _iso(stats.get("first_at")),
        "last_at": _iso(stats.get("last_at")),
        "largest_gap_min": stats.get("largest_gap_min"),
    }


def shipment_stats(shipment: Shipment) -> dict:
    """The shipment's figures: per product logger, and the worst of them (RULES.md §4: with
    several product loggers, the shipment shows the worst — the warmest MKT, the longest time out
    of range, the extremes)."""
    states = [s for s in shipment.monitor_states.all() if s.role == LoggerRole.PRODUCT]
    per_logger = {s.logger.serial: logger_stats(s) for s in sorted(states, key=lambda s: s.logger.serial)}
    figures = [f for f in per_logger.values() if f["readings"]]
    if not figures:
        return {"readings": 0, "min_c": None, "max_c": None, "mean_c": None, "mkt_c": None, "tor_min": 0.0,
                "first_at": None, "last_at": None, "per_logger": per_logger}
    worst_mean = max(figures, key=lambda f: abs(f["mean_c"] - _centre(shipment)))
    return {
        "readings": sum(f["readings"] for f in figures),
        "min_c": min(f["min_c"] for f in figures),
        "max_c": max(f["max_c"] for f in figures),
        "mean_c": worst_mean["mean_c"],
        "mkt_c": max((f["mkt_c"] for f in figures if f["mkt_c"] is not None), default=None),
        "tor_min": max(f["tor_min"] for f in figures),
        "first_at": min(f["first_at"] for f in figures),
        "last_at": max(f["last_at"] for f in figures),
        "per_logger": per_logger,
    }


def _centre(shipment: Shipment) -> float:
    definition = shipment.profile_version.definition
    return (definition["min_c"] + definition["max_c"]) / 2


def shipment_window_filter(shipment: Shipment, *, role: str | None = None) -> Q:
    """Readings inside the shipment's assignment windows."""
    condition = Q(pk__in=[])
    assignments = shipment.assignments.all()
    for assignment in assignments:
        if role and assignment.role != role:
            continue
        window = Q(logger_id=assignment.logger_id, recorded_at__gte=assignment.assigned_at)
        if assignment.released_at is not None:
            window &= Q(recorded_at__lt=assignment.released_at)
        condition |= window
    return condition


def shipment_readings(shipment: Shipment, *, since: datetime | None = None, until: datetime | None = None) -> QuerySet:
    qs = Reading.objects.filter(shipment_window_filter(shipment))
    if since is not None:
        qs = qs.filter(recorded_at__gte=since)
    if until is not None:
        qs = qs.filter(recorded_at__lt=until)
    return qs.order_by("recorded_at", "logger_id")


def shipment_reading_buckets(shipment: Shipment, *, every_s: int, since=None, until=None) -> list[dict]:
    """Readings summarised in buckets of ``every_s`` seconds per logger (charts over long trips)."""
    assignments = {a.logger_id: a for a in shipment.assignments.select_related("logger")}
    buckets: dict[tuple[int, int], list[float]] = {}
    rows = shipment_readings(shipment, since=since, until=until).values_list("logger_id", "recorded_at", "temperature_c")
    step = every_s * 1_000_000
    for logger_id, recorded_at, temperature_c in rows.iterator(chunk_size=5000):
        us = to_us(recorded_at)
        key = (logger_id, us - us % step)
        bucket = buckets.get(key)
        if bucket is None:
            buckets[key] = [temperature_c, temperature_c, temperature_c, 1]
        else:
            bucket[0] = min(bucket[0], temperature_c)
            bucket[1] = max(bucket[1], temperature_c)
            bucket[2] += temperature_c
            bucket[3] += 1
    items = []
    for (logger_id, start), (lo, hi, total, count) in sorted(buckets.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        assignment = assignments[logger_id]
        items.append({"logger": assignment.logger.serial, "role": assignment.role,
                      "recorded_at": from_us(start).isoformat(), "min_c": lo, "max_c": hi,
                      "mean_c": round(total / count, 4), "count": count})
    return items


def logger_postable_by(user, logger) -> bool:
    """A courier may post for loggers assigned to shipments its company carries (any window);
    integrations and coordinators for any logger."""
    from .access import has_role, membership_of
    from .choices import Role

    if has_role(user, Role.INTEGRATION, Role.COORDINATOR):
        return True
    if has_role(user, Role.COURIER):
        membership = membership_of(user)
        if membership and membership.courier_id:
            return LoggerAssignment.objects.filter(logger=logger, shipment__courier_id=membership.courier_id).exists()
    return False
