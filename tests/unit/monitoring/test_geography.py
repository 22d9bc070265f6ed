"""ETA, region routing and geofences on the WGS-84 ellipsoid (RULES.md §5, §6)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from shipments.monitoring import distance_km, estimate_eta, nearest, to_us, within_geofence

BERLIN = (52.5200, 13.4050)
MUNICH = (48.1351, 11.5820)
PARIS = (48.8566, 2.3522)
HOUR = 3_600_000_000
T0 = to_us(datetime(2024, 3, 1, 8, 0, tzinfo=UTC))


def test_distance_is_geodesic_on_wgs84():
    # The WGS-84 quarter meridian is 10 001.965729 km; one degree along the equator is
    # a·π/180 with a = 6 378.137 km. A sphere gets neither.
    assert math.isclose(distance_km((0.0, 0.0), (90.0, 0.0)), 10_001.965729, abs_tol=1e-6)
    assert math.isclose(distance_km((0.0, 0.0), (0.0, 1.0)), 6378.137 * math.pi / 180, rel_tol=1e-12)
    assert distance_km(BERLIN, BERLIN) == 0.0


def test_impossible_positions_are_refused():
    with pytest.raises(ValueError):
        distance_km((91.0, 0.0), BERLIN)
    with pytest.raises(ValueError):
        distance_km(BERLIN, (0.0, 181.0))


def test_eta_is_distance_over_speed_plus_handling_from_the_last_position():
    eta = estimate_eta(position=BERLIN, position_at=T0, destination=MUNICH, speed_kmh=80,
                       handling_time_h=1.5)
    assert eta is not None
    expected = T0 + (distance_km(BERLIN, MUNICH) / 80 + 1.5) * HOUR
    assert abs(eta - expected) <= 1


def test_eta_before_any_position_is_the_planned_arrival():
    planned = datetime(2024, 3, 2, 12, 0, tzinfo=UTC)
    assert estimate_eta(destination=MUNICH, planned_arrival=planned) == to_us(planned)
    assert estimate_eta(destination=MUNICH) is None


def test_eta_without_a_planning_speed_is_the_planned_arrival():
    assert estimate_eta(position=BERLIN, position_at=T0, destination=MUNICH, speed_kmh=None,
                        planned_arrival=T0 + HOUR) == T0 + HOUR


def test_nearest_returns_the_key_and_distance_of_the_closest_candidate():
    found = nearest((50.1109, 8.6821), {"berlin": BERLIN, "munich": MUNICH, "paris": PARIS})
    assert found is not None and found[0] == "munich"
    assert math.isclose(found[1], distance_km((50.1109, 8.6821), MUNICH))
    assert nearest(BERLIN, [(7, PARIS), (3, BERLIN)]) == (3, 0.0)
    assert nearest(BERLIN, {}) is None


def test_geofence_includes_its_boundary():
    radius = distance_km(BERLIN, (52.53, 13.41))
    assert within_geofence((52.53, 13.41), BERLIN, radius)
    assert not within_geofence((52.53, 13.41), BERLIN, radius * 0.99)
