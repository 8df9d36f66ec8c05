"""Import-export resources for the admin's buttons: the three registry files (exchange.md).

The checks are those of `import_dataset` (`exchange.check_file`): a valid IIN, dates that
exist, an end not before the start, known kinds, a key not repeated in the file. A registry
row's IIN need not be a child the portal knows.

As with `import_dataset`, rows are matched on the file's key; the rows an import creates or
changes link to a `RegistryImport` of that file (who, when, counts), made when the first row
is written, so an import that changes nothing leaves none. Everything happens in the import's
transaction: the preview writes nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from exchange.cells import CellError
from exchange.resources import ExchangeResource, PreloadedInstanceLoader, exchange_field
from monitoring.models import (
    EducationCorrection,
    HealthStay,
    PersonRecord,
    RegistryImport,
    RegistryKind,
)


class RegistryResource(ExchangeResource):
    """Base of the three registry resources; subclasses set the file, its kind and state."""

    registry_kind: ClassVar[str]
    state_attribute: ClassVar[str]  # the DatabaseState dict holding the file's rows by key

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.registry_import: RegistryImport | None = None
        self.rows = 0

    def existing_instance(self, row: Any) -> models.Model | None:
        assert self.file_check is not None
        values = self.exchange_values(row)
        key = tuple(values[column] for column in self.spec().key)
        rows: dict[tuple[Any, ...], models.Model] = getattr(
            self.file_check.state, self.state_attribute
        )
        return rows.get(key)

    def unknown_iins(self) -> int:
        """Rows (read without error) whose IIN is not a child in the database."""
        check = self.file_check
        if check is None or check.table is None:
            return 0
        known = check.state.children
        identifier = self.spec().column("iin").parser
        count = 0
        for row in check.table.rows:
            text = row.cells.get("iin", "")
            if not text:
                continue
            try:
                iin = identifier.parse(text)
            except CellError:  # a refused cell: reported as an error, not counted
                continue
            if iin not in known:
                count += 1
        return count

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        super().before_import(dataset, **kwargs)
        self.rows = len(dataset)

    def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        """The first row written creates the file's RegistryImport; every written row links to it."""
        super().before_save_instance(instance, row, **kwargs)
        if not self.writes(kwargs):
            return
        if self.registry_import is None:
            user = kwargs.get("user")
            self.registry_import = RegistryImport.objects.create(
                kind=self.registry_kind,
                source=str(kwargs.get("file_name") or self.spec().name)[:255],
                dataset="admin",
                loaded_by=user if getattr(user, "is_authenticated", False) else None,
                rows=self.rows,
                unknown_iins=self.unknown_iins(),
            )
        instance.registry_import = self.registry_import

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        super().after_import(dataset, result, **kwargs)
        registry_import = self.registry_import
        if registry_import is None or result.has_errors():
            return  # nothing written, or all of it rolled back
        registry_import.created = result.totals.get("new", 0)
        registry_import.updated = result.totals.get("update", 0)
        registry_import.save(update_fields=["created", "updated"])


class PersonRecordResource(RegistryResource):
    exchange_file = "registry_persons"
    registry_kind = RegistryKind.PERSONS
    state_attribute = "persons"

    iin = exchange_field("registry_persons", "iin")
    astana_from = exchange_field("registry_persons", "astana_from")
    astana_until = exchange_field("registry_persons", "astana_until")
    death_date = exchange_field("registry_persons", "death_date")

    class Meta:
        model = PersonRecord
        fields = ("iin", "astana_from", "astana_until", "death_date")
        export_order = fields
        import_id_fields = ("iin", "astana_from")
        instance_loader_class = PreloadedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        use_transactions = True


class HealthStayResource(RegistryResource):
    exchange_file = "registry_health"
    registry_kind = RegistryKind.HEALTH
    state_attribute = "health"

    iin = exchange_field("registry_health", "iin")
    kind = exchange_field("registry_health", "kind")
    start_on = exchange_field("registry_health", "start_on")
    end_on = exchange_field("registry_health", "end_on")
    organisation = exchange_field("registry_health", "organisation")

    class Meta:
        model = HealthStay
        fields = ("iin", "kind", "start_on", "end_on", "organisation")
        export_order = fields
        import_id_fields = ("iin", "kind", "start_on")
        instance_loader_class = PreloadedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        use_transactions = True


class EducationCorrectionResource(RegistryResource):
    exchange_file = "registry_education"
    registry_kind = RegistryKind.EDUCATION
    state_attribute = "education"

    iin = exchange_field("registry_education", "iin")
    kind = exchange_field("registry_education", "kind")
    start_on = exchange_field("registry_education", "start_on")
    end_on = exchange_field("registry_education", "end_on")
    organisation = exchange_field("registry_education", "organisation")

    class Meta:
        model = EducationCorrection
        fields = ("iin", "kind", "start_on", "end_on", "organisation")
        export_order = fields
        import_id_fields = ("iin", "kind", "start_on")
        instance_loader_class = PreloadedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
