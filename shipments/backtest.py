"""Back-testing (RULES.md §3): evaluate past shipments against another profile version and say,
shipment by shipment, what would have differed. Reads only; changes no record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from . import monitoring
from .choices import ExcursionStatus, LoggerRole
from .evaluation import from_us, readings_in_window, series_of
from .models import Excursion, ProfileVersion, Shipment
from .profiles import engine_profile


@dataclass
class ShipmentDiff:
    tracking_number: str
    version_in_force: int
    readings: int
    only_now: list[dict] = field(default_factory=list)      # raised today, gone under the candidate
    only_candidate: list[dict] = field(default_factory=list)  # raised only under the candidate
    changed: list[tuple[dict, dict]] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return bool(self.only_now or self.only_candidate or self.changed)


def _describe(kind, severity, direction, threshold_c, after_min, started_at, ended_at, duration_min, peak_c,
              logger) -> dict:
    return {"logger": logger, "kind": kind, "severity": severity, "direction": direction,
            "threshold_c": threshold_c, "after_min": after_min,
            "started_at": started_at.isoformat() if started_at else None,
            "ended_at": ended_at.isoformat() if ended_at else None,
            "duration_min": round(duration_min, 3), "peak_c": peak_c}


def _signature(d: dict) -> tuple:
    # Rule keys change between versions; compare what a person compares.
    return (d["logger"], d["kind"], d["direction"], d["threshold_c"], d["after_min"], d["started_at"])


def backtest(*, version: ProfileVersion, shipments: Iterable[Shipment]) -> list[ShipmentDiff]:
    profile = engine_profile(version.definition)
    diffs = []
    for shipment in shipments:
        diff = ShipmentDiff(shipment.tracking_number, shipment.profile_version.number, 0)
        current = {}
        for row in Excursion.objects.filter(shipment=shipment, kind__in=monitoring.READING_KINDS).exclude(
            status=ExcursionStatus.SUPERSEDED
        ).select_related("logger"):
            d = _describe(row.kind, row.severity, row.direction, row.threshold_c, row.after_min, row.started_at,
                          row.ended_at, row.duration_min, row.peak_c, row.logger.serial if row.logger else None)
            current[_signature(d)] = d
        candidate = {}
        for assignment in shipment.assignments.filter(role=LoggerRole.PRODUCT).select_related("logger"):
            series, _ = series_of(readings_in_window(assignment))
            diff.readings += len(series.t)
            for e in monitoring.evaluate(profile, series).excursions:
                d = _describe(e.kind, e.severity, e.direction, e.threshold_c, e.after_min, from_us(e.started_at),
                              from_us(e.ended_at), e.duration_min, e.peak_c, assignment.logger.serial)
                candidate[_signature(d)] = d
        for key, d in current.items():
            if key not in candidate:
                diff.only_now.append(d)
            elif {k: v for k, v in candidate[key].items()} != d:
                diff.changed.append((d, candidate[key]))
        diff.only_candidate = [d for key, d in candidate.items() if key not in current]
        diffs.append(diff)
    return diffs


__all__ = ["ShipmentDiff", "backtest"]
