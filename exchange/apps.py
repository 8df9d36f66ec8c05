from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    """The exchange files (shared/spec/exchange.md): `import_dataset`, the file specs, readers
    and writers, and the admin's import and export of each file. It knows every app's files,
    so it sits above them (docs/architecture.md)."""

    name = "exchange"
    verbose_name = _("Exchange files")

    def ready(self) -> None:
        # The admins below ask for their resources through a port (core.admin); the apps are
        # loaded by now, which the imports need.
        from core import admin as core_admin
        from exchange.admin_resources import RESOURCES

        core_admin.exchange_resources.provide(lambda model: RESOURCES[model])
