"""A believable demo network: three regions with real micro-factories, apheresis and treatment
centres, contacts, the three usual profiles, dewars, loggers, users with tokens, and shipments in
flight — one of them with a live excursion. Safe to run again: what exists is kept."""

from __future__ import annotations

import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from shipments import services
from shipments.access import ensure_role_groups
from shipments.choices import CustodyEventType, FacilityKind, LoggerRole, Role
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
from shipments.profiles import profile_version_publish

REGIONS = [
    ("EU-CENTRAL", "Central Europe", 15),
    ("EU-WEST", "Western Europe", 15),
    ("US-EAST", "US East Coast", 20),
]
FACILITIES = [
    # code, name, kind, region, lat, lon, tz
    ("MF-BSL", "Basel cell therapy micro-factory", FacilityKind.MICRO_FACTORY, "EU-CENTRAL", 47.5596, 7.5886, "Europe/Zurich"),
    ("AC-ZRH", "Zurich University Hospital apheresis unit", FacilityKind.APHERESIS_CENTRE, "EU-CENTRAL", 47.3769, 8.5511, "Europe/Zurich"),
    ("TC-MUC", "Munich haematology treatment centre", FacilityKind.TREATMENT_CENTRE, "EU-CENTRAL", 48.1374, 11.5755, "Europe/Berlin"),
    ("MF-LEI", "Leiden Bio Science Park micro-factory", FacilityKind.MICRO_FACTORY, "EU-WEST", 52.1672, 4.4760, "Europe/Amsterdam"),
    ("TC-AMS", "Amsterdam cancer centre", FacilityKind.TREATMENT_CENTRE, "EU-WEST", 52.3465, 4.8594, "Europe/Amsterdam"),
    ("TC-PAR", "Paris haematology institute", FacilityKind.TREATMENT_CENTRE, "EU-WEST", 48.8386, 2.3622, "Europe/Paris"),
    ("MF-PHL", "Philadelphia Navy Yard micro-factory", FacilityKind.MICRO_FACTORY, "US-EAST", 39.8945, -75.1763, "America/New_York"),
    ("TC-BOS", "Boston Longwood treatment centre", FacilityKind.TREATMENT_CENTRE, "US-EAST", 42.3376, -71.1054, "America/New_York"),
    ("AC-NYC", "Manhattan apheresis centre", FacilityKind.APHERESIS_CENTRE, "US-EAST", 40.7644, -73.9554, "America/New_York"),
    ("DP-EWR", "Newark airport cryo depot", FacilityKind.DEPOT, "US-EAST", 40.6895, -74.1745, "America/New_York"),
]
CONTACTS = [
    # name, email, phone, facility, region, level, channels, on_call
    ("Anna Keller", "anna.keller@mf-bsl.example.org", "+41791110001", "MF-BSL", None, 1, ["email", "sms"], True),
    ("Jonas Brunner", "jonas.brunner@mf-bsl.example.org", "+41791110002", "MF-BSL", None, 2, ["email", "sms"], True),
    ("Lea Meier", "lea.meier@tc-muc.example.org", "+49891110003", "TC-MUC", None, 1, ["email"], False),
    ("EU-Central duty manager", "duty.eu-central@example.org", "+41791110009", None, "EU-CENTRAL", 3, ["email", "sms"], True),
    ("Sanne de Vries", "sanne.devries@mf-lei.example.org", "+31611110004", "MF-LEI", None, 1, ["email", "sms"], True),
    ("Pieter Bakker", "pieter.bakker@tc-ams.example.org", "+31611110005", "TC-AMS", None, 1, ["email", "sms"], False),
    ("Marloes Visser", "marloes.visser@tc-ams.example.org", "+31611110006", "TC-AMS", None, 2, ["email"], False),
    ("EU-West duty manager", "duty.eu-west@example.org", "+31611110010", None, "EU-WEST", 3, ["email", "sms"], True),
    ("Grace Miller", "grace.miller@mf-phl.example.org", "+12155550101", "MF-PHL", None, 1, ["email", "sms"], True),
    ("Daniel Brooks", "daniel.brooks@tc-bos.example.org", "+16175550102", "TC-BOS", None, 1, ["email"], False),
    ("US-East duty manager", "duty.us-east@example.org", "+12155550199", None, "US-EAST", 2, ["email", "sms"], True),
]
PROFILES = [
    {
        "code": "CART-LN2", "name": "CAR-T, LN2 vapour", "min_c": -196.0, "max_c": -150.0, "mkt_max_c": None,
        "max_gap_min": 30, "max_tilt_deg": 45, "tilt_after_min": 5, "min_battery_pct": 20,
        "shelf_life_margin_h": 12, "hold_time_margin_h": 24, "handling_time_h": 1.0, "planning_speed_kmh": 70,
        "rules": [("single", "above", -150, 10, "warning"), ("single", "above", -120, 0, "critical"),
                  ("cumulative", "above", -150, 60, "critical")],
    },
    {
        "code": "AAV-80", "name": "AAV vector, -80 °C", "min_c": -90.0, "max_c": -60.0, "mkt_max_c": None,
        "max_gap_min": 30, "min_battery_pct": 20, "shelf_life_margin_h": 12, "handling_time_h": 1.0,
        "planning_speed_kmh": 70,
        "rules": [("single", "above", -60, 15, "warning"), ("single", "above", -40, 0, "critical"),
                  ("cumulative", "above", -60, 120, "critical")],
    },
    {
        "code": "APH-2-8", "name": "Fresh apheresis, 2-8 °C", "min_c": 2.0, "max_c": 8.0, "mkt_max_c": 8.0,
        "max_gap_min": 20, "min_battery_pct": 20, "shelf_life_margin_h": 6, "handling_time_h": 0.5,
        "planning_speed_kmh": 60,
        "rules": [("single", "above", 8, 30, "warning"), ("single", "below", 2, 30, "warning"),
                  ("single", "above", 15, 0, "critical"), ("single", "below", 0, 0, "critical"),
                  ("cumulative", "above", 8, 120, "critical")],
    },
]


def demo_password() -> str:
    """Kept in var/ so `make run` prints the same login every time (development only)."""
    path = settings.VAR_DIR / "demo_password"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = "cc-" + secrets.token_urlsafe(9)
    path.write_text(password)
    path.chmod(0o600)
    return password


class Command(BaseCommand):
    help = "Load a demo network, users and shipments in flight (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-summary", action="store_true", help="Do not print the login summary.")

    def handle(self, *args, quiet_summary=False, **options):
        with transaction.atomic():
            summary = self.seed()
        if not quiet_summary:
            for line in summary:
                self.stdout.write(line)

    def seed(self) -> list[str]:
        now = timezone.now()
        regions = {code: Region.objects.get_or_create(code=code, defaults={"name": name, "escalate_after_min": esc})[0]
                   for code, name, esc in REGIONS}
        facilities = {}
        for code, name, kind, region, lat, lon, tz in FACILITIES:
            facilities[code] = Facility.objects.get_or_create(
                code=code, defaults={"name": name, "kind": kind, "region": regions[region], "latitude": lat,
                                     "longitude": lon, "timezone": tz, "geofence_radius_km": 2.0})[0]
        from alerts.models import Contact  # the demo seeds both apps

        for name, email, phone, facility, region, level, channels, on_call in CONTACTS:
            Contact.objects.get_or_create(
                email=email, defaults={"name": name, "phone": phone, "facility": facilities.get(facility),
                                       "region": regions.get(region), "level": level, "channels": channels,
                                       "on_call": on_call})
        sponsors = {code: Sponsor.objects.get_or_create(code=code, defaults={"name": name})[0]
                    for code, name in [("HELIX", "Helix Cell Therapeutics"), ("NORDVEC", "Nordvec Gene Medicines")]}
        couriers = {code: Courier.objects.get_or_create(code=code, defaults={"name": name, "planning_speed_kmh": speed})[0]
                    for code, name, speed in [("CRYOX", "CryoExpress Couriers", 75.0), ("BIOAIR", "BioAir Logistics", None)]}
        profiles = {}
        for spec in PROFILES:
            spec = dict(spec)
            rules = spec.pop("rules")
            profile, created = Profile.objects.get_or_create(code=spec.pop("code"), defaults=spec)
            if created:
                for kind, direction, threshold, after, severity in rules:
                    AlarmRule.objects.create(profile=profile, kind=kind, direction=direction, threshold_c=threshold,
                                             after_min=after, severity=severity)
            profile_version_publish(profile=profile)
            profiles[profile.code] = profile
        dewars = {}
        for serial, model, hold, charged_h_ago in [("DW-0101", "Cryoport Elite Cryogenic", 240.0, 30),
                                                   ("DW-0102", "Cryoport Elite Cryogenic", 240.0, 200),
                                                   ("DW-0201", "MVE CryoShipper XC", 216.0, 12)]:
            dewars[serial] = Dewar.objects.get_or_create(
                serial=serial, defaults={"model": model, "hold_time_h": hold, "charged_at": now - timedelta(hours=charged_h_ago),
                                         "qualified_until": (now + timedelta(days=300)).date()})[0]
        loggers = {}
        for serial, model, tz in [("LG-1001", "ELPRO LIBERO CT", ""), ("LG-1002", "ELPRO LIBERO CT", ""),
                                  ("LG-1003", "Sensitech TempTale GEO Ultra", ""), ("LG-1004", "Berlinger Q-tag CLm doc", "Europe/Zurich"),
                                  ("LG-1005", "ELPRO LIBERO CT", ""), ("LG-1006", "Onset HOBO MX", "America/New_York"),
                                  ("LG-2001", "ELPRO LIBERO Ti1 ambient", "")]:
            loggers[serial] = Logger.objects.get_or_create(
                serial=serial, defaults={"model": model, "calibration_due": (now + timedelta(days=180)).date(),
                                         "interval_s": 60, "timezone": tz})[0]

        password = demo_password()
        groups = ensure_role_groups()
        User = get_user_model()
        admin_user, _ = User.objects.get_or_create(username="coordinator", defaults={
            "email": "coordinator@example.org", "first_name": "Claire", "last_name": "Coordinator",
            "is_staff": True, "is_superuser": True})
        admin_user.set_password(password)
        admin_user.save()
        admin_user.groups.add(groups[Role.COORDINATOR])
        Membership.objects.update_or_create(user=admin_user, defaults={"all_sponsors": True})
        qa_user, _ = User.objects.get_or_create(username="qa", defaults={
            "email": "qa@example.org", "first_name": "Quentin", "last_name": "Assurance", "is_staff": True})
        qa_user.set_password(password)
        qa_user.save()
        qa_user.groups.add(groups[Role.QA])
        Membership.objects.update_or_create(user=qa_user, defaults={"all_sponsors": True})
        courier_user, _ = User.objects.get_or_create(username="cryox-api", defaults={"email": "api@cryox.example.org"})
        courier_user.groups.add(groups[Role.COURIER])
        Membership.objects.update_or_create(user=courier_user, defaults={"courier": couriers["CRYOX"]})
        courier_token, _ = Token.objects.get_or_create(user=courier_user)

        self._shipments(now, sponsors, couriers, profiles, facilities, dewars, loggers, admin_user)
        base = settings.PUBLIC_BASE_URL
        return [
            "",
            "Demo data ready.",
            f"  Admin:         {base}/admin/",
            f"  Login:         coordinator / {password}   (QA signer: qa / {password})",
            f"  Courier token: {courier_token.key}   (user cryox-api, courier CRYOX)",
            f"  API docs:      {base}/api/v1/docs/   (after signing in to the admin, or with the token)",
            "  Post readings for logger LG-1002 (shipment SHP-1002):",
            f"    curl -X POST {base}/api/v1/loggers/LG-1002/readings/ \\",
            f"      -H 'Authorization: Token {courier_token.key}' -H 'Content-Type: application/json' \\",
            "      -d '{\"readings\": [{\"recorded_at\": \"'$(date -u +%Y-%m-%dT%H:%M:%S+00:00)'\", \"temperature_c\": -118.5}]}'",
        ]

    def _shipments(self, now, sponsors, couriers, profiles, facilities, dewars, loggers, user) -> None:
        if Shipment.objects.filter(tracking_number="SHP-1001").exists():
            return
        start = now - timedelta(hours=6)
        plans = [
            # tracking, coi, sponsor, profile, origin, destination, dewar, product logger, ambient, hours, temp fn
            ("SHP-1001", "COI-7Q2K-0001", "HELIX", "APH-2-8", "AC-ZRH", "MF-BSL", None, "LG-1001", None, 3.0,
             lambda i: 4.6 + 0.4 * math.sin(i / 40)),
            ("SHP-1002", "COI-7Q2K-0002", "HELIX", "CART-LN2", "MF-LEI", "TC-PAR", "DW-0101", "LG-1002", "LG-2001", 6.0,
             lambda i: -139.5 - (i % 7) * 0.3 if i >= 340 else -182.0 + 1.5 * math.sin(i / 25)),
            ("SHP-1003", "COI-9X4M-0003", "NORDVEC", "AAV-80", "MF-PHL", "TC-BOS", None, "LG-1003", None, 6.0,
             lambda i: -78.0 + 1.2 * math.sin(i / 30)),
            ("SHP-1004", "COI-9X4M-0004", "HELIX", "CART-LN2", "MF-BSL", "TC-MUC", "DW-0201", "LG-1005", None, 5.0,
             lambda i: -185.0 + 2.0 * math.sin(i / 20)),
        ]
        for tracking, coi, sponsor, profile, origin, destination, dewar, product, ambient, hours, temp in plans:
            specs = [services.LoggerSpec(logger=loggers[product], assigned_at=start - timedelta(minutes=30))]
            if ambient:
                specs.append(services.LoggerSpec(logger=loggers[ambient], role=LoggerRole.AMBIENT,
                                                 assigned_at=start - timedelta(minutes=30)))
            shipment = services.shipment_create(
                user=user, tracking_number=tracking, coi=coi, sponsor=sponsors[sponsor], profile=profiles[profile],
                origin=facilities[origin], destination=facilities[destination], courier=couriers["CRYOX"],
                dewar=dewars.get(dewar), loggers=specs, planned_departure=start,
                planned_arrival=start + timedelta(hours=hours + 4),
                product_expires_at=start + timedelta(hours=72 if profile != "APH-2-8" else 48),
            )
            services.custody_event_record(shipment=shipment, type=CustodyEventType.PACKED, occurred_at=start - timedelta(minutes=20),
                                          user=user, source="demo")
            services.custody_event_record(shipment=shipment, type=CustodyEventType.PICKED_UP, occurred_at=start,
                                          user=user, source="demo")
            o, d = facilities[origin], facilities[destination]
            minutes = 360
            readings = []
            for i in range(minutes):
                # Along the straight line, 60 % of the way at the end: still in flight.
                f = 0.6 * i / minutes
                readings.append({
                    "recorded_at": start + timedelta(minutes=i),
                    "temperature_c": round(temp(i), 2),
                    "latitude": round(o.latitude + (d.latitude - o.latitude) * f, 5) if i % 5 == 0 else None,
                    "longitude": round(o.longitude + (d.longitude - o.longitude) * f, 5) if i % 5 == 0 else None,
                    "tilt_deg": 3.0, "battery_pct": 90 - i / 30, "humidity_pct": None,
                })
            services.readings_ingest(logger=loggers[product], readings=readings, source="api", user=user)
            if ambient:
                services.readings_ingest(
                    logger=loggers[ambient],
                    readings=[{"recorded_at": start + timedelta(minutes=i), "temperature_c": round(19 + math.sin(i / 50), 2),
                               "latitude": None, "longitude": None, "tilt_deg": None, "battery_pct": None,
                               "humidity_pct": 40.0} for i in range(0, minutes, 5)],
                    source="api", user=user)

