"""`dataset_import`: a dataset of exchange files checked whole, then written in one transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from core.importing.plan import (
    DatabaseState,
    ParsedFile,
    check_dataset,
    load_state,
    plan_dataset,
)
from core.importing.reading import Table, build_table, locate_files, read_source
from core.importing.report import FileSummary, ImportReport, RowError
from core.importing.specs import FILE_SPECS, PLANNED_FILES, FileSpec, parse_table
from core.importing.writing import write_plan
from services.models import Visit
from services.services import flag_overlaps_in

_FILE_ORDER = {name: index for index, name in enumerate(FILE_SPECS)}


def _sorted(errors: Iterable[RowError], sources: Mapping[str, str]) -> list[RowError]:
    position = {source: _FILE_ORDER[name] for name, source in sources.items()}
    return sorted(errors, key=lambda error: (position.get(error.file, -1), error.row or 0))


def dataset_import(
    *,
    directory: Path | str | Mapping[str, Any],
    dry_run: bool = False,
    acting_user: Any = None,
    label: str | None = None,
) -> ImportReport:
    """Import the exchange files in `directory` (a folder, or file names → contents).

    Every row of every file is checked first; if any is refused nothing is written and the
    report lists each refused row. Otherwise (and unless `dry_run`) the whole dataset is
    written in one transaction, rows matched on their key and updated in place, with one
    audit entry per created or changed object attributed to `acting_user`.
    """
    if isinstance(directory, str):
        directory = Path(directory)
    if isinstance(directory, Path):
        label = label or directory.resolve().name
    report = ImportReport(label=label or "upload", dry_run=dry_run)
    sources, report.skipped, errors = locate_files(
        directory, supported=FILE_SPECS, planned=PLANNED_FILES
    )
    files: dict[str, ParsedFile] = {}
    for name, spec in FILE_SPECS.items():
        if name not in sources:
            continue
        table, read_errors = read_source(sources[name], identifier_columns=spec.identifier_columns)
        errors.extend(read_errors)
        if table is None:
            continue
        rows, row_errors = parse_table(spec, table)
        errors.extend(row_errors)
        files[name] = ParsedFile(spec, table.source, rows)

    with transaction.atomic():
        # Read inside the transaction that writes, so the checks see what is written over.
        state = load_state(files)
        errors.extend(check_dataset(files, state))
        if errors:
            report.files = [
                FileSummary(name, file.source, rows=len(file.rows)) for name, file in files.items()
            ]
            report.errors = _sorted(errors, {name: file.source for name, file in files.items()})
            return report
        plan = plan_dataset(files, state)
        report.files = list(plan.summaries.values())
        report.warnings = _birth_date_warnings(files.get("children"))
        if not dry_run:
            write_plan(plan, actor=acting_user, label=report.label)
            report.written = True
            written_days: list[datetime.date] = [
                change.obj.date  # type: ignore[attr-defined]
                for change in plan.changes.get(Visit, [])
            ]
            if written_days:
                # Home and centre visits of one child overlapping in time are flagged (§5):
                # set-based over the days the file wrote, two statements whatever its size.
                flag_overlaps_in(
                    Visit.objects.filter(date__range=(min(written_days), max(written_days)))
                )
            if "children" in files:
                # Children may now be entered twice under two IINs: look for them after commit.
                from recipients.tasks import find_duplicates_task

                transaction.on_commit(find_duplicates_task.delay)
    return report


def _birth_date_warnings(children: ParsedFile | None) -> list[RowError]:
    """An IIN whose digits disagree with the birth date is a warning, never a refusal (§4)."""
    from recipients.rules import iin_birth_date_warning

    warnings: list[RowError] = []
    if children is None:
        return warnings
    for row in children.rows:
        iin, birth_date = row.values.get("iin"), row.values.get("birth_date")
        if iin and birth_date and (message := iin_birth_date_warning(iin, birth_date)):
            warnings.append(
                RowError(children.source, row.number, "birth_date", "iin_birth_date", message)
            )
    return warnings


@dataclass
class FileCheck:
    """One exchange file checked alone against the database (the admin's import buttons)."""

    spec: FileSpec
    table: Table | None
    errors: list[RowError] = field(default_factory=list)
    state: DatabaseState = field(default_factory=DatabaseState)

    @property
    def file_errors(self) -> list[RowError]:
        """Errors that refuse the file whole (unreadable, a missing column)."""
        return [error for error in self.errors if error.row is None or error.row == 1]

    def row_errors(self) -> dict[int, list[RowError]]:
        by_row: dict[int, list[RowError]] = {}
        for error in self.errors:
            if error.row is not None and error.row > 1:
                by_row.setdefault(error.row, []).append(error)
        return by_row


def check_file(name: str, records: Iterable[Iterable[Any]], *, source: str = "") -> FileCheck:
    """Read `records` (the header, then the rows) as the file `name` and check every row.

    References must be in the database: a single file has no earlier files to refer to.
    """
    spec = FILE_SPECS[name]
    table, errors = build_table(
        name, source or name, records, identifier_columns=spec.identifier_columns
    )
    files: dict[str, ParsedFile] = {}
    if table is not None:
        rows, row_errors = parse_table(spec, table)
        errors.extend(row_errors)
        files[name] = ParsedFile(spec, table.source, rows)
    state = load_state(files)
    errors.extend(check_dataset(files, state))
    return FileCheck(spec, table, _sorted(errors, {name: source or name}), state)
