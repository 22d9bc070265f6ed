"""A coordinator's and a QA user's day in the admin, in a real browser: the at-risk shipment
first on the dashboard, its chart drawn, the alert acknowledged with a comment, the disposition
signed by QA with the password re-entered, release refused until then, and released."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shipments.choices import ShipmentStatus
from shipments.models import Disposition, Shipment
from tests.admin.builders import (
    PASSWORD,
    build_world,
    make_shipment,
    receive,
    steady,
    with_excursion,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_from_the_dashboard_to_a_signed_release(page, log_in, screenshot):
    world = build_world()
    make_shipment(world, "SHP-QUIET-1", temps=steady(90))
    make_shipment(world, "SHP-WARM", origin="MF-LEI", destination="TC-PAR", temps=with_excursion(150, from_minute=110))
    make_shipment(world, "SHP-QUIET-2", temps=steady(90))

    # The coordinator: the at-risk shipment heads the dashboard.
    log_in("claire", PASSWORD)
    rows = page.locator("#cc-in-flight-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-tracking", "SHP-WARM")
    expect(rows.first).to_contain_text("1 alert not acknowledged")
    screenshot(page, "01-dashboard")

    # Its page: the chart has rendered, with its data points and limits.
    rows.first.get_by_role("link", name="SHP-WARM").click()
    page.wait_for_url(re.compile(r"/admin/shipments/shipment/\d+/change/$"))
    chart = page.locator("svg.cc-chart").first
    expect(chart).to_be_visible()
    assert chart.get_attribute("data-readings") == "150"
    points = chart.locator("polyline.series").first.get_attribute("points").split()
    assert len(points) == 150
    box = chart.bounding_box()
    assert box["width"] > 600 and box["height"] > 150
    expect(chart).to_contain_text("range max")
    screenshot(page, "02-shipment")

    # Acknowledge the alert: a comment is asked for.
    alert = page.locator(".cc-alert").first
    alert.locator("textarea[name=comment]").fill("Courier re-iced the dewar at CDG; watching the next readings")
    alert.get_by_role("button", name=re.compile("Acknowledge alert")).click()
    expect(page.locator(".messagelist")).to_contain_text("acknowledged; escalation stopped")
    expect(page.locator(".cc-alert").first).to_contain_text("Acknowledged by Claire Coordinator")
    screenshot(page, "03-acknowledged")
    shipment_url = page.url.split("#")[0]

    # The shipment is received; QA signs in.
    receive(Shipment.objects.get(tracking_number="SHP-WARM"), world["coordinator"])
    log_in("quentin", PASSWORD)
    page.goto(shipment_url)

    # Release is refused while the excursion lacks a disposition, and says why.
    page.locator("#cc-release").click()
    expect(page.locator(".messagelist .error")).to_contain_text("cannot be released")
    expect(page.locator(".messagelist .error")).to_contain_text("has no disposition")
    screenshot(page, "04-release-refused")

    # Sign the disposition: decision, reason, password re-entered.
    page.get_by_role("link", name="Sign disposition").click()
    expect(page.locator("#cc-signer")).to_have_text("Quentin Assurance")
    page.get_by_label("No impact").check()
    page.fill("#id_reason", "Peak -140 °C for 40 min in LN2 vapour; within the product's stability data.")
    page.fill("#id_password", "not-my-password")
    page.click("#cc-sign")
    expect(page.locator(".errorlist")).to_contain_text("The password does not match")
    assert not Disposition.objects.exists()
    page.get_by_label("No impact").check()
    page.fill("#id_password", PASSWORD)
    screenshot(page, "05-signature")
    page.click("#cc-sign")
    expect(page.locator(".messagelist")).to_contain_text("No impact signed by Quentin Assurance")
    expect(page.locator(".cc-excursion").first).to_contain_text("Signed by Quentin Assurance")

    # Release.
    page.locator("#cc-release").click()
    expect(page.locator(".messagelist")).to_contain_text("SHP-WARM released")
    expect(page.locator("#cc-status")).to_have_text("Released")
    screenshot(page, "06-released")
    assert Shipment.objects.get(tracking_number="SHP-WARM").status == ShipmentStatus.RELEASED

    # The report, from the button.
    report = page.request.get(page.locator("#cc-report-link").get_attribute("href"))
    assert report.status == 200 and report.headers["content-type"] == "application/pdf"
    assert report.body().startswith(b"%PDF")
