from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetConfig(AppConfig):
    name = "budget"
    verbose_name = _("Budget and payments")

    def ready(self) -> None:
        # budget builds on billing and answers its question (core.ports); the apps are
        # loaded by now, which the imports need.
        from budget.services import base_component
        from tariffs import ports as tariff_ports

        tariff_ports.base_component.provide(base_component)
