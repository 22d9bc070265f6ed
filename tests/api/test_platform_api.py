"""The API contract of API.md for master data, shipments, readings and excursions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from shipments.choices import Role
from shipments.models import Reading, ReadingConflict

from .conftest import T0, iso, ok, readings

pytestmark = pytest.mark.django_db(transaction=True)
NOW = T0 + timedelta(hours=1)


# --- Auth --------------------------------------------------------------------------------------


def test_no_credentials_is_401_not_403(api_client):
    response = api_client.get("/api/v1/shipments/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_bad_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api_client.get("/api/v1/regions/").status_code == 401


def test_health_endpoints_answer_without_credentials(api_client):
    assert api_client.get("/healthz").status_code == 200
    assert api_client.get("/readyz").json()["status"] == "ok"


def test_schema_and_docs_need_a_sign_in(api_client):
    assert api_client.get("/api/v1/schema/").status_code == 401
    assert api_client.get("/api/v1/docs/").status_code == 401


def test_schema_and_docs_are_served_without_outside_network(network):
    schema = network.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/loggers/{serial}/readings/" in schema.content
    docs = network.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


# --- Master data -------------------------------------------------------------------------------


def test_master_data_is_read_by_code_and_never_deleted(network):
    facility = ok(network.get("/api/v1/facilities/TC-MUC/"))
    assert facility["region"] == "EU-C" and facility["kind"] == "treatment_centre"
    assert network.delete("/api/v1/facilities/TC-MUC/").status_code == 405
    listing = ok(network.get("/api/v1/regions/"))
    assert {"next", "previous", "results"} <= set(listing)
    assert [r["code"] for r in listing["results"]] == ["EU-C", "EU-W"]


def test_unknown_code_is_400_naming_the_field(network):
    response = network.post("/api/v1/facilities/", {"code": "X", "name": "X", "kind": "depot", "region": "NOPE",
                                                     "latitude": 1, "longitude": 1}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "region"
    assert "NOPE" in body["detail"]


def test_out_of_range_latitude_is_400(network):
    response = network.post("/api/v1/facilities/", {"code": "X", "name": "X", "kind": "depot", "region": "EU-C",
                                                     "latitude": 91, "longitude": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "latitude"


def test_editing_a_profiles_rules_makes_a_new_version(network):
    before = ok(network.get("/api/v1/profiles/CART-LN2/"))
    assert before["version"] == 1 and len(before["rules"]) == 3
    after = ok(network.patch("/api/v1/profiles/CART-LN2/", {"rules": [
        {"kind": "single", "direction": "above", "threshold_c": -140, "after_min": 5, "severity": "warning"}]},
        format="json"))
    assert after["version"] == 2 and len(after["rules"]) == 1
    # A PATCH that changes nothing makes no version.
    assert ok(network.patch("/api/v1/profiles/CART-LN2/", {"name": "CAR-T, LN2 vapour"}, format="json"))["version"] == 2


def test_shipment_keeps_the_profile_version_it_was_created_with(network, shipment):
    network.patch("/api/v1/profiles/CART-LN2/", {"max_c": -140}, format="json")
    assert ok(network.get("/api/v1/shipments/SHP-1/"))["profile_version"] == 1


def test_courier_may_not_write_master_data(courier):
    _, client = courier
    response = client.post("/api/v1/regions/", {"code": "R", "name": "R"}, format="json")
    assert response.status_code == 403


# --- Shipments ---------------------------------------------------------------------------------


def test_shipment_detail_has_the_contract_fields(shipment, network):
    detail = ok(network.get("/api/v1/shipments/SHP-1/"))
    for field in ("status", "profile_version", "last_position", "eta", "current_region", "stats",
                  "shelf_life_remaining_h", "hold_time_remaining_h", "open_alerts", "excursions"):
        assert field in detail
    assert detail["status"] == "planned"
    assert detail["current_region"] == "EU-C"  # before any position: the origin's region
    assert detail["eta"].startswith("2026-11-27T16:00")  # before any position: the planned arrival
    assert detail["loggers"][0]["serial"] == "LG-1" and detail["loggers"][0]["role"] == "product"


def test_shipment_create_refuses_naive_times_and_unknown_codes(network):
    response = network.post("/api/v1/shipments/", {
        "tracking_number": "SHP-9", "coi": "COI-9", "sponsor": "HELIX", "profile": "NOPE", "origin": "MF-BSL",
        "destination": "TC-MUC", "courier": "CRYOX", "planned_departure": "2026-11-27T08:00:00"}, format="json")
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"profile", "planned_departure"} <= fields


def test_a_logger_cannot_be_in_two_shipments_at_once(network, shipment):
    response = network.post("/api/v1/shipments/", {
        "tracking_number": "SHP-2", "coi": "COI-2", "sponsor": "HELIX", "profile": "CART-LN2", "origin": "MF-BSL",
        "destination": "TC-PAR", "courier": "CRYOX", "loggers": [{"serial": "LG-1", "assigned_at": iso(T0)}]},
        format="json")
    assert response.status_code == 400
    assert "SHP-1" in response.json()["detail"]


def test_couriers_and_sponsors_see_only_their_own(make_user, network, shipment):
    from shipments.models import Courier, Sponsor

    _, rival = make_user("rival", Role.COURIER, courier=Courier.objects.get(code="RIVAL"))
    assert rival.get("/api/v1/shipments/SHP-1/").status_code == 404
    assert ok(rival.get("/api/v1/shipments/"))["results"] == []
    _, other = make_user("other", Role.SPONSOR, sponsors=[Sponsor.objects.get(code="OTHER")])
    assert other.get("/api/v1/shipments/SHP-1/").status_code == 404
    assert other.get("/api/v1/shipments/SHP-1/excursions/").status_code == 404
    _, helix = make_user("helix", Role.SPONSOR, sponsors=[Sponsor.objects.get(code="HELIX")])
    assert ok(helix.get("/api/v1/shipments/SHP-1/"))["tracking_number"] == "SHP-1"


# --- Readings ---------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_readings_batch_is_accepted_and_idempotent(courier, shipment):
    _, client = courier
    batch = readings([-180.0, -180.5, -181.0])
    first = ok(client.post("/api/v1/loggers/LG-1/readings/", batch, format="json"), 202)
    assert (first["accepted"], first["duplicates"], first["conflicts"]) == (3, 0, 0)
    assert first["batch"]
    again = ok(client.post("/api/v1/loggers/LG-1/readings/", batch, format="json"), 202)
    assert (again["accepted"], again["duplicates"], again["conflicts"]) == (0, 3, 0)
    assert Reading.objects.count() == 3


@time_machine.travel(NOW, tick=False)
def test_a_different_value_for_a_stored_instant_is_a_conflict_kept_aside(courier, shipment):
    _, client = courier
    ok(client.post("/api/v1/loggers/LG-1/readings/", readings([-180.0]), format="json"), 202)
    answer = ok(client.post("/api/v1/loggers/LG-1/readings/", readings([-100.0]), format="json"), 202)
    assert answer["conflicts"] == 1 and answer["accepted"] == 0
    assert Reading.objects.get().temperature_c == -180.0
    conflict = ReadingConflict.objects.get()
    assert conflict.temperature_c == -100.0 and conflict.stored_temperature_c == -180.0


@time_machine.travel(NOW, tick=False)
def test_invalid_batch_is_refused_whole_with_index_and_field(courier, shipment):
    _, client = courier
    batch = readings([-180.0, -180.0, -180.0, -180.0, -180.0])
    batch["readings"][1]["temperature_c"] = -300
    batch["readings"][2]["recorded_at"] = "2026-11-27T08:02:00"  # naive
    batch["readings"][3]["latitude"] = 95
    batch["readings"][4]["recorded_at"] = iso(NOW + timedelta(minutes=11))
    response = client.post("/api/v1/loggers/LG-1/readings/", batch, format="json")
    assert response.status_code == 400
    errors = {(e["index"], e["field"]) for e in response.json()["errors"]}
    assert {(1, "temperature_c"), (2, "recorded_at"), (3, "latitude"), (4, "recorded_at")} <= errors
    assert Reading.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_two_values_for_one_instant_in_one_batch_are_refused(courier, shipment):
    _, client = courier
    batch = readings([-180.0, -170.0], step_min=0)
    response = client.post("/api/v1/loggers/LG-1/readings/", batch, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["index"] == 1


@time_machine.travel(NOW, tick=False)
def test_over_ten_thousand_readings_is_413(courier, shipment):
    _, client = courier
    batch = readings([-180.0] * 10_001, step_min=0)
    response = client.post("/api/v1/loggers/LG-1/readings/", batch, format="json")
    assert response.status_code == 413
    assert "10000" in response.json()["detail"]


def test_unknown_logger_or_one_not_carried_is_404(make_user, courier, network, shipment):
    _, client = courier
    assert client.post("/api/v1/loggers/NOPE/readings/", readings([1.0]), format="json").status_code == 404
    # LG-2 is on no shipment CRYOX carries.
    assert client.post("/api/v1/loggers/LG-2/readings/", readings([1.0]), format="json").status_code == 404


def test_malformed_json_is_400_not_500(courier, shipment):
    _, client = courier
    response = client.post("/api/v1/loggers/LG-1/readings/", b"{not json", content_type="application/json")
    assert response.status_code == 400


# --- Evaluation through the API -----------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_breaching_readings_raise_an_excursion_and_stats(courier, network, shipment):
    _, client = courier
    # 5 minutes in range, 15 above -150 (-140), then back in range.
    values = [-180.0] * 5 + [-140.0] * 15 + [-181.0] * 5
    ok(client.post("/api/v1/loggers/LG-1/readings/", readings(values), format="json"), 202)
    excursions = ok(network.get("/api/v1/shipments/SHP-1/excursions/"))["results"]
    single = [e for e in excursions if e["kind"] == "single"]
    assert len(single) == 1
    e = single[0]
    assert e["threshold_c"] == -150 and e["direction"] == "above" and e["severity"] == "warning"
    assert e["started_at"].startswith("2026-11-27T08:05:00")
    assert e["alarm_at"].startswith("2026-11-27T08:15:00")
    assert e["ended_at"].startswith("2026-11-27T08:20:00")
    assert e["duration_min"] == pytest.approx(15.0)
    assert e["peak_c"] == -140.0 and e["status"] == "closed"
    stats = ok(network.get("/api/v1/shipments/SHP-1/"))["stats"]
    assert stats["readings"] == 25
    assert stats["max_c"] == -140.0 and stats["min_c"] == -181.0
    assert stats["tor_min"] == pytest.approx(15.0)


@time_machine.travel(NOW, tick=False)
def test_readings_outside_every_window_are_kept_and_not_evaluated(courier, shipment):
    _, client = courier
    before = readings([-100.0] * 5, start=T0 - timedelta(minutes=10))
    answer = ok(client.post("/api/v1/loggers/LG-1/readings/", before, format="json"), 202)
    assert answer["accepted"] == 5
    assert Reading.objects.count() == 5
    from shipments.models import Excursion

    assert Excursion.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_shipment_readings_endpoint_filters_and_buckets(courier, network, shipment):
    _, client = courier
    ok(client.post("/api/v1/loggers/LG-1/readings/", readings([-180.0, -179.0, -178.0, -177.0], latitude=47.6,
                                                             longitude=7.6), format="json"), 202)
    items = ok(network.get("/api/v1/shipments/SHP-1/readings/", {"since": iso(T0 + timedelta(minutes=1))}))["results"]
    assert [i["temperature_c"] for i in items] == [-179.0, -178.0, -177.0]
    assert items[0]["logger"] == "LG-1" and items[0]["role"] == "product" and items[0]["latitude"] == 47.6
    buckets = ok(network.get("/api/v1/shipments/SHP-1/readings/", {"every": 120}))["results"]
    assert [(b["min_c"], b["max_c"], b["count"]) for b in buckets] == [(-180.0, -179.0, 2), (-178.0, -177.0, 2)]


@time_machine.travel(NOW, tick=False)
def test_custody_events_move_the_status(courier, network, shipment):
    _, client = courier
    ok(client.post("/api/v1/shipments/SHP-1/events/", {"type": "picked_up", "occurred_at": iso(T0)}, format="json"), 201)
    assert ok(network.get("/api/v1/shipments/SHP-1/"))["status"] == "in_transit"
    bad = client.post("/api/v1/shipments/SHP-1/events/", {"type": "teleported", "occurred_at": iso(T0)}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "type"


@time_machine.travel(NOW, tick=False)
def test_positions_update_last_position_region_and_eta(courier, network, shipment):
    _, client = courier
    ok(client.post("/api/v1/shipments/SHP-1/events/", {"type": "departed", "occurred_at": iso(T0)}, format="json"), 201)
    # Near Paris: the nearest facility is TC-PAR, region EU-W.
    ok(client.post("/api/v1/loggers/LG-1/readings/", readings([-180.0], latitude=48.85, longitude=2.35),
                   format="json"), 202)
    detail = ok(network.get("/api/v1/shipments/SHP-1/"))
    assert detail["last_position"]["latitude"] == 48.85
    assert detail["current_region"] == "EU-W"
    assert detail["eta"] is not None


# --- Quality: signed dispositions and release (RULES.md §7) ---------------------------------------


@time_machine.travel(NOW, tick=False)
def test_release_waits_for_signed_dispositions(make_user, courier, network, shipment):
    from shipments.models import Sponsor

    _, client = courier
    ok(client.post("/api/v1/loggers/LG-1/readings/", readings([-180.0] * 2 + [-140.0] * 12 + [-181.0]), format="json"),
       202)
    qa_user, qa = make_user("quinn", Role.QA, sponsors=[Sponsor.objects.get(code="HELIX")], password="qa-secret-9")
    excursion = ok(network.get("/api/v1/shipments/SHP-1/excursions/"))["results"][0]
    # Not received yet, and an excursion without a disposition: 409 naming both.
    response = qa.patch("/api/v1/shipments/SHP-1/", {"status": "released"}, format="json")
    assert response.status_code == 409
    assert "no disposition" in response.json()["detail"] and f"excursion {excursion['id']}" in response.json()["detail"]
    # The coordinator cannot sign; a wrong password signs nothing.
    body = {"decision": "no_impact", "reason": "Within stability data.", "password": "qa-secret-9"}
    assert network.post(f"/api/v1/excursions/{excursion['id']}/disposition/", body, format="json").status_code == 403
    wrong = qa.post(f"/api/v1/excursions/{excursion['id']}/disposition/", {**body, "password": "nope"}, format="json")
    assert wrong.status_code == 403
    assert qa.post(f"/api/v1/excursions/{excursion['id']}/disposition/", {**body, "password": ""},
                   format="json").status_code == 400
    signed = ok(qa.post(f"/api/v1/excursions/{excursion['id']}/disposition/", body, format="json"), 201)
    assert signed["disposition"]["decision"] == "no_impact"
    assert signed["disposition"]["signed_by"] == "Quinn Tester"
    assert signed["disposition"]["meaning"]
    ok(client.post("/api/v1/shipments/SHP-1/events/", {"type": "received", "occurred_at": iso(NOW)}, format="json"), 201)
    # A coordinator may not release; QA may.
    assert network.patch("/api/v1/shipments/SHP-1/", {"status": "released"}, format="json").status_code == 403
    assert ok(qa.patch("/api/v1/shipments/SHP-1/", {"status": "released"}, format="json"))["status"] == "released"


@time_machine.travel(NOW, tick=False)
def test_a_reject_disposition_rejects_the_shipment(make_user, courier, network, shipment):
    from shipments.models import Sponsor

    _, client = courier
    ok(client.post("/api/v1/loggers/LG-1/readings/", readings([-100.0, -100.0, -180.0]), format="json"), 202)
    _, qa = make_user("quinn", Role.QA, sponsors=[Sponsor.objects.get(code="HELIX")], password="qa-secret-9")
    excursion = next(e for e in ok(network.get("/api/v1/shipments/SHP-1/excursions/"))["results"]
                     if e["severity"] == "critical")
    ok(qa.post(f"/api/v1/excursions/{excursion['id']}/disposition/",
               {"decision": "reject", "reason": "Above -120 °C: product lost.", "password": "qa-secret-9"},
               format="json"), 201)
    assert ok(network.get("/api/v1/shipments/SHP-1/"))["status"] == "rejected"


def test_create_api_user_prints_a_working_token_and_coordinators_get_the_admin(network, client):
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    out = io.StringIO()
    call_command("create_api_user", "cryox-2", "--role", "courier", "--courier", "CRYOX", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/shipments/").status_code == 200
    call_command("create_api_user", "claire", "--role", "coordinator", "--all-sponsors", stdout=io.StringIO())
    claire = get_user_model().objects.get(username="claire")
    assert claire.is_staff and not claire.is_superuser
    assert claire.has_perm("shipments.change_shipment") and not claire.has_perm("shipments.delete_shipment")
    claire.set_password("pw-claire-1")
    claire.save()
    client.force_login(claire)
    assert client.get("/admin/shipments/shipment/").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_a_failed_signature_is_recorded_in_the_audit_trail(make_user, courier, network, shipment):
    from shipments.models import AuditEntry, Sponsor

    _, client = courier
    ok(client.post("/api/v1/loggers/LG-1/readings/", readings([-100.0, -180.0]), format="json"), 202)
    _, qa = make_user("quinn", Role.QA, sponsors=[Sponsor.objects.get(code="HELIX")], password="qa-secret-9")
    excursion = ok(network.get("/api/v1/shipments/SHP-1/excursions/"))["results"][0]
    qa.post(f"/api/v1/excursions/{excursion['id']}/disposition/",
            {"decision": "no_impact", "reason": "x", "password": "wrong"}, format="json")
    assert AuditEntry.objects.filter(action="disposition.signature_failed", actor__username="quinn").exists()


@time_machine.travel(NOW, tick=False)
def test_files_answer_a_client_that_asks_for_their_type(network, shipment):
    assert network.get("/api/v1/shipments/SHP-1/readings.csv", HTTP_ACCEPT="text/csv").status_code == 200
    assert network.get("/api/v1/shipments/SHP-1/readings.epcis.jsonld",
                       HTTP_ACCEPT="application/ld+json").status_code == 200
    assert network.get("/api/v1/shipments/SHP-1/report.pdf", HTTP_ACCEPT="application/pdf").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_whoever_acknowledged_a_reopened_alert_still_cannot_sign(make_user, courier, network, shipment):
    from alerts.models import Alert
    from alerts.services import alert_acknowledge
    from shipments.models import Sponsor

    _, client = courier
    both, signer = make_user("pat", Role.QA, sponsors=[Sponsor.objects.get(code="HELIX")], password="qa-secret-9")
    from django.contrib.auth.models import Group

    both.groups.add(Group.objects.get(name=Role.COORDINATOR))
    # A warning (12 min above -150), acknowledged by Pat; then a critical reading reopens the alert.
    ok(client.post("/api/v1/loggers/LG-1/readings/", readings([-140.0] * 12), format="json"), 202)
    alert = Alert.objects.get()
    alert_acknowledge(alert=alert, comment="Checking the dewar.", via="api", user=both)
    ok(client.post("/api/v1/loggers/LG-1/readings/", readings([-110.0], start=T0 + timedelta(minutes=12)),
                   format="json"), 202)
    alert.refresh_from_db()
    assert alert.acknowledged_by is None  # reopened by the severity rise
    excursion = ok(network.get("/api/v1/shipments/SHP-1/excursions/"))["results"][0]
    response = signer.post(f"/api/v1/excursions/{excursion['id']}/disposition/",
                           {"decision": "no_impact", "reason": "x", "password": "qa-secret-9"}, format="json")
    assert response.status_code == 403 and "acknowledged" in response.json()["detail"]
