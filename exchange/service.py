"""`dataset_import`: a dataset of exchange files checked whole, then written in one transaction."""

from __future__ import annotations

import datetime
import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from auditlog.models import LogEntry
from django.db import connection, transaction

from core.jobs import FIND_DUPLICATES, outbox_enqueue
from core.locks import hold
from core.roles import Role, ensure_role
from exchange.plan import (
    FILE_MODELS,
    DatabaseState,
    ParsedFile,
    check_dataset,
    load_state,
    plan_dataset,
)
from exchange.reading import Table, build_table, locate_files, read_source
from exchange.report import FileSummary, ImportReport, RowError
from exchange.specs import (
    FILE_SPECS,
    PLANNED_FILES,
    FileSpec,
    missing_columns,
    parse_rows,
    parse_table,
)
from exchange.writing import write_plan
from recipients.rules import iin_birth_date_warning
from services.models import Visit
from services.services import flag_overlaps_in

_FILE_ORDER = {name: index for index, name in enumerate(FILE_SPECS)}

# Files read and written in chunks, after the others (nothing refers to their rows).
STREAMED_FILES = ("visits",)
CHUNK_ROWS = 5000


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

    Every row of every file is checked; if any is refused nothing is written and the report
    lists each refused row. Otherwise (and unless `dry_run`) the whole dataset is written in
    one transaction, rows matched on their key and updated in place, with one audit entry per
    created or changed object attributed to `acting_user`.

    The visits file (half a year of a city's visits: hundreds of thousands of rows) is read,
    checked and written in chunks, after the other files, so that memory stays bounded: its
    chunks are written while no row of the dataset has been refused, and a refusal found later
    rolls the whole transaction back.
    """
    ensure_role(acting_user, Role.AKIMAT_OFFICER, scheduler_may=True)
    if isinstance(directory, str):
        directory = Path(directory)
    if isinstance(directory, Path):
        label = label or directory.resolve().name
    report = ImportReport(label=label or "upload", dry_run=dry_run)
    sources, report.skipped, errors = locate_files(
        directory, supported=FILE_SPECS, planned=PLANNED_FILES
    )
    files: dict[str, ParsedFile] = {}
    streamed: dict[str, tuple[Table, list[RowError]]] = {}
    for name, spec in FILE_SPECS.items():
        if name not in sources:
            continue
        lazy = name in STREAMED_FILES
        table, read_errors = read_source(
            sources[name], identifier_columns=spec.identifier_columns, lazy=lazy
        )
        if table is not None and lazy:
            missing = missing_columns(spec, table)
            if missing:
                errors.extend(missing)
            else:
                streamed[name] = (table, read_errors)  # errors found while reading come later
            continue
        errors.extend(read_errors)
        if table is None:
            continue
        rows, row_errors = parse_table(spec, table)
        errors.extend(row_errors)
        files[name] = ParsedFile(spec, table.source, rows)

    with transaction.atomic(), _fewer_collections():
        if not dry_run:
            # One import at a time: a second one started meanwhile waits, then reads what the
            # first wrote and finds it done (no duplicate key errors; docs/decisions.md).
            hold("import_dataset")
        # Read inside the transaction that writes, so the checks see what is written over.
        state = load_state(files)
        errors.extend(check_dataset(files, state))
        summaries: dict[str, FileSummary] = {
            name: FileSummary(name, file.source, rows=len(file.rows))
            for name, file in files.items()
        }
        if not errors:
            plan = plan_dataset(files, state)
            summaries.update(plan.summaries)
            if not dry_run:
                write_plan(plan, actor=acting_user, label=report.label)
        written_days: list[datetime.date] = []
        for name, (table, read_errors) in streamed.items():
            summaries[name] = _import_in_chunks(
                table,
                read_errors,
                state=state,
                earlier=files,
                errors=errors,
                write=not dry_run,
                actor=acting_user,
                label=report.label,
                written_days=written_days,
            )
        report.files = sorted(summaries.values(), key=lambda summary: _FILE_ORDER[summary.name])
        if errors:
            transaction.set_rollback(True)
            report.errors = _sorted(
                errors, {summary.name: summary.source for summary in report.files}
            )
            return report
        report.warnings = _birth_date_warnings(files.get("children"))
        if not dry_run:
            report.written = True
            if written_days:
                # Home and centre visits of one child overlapping in time are flagged (§5):
                # set-based over the days the file wrote, two statements whatever its size.
                flag_overlaps_in(
                    Visit.objects.filter(date__range=(min(written_days), max(written_days)))
                )
            _refresh_statistics(report.files)
            if "children" in files:
                # Children may now be entered twice under two IINs: look for them after commit
                # (through the outbox: a missing broker delays the search, never the import).
                outbox_enqueue(FIND_DUPLICATES)
    return report


# A file that writes at least this many rows has the planner statistics of its table refreshed.
ANALYZE_ROWS = 10_000


def _refresh_statistics(summaries: Iterable[FileSummary]) -> None:
    """PostgreSQL: refresh the planner's statistics of the tables a big import wrote to.

    Without them (autovacuum may be off, or not yet round) the next queries over those tables
    are planned for their old size: billing a month after importing ten times the city's
    visits took minutes instead of seconds. ANALYZE samples the table: about a second for
    millions of rows, and allowed inside the import's transaction.
    """
    if connection.vendor != "postgresql":
        return

    big = [
        FILE_MODELS[summary.name]._meta.db_table
        for summary in summaries
        if summary.created + summary.updated >= ANALYZE_ROWS and summary.name in FILE_MODELS
    ]
    if big:
        big.append(LogEntry._meta.db_table)  # one audit entry a row
        with connection.cursor() as cursor:
            for table in big:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector, run less often while a dataset is written.

    A chunk's objects live across thousands of allocations, so with the default thresholds
    they are promoted and full collections (over every object of the process, Django's
    included) run again and again: a quarter of a big import's time. Nothing of an import
    lives in reference cycles; what is freed is freed when its last reference goes.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 50, 1_000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _import_in_chunks(
    table: Table,
    read_errors: list[RowError],
    *,
    state: DatabaseState,
    earlier: Mapping[str, ParsedFile],
    errors: list[RowError],
    write: bool,
    actor: Any,
    label: str,
    written_days: list[datetime.date],
) -> FileSummary:
    """A big file read, checked, planned and written `CHUNK_ROWS` rows at a time.

    Refusals are added to `errors`; once there is one, the rest is only checked. The dates of
    the visits written are added to `written_days` (first and last of each chunk).
    """
    name = table.name
    spec = FILE_SPECS[name]
    summary = FileSummary(name, table.source)
    first_rows: dict[str, dict[Any, int]] = {}  # the keys of the chunks before, for repeats
    reported = 0  # how many of `read_errors` (appended as rows are read) are in `errors`
    rows = iter(table.rows)
    while chunk := list(islice(rows, CHUNK_ROWS)):
        parsed, row_errors = parse_rows(spec, table.source, chunk)
        errors.extend(read_errors[reported:])
        reported = len(read_errors)
        errors.extend(row_errors)
        part = ParsedFile(spec, table.source, parsed)
        summary.rows += len(parsed)
        load_state({name: part}, state)
        errors.extend(check_dataset({name: part}, state, earlier=earlier, first_rows=first_rows))
        if errors:
            continue  # nothing will be written: the rest of the file is only checked
        plan = plan_dataset({name: part}, state)
        done = plan.summaries[name]
        summary.created += done.created
        summary.updated += done.updated
        summary.unchanged += done.unchanged
        if write:
            write_plan(plan, actor=actor, label=label)
            days = [change.obj.date for change in plan.changes.get(Visit, [])]  # type: ignore[attr-defined]
            if days:
                written_days.extend((min(days), max(days)))
    errors.extend(read_errors[reported:])
    return summary


def _birth_date_warnings(children: ParsedFile | None) -> list[RowError]:
    """An IIN whose digits disagree with the birth date is a warning, never a refusal (§4)."""

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
