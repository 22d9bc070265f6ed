"""The coordinators' admin site. Its index is the dashboard (DESIGN.md)."""

from django.contrib import admin


class ColdchainAdminSite(admin.AdminSite):
    site_header = "coldchain — shipments and excursions"
    site_title = "coldchain"
    index_title = "Shipments in flight"
