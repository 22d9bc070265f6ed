"""The demo data as a newcomer sees them in the admin; the screenshots double as the README's
(copy ``artifacts/screenshots/demo-*.png`` to ``docs/`` to refresh them)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_demo_dashboard_and_the_shipment_at_risk(page, log_in, screenshot, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the demo password file stays out of the repository
    call_command("seed_demo", quiet_summary=True)
    password = (tmp_path / "demo_password").read_text().strip()

    page.set_viewport_size({"width": 1360, "height": 860})
    log_in("coordinator", password)
    # SHP-1002 has the live excursion: first on the dashboard.
    expect(page.locator("#cc-in-flight-table tbody tr").first).to_have_attribute("data-tracking", "SHP-1002")
    screenshot(page, "demo-dashboard", full_page=False)

    page.get_by_role("link", name="SHP-1002").first.click()
    expect(page.locator("svg.cc-chart").first).to_be_visible()
    if page.locator("#toggle-nav-sidebar").is_visible():
        page.locator("#toggle-nav-sidebar").click()  # the chart gets the whole width
    page.set_viewport_size({"width": 1360, "height": 1500})
    page.locator("#cc-overview").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "demo-shipment", full_page=False)
