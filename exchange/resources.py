"""What the admin's import-export resources share: the exchange format's cells and checks.

A resource imports one exchange file. `ExchangeResource.before_import` checks the whole
tablib dataset with `check_file` (the rules of `import_dataset`), so that import-export's
preview lists each refused row with its reasons, and keeps the database rows it loaded for
that check: instances and foreign keys are then looked up in memory, not row by row.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, models
from django.utils.translation import gettext as _
from import_export import resources, widgets
from import_export.fields import Field
from import_export.instance_loaders import BaseInstanceLoader

from core.locks import hold
from exchange.cells import CellError, Parser, cell_text
from exchange.service import FileCheck, check_file
from exchange.specs import FILE_SPECS, FileSpec


class ExchangeWidget(widgets.Widget):
    """A cell read and written with the exchange format's parser for its column."""

    def __init__(self, parser: Parser) -> None:
        super().__init__()
        self.parser = parser

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        text = cell_text(value, identifier=self.parser.identifier)
        if not text:
            return self.parser.empty()
        try:
            return self.parser.parse(text)
        except CellError as exc:
            raise ValueError(exc.message) from exc

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return self.parser.render(value)


class PreloadedForeignKeyWidget(widgets.Widget):
    """A foreign key given by an exchange key (an IIN, a BIN), from objects loaded once.

    The resource fills `objects` in `before_import` with one query for the whole file.
    """

    def __init__(self, model: type[models.Model], field: str) -> None:
        super().__init__()
        self.model = model
        self.field = field
        self.objects: dict[str, models.Model] = {}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        key = cell_text(value, identifier=True)
        if not key:
            return None
        try:
            return self.objects[key]
        except KeyError:
            raise ValueError(_("%(value)s is not in the database") % {"value": key}) from None

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(getattr(value, self.field))


def exchange_field(file: str, column: str, attribute: str | None = None, **kwargs: Any) -> Field:
    """A resource field for `column` of `file`, read and written with the exchange parser."""
    return Field(
        attribute=attribute or column,
        column_name=column,
        widget=ExchangeWidget(FILE_SPECS[file].column(column).parser),
        **kwargs,
    )


class PreloadedInstanceLoader(BaseInstanceLoader):
    """Finds the existing object of a row among those `before_import` loaded."""

    def get_instance(self, row: Any) -> Any:
        return self.resource.existing_instance(row)


class ExchangeResource(resources.ModelResource):
    """Base of the resources for the exchange files; subclasses set `exchange_file`."""

    exchange_file: ClassVar[str]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file_check: FileCheck | None = None
        self._row_errors: dict[int, Any] = {}
        self._refusal: list[str] = []

    @classmethod
    def spec(cls) -> FileSpec:
        return FILE_SPECS[cls.exchange_file]

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        if not kwargs.get("dry_run") and connection.in_atomic_block:
            # The admin's import writes as `import_dataset` does: one import at a time.
            hold("import_dataset")
        spec = self.spec()
        headers = [cell_text(header).lower() for header in (dataset.headers or [])]
        records = [list(row) for row in dataset]
        # An optional column left out of the file reads as empty cells (exchange.md).
        absent = sorted(spec.optional_columns - set(headers))
        headers += absent
        records = [record + [""] * len(absent) for record in records]
        self.file_check = check_file(spec.name, [headers, *records])
        # Cells become the exchange format's text (dates, padded IINs), so that the widgets
        # and the instance loader read what the checks read. Row numbers stay as they were.
        identifiers = spec.identifier_columns
        dataset.wipe()
        dataset.headers = headers
        for record in records:
            dataset.append(
                [
                    cell_text(value, identifier=header in identifiers)
                    for header, value in zip(headers, record, strict=False)
                ]
            )
        self._row_errors = self.file_check.row_errors()
        self.preload(self.file_check)
        if self.file_check.file_errors:
            self._refusal = [str(error) for error in self.file_check.file_errors]
            raise ValidationError(self._refusal)

    def preload(self, check: FileCheck) -> None:
        """Hand the database rows `check` loaded to the foreign-key widgets."""

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        if self._refusal:
            raise ValidationError(self._refusal)
        # import-export counts data rows from 1; the exchange format counts the header as 1.
        errors = self._row_errors.get(kwargs.get("row_number", 0) + 1)
        if errors:
            by_field: dict[str, list[str]] = {}
            for error in errors:
                if error.column in self.fields:
                    by_field.setdefault(error.column, []).append(error.message)
                else:
                    by_field.setdefault(NON_FIELD_ERRORS, []).append(
                        f"{error.column}: {error.message}" if error.column else error.message
                    )
            raise ValidationError(by_field)

    def exchange_values(self, row: Any) -> dict[str, Any]:
        """The row's cells as the exchange parsers read them (call on a checked row only)."""
        values = {}
        for column in self.spec().columns:
            text = cell_text(row.get(column.name), identifier=column.parser.identifier)
            values[column.name] = column.parser.parse(text) if text else column.parser.empty()
        return values

    def existing_instance(self, row: Any) -> models.Model | None:
        raise NotImplementedError

    def skip_row(
        self, instance: Any, original: Any, row: Any, import_validation_errors: Any = None
    ) -> bool:
        if not any(cell_text(value) for value in row.values()):
            return True  # a blank line
        return super().skip_row(instance, original, row, import_validation_errors)

    @staticmethod
    def writes(kwargs: dict[str, Any]) -> bool:
        """False in a dry run without a transaction to roll back: nothing may be saved."""
        return not kwargs.get("dry_run") or bool(kwargs.get("using_transactions"))
