from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecipientsConfig(AppConfig):
    name = "recipients"
    verbose_name = _("Children and enrolments")

    def ready(self) -> None:
        # recipients builds on providers and answers its question (core.ports); the apps are
        # loaded by now, which the imports need.
        from providers import ports as provider_ports
        from recipients.selectors import enrolled_counts

        provider_ports.enrolled_counts.provide(enrolled_counts)
