"""Import-export resources for the admin's buttons: the `children`, `ipar` and `enrollments`
exchange files (exchange.md), with the columns and checks of `import_dataset`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from import_export.fields import Field

from core.jobs import FIND_DUPLICATES, outbox_enqueue
from exchange.cells import cell_text
from exchange.resources import (
    ExchangeResource,
    PreloadedForeignKeyWidget,
    PreloadedInstanceLoader,
    exchange_field,
)
from exchange.service import FileCheck
from providers.models import Provider
from recipients.models import (
    Child,
    Enrollment,
    EnrollmentStatus,
    Ipar,
    LegalRepresentative,
    ServiceApplication,
)
from recipients.rules import name_key

REPRESENTATIVE_FIELDS = {
    "representative_iin": "iin",
    "representative_name": "full_name",
    "representative_phone": "phone",
    "representative_relation": "relation",
}


class ChildResource(ExchangeResource):
    """A child and one legal representative, matched on (child, representative_iin).

    The export shows the child's first recorded representative.
    """

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        super().after_import(dataset, result, **kwargs)
        if not kwargs.get("dry_run") and not result.has_errors():
            # As after `import_dataset`: children may now be entered twice under two IINs.
            outbox_enqueue(FIND_DUPLICATES)

    exchange_file = "children"

    iin = exchange_field("children", "iin")
    last_name = exchange_field("children", "last_name")
    first_name = exchange_field("children", "first_name")
    middle_name = exchange_field("children", "middle_name")
    birth_date = exchange_field("children", "birth_date")
    sex = exchange_field("children", "sex")
    district = exchange_field("children", "district")
    address = exchange_field("children", "address")
    # Written to LegalRepresentative in after_save_instance, read by the dehydrate_ methods.
    representative_iin = Field(column_name="representative_iin")
    representative_name = Field(column_name="representative_name")
    representative_phone = Field(column_name="representative_phone")
    representative_relation = Field(column_name="representative_relation")

    class Meta:
        model = Child
        fields = (
            "iin",
            "last_name",
            "first_name",
            "middle_name",
            "birth_date",
            "sex",
            "district",
            "address",
            "representative_iin",
            "representative_name",
            "representative_phone",
            "representative_relation",
        )
        export_order = fields
        import_id_fields = ("iin",)
        instance_loader_class = PreloadedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def get_queryset(self) -> QuerySet[Child]:
        return super().get_queryset().prefetch_related("representatives")

    def filter_export(self, queryset: QuerySet[Child], **kwargs: Any) -> QuerySet[Child]:
        return queryset.prefetch_related("representatives")

    def existing_instance(self, row: Any) -> Child | None:
        assert self.file_check is not None
        return self.file_check.state.children.get(cell_text(row.get("iin"), identifier=True))

    @staticmethod
    def _first_representative(child: Child) -> LegalRepresentative | None:
        representatives = list(child.representatives.all())
        return min(representatives, key=lambda person: person.pk) if representatives else None

    def _representative_value(self, child: Child, column: str) -> str:
        representative = self._first_representative(child)
        return getattr(representative, REPRESENTATIVE_FIELDS[column]) if representative else ""

    def dehydrate_representative_iin(self, child: Child) -> str:
        return self._representative_value(child, "representative_iin")

    def dehydrate_representative_name(self, child: Child) -> str:
        return self._representative_value(child, "representative_name")

    def dehydrate_representative_phone(self, child: Child) -> str:
        return self._representative_value(child, "representative_phone")

    def dehydrate_representative_relation(self, child: Child) -> str:
        return self._representative_value(child, "representative_relation")

    def _representative_changes(
        self, child: Child, values: dict[str, Any]
    ) -> tuple[LegalRepresentative | None, dict[str, Any]] | None:
        """The representative to write and its changed fields; None if the row has none or no change."""
        assert self.file_check is not None
        if not values["representative_iin"]:
            return None
        wanted = {
            "full_name": values["representative_name"],
            "phone": values["representative_phone"],
            "relation": values["representative_relation"],
        }
        existing = (
            self.file_check.state.representatives.get((child.pk, values["representative_iin"]))
            if child.pk is not None
            else None
        )
        if existing is None:
            return None, wanted
        changed = {
            name: value for name, value in wanted.items() if getattr(existing, name) != value
        }
        return (existing, changed) if changed else None

    def skip_row(
        self, instance: Any, original: Any, row: Any, import_validation_errors: Any = None
    ) -> bool:
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        if not any(cell_text(value) for value in row.values()):
            return True
        return self._representative_changes(original, self.exchange_values(row)) is None

    def before_save_instance(self, instance: Child, row: Any, **kwargs: Any) -> None:
        instance.name_key = name_key(instance.last_name, instance.first_name, instance.middle_name)

    def after_save_instance(self, instance: Child, row: Any, **kwargs: Any) -> None:
        if not self.writes(kwargs):
            return
        values = self.exchange_values(row)
        pending = self._representative_changes(instance, values)
        if pending is None:
            return
        representative, changed = pending
        if representative is None:
            LegalRepresentative.objects.create(
                child=instance, iin=values["representative_iin"], **changed
            )
        else:
            for name, value in changed.items():
                setattr(representative, name, value)
            representative.save(update_fields=list(changed))


class IparResource(ExchangeResource):
    """An ИПАР; it never moves to another child (such a row is refused)."""

    exchange_file = "ipar"

    child_iin = Field(
        attribute="child", column_name="child_iin", widget=PreloadedForeignKeyWidget(Child, "iin")
    )
    number = exchange_field("ipar", "number")
    issued_on = exchange_field("ipar", "issued_on")
    valid_until = exchange_field("ipar", "valid_until")
    home_services = exchange_field("ipar", "home_services")
    services = exchange_field("ipar", "services")

    class Meta:
        model = Ipar
        fields = ("child_iin", "number", "issued_on", "valid_until", "home_services", "services")
        export_order = fields
        import_id_fields = ("number",)
        instance_loader_class = PreloadedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def get_queryset(self) -> QuerySet[Ipar]:
        return super().get_queryset().select_related("child")

    def filter_export(self, queryset: QuerySet[Ipar], **kwargs: Any) -> QuerySet[Ipar]:
        return queryset.select_related("child")

    def preload(self, check: FileCheck) -> None:
        self.fields["child_iin"].widget.objects = check.state.children

    def existing_instance(self, row: Any) -> Ipar | None:
        assert self.file_check is not None
        return self.file_check.state.ipars.get(cell_text(row.get("number")))


class EnrollmentResource(ExchangeResource):
    """An akimat decision (imported as approved) and the consent held by its application."""

    exchange_file = "enrollments"

    child_iin = Field(
        attribute="child", column_name="child_iin", widget=PreloadedForeignKeyWidget(Child, "iin")
    )
    provider_bin = Field(
        attribute="provider",
        column_name="provider_bin",
        widget=PreloadedForeignKeyWidget(Provider, "bin"),
    )
    decision_number = exchange_field("enrollments", "decision_number")
    decision_date = exchange_field("enrollments", "decision_date")
    start_on = exchange_field("enrollments", "start_on")
    end_on = exchange_field("enrollments", "end_on")
    # Written to the ServiceApplication in before_save_instance.
    consent_on = exchange_field(
        "enrollments", "consent_on", attribute="application__consent_on", readonly=True
    )
    consent_withdrawn_on = exchange_field(
        "enrollments",
        "consent_withdrawn_on",
        attribute="application__consent_withdrawn_on",
        readonly=True,
    )

    class Meta:
        model = Enrollment
        fields = (
            "child_iin",
            "provider_bin",
            "decision_number",
            "decision_date",
            "start_on",
            "end_on",
            "consent_on",
            "consent_withdrawn_on",
        )
        export_order = fields
        import_id_fields = ("decision_number",)
        instance_loader_class = PreloadedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def get_queryset(self) -> QuerySet[Enrollment]:
        return super().get_queryset().select_related("child", "provider", "application")

    def filter_export(self, queryset: QuerySet[Enrollment], **kwargs: Any) -> QuerySet[Enrollment]:
        # The exchange format holds the akimat's decisions: drafts and refusals are not exported
        # (re-imported, a row is an approved decision).
        return queryset.filter(status=EnrollmentStatus.APPROVED).select_related(
            "child", "provider", "application"
        )

    def preload(self, check: FileCheck) -> None:
        self.fields["child_iin"].widget.objects = check.state.children
        self.fields["provider_bin"].widget.objects = check.state.providers

    def existing_instance(self, row: Any) -> Enrollment | None:
        assert self.file_check is not None
        return self.file_check.state.enrollments.get(cell_text(row.get("decision_number")))

    @staticmethod
    def _consent(values: dict[str, Any]) -> dict[str, Any]:
        return {
            "consent_on": values["consent_on"],
            "consent_withdrawn_on": values["consent_withdrawn_on"],
        }

    def skip_row(
        self, instance: Any, original: Any, row: Any, import_validation_errors: Any = None
    ) -> bool:
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        if not any(cell_text(value) for value in row.values()):
            return True
        application = original.application
        if original.status != EnrollmentStatus.APPROVED or application is None:
            return False
        consent = self._consent(self.exchange_values(row))
        return all(getattr(application, name) == value for name, value in consent.items())

    def before_save_instance(self, instance: Enrollment, row: Any, **kwargs: Any) -> None:
        # the file holds decisions the akimat has taken
        instance.status = EnrollmentStatus.APPROVED
        if not self.writes(kwargs):
            return
        values = self.exchange_values(row)
        consent = self._consent(values)
        application = instance.application
        if application is None:
            instance.application = ServiceApplication.objects.create(
                child=instance.child,
                submitted_on=values["consent_on"] or values["decision_date"],
                **consent,
            )
            return
        changed = [name for name, value in consent.items() if getattr(application, name) != value]
        for name in changed:
            setattr(application, name, consent[name])
        if changed:
            application.save(update_fields=changed)
