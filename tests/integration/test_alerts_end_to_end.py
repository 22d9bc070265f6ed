"""Alerting with real parts: a breaching reading POSTed over HTTP, a real Celery worker through
Redis on PostgreSQL, the e-mail on a real SMTP server, the sponsor's webhook on a real HTTP
receiver; then the acknowledge link in that e-mail, and escalation by the beat task."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from alerts.channels.email import message_id
from alerts.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature_valid
from alerts.models import Alert, AlertStatus, Delivery, DeliveryStatus
from alerts.tasks import alerts_sweep
from shipments import services
from shipments.access import ensure_role_groups
from shipments.choices import Role
from shipments.models import Membership
from tests.alerts_factories import (
    ContactFactory,
    CourierFactory,
    LoggerFactory,
    SponsorFactory,
    SponsorWebhookFactory,
    places,
)
from tests.alerts_support import LoopbackServer
from tests.conftest import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(django_user_model):
    """A NORTH -> SOUTH shipment with a live logger, a courier's token, contacts at levels 1 and 2."""
    from rest_framework.authtoken.models import Token

    from shipments.models import AlarmRule, Profile

    net = places()
    profile = Profile.objects.create(code="LN2-E2E", name="LN2", min_c=-196, max_c=-150)
    AlarmRule.objects.create(profile=profile, kind="single", direction="above", threshold_c=-150, after_min=0,
                             severity="warning")
    now = timezone.now()
    shipment = services.shipment_create(
        tracking_number="TRK-E2E", coi="COI-E2E", sponsor=SponsorFactory(), profile=profile, origin=net["origin"],
        destination=net["destination"], courier=CourierFactory(), planned_arrival=now + timedelta(hours=5),
        loggers=[services.LoggerSpec(logger=LoggerFactory(serial="LG-E2E"), assigned_at=now - timedelta(hours=1))],
    )
    user = django_user_model.objects.create_user("cryox-api")
    user.groups.add(ensure_role_groups()[Role.COURIER])
    Membership.objects.create(user=user, courier=shipment.courier)
    ContactFactory(name="Lena L1", email="lena.e2e@example.org", channels=["email"], facility=net["destination"])
    ContactFactory(name="Omar L2", email="omar.e2e@example.org", channels=["email"], level=2, region=net["north"],
                   on_call=True)
    return {"shipment": shipment, "token": Token.objects.create(user=user).key, "logger": "LG-E2E"}


def post_breach(live_server, world) -> requests.Response:
    now = timezone.now().replace(microsecond=0)
    return requests.post(
        f"{live_server.url}/api/v1/loggers/{world['logger']}/readings/",
        json={"readings": [
            {"recorded_at": (now - timedelta(minutes=2)).isoformat(), "temperature_c": -182.0},
            {"recorded_at": (now - timedelta(minutes=1)).isoformat(), "temperature_c": -141.5},
        ]},
        headers={"Authorization": f"Token {world['token']}"}, timeout=10)


def test_a_breach_reaches_email_and_webhook_once_and_the_link_acknowledges_on_post_only(
        celery_worker, smtp_server, world, live_server):
    smtp_server.messages.clear()
    with LoopbackServer(responses=[(200, {})]) as qms:
        SponsorWebhookFactory(sponsor=world["shipment"].sponsor, url=qms.url + "/qms", secret="whsec-e2e")

        assert post_breach(live_server, world).status_code == 202

        mails = smtp_server.wait_for(lambda m: "lena.e2e@example.org" in m["to"], timeout=30)
        assert mails, celery_worker.log()[-3000:]
        wait_until(lambda: qms.requests, timeout=30, message="the sponsor's webhook")
        alert = wait_until(lambda: Alert.objects.filter(shipment=world["shipment"]).first(), message="the alert")
        wait_until(lambda: not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists(),
                   message="every delivery marked sent")

    assert len([m for m in smtp_server.messages if "lena.e2e@example.org" in m["to"]]) == 1
    assert not [m for m in smtp_server.messages if "omar.e2e@example.org" in m["to"]]  # a warning: level 1 only
    message = mails[0]["message"]
    delivery = Delivery.objects.get(channel="email")
    assert message["Message-ID"] == message_id(delivery.idempotency_key)
    assert "[WARNING] TRK-E2E: temperature above -150.0 °C" in message["Subject"].strip()
    [hook] = qms.requests
    assert webhook_signature_valid("whsec-e2e", hook.headers[TIMESTAMP_HEADER], hook.body, hook.headers[SIGNATURE_HEADER])
    assert hook.json["event"] == "alert.opened" and hook.json["shipment"]["tracking_number"] == "TRK-E2E"

    # The link: GET (what a mail scanner does) shows a form and acknowledges nothing.
    text = message.get_body(preferencelist=("plain",)).get_content()
    path = re.search(r"https?://[^/\s]+(/alerts/ack/[^\s]+/)", text).group(1)
    browser = requests.Session()
    page = browser.get(live_server.url + path, timeout=10)
    assert page.status_code == 200 and 'name="comment"' in page.text
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = browser.post(live_server.url + path, data={"csrfmiddlewaretoken": csrf, "comment": "Courier called."},
                        headers={"Referer": live_server.url + path}, timeout=10)
    assert done.status_code == 200, done.text
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by_name, alert.acknowledged_via, alert.comment) == (
        AlertStatus.ACKNOWLEDGED, "Lena L1", "email", "Courier called.")


def test_the_beat_task_escalates_in_the_worker(celery_worker, smtp_server, world, live_server):
    smtp_server.messages.clear()
    assert post_breach(live_server, world).status_code == 202
    alert = wait_until(lambda: Alert.objects.filter(shipment=world["shipment"], level=1).first(),
                       timeout=30, message=f"the alert\n{celery_worker.log()[-3000:]}")
    assert smtp_server.wait_for(lambda m: "lena.e2e@example.org" in m["to"], timeout=30)
    # Unacknowledged for the destination region's escalate_after_min (30 min): due now.
    Alert.objects.filter(pk=alert.pk).update(escalate_at=timezone.now() - timedelta(seconds=1))

    alerts_sweep.delay()

    escalated = smtp_server.wait_for(lambda m: "omar.e2e@example.org" in m["to"], timeout=30)
    assert escalated, celery_worker.log()[-3000:]
    assert "level 2, unacknowledged" in escalated[0]["message"]["Subject"]
    alert.refresh_from_db()
    assert alert.level == 2
