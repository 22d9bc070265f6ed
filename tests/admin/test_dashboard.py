"""The dashboard is the admin index: shipments in flight at-risk first, counts per region,
waiting-for-QA and uploads, the app list still there, in a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shipments.choices import UploadStatus
from shipments.models import Upload

from .builders import make_shipment, receive, steady, with_excursion

pytestmark = pytest.mark.django_db


def order_on_page(html: str) -> list[str]:
    table = html.split('id="cc-in-flight-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'data-tracking="([^"]+)"', table)


def test_the_shipment_with_an_open_alert_comes_first_and_says_why(client, world, evaluated):
    evaluated(lambda: make_shipment(world, "SHP-QUIET-1", temps=steady(60)))
    evaluated(lambda: make_shipment(world, "SHP-WARM", origin="MF-LEI", destination="TC-PAR", temps=with_excursion()))
    evaluated(lambda: make_shipment(world, "SHP-QUIET-2", temps=steady(60)))
    client.force_login(world["coordinator"])

    response = client.get("/admin/")

    assert response.status_code == 200
    html = response.content.decode()
    assert order_on_page(html)[0] == "SHP-WARM"
    first = response.context["rows"][0]
    assert first.risk_label == "warning"
    assert first.open_alerts == 1 and first.open_excursions == 1
    assert "1 alert not acknowledged" in first.reasons
    assert [r.risk_label for r in response.context["rows"][1:]] == ["ok", "ok"]


def test_time_running_out_before_eta_outranks_a_warning(client, world, evaluated):
    evaluated(lambda: make_shipment(world, "SHP-WARM", temps=with_excursion()))
    # Expires 1 h from now, arrives in 4 h: lost unless someone acts.
    evaluated(lambda: make_shipment(world, "SHP-EXPIRING", temps=steady(60), expires_in_h=2, arrival_in_h=4))
    evaluated(lambda: make_shipment(world, "SHP-OK", temps=steady(60)))
    client.force_login(world["coordinator"])

    html = client.get("/admin/").content.decode()

    assert order_on_page(html) == ["SHP-EXPIRING", "SHP-WARM", "SHP-OK"]
    assert re.search(r"shelf life ends [23] h \d\d min before ETA", html)


def test_counts_per_region_and_the_app_list_stay_on_the_index(client, world, evaluated):
    evaluated(lambda: make_shipment(world, "SHP-1", temps=steady(30)))
    evaluated(lambda: make_shipment(world, "SHP-2", temps=steady(30)))
    evaluated(lambda: make_shipment(world, "SHP-3", origin="MF-LEI", destination="TC-PAR", temps=with_excursion()))
    client.force_login(world["coordinator"])

    response = client.get("/admin/")

    regions = {e["region"].code: (e["in_flight"], e["at_risk"]) for e in response.context["regions"]}
    assert regions == {"EU-CENTRAL": (2, 0), "EU-WEST": (1, 1)}
    html = response.content.decode()
    assert 'id="cc-app-list"' in html
    assert 'href="/admin/shipments/shipment/"' in html and 'href="/admin/alerts/alert/"' in html


def test_uploads_in_progress_and_shipments_waiting_for_qa_are_listed(client, world, evaluated):
    shipment = evaluated(lambda: make_shipment(world, "SHP-IN", temps=with_excursion()))
    receive(shipment, world["coordinator"])
    Upload.objects.create(original_name="LG-1.csv", sha256="0" * 64, format="native_csv",
                          status=UploadStatus.PROCESSING, progress=0.4, uploaded_by=world["coordinator"])
    client.force_login(world["coordinator"])

    response = client.get("/admin/")

    html = response.content.decode()
    assert [s.tracking_number for s in response.context["awaiting_qa"]] == ["SHP-IN"]
    assert response.context["awaiting_qa"][0].n_undecided == 1
    assert "LG-1.csv" in html and 'value="40"' in html


def test_the_dashboard_costs_the_same_queries_for_2_or_8_shipments(client, world, evaluated):
    client.force_login(world["coordinator"])
    for i in range(2):
        evaluated(lambda i=i: make_shipment(world, f"SHP-A{i}", temps=with_excursion(30, from_minute=5)))
    client.get("/admin/")  # warm caches that are not per request (content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/admin/").status_code == 200
    for i in range(6):
        evaluated(lambda i=i: make_shipment(world, f"SHP-B{i}", temps=steady(30)))
    receive(make_shipment(world, "SHP-RECEIVED"), world["coordinator"])
    Upload.objects.create(original_name="f.csv", sha256="0" * 64, format="native_csv", status=UploadStatus.QUEUED)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/admin/")
    assert len(response.context["rows"]) == 8
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert len(many) <= 10


def test_a_qa_user_sees_the_dashboard_without_coordinator_rights(client, world, evaluated):
    evaluated(lambda: make_shipment(world, "SHP-WARM", temps=with_excursion()))
    client.force_login(world["qa"])

    response = client.get("/admin/")

    assert response.status_code == 200
    assert order_on_page(response.content.decode()) == ["SHP-WARM"]
