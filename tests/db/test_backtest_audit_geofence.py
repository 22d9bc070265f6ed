"""Back-testing changes nothing and says what would differ; the audit trail shows tampering;
entering the destination's geofence records the arrival."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command

from shipments import services
from shipments.audit import audit_record, verify_chain
from shipments.models import (
    AlarmRule,
    AuditEntry,
    CustodyEvent,
    Excursion,
    Logger,
)
from shipments.profiles import profile_version_publish

from .conftest import T0, make_shipment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shipment_with_excursion(world):
    logger = Logger.objects.create(serial="LG-1")
    shipment = make_shipment(world, 1, logger=logger, planned_arrival=T0 + timedelta(hours=6))
    # 12 minutes at -145 (above -150): one warning excursion under v1.
    services.readings_ingest(logger=logger, readings=[
        {"recorded_at": T0 + timedelta(minutes=m), "temperature_c": -145.0 if 5 <= m < 17 else -180.0}
        for m in range(30)])
    return shipment, world["profile"]


def test_backtest_reports_differences_and_changes_nothing(shipment_with_excursion):
    shipment, profile = shipment_with_excursion
    assert Excursion.objects.filter(shipment=shipment).count() == 1
    # v2: the delay goes to 15 minutes (the 12-minute run no longer fires) and a new rule at -160.
    rule = profile.rules.get()
    rule.after_min = 15
    rule.save()
    AlarmRule.objects.create(profile=profile, kind="cumulative", direction="above", threshold_c=-160, after_min=5,
                             severity="critical")
    profile_version_publish(profile=profile)
    before = list(Excursion.objects.values())
    out = io.StringIO()
    call_command("backtest", "LN2", stdout=out)
    text = out.getvalue()
    assert "1 would differ" in text and "Nothing was changed" in text
    assert "- would not be raised: single above -150 after 10 min (warning)" in text
    assert "+ would be raised:     cumulative above -160 after 5 min (critical)" in text
    assert list(Excursion.objects.values()) == before
    shipment.refresh_from_db()
    assert shipment.profile_version.number == 1
    out = io.StringIO()
    call_command("backtest", "LN2", "--profile-version", "1", "--json", stdout=out)
    assert json.loads(out.getvalue())[0]["only_now"] == []


def test_the_audit_chain_shows_a_rewritten_entry(shipment_with_excursion):
    audit_record(action="test.one", object_type="x", object_id="1", data={"a": 1})
    audit_record(action="test.two", object_type="x", object_id="2", data={"b": 2})
    assert verify_chain() == []
    entry = AuditEntry.objects.get(action="test.one")
    AuditEntry.objects.filter(pk=entry.pk).update(data={"a": 2})  # a quiet rewrite in the database
    assert verify_chain() == [entry.pk]


def test_entering_the_destination_geofence_records_the_arrival(shipment_with_excursion):
    shipment, _ = shipment_with_excursion
    services.custody_event_record(shipment=shipment, type="departed", occurred_at=T0)
    logger = Logger.objects.get(serial="LG-1")
    services.readings_ingest(logger=logger, readings=[
        {"recorded_at": T0 + timedelta(hours=1), "temperature_c": -180.0, "latitude": 48.0, "longitude": 11.0}])
    shipment.refresh_from_db()
    assert shipment.status == "in_transit" and shipment.eta is not None
    eta_far = shipment.eta
    services.readings_ingest(logger=logger, readings=[
        {"recorded_at": T0 + timedelta(hours=2), "temperature_c": -180.0, "latitude": 48.1380, "longitude": 11.5760}])
    shipment.refresh_from_db()
    assert shipment.status == "arrived"
    arrival = CustodyEvent.objects.get(shipment=shipment, type="arrived")
    assert arrival.source == "geofence" and arrival.occurred_at == T0 + timedelta(hours=2)
    # At the destination: the ETA is the position time itself (no handling time in this profile).
    assert abs((shipment.eta - (T0 + timedelta(hours=2))).total_seconds()) < 60
    assert timedelta(minutes=30) < eta_far - (T0 + timedelta(hours=1)) < timedelta(minutes=40)  # ~45 km at 80 km/h
    assert AuditEntry.objects.filter(action="custody.event", shipment=shipment, data__source="geofence").exists()
