"""The platform's vertical slice with real parts: readings POSTed over HTTP are stored, a real
Celery worker (through Redis) evaluates the shipment on PostgreSQL, the excursion is stored, and
the alert e-mail reaches a real SMTP server on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from shipments import services
from shipments.access import ensure_role_groups
from shipments.choices import FacilityKind, Role
from shipments.models import (
    AlarmRule,
    Courier,
    Excursion,
    Facility,
    Logger,
    Membership,
    MonitorState,
    Profile,
    Region,
    Sponsor,
)

from ..conftest import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ln2_shipment(django_user_model):
    from alerts.models import Contact

    region = Region.objects.create(code="EU-C", name="Central Europe")
    origin = Facility.objects.create(code="MF-BSL", name="Basel micro-factory", kind=FacilityKind.MICRO_FACTORY,
                                     region=region, latitude=47.5596, longitude=7.5886, timezone="Europe/Zurich")
    destination = Facility.objects.create(code="TC-MUC", name="Munich treatment centre",
                                          kind=FacilityKind.TREATMENT_CENTRE, region=region, latitude=48.1374,
                                          longitude=11.5755, timezone="Europe/Berlin")
    Contact.objects.create(name="Lea Meier", email="lea.meier@tc-muc.example.org", facility=destination, level=1,
                           channels=["email"])
    courier = Courier.objects.create(code="CRYOX", name="CryoExpress")
    profile = Profile.objects.create(code="CART-LN2", name="CAR-T, LN2 vapour", min_c=-196, max_c=-150)
    AlarmRule.objects.create(profile=profile, kind="single", direction="above", threshold_c=-120, after_min=0,
                             severity="critical")
    logger = Logger.objects.create(serial="LG-1", model="LIBERO")
    now = timezone.now()
    shipment = services.shipment_create(
        tracking_number="SHP-E2E", coi="COI-E2E-1", sponsor=Sponsor.objects.create(code="HELIX", name="Helix"),
        profile=profile, origin=origin, destination=destination, courier=courier,
        loggers=[services.LoggerSpec(logger=logger, assigned_at=now - timedelta(hours=1))],
        planned_arrival=now + timedelta(hours=5),
    )
    user = django_user_model.objects.create_user("cryox-api")
    user.groups.add(ensure_role_groups()[Role.COURIER])
    Membership.objects.create(user=user, courier=courier)
    return shipment, Token.objects.create(user=user).key


def test_posted_readings_are_evaluated_by_the_worker_and_the_alert_is_emailed(
    celery_worker, smtp_server, ln2_shipment, live_server
):
    import requests

    shipment, token = ln2_shipment
    smtp_server.messages.clear()
    now = timezone.now().replace(microsecond=0)
    body = {"readings": [
        {"recorded_at": (now - timedelta(minutes=3)).isoformat(), "temperature_c": -182.0},
        {"recorded_at": (now - timedelta(minutes=2)).isoformat(), "temperature_c": -110.5},
        {"recorded_at": (now - timedelta(minutes=1)).isoformat(), "temperature_c": -108.0},
    ]}
    response = requests.post(f"{live_server.url}/api/v1/loggers/LG-1/readings/", json=body,
                             headers={"Authorization": f"Token {token}"}, timeout=10)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 3

    excursion = wait_until(lambda: Excursion.objects.filter(shipment=shipment).first(), timeout=30,
                           message=f"the worker's excursion\n{celery_worker.log()[-3000:]}")
    assert excursion.kind == "single" and excursion.severity == "critical"
    assert excursion.started_at == now - timedelta(minutes=2)
    assert excursion.peak_c == -108.0
    state = MonitorState.objects.get(shipment=shipment)
    assert state.dirty_from is None and state.stats["count"] == 3

    messages = smtp_server.wait_for(lambda m: "lea.meier@tc-muc.example.org" in m["to"], timeout=30)
    assert messages, f"no alert e-mail arrived\n{celery_worker.log()[-3000:]}"
    message = messages[0]["message"]
    assert "SHP-E2E" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "COI-E2E-1" in text
