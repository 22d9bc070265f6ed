"""Each channel against a real server on loopback: e-mail through aiosmtpd, SMS through Twilio's
SDK pointed at a local stand-in for its API, webhooks to a local receiver."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
import time_machine

from alerts import services
from alerts.channels.email import message_id
from alerts.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature_valid
from alerts.links import ack_link_read
from alerts.models import Alert, Delivery, DeliveryStatus
from shipments.models import Reading
from tests.alerts_factories import T0, SponsorWebhookFactory
from tests.alerts_support import LoopbackServer, RefusingSMTP, twilio_error, twilio_message

NOW = T0 + timedelta(minutes=16)
pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(net, contact, excursion):
    contact(name="Lena Meier", email="lena@example.org", phone="+41795550011", channels=["email", "sms"])
    Reading.objects.create(logger=net["logger"], recorded_at=T0 + timedelta(minutes=15), temperature_c=-128.44)
    excursion(duration_min=16.0)
    with time_machine.travel(NOW, tick=False):
        services.alerts_reconcile(shipment_id=net["shipment"].pk)
    return Alert.objects.get()


def attempt(channel: str):
    delivery = Delivery.objects.get(channel=channel)
    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        outcome = services.delivery_attempt(delivery_id=delivery.pk).outcome
    delivery.refresh_from_db()
    return outcome, delivery


# --- E-mail ----------------------------------------------------------------------------------


def test_the_email_says_what_where_and_how_bad_in_text_and_html(alert, smtp_settings):
    outcome, delivery = attempt("email")

    assert outcome == "sent"
    [received] = smtp_settings.messages
    message: EmailMessage = received["message"]
    assert received["to"] == ["lena@example.org"]
    assert message["Subject"].strip() == ("[WARNING] TRK-0001: temperature above -150.0 °C for 16 min, peak -131.5 °C "
                                  "— in North, to Treatment centre South")
    assert message["Message-ID"] == message_id(delivery.idempotency_key) == delivery.provider_id
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "TRK-0001" in body
        assert "COI-77" in body
        assert "-128.4 °C" in body  # the latest reading
        assert "-150.0 °C" in body  # the limit
        assert "16 min" in body
        assert "27 Nov 10:00 CET" in body  # the ETA (planned arrival) at the destination
        assert "Call the courier now" in body
        assert f"ACK {alert.code}" in body
    link = next(word for word in text.split() if "/alerts/ack/" in word)
    read = ack_link_read(link.rsplit("/ack/", 1)[1].strip("/"))
    assert (read.alert_id, read.contact_id, read.delivery_id) == (alert.pk, delivery.contact_id, delivery.pk)


def test_a_recipient_refused_for_good_fails_permanently(alert, settings):
    with RefusingSMTP({"lena@example.org": "550 5.1.1 No such user"}) as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        outcome, delivery = attempt("email")
    assert (outcome, delivery.status) == ("failed", DeliveryStatus.FAILED)
    assert "550 5.1.1 No such user" in delivery.error


def test_a_greylisted_recipient_is_retried(alert, settings):
    with RefusingSMTP({"lena@example.org": "451 4.7.1 Greylisted, try again later"}) as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        outcome, delivery = attempt("email")
    assert (outcome, delivery.status) == ("retrying", DeliveryStatus.RETRYING)
    assert "451" in delivery.error


def test_an_smtp_server_that_does_not_answer_is_a_transient_error(alert, settings):
    from tests.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    outcome, delivery = attempt("email")
    assert (outcome, delivery.status) == ("retrying", DeliveryStatus.RETRYING)


# --- SMS -------------------------------------------------------------------------------------


@pytest.fixture
def twilio(settings):
    def configure(*responses):
        server = LoopbackServer(responses=list(responses))
        settings.SMS_BACKEND = "twilio"
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC_test", "auth-token-test"
        settings.TWILIO_FROM_NUMBER, settings.TWILIO_API_BASE = "+15005550006", server.url
        return server

    return configure


def test_the_sms_goes_through_twilios_sdk_in_160_gsm7_characters(alert, twilio):
    with twilio((201, twilio_message(sid="SM42"))) as server:
        outcome, delivery = attempt("sms")

    assert (outcome, delivery.provider_id) == ("sent", "SM42")
    [request] = server.requests
    assert request.path == "/2010-04-01/Accounts/AC_test/Messages.json"
    assert request.headers["Idempotency-Key"] == delivery.idempotency_key
    assert request.headers["Authorization"].startswith("Basic ")
    form = request.form
    assert (form["To"], form["From"]) == ("+41795550011", "+15005550006")
    body = form["Body"]
    assert len(body) <= 160
    assert not set(body) & set("°≤≥−–—")
    assert body.startswith("WARNING TRK-0001 COI COI-77 temperature above -150.0 C for 16 min, now -128.4 C")
    assert body.endswith(f"Reply ACK {alert.code} <comment>")


def test_a_number_twilio_refuses_fails_permanently_with_its_error(alert, twilio):
    with twilio((400, twilio_error(21211, "The 'To' number is not a valid phone number.", 400))):
        outcome, delivery = attempt("sms")
    assert (outcome, delivery.status) == ("failed", DeliveryStatus.FAILED)
    assert "Twilio 400 (Twilio error 21211)" in delivery.error


def test_a_twilio_outage_is_retried(alert, twilio):
    with twilio((503, twilio_error(20503, "Service unavailable", 503))):
        outcome, delivery = attempt("sms")
    assert (outcome, delivery.status) == ("retrying", DeliveryStatus.RETRYING)


def test_the_console_backend_prints_the_sms(alert, settings, capsys):
    settings.SMS_BACKEND = "console"
    outcome, delivery = attempt("sms")
    assert outcome == "sent"
    assert f"SMS to +41795550011 [{delivery.idempotency_key}]: WARNING TRK-0001" in capsys.readouterr().out


# --- Webhooks --------------------------------------------------------------------------------


@pytest.fixture
def webhook_alert(net, excursion):
    def make(server):
        SponsorWebhookFactory(sponsor=net["shipment"].sponsor, url=server.url + "/qms", secret="whsec-1")
        excursion()
        with time_machine.travel(NOW, tick=False):
            services.alerts_reconcile(shipment_id=net["shipment"].pk)

    return make


def test_a_webhook_carries_signed_json_for_the_sponsors_qms(webhook_alert):
    with LoopbackServer(responses=[(202, {})]) as server:
        webhook_alert(server)
        outcome, delivery = attempt("webhook")

    assert outcome == "sent"
    [request] = server.requests
    assert request.path == "/qms"
    headers = request.headers
    timestamp, signature = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]
    sent_at = (NOW + timedelta(seconds=5)).timestamp()
    assert int(timestamp) == sent_at
    assert webhook_signature_valid("whsec-1", timestamp, request.body, signature, now=sent_at + 60)
    assert not webhook_signature_valid("other", timestamp, request.body, signature, now=sent_at)
    assert not webhook_signature_valid("whsec-1", timestamp, request.body + b" ", signature, now=sent_at)
    assert not webhook_signature_valid("whsec-1", timestamp, request.body, signature, now=sent_at + 301)
    assert headers["Idempotency-Key"] == delivery.idempotency_key
    payload = request.json
    assert payload["event"] == "alert.opened"
    assert payload["id"] == delivery.idempotency_key
    assert payload["shipment"]["tracking_number"] == "TRK-0001"
    assert [e["kind"] for e in payload["excursions"]] == ["single"]


@pytest.mark.parametrize(("status", "outcome"), [(500, "retrying"), (429, "retrying"), (410, "failed"),
                                                 (401, "failed")])
def test_a_webhook_error_is_retried_or_recorded_by_its_status(webhook_alert, status, outcome):
    with LoopbackServer(responses=[(status, {"error": "nope"})]) as server:
        webhook_alert(server)
        assert attempt("webhook")[0] == outcome
