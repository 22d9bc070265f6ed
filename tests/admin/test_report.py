"""The shipment report in print: ReportLab PDF read back by its text (pypdf) and rendered to an
image (pypdfium2); the API endpoint answers it to any role that sees the shipment, 404 to others."""

from __future__ import annotations

import io
import re

import pypdf
import pypdfium2 as pdfium
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shipments.choices import Decision, Role
from shipments.models import Courier, Sponsor
from shipments.quality import excursion_dispose
from shipments.reports import shipment_report_pdf

from .builders import PASSWORD, make_shipment, receive, steady, with_excursion

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(world, evaluated):
    """SHP-WARM received, its excursion dispositioned no-impact by QA."""
    shipment = evaluated(lambda: make_shipment(world, "SHP-WARM", origin="MF-LEI", destination="TC-PAR",
                                               temps=with_excursion()))
    receive(shipment, world["coordinator"])
    excursion_dispose(excursion=shipment.excursions.get(), user=world["qa"], decision=Decision.NO_IMPACT,
                      reason="Stayed below -135 °C; covered by stability data", password=PASSWORD)
    return shipment


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_says_what_an_inspector_asks(world, signed):
    pdf = shipment_report_pdf(signed, generated_by=world["qa"])
    text = text_of(pdf)
    flat = re.sub(r"\s+", " ", text)

    assert pdf.startswith(b"%PDF")
    assert "SHP-WARM" in text and signed.coi in text
    assert "Helix Cell Therapeutics" in text and "Leiden micro-factory" in text and "Paris haematology institute" in text
    assert "DW-SHP-WARM" in text and "LG-SHP-WARM" in text and "Calibration due" in text
    # Figures: min, max, mean, MKT, time out of range.
    for heading in ("Min", "Max", "Mean", "MKT", "Time out of range"):
        assert heading in flat
    assert "-182.0 °C" in flat and "-140.0 °C" in flat and "29 min" in flat  # step-hold: 90..119
    # The excursion, its disposition and the signature (printed name, time, meaning).
    excursion = signed.excursions.get()
    assert f"Single (warning, {excursion.status})" in flat
    assert "No impact: Stayed below -135 °C" in flat
    assert "Signed by Quentin Assurance" in flat
    assert "Meaning: Reviewed: no impact on product quality" in flat
    # Custody chain and local times with their offset.
    assert "Packed" in text and "Picked up" in text and "Received" in text
    assert re.search(r"\d\d:\d\d CES?T \(UTC\+0[12]:00\)", flat)
    assert "page 1 of" in flat


def test_page_one_renders_and_is_not_blank(world, signed):
    pdf = shipment_report_pdf(signed)
    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=1.0).to_pil().convert("RGB")
    pixels = list(image.get_flattened_data())
    inked = sum(1 for r, g, b in pixels if r + g + b < 600)
    coloured = sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 60)
    assert image.size[0] > 500 and image.size[1] > 700
    assert inked / len(pixels) > 0.02  # text, tables and the chart
    assert coloured > 500  # the chart's series, range band and thresholds


def test_a_report_without_readings_or_excursions_still_prints(world):
    shipment = make_shipment(world, "SHP-EMPTY", dewar=False)
    text = text_of(shipment_report_pdf(shipment))
    assert "SHP-EMPTY" in text and "No excursions." in text and "No readings yet" in text


def api_client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_the_api_answers_the_report_to_roles_that_see_the_shipment(world, signed, make_user):
    url = f"/api/v1/shipments/{signed.tracking_number}/report.pdf"
    _, sponsor = make_user("helix-qa", Role.SPONSOR, sponsors=[signed.sponsor])
    _, courier = make_user("cryox-api", Role.COURIER, courier=signed.courier)
    for client in (api_client_for(world["coordinator"]), api_client_for(world["qa"]), sponsor, courier):
        response = client.get(url, HTTP_ACCEPT="application/pdf")
        assert response.status_code == 200, response.content[:200]
        assert response["Content-Type"] == "application/pdf"
        assert "SHP-WARM" in text_of(response.content)
    assert api_client_for(world["qa"]).get(url).status_code == 200  # Accept */* too


def test_the_api_answers_404_to_those_who_may_not_see_it_and_401_without_credentials(world, signed, make_user):
    url = f"/api/v1/shipments/{signed.tracking_number}/report.pdf"
    _, other_sponsor = make_user("other", Role.SPONSOR, sponsors=[Sponsor.objects.create(code="OTHER", name="Other")])
    _, rival = make_user("rival-api", Role.COURIER, courier=Courier.objects.create(code="RIVAL", name="Rival"))
    assert other_sponsor.get(url).status_code == 404
    assert rival.get(url, HTTP_ACCEPT="application/pdf").status_code == 404
    assert APIClient().get(url).status_code == 401
    assert api_client_for(world["qa"]).get("/api/v1/shipments/SHP-NONE/report.pdf").status_code == 404


def test_the_pdf_of_a_long_trip_stays_small(world, evaluated):
    # 10 days at one reading a minute.
    shipment = evaluated(lambda: make_shipment(world, "SHP-LONG", temps=steady(14_400), expires_in_h=400,
                                               arrival_in_h=2))
    pdf = shipment_report_pdf(shipment)
    assert len(pdf) < 200_000
