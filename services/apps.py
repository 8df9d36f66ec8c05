from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Services and visits")

    def ready(self) -> None:
        # services builds on recipients: it hears of their changes rather than being called.
        from recipients.signals import enrollment_ended
        from services.services import enrollment_ended_plans_end

        enrollment_ended.connect(enrollment_ended_plans_end, dispatch_uid="services-plans-end")
