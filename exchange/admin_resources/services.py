"""Import-export resource for the admin's buttons: the `visits` exchange file (exchange.md).

The checks are those of `import_dataset` (`exchange.check_file`): four hours at most, an
end after the start, known codes, a child and a provider that exist, a visit id not repeated.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from import_export.fields import Field

from exchange.cells import cell_text
from exchange.resources import (
    ExchangeResource,
    PreloadedForeignKeyWidget,
    PreloadedInstanceLoader,
    exchange_field,
)
from exchange.service import FileCheck
from providers.models import Provider
from recipients.models import Child
from services.models import ConfirmationMethod, Visit
from services.services import flag_overlaps_on

FILE = "visits"


class VisitResource(ExchangeResource):
    """A visit of a journal, matched on its `visit_id`, written as `import_dataset` writes it.

    `confirmed` and `services` are worked out in `import_instance`: a confirmation recorded in
    the portal keeps its method (the file only says yes or no), and the file's kinds replace
    the visit's services only when they differ from the kinds the visit already has (so the
    catalogue services given, e.g. "pedagogical.aba", survive an export imported again).
    """

    exchange_file = FILE

    visit_id = exchange_field(FILE, "visit_id")
    child_iin = Field(
        attribute="child", column_name="child_iin", widget=PreloadedForeignKeyWidget(Child, "iin")
    )
    provider_bin = Field(
        attribute="provider",
        column_name="provider_bin",
        widget=PreloadedForeignKeyWidget(Provider, "bin"),
    )
    setting = exchange_field(FILE, "setting")
    date = exchange_field(FILE, "date")
    start = exchange_field(FILE, "start")
    end = exchange_field(FILE, "end")
    status = exchange_field(FILE, "status")
    confirmed = exchange_field(FILE, "confirmed", attribute="confirmation_method", readonly=True)
    services = exchange_field(FILE, "services", readonly=True)

    class Meta:
        model = Visit
        fields = (
            "visit_id",
            "child_iin",
            "provider_bin",
            "setting",
            "date",
            "start",
            "end",
            "status",
            "confirmed",
            "services",
        )
        export_order = fields
        import_id_fields = ("visit_id",)
        instance_loader_class = PreloadedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # (child, day) pairs whose visits the import changed: their overlap flags are redone.
        self._days: set[tuple[int, Any]] = set()

    def get_queryset(self) -> QuerySet[Visit]:
        return super().get_queryset().select_related("child", "provider")

    def filter_export(self, queryset: QuerySet[Visit], **kwargs: Any) -> QuerySet[Visit]:
        return queryset.select_related("child", "provider")

    def preload(self, check: FileCheck) -> None:
        self.fields["child_iin"].widget.objects = check.state.children
        self.fields["provider_bin"].widget.objects = check.state.providers

    def existing_instance(self, row: Any) -> Visit | None:
        assert self.file_check is not None
        return self.file_check.state.visits.get(cell_text(row.get("visit_id")))

    def dehydrate_confirmed(self, visit: Visit) -> str:
        return "yes" if visit.is_confirmed else "no"

    def dehydrate_services(self, visit: Visit) -> str:
        # The file holds kinds of service; the catalogue's services stay in the portal.
        return ";".join(visit.kinds)

    def import_instance(self, instance: Visit, row: Any, **kwargs: Any) -> None:
        if instance.pk is not None:
            self._days.add((instance.child_id, instance.date))  # the day it leaves, if moved
        super().import_instance(instance, row, **kwargs)
        values = self.exchange_values(row)
        if not values["confirmed"]:
            instance.confirmation_method = ""
        elif not instance.confirmation_method:
            instance.confirmation_method = ConfirmationMethod.EXCHANGE
        if sorted(values["services"]) != instance.kinds:
            instance.services = values["services"]

    def after_save_instance(self, instance: Visit, row: Any, **kwargs: Any) -> None:
        self._days.add((instance.child_id, instance.date))

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return

        flag_overlaps_on(self._days)
