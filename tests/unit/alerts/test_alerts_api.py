"""The alerts API (API.md): the alert list and contacts master data."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from alerts import services
from alerts.models import Alert, Contact, Delivery, DeliveryStatus
from shipments.choices import Role
from shipments.models import AuditEntry
from tests.alerts_factories import T0, ExcursionFactory, ShipmentFactory, SponsorFactory

NOW = T0 + timedelta(minutes=10)
pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(net, contact, excursion):
    """One open alert on HELIX's shipment, one acknowledged on OTHER's."""
    contact(name="Lena Meier", channels=["email"])
    exc = excursion()
    other = ShipmentFactory(sponsor=SponsorFactory(code="OTHER", name="Other"), origin=net["origin"],
                            destination=net["destination"])
    ExcursionFactory(shipment=other, logger=None, kind="expired", rule_key="expired", severity="critical",
                     direction=None, threshold_c=None, after_min=None, peak_c=None, peak_at=None)
    with time_machine.travel(NOW, tick=False):
        services.alerts_reconcile(shipment_id=net["shipment"].pk)
        services.alerts_reconcile(shipment_id=other.pk)
    Delivery.objects.update(status=DeliveryStatus.SENT, sent_at=NOW)
    mine = Alert.objects.get(shipment=net["shipment"])
    theirs = Alert.objects.get(shipment=other)
    return {"mine": mine, "theirs": theirs, "excursion": exc}


def test_open_alerts_list_with_the_contract_fields(alerts, make_user):
    _, client = make_user("coord", Role.COORDINATOR, all_sponsors=True)
    response = client.get("/api/v1/alerts/?status=open")
    assert response.status_code == 200
    results = response.json()["results"]
    assert {r["id"] for r in results} == {alerts["mine"].pk, alerts["theirs"].pk}
    mine = next(r for r in results if r["id"] == alerts["mine"].pk)
    assert mine | {"opened_at": None} == mine | {
        "shipment": "TRK-0001", "logger": "LG-A", "severity": "warning", "status": "open", "ongoing": True,
        "opened_at": None, "excursions": [alerts["excursion"].pk], "acknowledged_by": None,
        "acknowledged_at": None, "comment": "",
        "deliveries": [{"contact": "Lena Meier", "channel": "email", "message": "opened", "status": "sent",
                        "sent_at": "2026-11-27T03:10:00Z"}],
    }
    assert mine["opened_at"].startswith("2026-11-27T03:10:00")


def test_the_status_filter_and_its_errors(alerts, make_user):
    _, client = make_user("coord", Role.COORDINATOR, all_sponsors=True)
    services.alert_acknowledge(alert=alerts["theirs"], comment="Replacement arranged.", via="api",
                               user=make_user("c9", Role.COORDINATOR, all_sponsors=True)[0])
    assert [r["id"] for r in client.get("/api/v1/alerts/?status=open").json()["results"]] == [alerts["mine"].pk]
    closed = client.get("/api/v1/alerts/?status=closed").json()["results"]
    assert [(r["id"], r["acknowledged_by"]) for r in closed] == [(alerts["theirs"].pk, "c9")]
    bad = client.get("/api/v1/alerts/?status=done")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "status"


def test_a_sponsor_sees_only_its_own_alerts_and_a_courier_none(alerts, make_user):
    helix = alerts["mine"].shipment.sponsor
    _, sponsor = make_user("helix", Role.SPONSOR, sponsors=[helix])
    assert [r["id"] for r in sponsor.get("/api/v1/alerts/").json()["results"]] == [alerts["mine"].pk]
    assert sponsor.get(f"/api/v1/alerts/{alerts['theirs'].pk}/").status_code == 404
    _, courier = make_user("courier", Role.COURIER, courier=alerts["mine"].shipment.courier)
    assert courier.get("/api/v1/alerts/").status_code == 403


# --- Contacts master data ------------------------------------------------------------------------


@pytest.fixture
def coordinator_client(make_user):
    return make_user("coord", Role.COORDINATOR, all_sponsors=True)[1]


def test_a_contact_is_created_and_changed_by_code_and_audited(net, coordinator_client):
    response = coordinator_client.post("/api/v1/contacts/", {
        "name": "Night desk South", "email": "night@example.org", "phone": "+41 79 555 00 99", "region": "SOUTH",
        "level": 2, "channels": ["sms", "email"], "on_call": True,
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body | {"id": 0} == {"id": 0, "name": "Night desk South", "email": "night@example.org",
                                "phone": "+41795550099", "facility": None, "region": "SOUTH", "level": 2,
                                "channels": ["email", "sms"], "on_call": True, "active": True}

    changed = coordinator_client.patch(f"/api/v1/contacts/{body['id']}/", {"on_call": False, "level": 3},
                                       format="json")
    assert changed.status_code == 200
    assert (changed.json()["on_call"], changed.json()["level"]) == (False, 3)
    assert AuditEntry.objects.filter(action__startswith="masterdata.", object_type="alerts.contact").count() == 2
    assert coordinator_client.delete(f"/api/v1/contacts/{body['id']}/").status_code == 405


@pytest.mark.parametrize(("payload", "field"), [
    ({"region": "NOWHERE"}, "region"),
    ({"facility": "TC-S"}, "facility"),  # and a region: exactly one
    ({"region": None}, "facility"),  # neither
    ({"phone": "079 555 00 11"}, "phone"),
    ({"email": "not-an-address"}, "email"),
    ({"level": 4}, "level"),
    ({"channels": ["pager"]}, "channels"),
    ({"channels": []}, "channels"),
    ({"channels": ["sms"], "phone": ""}, "phone"),
    ({"name": ""}, "name"),
])
def test_an_invalid_contact_is_refused_naming_the_field(net, coordinator_client, payload, field):
    base = {"name": "Ana", "email": "ana@example.org", "phone": "+41795550011", "region": "SOUTH", "level": 1,
            "channels": ["email"], "on_call": True}
    response = coordinator_client.post("/api/v1/contacts/", base | payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"].startswith(field)
    assert not Contact.objects.exists()


def test_a_patch_keeps_the_rules_of_the_whole_contact(net, contact, coordinator_client):
    ana = contact(name="Ana", phone="", channels=["email"])
    response = coordinator_client.patch(f"/api/v1/contacts/{ana.pk}/", {"channels": ["sms"]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "phone"


def test_who_may_read_and_write_contacts(net, contact, make_user):
    ana = contact(name="Ana")
    _, integration = make_user("mes", Role.INTEGRATION, all_sponsors=True)
    _, qa = make_user("qa", Role.QA, all_sponsors=True)
    _, sponsor = make_user("sp", Role.SPONSOR, sponsors=[net["shipment"].sponsor])
    assert integration.patch(f"/api/v1/contacts/{ana.pk}/", {"level": 2}, format="json").status_code == 200
    assert qa.get("/api/v1/contacts/").status_code == 200
    assert qa.patch(f"/api/v1/contacts/{ana.pk}/", {"level": 3}, format="json").status_code == 403
    assert sponsor.get("/api/v1/contacts/").status_code == 403
