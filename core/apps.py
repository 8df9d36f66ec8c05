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


class ApiTokensConfig(AppConfig):
    """django-rest-knox's tokens, named in the admin in the officer's language (knox ships no
    names of its own: "Knox", "auth tokens"). Only the names shown change: the model's Meta as
    migrations know it is knox's own."""

    name = "knox"
    verbose_name = _("Access to the API")

    def ready(self) -> None:
        token = self.get_model("AuthToken")
        token._meta.verbose_name = _("API token")
        token._meta.verbose_name_plural = _("API tokens")
