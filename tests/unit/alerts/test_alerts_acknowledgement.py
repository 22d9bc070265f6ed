"""Acknowledgement through every channel (RULES.md §6): the API, the signed e-mail link (GET
asks, POST acknowledges), the SMS reply (Twilio-signed), the admin. Always with a comment;
who, when, through which channel and what are recorded and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from twilio.request_validator import RequestValidator

from alerts import services
from alerts.links import ack_url
from alerts.models import Alert, AlertStatus, Contact, Delivery, DeliveryStatus
from shipments.choices import Role
from shipments.models import AuditEntry
from tests.alerts_factories import T0, SponsorFactory

NOW = T0 + timedelta(minutes=10)
pytestmark = pytest.mark.django_db


@pytest.fixture
def lena(contact):
    return contact(name="Lena Meier", email="lena@example.org", phone="+41795550011")


@pytest.fixture
def alert(net, lena, excursion):
    excursion()
    with time_machine.travel(NOW, tick=False):
        services.alerts_reconcile(shipment_id=net["shipment"].pk)
    return Alert.objects.get()


def acknowledged(alert) -> tuple:
    alert.refresh_from_db()
    return alert.status, alert.acknowledged_by_name, alert.acknowledged_via, alert.comment


# --- API ---------------------------------------------------------------------------------------


@pytest.fixture
def coordinator(make_user):
    return make_user("coord", Role.COORDINATOR, all_sponsors=True)


def test_a_coordinator_acknowledges_through_the_api_with_a_comment(alert, coordinator):
    user, client = coordinator
    response = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"comment": "Dewar recharged at hub."},
                           format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["acknowledged_by"], body["comment"]) == ("acknowledged", "coord",
                                                                           "Dewar recharged at hub.")
    assert acknowledged(alert) == ("acknowledged", "Coord Tester", "api", "Dewar recharged at hub.")
    assert alert.acknowledged_by == user and alert.escalate_at is None
    entry = AuditEntry.objects.get(action="alert.acknowledge")
    assert (entry.actor, entry.data["via"], entry.data["comment"]) == (user, "api", "Dewar recharged at hub.")


@pytest.mark.parametrize("payload", [{}, {"comment": ""}, {"comment": "   "}])
def test_an_acknowledgement_without_a_comment_is_refused_naming_the_field(alert, coordinator, payload):
    response = coordinator[1].post(f"/api/v1/alerts/{alert.pk}/acknowledge/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "comment"
    assert acknowledged(alert)[0] == "open"


def test_acknowledging_twice_is_a_conflict_saying_who_did_it(alert, coordinator):
    client = coordinator[1]
    client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"comment": "On it."}, format="json")
    response = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"comment": "Me too."}, format="json")
    assert response.status_code == 409
    assert "acknowledged already by Coord Tester" in response.json()["detail"]


def test_qa_may_see_but_not_acknowledge(alert, make_user):
    _, client = make_user("qa", Role.QA, all_sponsors=True)
    assert client.get(f"/api/v1/alerts/{alert.pk}/").status_code == 200
    assert client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"comment": "x"}, format="json").status_code == 403


@pytest.mark.parametrize("who", ["other sponsor's coordinator", "courier", "mes-integration"])
def test_an_alert_the_caller_may_not_see_answers_404(alert, make_user, who):
    other = SponsorFactory(code="OTHER", name="Other")
    _, client = {
        "other sponsor's coordinator": lambda: make_user("c2", Role.COORDINATOR, sponsors=[other]),
        "courier": lambda: make_user("cr", Role.COURIER, courier=alert.shipment.courier),
        "mes-integration": lambda: make_user("int", Role.INTEGRATION, all_sponsors=True),
    }[who]()
    assert client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"comment": "x"}, format="json").status_code == 404
    assert acknowledged(alert)[0] == "open"


def test_no_credentials_answer_401(alert, api_client):
    assert api_client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"comment": "x"}).status_code == 401


# --- The signed link in the e-mail ---------------------------------------------------------------


def link_path(alert, contact, delivery=None) -> str:
    url = ack_url(alert_id=alert.pk, contact_id=contact.pk, delivery_id=delivery.pk if delivery else None)
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_opening_the_link_asks_for_a_comment_and_acknowledges_nothing(alert, lena, client):
    response = client.get(link_path(alert, lena))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Acknowledging as <strong>Lena Meier</strong>" in page
    assert '<textarea id="comment" name="comment" required>' in page
    assert acknowledged(alert)[0] == "open"


def test_posting_the_form_acknowledges_as_the_contact_through_email(alert, lena, client):
    response = client.post(link_path(alert, lena), {"comment": "Calling the courier now."})
    assert response.status_code == 200
    assert "Thank you." in response.content.decode()
    assert acknowledged(alert) == ("acknowledged", "Lena Meier", "email", "Calling the courier now.")
    assert AuditEntry.objects.get(action="alert.acknowledge").data["contact"] == lena.pk


def test_posting_the_form_without_a_comment_acknowledges_nothing(alert, lena, client):
    response = client.post(link_path(alert, lena), {"comment": "  "})
    assert response.status_code == 400
    assert "a comment is required" in response.content.decode()
    assert acknowledged(alert)[0] == "open"


def test_an_expired_link_is_refused(alert, lena, client, settings):
    with time_machine.travel(NOW, tick=False):
        path = link_path(alert, lena)
    with time_machine.travel(NOW + timedelta(hours=settings.ALERT_ACK_LINK_MAX_AGE_H, seconds=1), tick=False):
        assert client.get(path).status_code == 410
        assert client.post(path, {"comment": "late"}).status_code == 410
    assert acknowledged(alert)[0] == "open"


def test_a_tampered_link_is_refused(alert, lena, client):
    path = link_path(alert, lena)
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = path.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert client.get(forged).status_code == 404
    assert client.post(forged, {"comment": "forged"}).status_code == 404
    assert acknowledged(alert)[0] == "open"


def test_the_link_of_an_acknowledged_alert_says_who_acknowledged_it(alert, lena, client):
    client.post(link_path(alert, lena), {"comment": "Done."})
    response = client.post(link_path(alert, lena), {"comment": "Again."})
    assert response.status_code == 200
    assert "Acknowledged by Lena Meier" in response.content.decode()
    assert acknowledged(alert)[3] == "Done."


# --- SMS reply -----------------------------------------------------------------------------------


@pytest.fixture
def twilio_inbound(settings, client):
    settings.TWILIO_AUTH_TOKEN = "auth-token-test"
    settings.PUBLIC_BASE_URL = "https://coldchain.example.org"

    def post(body: str, *, sender: str = "+41 79 555 00 11", signature: str | None = None):
        params = {"From": sender.replace(" ", ""), "To": "+15005550006", "Body": body, "MessageSid": "SM1"}
        url = "https://coldchain.example.org/alerts/sms/inbound"
        if signature is None:
            signature = RequestValidator("auth-token-test").compute_signature(url, params)
        return client.post("/alerts/sms/inbound", params, HTTP_X_TWILIO_SIGNATURE=signature)

    return post


def test_an_sms_reply_with_a_comment_acknowledges(alert, twilio_inbound):
    response = twilio_inbound(f"ack {alert.code.lower()} courier recharging dewar in Basel")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert f"alert {alert.code} on TRK-0001 is acknowledged" in response.content.decode()
    assert "<Response><Message>" in response.content.decode()
    assert acknowledged(alert) == ("acknowledged", "Lena Meier", "sms", "courier recharging dewar in Basel")


def test_an_sms_with_a_bad_signature_is_refused(alert, twilio_inbound):
    assert twilio_inbound(f"ACK {alert.code} fine", signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert twilio_inbound(f"ACK {alert.code} fine", signature="").status_code == 403
    assert acknowledged(alert)[0] == "open"


def test_a_bare_ack_is_answered_asking_for_the_comment(alert, twilio_inbound):
    response = twilio_inbound(f"ACK {alert.code}")
    assert response.status_code == 200
    assert f"reply ACK {alert.code} followed by a comment" in response.content.decode()
    assert acknowledged(alert)[0] == "open"


def test_an_sms_from_an_unknown_number_or_with_an_unknown_code_acknowledges_nothing(alert, twilio_inbound):
    assert "not registered" in twilio_inbound(f"ACK {alert.code} ok", sender="+4400000000").content.decode()
    assert "No alert has the code ZZZZZZ" in twilio_inbound("ACK ZZZZZZ ok").content.decode()
    assert "reply ACK &lt;code&gt; &lt;comment&gt;" in twilio_inbound("yes").content.decode()
    assert acknowledged(alert)[0] == "open"


# --- Admin ---------------------------------------------------------------------------------------


def test_the_admin_action_asks_for_a_comment_then_acknowledges(alert, admin_client, admin_user):
    url = "/admin/alerts/alert/"
    asked = admin_client.post(url, {"action": "acknowledge", "_selected_action": [alert.pk]})
    assert asked.status_code == 200
    assert 'name="comment"' in asked.content.decode()
    assert acknowledged(alert)[0] == "open"

    done = admin_client.post(url, {"action": "acknowledge", "_selected_action": [alert.pk], "apply": "1",
                                   "comment": "Coordinator called the courier."})

    assert done.status_code == 302
    assert acknowledged(alert)[1:] == (admin_user.get_username(), "admin", "Coordinator called the courier.")
    assert acknowledged(alert)[0] == AlertStatus.ACKNOWLEDGED


def test_the_admin_shows_alerts_deliveries_and_errors(alert, admin_client):
    Delivery.objects.filter(channel="sms").update(status=DeliveryStatus.FAILED, error="Twilio 400: invalid To")
    assert admin_client.get("/admin/alerts/alert/?severity__exact=warning&status__exact=open&ongoing__exact=1"
                            ).status_code == 200
    page = admin_client.get(f"/admin/alerts/alert/{alert.pk}/change/").content.decode()
    assert "Twilio 400: invalid To" in page
    listing = admin_client.get("/admin/alerts/delivery/?status__exact=failed&channel__exact=sms").content.decode()
    assert "Twilio 400: invalid To" in listing
    assert admin_client.get("/admin/alerts/contact/").status_code == 200
    assert admin_client.get("/admin/alerts/sponsorwebhook/").status_code == 200


def test_a_contact_is_added_in_the_admin_with_its_channels(net, admin_client):
    form = {"name": "Night desk", "email": "night@example.org", "phone": "+41 79 555 00 99",
            "facility": net["destination"].pk, "level": 2, "channels": ["email", "sms"], "on_call": "on",
            "active": "on"}
    refused = admin_client.post("/admin/alerts/contact/add/", form | {"phone": ""})
    assert refused.status_code == 200 and "The sms channel needs a phone." in refused.content.decode()

    assert admin_client.post("/admin/alerts/contact/add/", form).status_code == 302

    contact = Contact.objects.get(name="Night desk")
    assert (contact.channels, contact.phone, contact.level) == (["email", "sms"], "+41795550099", 2)


def test_failed_deliveries_are_sent_again_from_the_admin_with_the_same_key(
        alert, admin_client, django_capture_on_commit_callbacks):
    from django.core import mail

    email = Delivery.objects.get(channel="email")
    Delivery.objects.filter(pk=email.pk).update(status=DeliveryStatus.FAILED, attempts=1, error="550 no mailbox")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/alerts/delivery/", {"action": "send_again",
                                                                 "_selected_action": [email.pk]})

    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<{email.idempotency_key}@")
    assert AuditEntry.objects.filter(action="delivery.resend", object_id=str(email.pk)).exists()
