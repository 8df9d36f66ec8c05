from auditlog.apps import AuditlogConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditTrailConfig(AuditlogConfig):
    """django-auditlog with a translated name in the admin."""

    verbose_name = _("Audit trail")


class CoreConfig(AppConfig):
    default = True
    name = "core"
    verbose_name = _("Portal users and roles")
