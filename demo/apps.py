from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data of `make run` (`load_demo`): nothing imports it, and it writes through
    the apps' services where they exist (docs/architecture.md)."""

    name = "demo"
    verbose_name = _("Demo data")
