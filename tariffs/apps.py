from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TariffsConfig(AppConfig):
    name = "tariffs"
    verbose_name = _("Tariffs and invoices")

    def ready(self) -> None:
        # tariffs builds on services and reconciliation: it hears of a visit's move and
        # answers their questions with the billing rules (core.ports). The apps are
        # loaded by now, which the imports need.
        from reconciliation import ports as reconciliation_ports
        from services import ports as services_ports
        from services.signals import visit_moving
        from tariffs.billing.facts import decide_visits
        from tariffs.services import refuse_moving_an_invoiced_visit, visit_billing_summary

        visit_moving.connect(refuse_moving_an_invoiced_visit, dispatch_uid="tariffs-frozen")
        reconciliation_ports.billing_decisions.provide(decide_visits)
        services_ports.visit_billing.provide(visit_billing_summary)
