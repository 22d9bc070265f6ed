"""Factories for the alerts tests (factory_boy), and a small network to route in.

The network: regions NORTH (escalate after 15 min) and SOUTH (30 min); micro-factory MF-N in
NORTH (the origin), treatment centre TC-S in SOUTH (the destination), depot DP-S in SOUTH."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory

from alerts.models import Contact, SponsorWebhook
from shipments.choices import ExcursionKind, ExcursionStatus, FacilityKind, Severity
from shipments.models import (
    Courier,
    Excursion,
    Facility,
    Logger,
    LoggerAssignment,
    Profile,
    ProfileVersion,
    Region,
    Shipment,
    Sponsor,
)

T0 = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"R{n}")
    name = factory.LazyAttribute(lambda o: f"Region {o.code}")
    escalate_after_min = 15


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"F{n}")
    name = factory.LazyAttribute(lambda o: f"Facility {o.code}")
    kind = FacilityKind.MICRO_FACTORY
    region = factory.SubFactory(RegionFactory)
    latitude = 47.0
    longitude = 8.0
    timezone = "Europe/Zurich"


class SponsorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sponsor
        django_get_or_create = ("code",)

    code = "HELIX"
    name = "Helix Therapeutics"


class CourierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Courier
        django_get_or_create = ("code",)

    code = "CRYOX"
    name = "CryoExpress"


DEFINITION = {
    "min_c": -196.0, "max_c": -150.0,
    "rules": [
        {"key": "r1", "kind": "single", "direction": "above", "threshold_c": -150.0, "after_min": 10.0,
         "severity": "warning"},
        {"key": "r2", "kind": "single", "direction": "above", "threshold_c": -120.0, "after_min": 0.0,
         "severity": "critical"},
    ],
}


class ProfileVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProfileVersion

    profile = factory.LazyFunction(lambda: Profile.objects.get_or_create(
        code="CART-LN2", defaults={"name": "CAR-T, LN2 vapour", "min_c": -196, "max_c": -150})[0])
    number = factory.Sequence(lambda n: n + 1)
    definition = DEFINITION


class LoggerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Logger
        django_get_or_create = ("serial",)

    serial = factory.Sequence(lambda n: f"LG-{n}")
    model = "LIBERO"


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    tracking_number = factory.Sequence(lambda n: f"SHP-{n:04d}")
    coi = factory.Sequence(lambda n: f"COI-{n:05d}")
    sponsor = factory.SubFactory(SponsorFactory)
    profile_version = factory.SubFactory(ProfileVersionFactory)
    origin = factory.SubFactory(FacilityFactory)
    destination = factory.SubFactory(FacilityFactory)
    courier = factory.SubFactory(CourierFactory)
    status = "in_transit"
    planned_arrival = T0 + timedelta(hours=6)


class ExcursionFactory(factory.django.DjangoModelFactory):
    """An excursion as the engine stores it (single above -150 °C after 10 min, open)."""

    class Meta:
        model = Excursion

    shipment = factory.SubFactory(ShipmentFactory)
    logger = factory.SubFactory(LoggerFactory)
    profile_version = factory.LazyAttribute(lambda o: o.shipment.profile_version)
    kind = ExcursionKind.SINGLE
    rule_key = "r1"
    status = ExcursionStatus.OPEN
    direction = "above"
    threshold_c = -150.0
    after_min = 10.0
    severity = Severity.WARNING
    started_at = T0
    alarm_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=10))
    duration_min = 12.0
    peak_c = -131.5
    peak_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=4))
    detected_at = factory.LazyAttribute(lambda o: o.alarm_at)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    phone = factory.Sequence(lambda n: f"+4179{n:07d}")
    level = 1
    channels = factory.LazyFunction(lambda: ["email", "sms"])
    on_call = False


class SponsorWebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SponsorWebhook

    sponsor = factory.SubFactory(SponsorFactory)
    url = "http://127.0.0.1:9/qms"
    secret = "whsec-test-0123456789"


def places() -> dict:
    """Regions NORTH (15 min) and SOUTH (30 min); MF-N in NORTH, TC-S and DP-S in SOUTH."""
    north = RegionFactory(code="NORTH", name="North", escalate_after_min=15)
    south = RegionFactory(code="SOUTH", name="South", escalate_after_min=30)
    return {
        "north": north, "south": south,
        "origin": FacilityFactory(code="MF-N", name="Micro-factory North", region=north, latitude=53.0,
                                  longitude=9.0),
        "destination": FacilityFactory(code="TC-S", name="Treatment centre South",
                                       kind=FacilityKind.TREATMENT_CENTRE, region=south, latitude=47.0,
                                       longitude=8.0),
        "depot": FacilityFactory(code="DP-S", name="Depot South", kind=FacilityKind.DEPOT, region=south,
                                 latitude=46.5, longitude=8.5),
    }


def network() -> dict:
    """``places()`` and one shipment TRK-0001 from MF-N to TC-S with one product logger LG-A."""
    net = places()
    logger = LoggerFactory(serial="LG-A")
    shipment = ShipmentFactory(tracking_number="TRK-0001", coi="COI-77", origin=net["origin"],
                               destination=net["destination"])
    LoggerAssignment.objects.create(shipment=shipment, logger=logger, assigned_at=T0 - timedelta(hours=2))
    return {**net, "logger": logger, "shipment": shipment}
