from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Audit, licences and access"
    default = True


class AuditedAdminConfig(admin_apps.AdminConfig):
    """``INSTALLED_APPS`` names this instead of ``django.contrib.admin``: the same admin, whose
    site audits every change made through it (core/admin_site.py)."""

    default = False  # core's own config is CoreConfig
    default_site = "core.admin_site.AuditedAdminSite"
