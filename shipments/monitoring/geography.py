"""Distances on the WGS-84 ellipsoid: ETA, the nearest facility, geofences (RULES.md §5, §6).

Points are ``(latitude, longitude)`` in degrees. Distances are geodesic (geopy, Karney's
algorithm), in kilometres. These run when a position arrives, not in the minute sweep.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

from geopy.distance import geodesic

from .series import Instant, to_us

Point = tuple[float, float]
K = TypeVar("K", bound=Hashable)

US_PER_HOUR = 3_600_000_000


def distance_km(a: Point, b: Point) -> float:
    """Geodesic distance between two points, km. Raises ``ValueError`` on an impossible
    latitude or longitude."""
    for lat, lon in (a, b):
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ValueError(f"({lat}, {lon}) is not a WGS-84 position")
    return float(geodesic(a, b, ellipsoid="WGS-84").km)


def estimate_eta(
    *,
    destination: Point,
    position: Point | None = None,
    position_at: Instant | None = None,
    speed_kmh: float | None = None,
    handling_time_h: float = 0.0,
    planned_arrival: Instant | None = None,
) -> int | None:
    """Estimated arrival, µs since the epoch.

    From the last known ``position`` (recorded at ``position_at``): ``position_at`` + geodesic
    distance to ``destination`` / ``speed_kmh`` + ``handling_time_h``. Before any position, or
    without a positive planning speed, the ``planned_arrival`` (``None`` if there is none).
    """
    if position is None or position_at is None or speed_kmh is None or speed_kmh <= 0:
        return None if planned_arrival is None else to_us(planned_arrival)
    hours = distance_km(position, destination) / speed_kmh + handling_time_h
    return to_us(position_at) + int(round(hours * US_PER_HOUR))


def nearest(
    point: Point, candidates: Mapping[K, Point] | Iterable[tuple[K, Point]]
) -> tuple[K, float] | None:
    """The candidate nearest to ``point`` as ``(key, distance_km)``; the first given wins a tie;
    ``None`` without candidates. Used to find the region a shipment is in now."""
    items = candidates.items() if isinstance(candidates, Mapping) else candidates
    best: tuple[K, float] | None = None
    for key, where in items:
        d = distance_km(point, where)
        if best is None or d < best[1]:
            best = (key, d)
    return best


def within_geofence(point: Point, centre: Point, radius_km: float) -> bool:
    """Whether ``point`` lies within ``radius_km`` of ``centre`` (the boundary counts as in)."""
    return distance_km(point, centre) <= radius_km
