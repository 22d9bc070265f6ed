"""The shipment's page: chart, figures, custody, alerts acknowledged with a comment, dispositions
signed by QA with a re-entered password (never by the one who acknowledged), and release refused
while an excursion lacks a disposition."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages

from shipments.choices import Decision, Role, ShipmentStatus
from shipments.models import AuditEntry, Disposition

from .builders import PASSWORD, make_shipment, make_staff, receive, with_excursion

pytestmark = pytest.mark.django_db


@pytest.fixture
def warm(world, evaluated):
    """SHP-WARM, Leiden to Paris: an open single-rule excursion and its open alert."""
    return evaluated(lambda: make_shipment(world, "SHP-WARM", origin="MF-LEI", destination="TC-PAR",
                                           temps=with_excursion()))


def page(client, shipment):
    return client.get(f"/admin/shipments/shipment/{shipment.pk}/change/")


def url(shipment, tail: str) -> str:
    return f"/admin/shipments/shipment/{shipment.pk}/{tail}"


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def sign(client, shipment, excursion, *, password=PASSWORD, decision=Decision.NO_IMPACT, reason="Within stability data"):
    return client.post(url(shipment, f"excursions/{excursion.pk}/disposition/"),
                       {"decision": decision, "reason": reason, "password": password})


def test_the_page_shows_the_chart_limits_excursion_and_local_times(client, world, warm):
    client.force_login(world["coordinator"])

    response = page(client, warm)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="cc-chart"' in html
    assert 'data-readings="120"' in html and 'class="series"' in html
    # The labelled range's ends and both rule thresholds are drawn and named.
    assert "-196 °C — range min" in html and "-150 °C — range max; warning: single above for 10 min" in html
    assert "-120 °C — critical: single above for 0 min" in html
    excursion = warm.excursions.get()
    assert f"#{excursion.pk} Single (open)" in html
    # Times in the destination's local time with its offset; custody at the origin in the origin's.
    assert "CET (UTC+01:00)" in html or "CEST (UTC+02:00)" in html
    assert "Europe/Paris" in html and "Picked up" in html
    assert "Needs a QA disposition." in html
    assert "-140.0 °C" in html  # the maximum, in the figures


def test_an_acknowledgement_needs_a_comment(client, world, warm):
    client.force_login(world["coordinator"])
    alert = warm.alerts.get()

    refused = client.post(url(warm, f"alerts/{alert.pk}/acknowledge/"), {"comment": "  "})
    alert.refresh_from_db()
    assert alert.status == "open"
    assert any("comment is required" in m for m in flashes(refused))

    done = client.post(url(warm, f"alerts/{alert.pk}/acknowledge/"), {"comment": "Courier re-iced the dewar"})
    alert.refresh_from_db()
    assert done.status_code == 302 and done["Location"].endswith("#alerts")
    assert alert.status == "acknowledged" and alert.comment == "Courier re-iced the dewar"
    assert alert.acknowledged_by == world["coordinator"] and alert.acknowledged_via == "admin"
    assert "Claire Coordinator" in page(client, warm).content.decode()


def test_qa_cannot_acknowledge_from_the_shipment_page(client, world, warm):
    client.force_login(world["qa"])
    alert = warm.alerts.get()
    response = client.post(url(warm, f"alerts/{alert.pk}/acknowledge/"), {"comment": "seen"})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"


def test_a_wrong_password_applies_no_signature(client, world, warm):
    client.force_login(world["qa"])
    excursion = warm.excursions.get()

    response = sign(client, warm, excursion, password="not-my-password")

    assert response.status_code == 200
    assert "The password does not match" in response.content.decode()
    assert not Disposition.objects.exists()


def test_a_coordinator_cannot_sign_a_disposition(client, world, warm):
    client.force_login(world["coordinator"])  # a superuser, but not QA
    excursion = warm.excursions.get()

    assert client.get(url(warm, f"excursions/{excursion.pk}/disposition/")).status_code == 403
    assert sign(client, warm, excursion).status_code == 403
    assert not Disposition.objects.exists()
    assert "Sign disposition" not in page(client, warm).content.decode()


def test_the_user_who_acknowledged_the_alert_cannot_sign_its_disposition(client, world, warm):
    both = make_staff("bob", Role.COORDINATOR, first="Bob", last="Both")
    both.groups.add(Group.objects.get(name=Role.QA))
    client.force_login(both)
    alert = warm.alerts.get()
    client.post(url(warm, f"alerts/{alert.pk}/acknowledge/"), {"comment": "On it"})
    excursion = warm.excursions.get()

    form = client.get(url(warm, f"excursions/{excursion.pk}/disposition/")).content.decode()
    response = sign(client, warm, excursion)

    assert "another QA user must sign" in form
    assert "another QA user must sign" in response.content.decode()
    assert not Disposition.objects.exists()
    # Another QA user may.
    client.force_login(world["qa"])
    assert sign(client, warm, excursion).status_code == 302
    assert Disposition.objects.get().signed_by == world["qa"]


def test_a_signed_disposition_records_printed_name_time_and_meaning(client, world, warm):
    client.force_login(world["qa"])
    excursion = warm.excursions.get()

    response = sign(client, warm, excursion, reason="Product stayed below -135 °C; stability data cover it")

    assert response.status_code == 302
    disposition = Disposition.objects.get()
    assert disposition.signed_name == "Quentin Assurance"
    assert disposition.meaning == "Reviewed: no impact on product quality"
    assert disposition.signed_at is not None and disposition.decision == Decision.NO_IMPACT
    assert AuditEntry.objects.filter(action="disposition.sign", object_id=str(disposition.pk)).exists()
    html = page(client, warm).content.decode()
    assert "Signed by <strong>Quentin Assurance</strong>" in html and "no impact on product quality" in html


def test_release_is_refused_with_the_reason_while_an_excursion_lacks_a_disposition(client, world, warm):
    receive(warm, world["coordinator"])
    client.force_login(world["qa"])

    response = client.post(url(warm, "release/"))

    warm.refresh_from_db()
    assert warm.status == ShipmentStatus.RECEIVED
    messages = flashes(response)
    assert any("cannot be released" in m and "has no disposition" in m for m in messages), messages
    followed = client.get(response["Location"]).content.decode()
    assert "cannot be released" in followed and "has no disposition" in followed

    sign(client, warm, warm.excursions.get())
    response = client.post(url(warm, "release/"))
    warm.refresh_from_db()
    assert warm.status == ShipmentStatus.RELEASED
    assert any("released" in m for m in flashes(response))


def test_only_qa_releases(client, world, warm):
    receive(warm, world["coordinator"])
    client.force_login(world["coordinator"])
    assert client.post(url(warm, "release/")).status_code == 403
    warm.refresh_from_db()
    assert warm.status == ShipmentStatus.RECEIVED


def test_the_report_button_answers_the_pdf(client, world, warm):
    client.force_login(world["qa"])
    assert 'id="cc-report-link"' in page(client, warm).content.decode()
    response = client.get(url(warm, "report.pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_shipment_of_a_sponsor_not_granted_is_not_found(client, world, warm):
    from shipments.models import Membership, Sponsor

    outsider = make_staff("nora", Role.QA)
    Membership.objects.filter(user=outsider).update(all_sponsors=False)
    Membership.objects.get(user=outsider).sponsors.set([Sponsor.objects.create(code="OTHER", name="Other")])
    client.force_login(outsider)
    assert client.get(url(warm, "report.pdf")).status_code == 404
    assert client.get(url(warm, "change/")).status_code == 302  # the admin's "does not exist" redirect
