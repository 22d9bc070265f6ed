"""A small cold-chain world for the admin and browser tests, built through the services (so
excursions and alerts come from the real evaluation): two regions, an LN2 profile, coordinator
and QA users, and shipments in flight with the readings they need."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from shipments import services
from shipments.access import ensure_role_groups
from shipments.choices import CustodyEventType, FacilityKind, Role
from shipments.models import (
    AlarmRule,
    Courier,
    Dewar,
    Facility,
    Logger,
    Membership,
    Profile,
    Region,
    Shipment,
    Sponsor,
)

PASSWORD = "pw-secret-1"


def make_staff(username: str, role: str, *, superuser: bool = False, first: str = "", last: str = "Tester"):
    """A staff user with a role, granted every sponsor; QA gets the view rights the demo gives it."""
    groups = ensure_role_groups()
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True,
                                                is_superuser=superuser, first_name=first or username.title(),
                                                last_name=last)
    user.groups.add(groups[role])
    Membership.objects.create(user=user, all_sponsors=True)
    if not superuser:
        user.user_permissions.add(*Permission.objects.filter(
            content_type__app_label__in=["shipments", "alerts"], codename__startswith="view_"))
    return user


def build_world() -> dict:
    eu_c = Region.objects.create(code="EU-CENTRAL", name="Central Europe")
    eu_w = Region.objects.create(code="EU-WEST", name="Western Europe")
    facilities = {
        code: Facility.objects.create(code=code, name=name, kind=kind, region=region, latitude=lat, longitude=lon,
                                      timezone=tz, geofence_radius_km=2)
        for code, name, kind, region, lat, lon, tz in [
            ("MF-BSL", "Basel micro-factory", FacilityKind.MICRO_FACTORY, eu_c, 47.5596, 7.5886, "Europe/Zurich"),
            ("TC-MUC", "Munich treatment centre", FacilityKind.TREATMENT_CENTRE, eu_c, 48.1374, 11.5755,
             "Europe/Berlin"),
            ("MF-LEI", "Leiden micro-factory", FacilityKind.MICRO_FACTORY, eu_w, 52.1672, 4.4760, "Europe/Amsterdam"),
            ("TC-PAR", "Paris haematology institute", FacilityKind.TREATMENT_CENTRE, eu_w, 48.8386, 2.3622,
             "Europe/Paris"),
        ]
    }
    profile = Profile.objects.create(code="CART-LN2", name="CAR-T, LN2 vapour", min_c=-196, max_c=-150,
                                     max_gap_min=30, shelf_life_margin_h=12, hold_time_margin_h=24,
                                     handling_time_h=1, planning_speed_kmh=70)
    for kind, direction, threshold, after, severity in [("single", "above", -150, 10, "warning"),
                                                        ("single", "above", -120, 0, "critical"),
                                                        ("cumulative", "above", -150, 60, "critical")]:
        AlarmRule.objects.create(profile=profile, kind=kind, direction=direction, threshold_c=threshold,
                                 after_min=after, severity=severity)
    return {
        "facilities": facilities,
        "profile": profile,
        "sponsor": Sponsor.objects.create(code="HELIX", name="Helix Cell Therapeutics"),
        "courier": Courier.objects.create(code="CRYOX", name="CryoExpress Couriers", planning_speed_kmh=75),
        "coordinator": make_staff("claire", Role.COORDINATOR, superuser=True, first="Claire", last="Coordinator"),
        "qa": make_staff("quentin", Role.QA, first="Quentin", last="Assurance"),
        "qa2": make_staff("olivia", Role.QA, first="Olivia", last="Quality"),
    }


def readings(start, temps, *, step_min: float = 1.0) -> list[dict]:
    return [{"recorded_at": start + timedelta(minutes=i * step_min), "temperature_c": t, "latitude": None,
             "longitude": None, "tilt_deg": 3.0, "battery_pct": 90.0, "humidity_pct": None}
            for i, t in enumerate(temps)]


def make_shipment(world: dict, tracking: str, *, origin="MF-BSL", destination="TC-MUC", temps=(),
                  expires_in_h=72.0, arrival_in_h=4.0, dewar: bool = True) -> Shipment:
    """A shipment picked up ``len(temps)`` minutes ago (an hour if none) with one product logger
    and the readings ``temps``, one a minute from pickup, the last one now. Evaluation runs on
    commit: call inside a transactional test or with the on-commit callbacks executed."""
    now = timezone.now()
    start = now - timedelta(minutes=len(temps) or 60)
    number = Shipment.objects.count() + 1
    logger = Logger.objects.create(serial=f"LG-{tracking}", model="ELPRO LIBERO CT",
                                   calibration_due=(now + timedelta(days=200)).date())
    tank = None
    if dewar:
        tank = Dewar.objects.create(serial=f"DW-{tracking}", model="Cryoport Elite", hold_time_h=240,
                                    charged_at=start - timedelta(hours=10),
                                    qualified_until=(now + timedelta(days=300)).date())
    f = world["facilities"]
    shipment = services.shipment_create(
        user=world["coordinator"], tracking_number=tracking, coi=f"COI-{number:04d}", sponsor=world["sponsor"],
        profile=world["profile"], origin=f[origin], destination=f[destination], courier=world["courier"], dewar=tank,
        loggers=[services.LoggerSpec(logger=logger, assigned_at=start - timedelta(minutes=5))],
        planned_departure=start, planned_arrival=now + timedelta(hours=arrival_in_h),
        product_expires_at=start + timedelta(hours=expires_in_h),
    )
    services.custody_event_record(shipment=shipment, type=CustodyEventType.PACKED, occurred_at=start - timedelta(minutes=4),
                                  user=world["coordinator"], source="test")
    services.custody_event_record(shipment=shipment, type=CustodyEventType.PICKED_UP, occurred_at=start,
                                  user=world["coordinator"], source="test")
    if temps:
        services.readings_ingest(logger=logger, readings=readings(start, list(temps)), user=world["coordinator"])
    shipment.refresh_from_db()
    return shipment


def steady(n: int, value: float = -182.0) -> list[float]:
    return [value] * n


def with_excursion(n: int = 120, *, from_minute: int = 90, value: float = -140.0) -> list[float]:
    """In range, then above -150 °C from ``from_minute`` to the end: a single-rule warning
    excursion (after 10 min) still open."""
    return [-182.0 if i < from_minute else value for i in range(n)]


def receive(shipment: Shipment, user) -> Shipment:
    """Custody through to receipt (release follows receipt)."""
    now = timezone.now()
    for offset, kind in [(30, CustodyEventType.ARRIVED), (20, CustodyEventType.DELIVERED),
                         (10, CustodyEventType.RECEIVED)]:
        services.custody_event_record(shipment=shipment, type=kind, occurred_at=now - timedelta(seconds=offset),
                                      user=user, source="test")
    shipment.refresh_from_db()
    return shipment
