from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ColdchainConfig(AppConfig):
    default = True
    name = "coldchain"
    verbose_name = "coldchain"


class ColdchainAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "coldchain.admin_site.ColdchainAdminSite"
