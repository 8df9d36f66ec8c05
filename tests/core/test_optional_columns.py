"""exchange.md's optional columns may be left out of a file: they read as empty cells.

A column that may only be *empty* must still be in the file, so a misspelt header is refused
instead of silently clearing what the portal holds.
"""

import re

import pytest
import tablib

from exchange.admin_resources.services import VisitResource
from exchange.service import dataset_import
from exchange.specs import FILE_SPECS
from services.models import Visit
from tests.exchange_files import SAMPLE, read_rows, write_rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]

EXCHANGE_MD = SAMPLE.parent / "spec" / "exchange.md"

OPTIONAL = sorted(
    (name, column.name)
    for name, spec in FILE_SPECS.items()
    for column in spec.columns
    if column.optional
)
NOT_OPTIONAL = sorted(
    (name, column.name)
    for name, spec in FILE_SPECS.items()
    for column in spec.columns
    if not column.optional
)


def _marked_optional_in_exchange_md():
    """(file, column) for every column exchange.md's table of files marks "(optional…)"."""
    marked = set()
    for line in EXCHANGE_MD.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) < 5 or not re.fullmatch(r"`\w+`", cells[1]):
            continue
        name = cells[1].strip("`")
        for column in re.findall(r"`(\w+)`\s*\(optional", cells[4]):
            marked.add((name, column))
    return marked


def test_the_specs_mark_optional_exactly_what_exchange_md_does():
    if not EXCHANGE_MD.exists():
        pytest.skip(f"exchange.md is not at {EXCHANGE_MD}")
    assert set(OPTIONAL) == _marked_optional_in_exchange_md()
    assert ("visits", "services") in OPTIONAL


def _without(path, column, *, keep_header=False):
    rows = read_rows(path)
    headers = [header for header in rows[0] if header != column]
    if keep_header:  # the column there, every cell empty
        for row in rows:
            row[column] = ""
        headers = list(rows[0])
    write_rows(path, [{h: row[h] for h in headers} for row in rows], headers=headers)


def _state():
    return sorted(
        Visit.objects.values_list("visit_id", "services", "status", "confirmation_method")
    )


@pytest.mark.parametrize(("name", "column"), OPTIONAL)
def test_a_file_without_an_optional_column_imports_as_with_empty_cells(dataset, name, column):
    path = dataset / f"{name}.csv"
    assert column in read_rows(path)[0], "the sample carries the column"
    _without(path, column)

    report = dataset_import(directory=dataset)

    assert report.ok and report.written, [str(error) for error in report.errors]
    assert all(summary.created == summary.rows for summary in report.files)
    dropped = _state()

    # the same file with the column present and every cell empty changes nothing
    _without(path, column, keep_header=True)
    again = dataset_import(directory=dataset)

    assert again.ok
    summary = next(summary for summary in again.files if summary.name.startswith(name))
    assert summary.unchanged == summary.rows and summary.updated == 0
    assert _state() == dropped


@pytest.mark.parametrize(("name", "column"), NOT_OPTIONAL)
def test_a_file_without_a_column_that_is_not_optional_is_refused(dataset, name, column):
    path = dataset / f"{name}.csv"
    _without(path, column)

    report = dataset_import(directory={path.name: path})

    assert not report.ok and not report.written
    assert (path.name, 1, column, "missing_column") in {
        (error.file, error.row, error.column, error.code) for error in report.errors
    }
    assert any(f"the required column '{column}' is missing" in str(e) for e in report.errors)


def test_the_admin_import_of_visits_without_services_reads_them_as_empty(dataset):
    names = ("providers", "tariffs", "children", "ipar", "enrollments")
    dataset_import(directory={f"{name}.csv": dataset / f"{name}.csv" for name in names})
    rows = read_rows(dataset / "visits.csv")
    headers = [header for header in rows[0] if header != "services"]
    table = tablib.Dataset(headers=headers)
    for row in rows:
        table.append([row[header] for header in headers])

    result = VisitResource().import_data(table)

    assert not result.has_errors() and not result.has_validation_errors()
    assert Visit.objects.count() == len(rows)
    assert not Visit.objects.exclude(services=[]).exists()
