"""A small network for the database tests: two facilities of one region, an LN2 profile with a
warning above -150 °C after 10 minutes, a sponsor and a courier."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shipments import services
from shipments.choices import FacilityKind
from shipments.models import (
    AlarmRule,
    Courier,
    Facility,
    Logger,
    Profile,
    Region,
    Shipment,
    Sponsor,
)

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
def world():
    region = Region.objects.create(code="EU-C", name="Central Europe")
    origin = Facility.objects.create(code="MF", name="MF", kind=FacilityKind.MICRO_FACTORY, region=region,
                                     latitude=47.56, longitude=7.59)
    destination = Facility.objects.create(code="TC", name="TC", kind=FacilityKind.TREATMENT_CENTRE, region=region,
                                          latitude=48.14, longitude=11.58, geofence_radius_km=2.0)
    profile = Profile.objects.create(code="LN2", name="LN2", min_c=-196, max_c=-150, max_gap_min=30,
                                     shelf_life_margin_h=2, hold_time_margin_h=2)
    AlarmRule.objects.create(profile=profile, kind="single", direction="above", threshold_c=-150, after_min=10,
                             severity="warning")
    return {"origin": origin, "destination": destination, "profile": profile,
            "sponsor": Sponsor.objects.create(code="S", name="S"),
            "courier": Courier.objects.create(code="C", name="C", planning_speed_kmh=80)}


def make_shipment(world, number: int, *, logger: Logger | None = None, **extra) -> Shipment:
    specs = [services.LoggerSpec(logger=logger, assigned_at=T0)] if logger else []
    return services.shipment_create(tracking_number=f"SHP-{number}", coi=f"COI-{number}", sponsor=world["sponsor"],
                                    profile=world["profile"], origin=world["origin"], destination=world["destination"],
                                    courier=world["courier"], loggers=specs, **extra)
