"""A small network built through the API itself, as a client that knows only API.md would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shipments.choices import Role

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.isoformat()


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, getattr(response, "data", response.content))
    return response.json()


@pytest.fixture
def coordinator(make_user, db):
    return make_user("coord", Role.COORDINATOR, all_sponsors=True)


@pytest.fixture
def network(coordinator):
    """Regions, facilities, sponsor, couriers, an LN2 profile, loggers and a dewar, via the API."""
    _, client = coordinator
    ok(client.post("/api/v1/regions/", {"code": "EU-C", "name": "Central Europe", "escalate_after_min": 15},
                   format="json"), 201)
    ok(client.post("/api/v1/regions/", {"code": "EU-W", "name": "Western Europe"}, format="json"), 201)
    for code, kind, region, lat, lon in [
        ("MF-BSL", "micro_factory", "EU-C", 47.5596, 7.5886),
        ("TC-MUC", "treatment_centre", "EU-C", 48.1374, 11.5755),
        ("TC-PAR", "treatment_centre", "EU-W", 48.8386, 2.3622),
    ]:
        ok(client.post("/api/v1/facilities/", {"code": code, "name": code, "kind": kind, "region": region,
                                                "latitude": lat, "longitude": lon, "timezone": "Europe/Zurich",
                                                "geofence_radius_km": 2}, format="json"), 201)
    ok(client.post("/api/v1/sponsors/", {"code": "HELIX", "name": "Helix"}, format="json"), 201)
    ok(client.post("/api/v1/sponsors/", {"code": "OTHER", "name": "Other sponsor"}, format="json"), 201)
    ok(client.post("/api/v1/couriers/", {"code": "CRYOX", "name": "CryoExpress", "planning_speed_kmh": 80},
                   format="json"), 201)
    ok(client.post("/api/v1/couriers/", {"code": "RIVAL", "name": "Rival Couriers"}, format="json"), 201)
    ok(client.post("/api/v1/profiles/", {
        "code": "CART-LN2", "name": "CAR-T, LN2 vapour", "min_c": -196, "max_c": -150,
        "rules": [
            {"kind": "single", "direction": "above", "threshold_c": -150, "after_min": 10, "severity": "warning"},
            {"kind": "single", "direction": "above", "threshold_c": -120, "after_min": 0, "severity": "critical"},
            {"kind": "cumulative", "direction": "above", "threshold_c": -150, "after_min": 60, "severity": "critical"},
        ],
    }, format="json"), 201)
    for serial in ("LG-1", "LG-2", "LG-3"):
        ok(client.post("/api/v1/loggers/", {"serial": serial, "model": "LIBERO", "calibration_due": "2027-06-30",
                                             "interval_s": 60}, format="json"), 201)
    ok(client.post("/api/v1/dewars/", {"serial": "DW-1", "model": "Cryoport", "hold_time_h": 240,
                                        "charged_at": iso(T0 - timedelta(hours=10)), "qualified_until": "2027-12-31"},
                   format="json"), 201)
    return client


@pytest.fixture
def shipment(network):
    """SHP-1: Basel -> Munich, LN2, logger LG-1 from T0, carried by CRYOX."""
    return ok(network.post("/api/v1/shipments/", {
        "tracking_number": "SHP-1", "coi": "COI-0001", "sponsor": "HELIX", "profile": "CART-LN2",
        "origin": "MF-BSL", "destination": "TC-MUC", "courier": "CRYOX", "dewar": "DW-1",
        "loggers": [{"serial": "LG-1", "assigned_at": iso(T0)}],
        "planned_departure": iso(T0), "planned_arrival": iso(T0 + timedelta(hours=8)),
        "product_expires_at": iso(T0 + timedelta(days=3)),
    }, format="json"), 201)


@pytest.fixture
def courier(make_user, network):
    from shipments.models import Courier

    return make_user("cryox-api", Role.COURIER, courier=Courier.objects.get(code="CRYOX"))


def readings(values, start=T0, step_min=1, **extra):
    return {"readings": [{"recorded_at": iso(start + timedelta(minutes=i * step_min)), "temperature_c": v, **extra}
                         for i, v in enumerate(values)]}
