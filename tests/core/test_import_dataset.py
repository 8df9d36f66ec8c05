"""import_dataset: a dataset of exchange files is checked whole, then written in one transaction."""

import datetime
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tablib
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from core.validators import check_digit
from exchange.admin_resources.providers import ProviderResource
from exchange.admin_resources.recipients import ChildResource, EnrollmentResource, IparResource
from exchange.admin_resources.tariffs import TariffResource
from exchange.cells import cell_text
from exchange.plan import WRITE_ORDER
from exchange.service import CHUNK_ROWS, dataset_import
from exchange.specs import FILE_SPECS
from monitoring.models import EducationCorrection, HealthStay, PersonRecord
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
from services.models import Visit
from tariffs.models import Tariff
from tests.exchange_files import read_rows, set_cell, write_rows
from tests.factories import ProviderFactory, coordinator_of, officer

MAIN = Path(__file__).resolve().parents[2]
BAD_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "import_bad"
REGISTRIES = ("registry_persons", "registry_health", "registry_education")
IMPORTED = ("providers", "tariffs", "children", "ipar", "enrollments", "visits", *REGISTRIES)
UNKNOWN_BIN = "999999400008"  # a valid check digit, in no file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]


# --- helpers ------------------------------------------------------------------------------


def file_rows(directory, name):
    return len(read_rows(directory / f"{name}.csv"))


def counts():
    return {
        "providers": Provider.objects.count(),
        "tariffs": Tariff.objects.count(),
        "children": Child.objects.count(),
        "ipar": Ipar.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "representatives": LegalRepresentative.objects.count(),
        "applications": ServiceApplication.objects.count(),
        "visits": Visit.objects.count(),
        "registry_persons": PersonRecord.objects.count(),
        "registry_health": HealthStay.objects.count(),
        "registry_education": EducationCorrection.objects.count(),
    }


NOTHING = dict.fromkeys(
    (
        "providers",
        "tariffs",
        "children",
        "ipar",
        "enrollments",
        "representatives",
        "applications",
        "visits",
        *REGISTRIES,
    ),
    0,
)


def refused(report):
    return {(error.file, error.row, error.column, error.code) for error in report.errors}


def outcomes(report):
    return {s.name: (s.rows, s.created, s.updated, s.unchanged) for s in report.files}


def write_xlsx(csv_path, xlsx_path):
    """The CSV as a spreadsheet would hold it: columns reordered, an extra column, dates as
    dates, numbers as numbers (IINs and BINs lose their leading zeros), empty cells as None."""
    spec = FILE_SPECS[csv_path.stem]
    dates = {column.name for column in spec.columns if type(column.parser).__name__ == "Date"}
    rows = read_rows(csv_path)
    headers = [*reversed(list(rows[0])), "comment"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        cells = []
        for header in headers:
            value = row.get(header, "not part of the format")
            if value == "":
                cells.append(None)
            elif header in spec.identifier_columns:
                cells.append(int(value))
            elif header in dates:
                cells.append(datetime.datetime.fromisoformat(value))
            elif header == "amount_kzt":
                cells.append(float(value))
            else:
                cells.append(value)
        sheet.append(cells)
    workbook.save(xlsx_path)


# --- the sample ---------------------------------------------------------------------------


def test_the_sample_imports_every_row_of_its_files(sample):
    expected = {name: file_rows(sample, name) for name in IMPORTED}
    assert (expected["providers"], expected["tariffs"]) == (9, 4)
    assert (expected["children"], expected["enrollments"]) == (75, 74)

    report = dataset_import(directory=sample)

    assert report.ok and report.written
    assert outcomes(report) == {name: (rows, rows, 0, 0) for name, rows in expected.items()}
    with_representative = [r for r in read_rows(sample / "children.csv") if r["representative_iin"]]
    assert counts() == {
        **expected,
        "representatives": len(with_representative),
        "applications": expected["enrollments"],
    }
    # every file of the format is imported now: none is reported as skipped
    assert report.skipped == []


def test_imported_rows_hold_what_the_files_say(sample):
    dataset_import(directory=sample)

    for row in read_rows(sample / "children.csv"):
        child = Child.objects.get(iin=row["iin"])
        assert child.name_key == name_key(row["last_name"], row["first_name"], row["middle_name"])
        assert (child.birth_date.isoformat(), child.district) == (
            row["birth_date"],
            row["district"],
        )
        if row["representative_iin"]:
            representative = child.representatives.get(iin=row["representative_iin"])
            assert representative.full_name == row["representative_name"]
            assert representative.relation == row["representative_relation"]
    for row in read_rows(sample / "ipar.csv"):
        ipar = Ipar.objects.get(number=row["number"])
        assert ipar.child.iin == row["child_iin"]
        assert ipar.services == [kind for kind in row["services"].split(";") if kind]
    for row in read_rows(sample / "enrollments.csv"):
        enrollment = Enrollment.objects.select_related("application").get(
            decision_number=row["decision_number"]
        )
        assert enrollment.status == EnrollmentStatus.APPROVED
        assert enrollment.decided_by is None
        assert (enrollment.child.iin, enrollment.provider.bin) == (
            row["child_iin"],
            row["provider_bin"],
        )
        application = enrollment.application
        assert application.child_id == enrollment.child_id
        assert cell_text(application.consent_on) == row["consent_on"]
        assert cell_text(application.consent_withdrawn_on) == row["consent_withdrawn_on"]
        assert application.submitted_on.isoformat() == (row["consent_on"] or row["decision_date"])
    # admitted although its licence lacks home care: accepted, billing excludes its visits
    orda = Provider.objects.get(bin="060740548100")
    assert (orda.license_home_care, orda.admitted_on) == (False, datetime.date(2026, 6, 5))


def test_a_second_import_changes_nothing(sample):
    dataset_import(directory=sample)
    entries = LogEntry.objects.count()
    stamps = list(Child.objects.order_by("pk").values_list("updated_at", flat=True))

    report = dataset_import(directory=sample)

    assert report.ok
    assert all(
        (summary.created, summary.updated, summary.unchanged) == (0, 0, summary.rows)
        for summary in report.files
    )
    assert LogEntry.objects.count() == entries
    assert list(Child.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps
    assert counts()["children"] == file_rows(sample, "children")


def test_a_dry_run_reports_and_writes_nothing(sample):
    entries = LogEntry.objects.count()
    out = io.StringIO()

    call_command("import_dataset", str(sample), "--dry-run", stdout=out)

    assert counts() == NOTHING
    assert LogEntry.objects.count() == entries
    lines = [" ".join(line.split()) for line in out.getvalue().splitlines()]
    assert "children.csv 75 75 0 0" in lines
    assert "Dry run: the dataset is valid; nothing was written." in lines


def test_the_command_prints_a_table_and_the_registry_rows_of_unknown_iins(sample):
    out = io.StringIO()

    call_command("import_dataset", str(sample), stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["File", "Rows", "Created", "Updated", "Unchanged"]
    assert " ".join(lines[1].split()) == "providers.csv 9 9 0 0"
    assert " ".join(lines[7].split()) == "registry_persons.csv 72 72 0 0"
    # three health-registry rows name IINs that are in no file (kept, not refused)
    assert "registry_health.csv: 3 rows for IINs not known to the portal" in lines
    assert "not imported yet" not in out.getvalue()
    assert "README.md" not in out.getvalue()


# --- refused rows -------------------------------------------------------------------------


def bad_check_digit(directory):
    iin = read_rows(directory / "children.csv")[1]["iin"]
    set_cell(directory / "children.csv", 3, "iin", iin[:11] + str((int(iin[11]) + 1) % 10))
    return ("children.csv", 3, "iin", "iin_bad_check_digit")


def unknown_provider(directory):
    set_cell(directory / "enrollments.csv", 2, "provider_bin", UNKNOWN_BIN)
    return ("enrollments.csv", 2, "provider_bin", "unknown_reference")


def repeated_child(directory):
    rows = read_rows(directory / "children.csv")
    rows.append(dict(rows[0]))
    write_rows(directory / "children.csv", rows)
    return ("children.csv", len(rows) + 1, "iin", "repeated_key")


def end_before_start(directory):
    start = datetime.date.fromisoformat(read_rows(directory / "enrollments.csv")[1]["start_on"])
    set_cell(directory / "enrollments.csv", 3, "end_on", str(start - datetime.timedelta(days=1)))
    return ("enrollments.csv", 3, "end_on", "end_before_start")


def date_that_does_not_exist(directory):
    set_cell(directory / "ipar.csv", 2, "issued_on", "2026-02-30")
    return ("ipar.csv", 2, "issued_on", "invalid_date")


def unknown_district(directory):
    set_cell(directory / "children.csv", 4, "district", "abc")
    return ("children.csv", 4, "district", "unknown_code")


def unknown_service_kind(directory):
    set_cell(directory / "ipar.csv", 5, "services", "medical;dancing")
    return ("ipar.csv", 5, "services", "unknown_code")


def amount_not_whole(directory):
    set_cell(directory / "tariffs.csv", 3, "amount_kzt", "4346.5")
    return ("tariffs.csv", 3, "amount_kzt", "not_positive_whole_number")


def overlapping_tariffs(directory):
    rows = read_rows(directory / "tariffs.csv")
    row = next(n for n, r in enumerate(rows, 2) if r["setting"] == "home" and r["valid_to"])
    set_cell(directory / "tariffs.csv", row, "valid_to", "2026-07-01")
    later = next(n for n, r in enumerate(rows, 2) if r["setting"] == "home" and not r["valid_to"])
    return ("tariffs.csv", max(row, later), "valid_from", "tariff_overlap")


def withdrawn_before_consent(directory):
    consent = datetime.date.fromisoformat(read_rows(directory / "enrollments.csv")[0]["consent_on"])
    set_cell(
        directory / "enrollments.csv",
        2,
        "consent_withdrawn_on",
        str(consent - datetime.timedelta(days=1)),
    )
    return ("enrollments.csv", 2, "consent_withdrawn_on", "end_before_start")


def excluded_when_admitted(directory):
    admitted = read_rows(directory / "providers.csv")[0]["admitted_on"]
    set_cell(directory / "providers.csv", 2, "excluded_on", admitted)
    return ("providers.csv", 2, "excluded_on", "end_not_after_start")


def representative_without_name(directory):
    set_cell(directory / "children.csv", 2, "representative_name", "")
    return ("children.csv", 2, "representative_name", "required")


def missing_column(directory):
    rows = read_rows(directory / "ipar.csv")
    headers = [header for header in rows[0] if header != "services"]
    write_rows(directory / "ipar.csv", [{h: r[h] for h in headers} for r in rows], headers)
    return ("ipar.csv", 1, "services", "missing_column")


def both_formats(directory):
    write_xlsx(directory / "tariffs.csv", directory / "tariffs.xlsx")
    return ("tariffs.csv / tariffs.xlsx", None, "", "both_formats")


@pytest.mark.parametrize(
    "spoil",
    [
        bad_check_digit,
        unknown_provider,
        repeated_child,
        end_before_start,
        date_that_does_not_exist,
        unknown_district,
        unknown_service_kind,
        amount_not_whole,
        overlapping_tariffs,
        withdrawn_before_consent,
        excluded_when_admitted,
        representative_without_name,
        missing_column,
        both_formats,
    ],
)
def test_one_bad_row_refuses_the_whole_dataset(dataset, spoil):
    expected = spoil(dataset)
    entries = LogEntry.objects.count()

    report = dataset_import(directory=dataset)

    assert not report.ok and not report.written
    assert expected in refused(report)
    assert counts() == NOTHING
    assert LogEntry.objects.count() == entries


def test_the_command_names_file_row_column_and_reason_and_exits_1(dataset):
    bad_check_digit(dataset)
    date_that_does_not_exist(dataset)
    err = io.StringIO()

    with pytest.raises(CommandError) as refusal:
        call_command("import_dataset", str(dataset), stdout=io.StringIO(), stderr=err)

    assert refusal.value.returncode == 1
    lines = err.getvalue().splitlines()
    assert "children.csv, row 3, iin, IIN has a wrong check digit." in lines
    assert (
        "ipar.csv, row 2, issued_on, '2026-02-30' is not a valid date (expected YYYY-MM-DD)"
        in lines
    )
    assert counts() == NOTHING


def test_the_small_bad_fixture_is_refused_for_exactly_its_two_rows():
    report = dataset_import(directory=BAD_FIXTURE)

    assert refused(report) == {
        ("children.csv", 3, "iin", "iin_bad_check_digit"),
        ("enrollments.csv", 2, "provider_bin", "unknown_reference"),
    }
    assert counts() == NOTHING


def test_manage_py_exits_with_status_1_on_a_refused_dataset(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["DJANGO_SETTINGS_MODULE"] = "pilot.settings.test"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=MAIN,
        env=env,
        check=True,
        timeout=120,
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "import_dataset", "tests/fixtures/import_bad"],
        cwd=MAIN,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 1, result.stderr
    assert "children.csv, row 3, iin," in result.stderr
    assert "enrollments.csv, row 2, provider_bin," in result.stderr


def test_an_ipar_never_moves_to_another_child(sample, dataset):
    dataset_import(directory=sample)
    rows = read_rows(dataset / "ipar.csv")
    other = next(r["child_iin"] for r in rows if r["child_iin"] != rows[0]["child_iin"])
    set_cell(dataset / "ipar.csv", 2, "child_iin", other)

    report = dataset_import(directory=dataset)

    assert refused(report) == {("ipar.csv", 2, "child_iin", "ipar_of_another_child")}
    assert Ipar.objects.get(number=rows[0]["number"]).child.iin == rows[0]["child_iin"]


def test_a_decision_in_the_database_stays_with_its_child(sample, dataset):
    dataset_import(directory=sample)
    rows = read_rows(dataset / "enrollments.csv")
    other = next(r["child_iin"] for r in rows if r["child_iin"] != rows[0]["child_iin"])
    set_cell(dataset / "enrollments.csv", 2, "child_iin", other)

    report = dataset_import(directory=dataset)

    assert refused(report) == {
        ("enrollments.csv", 2, "decision_number", "decision_of_another_child")
    }


def test_a_tariff_overlapping_one_in_the_database_is_refused(sample, tmp_path):
    dataset_import(directory=sample)
    write_rows(
        tmp_path / "tariffs.csv",
        [
            {
                "setting": "centre",
                "amount_kzt": "1",
                "valid_from": "2026-01-01",
                "valid_to": "",
                "act": "",
            }
        ],
    )

    report = dataset_import(directory=tmp_path)

    assert refused(report) == {("tariffs.csv", 2, "valid_from", "tariff_overlap")}


# --- formats and sources ------------------------------------------------------------------


def test_an_xlsx_file_imports_the_same_as_its_csv(sample, dataset):
    for name in ("providers", "tariffs", "children", "enrollments"):
        write_xlsx(dataset / f"{name}.csv", dataset / f"{name}.xlsx")
        (dataset / f"{name}.csv").unlink()

    report = dataset_import(directory=dataset)
    assert report.ok, [str(error) for error in report.errors]
    assert [summary.source for summary in report.files] == [
        "providers.xlsx",
        "tariffs.xlsx",
        "children.xlsx",
        "ipar.csv",
        "enrollments.xlsx",
        "visits.csv",
        "registry_persons.csv",
        "registry_health.csv",
        "registry_education.csv",
    ]

    # the CSV sample over it finds every row as it would have written it
    again = dataset_import(directory=sample)
    assert all(summary.unchanged == summary.rows for summary in again.files), outcomes(again)
    assert Child.objects.filter(iin__startswith="0").exists()  # leading zeros came back


def test_uploaded_files_import_like_a_folder(sample):
    uploads = {
        f"{name}.csv": io.BytesIO((sample / f"{name}.csv").read_bytes()) for name in IMPORTED
    }

    report = dataset_import(directory=uploads, label="admin upload")

    assert report.ok and report.label == "admin upload"
    assert counts()["enrollments"] == file_rows(sample, "enrollments")


def test_a_bom_and_unknown_columns_are_accepted(tmp_path):
    (tmp_path / "tariffs.csv").write_text(
        "\ufeffAct,Setting,note,amount_kzt,valid_from,valid_to\n"
        "act 1,home,whatever,4997,2026-06-05,\n",
        encoding="utf-8",
    )

    report = dataset_import(directory=tmp_path)

    assert report.ok, [str(error) for error in report.errors]
    assert Tariff.objects.get().act == "act 1"


@pytest.mark.parametrize(
    ("value", "identifier", "text"),
    [
        (datetime.datetime(2026, 2, 3), False, "2026-02-03"),
        (datetime.date(2026, 2, 3), False, "2026-02-03"),
        (datetime.time(9, 5), False, "09:05"),
        (12.0, False, "12"),
        (12.5, False, "12.5"),
        (60640763877, True, "060640763877"),
        (60640763877, False, "60640763877"),
        ("060640763877", True, "060640763877"),
        (None, False, ""),
        (True, False, "yes"),
        ("  x ", False, "x"),
    ],
)
def test_spreadsheet_cells_read_as_the_format_writes_them(value, identifier, text):
    assert cell_text(value, identifier=identifier) == text


# --- updates and the audit trail ----------------------------------------------------------


def test_each_created_object_gets_an_audit_entry_of_the_import(sample):
    user = officer()

    dataset_import(directory=sample, acting_user=user)

    entries = LogEntry.objects.filter(additional_data__import="sample-data")
    assert entries.count() == sum(counts().values())
    assert set(entries.values_list("action", "actor")) == {(LogEntry.Action.CREATE, user.pk)}
    child = Child.objects.first()
    created = LogEntry.objects.get_for_object(child).get()
    assert created.changes_dict["iin"] == ["None", child.iin]
    assert created.object_repr == child.full_name


def test_the_audit_entries_of_created_rows_are_what_auditlog_would_write(sample):
    # The import builds them without auditlog's generic diff (and writes them with COPY on
    # PostgreSQL): for every kind of object it creates they must be what auditlog makes.
    user = officer(email="officer@example.kz")

    dataset_import(directory=sample, acting_user=user)

    checked = 0
    for model in WRITE_ORDER:
        if not auditlog.contains(model):
            continue
        objects = list(model.objects.all())
        assert objects, model
        entries = {
            entry.object_pk: entry
            for entry in LogEntry.objects.get_for_model(model).filter(action=LogEntry.Action.CREATE)
        }
        assert len(entries) == len(objects), model
        for obj in objects:
            entry = entries[str(obj.pk)]
            expected = {name: list(pair) for name, pair in model_instance_diff(None, obj).items()}
            assert entry.changes == expected, (model, obj.pk)
            assert entry.object_repr == str(obj)
            assert entry.object_id == obj.pk
            assert (entry.actor_id, entry.actor_email) == (user.pk, "officer@example.kz")
            assert entry.additional_data == {"import": "sample-data"}
            checked += 1
    assert checked == LogEntry.objects.filter(additional_data__import="sample-data").count()


def test_a_changed_row_is_updated_in_place_and_audited(sample, dataset):
    dataset_import(directory=sample)
    user = officer()
    first = read_rows(dataset / "children.csv")[0]
    set_cell(dataset / "children.csv", 2, "address", "г. Астана, ул. Новая, 1")
    decision = read_rows(dataset / "enrollments.csv")[0]
    assert decision["consent_on"] and not decision["consent_withdrawn_on"]
    set_cell(dataset / "enrollments.csv", 2, "consent_withdrawn_on", "2026-08-01")

    report = dataset_import(directory=dataset, acting_user=user)

    summary = outcomes(report)
    assert summary["children"] == (75, 0, 1, 74)
    assert summary["enrollments"][1:3] == (0, 1)
    assert counts()["children"] == 75
    child = Child.objects.get(iin=first["iin"])
    assert child.address == "г. Астана, ул. Новая, 1"
    change = LogEntry.objects.get_for_object(child).get(action=LogEntry.Action.UPDATE)
    assert change.actor == user
    assert change.additional_data == {"import": "dataset"}
    assert change.changes_dict["address"] == [first["address"], "г. Астана, ул. Новая, 1"]
    application = Enrollment.objects.get(decision_number=decision["decision_number"]).application
    change = LogEntry.objects.get_for_object(application).get(action=LogEntry.Action.UPDATE)
    assert change.changes_dict["consent_withdrawn_on"] == ["None", "2026-08-01"]


def test_an_enrollment_without_application_gets_one(sample):
    dataset_import(directory=sample)
    enrollment = Enrollment.objects.order_by("pk").first()
    orphan = enrollment.application
    Enrollment.objects.filter(pk=enrollment.pk).update(application=None)

    report = dataset_import(directory=sample)

    enrollment.refresh_from_db()
    assert outcomes(report)["enrollments"][2] == 1
    assert enrollment.status == EnrollmentStatus.APPROVED
    assert enrollment.application_id not in (None, orphan.pk)


def test_a_draft_decision_in_the_portal_is_not_approved_by_an_import(sample):
    dataset_import(directory=sample)
    enrollment = Enrollment.objects.order_by("pk").first()
    Enrollment.objects.filter(pk=enrollment.pk).update(status="draft")

    report = dataset_import(directory=sample)

    assert "decision_not_approved" in {error.code for error in report.errors}
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.DRAFT


# --- queries ------------------------------------------------------------------------------


def _identifier_variant(identifier, copy, taken):
    serial = int(identifier[7:11])
    for step in range(10_000):
        body = identifier[:7] + f"{(serial + copy * 379 + step) % 10_000:04d}"
        digit = check_digit(body)
        if digit is not None and f"{body}{digit}" not in taken:
            taken.add(f"{body}{digit}")
            return f"{body}{digit}"
    raise AssertionError("no free identifier")


def scaled_copy(sample, target, factor):
    """`factor` times the sample's rows under new keys (tariffs: periods before 2025)."""
    target.mkdir()
    taken = set()
    variants = {}

    def variant(identifier, copy):
        if (identifier, copy) not in variants:
            variants[identifier, copy] = _identifier_variant(identifier, copy, taken)
        return variants[identifier, copy]

    renames = {
        "providers": {"bin": variant},
        "children": {"iin": variant},
        "ipar": {"child_iin": variant, "number": lambda value, copy: f"{value}-{copy}"},
        "enrollments": {
            "child_iin": variant,
            "provider_bin": variant,
            "decision_number": lambda value, copy: f"{value}-{copy}",
        },
        "visits": {
            "child_iin": variant,
            "provider_bin": variant,
            "visit_id": lambda value, copy: f"{value}-{copy}",
        },
        **{name: {"iin": variant} for name in REGISTRIES},
    }
    for name, columns in renames.items():
        rows = read_rows(sample / f"{name}.csv")
        write_rows(
            target / f"{name}.csv",
            [
                {**row, **{column: change(row[column], copy) for column, change in columns.items()}}
                for copy in range(1, factor + 1)
                for row in rows
            ],
        )
    tariffs = []
    for number in range(file_rows(sample, "tariffs") * factor):
        year, half, setting = 1980 + number // 4, number // 2 % 2, ("home", "centre")[number % 2]
        start = datetime.date(year, 1 + 6 * half, 1)
        end = datetime.date(year, 6, 30) if half == 0 else datetime.date(year, 12, 31)
        tariffs.append(
            {
                "setting": setting,
                "amount_kzt": "1000",
                "valid_from": start,
                "valid_to": end,
                "act": "",
            }
        )
    write_rows(target / "tariffs.csv", tariffs)
    return target


_WRITE = re.compile(r'^(INSERT INTO|UPDATE) "(\w+)"')
_READ = re.compile(r'^SELECT .*? FROM "(\w+)"')


def statements(queries):
    """The statements run, a bulk write or a keyed read counted once although Django may split
    it in batches (SQLite takes at most 999 parameters a statement)."""
    kept = []
    for query in queries:
        write = _WRITE.match(query["sql"])
        read = _READ.match(query["sql"])
        shape = write.groups() if write else ("SELECT", read.group(1)) if read else query["sql"]
        if (write or read) and kept and kept[-1] == shape:
            continue
        kept.append(shape)
    return kept


def test_importing_the_sample_takes_a_fixed_number_of_queries(
    sample, django_assert_max_num_queries
):
    # 7 reads, 8 bulk inserts, content types, audit entries: SQLite splits a bulk write in
    # batches of 999 parameters, so writes are counted once per table (see `statements`).
    # The three registry files add 7 to the 22 pinned before them: a read of each registry
    # table, a bulk insert into each, and one bulk insert of their RegistryImport rows.
    with CaptureQueriesContext(connection) as first:
        dataset_import(directory=sample)
    assert len(statements(first.captured_queries)) <= 29, len(first)
    if connection.vendor != "sqlite":
        assert len(first) <= 31  # + the outbox row and the advisory lock
    # 7 reads (and the savepoints of the transaction), nothing to write; the registries add
    # 3 to the 10 pinned before them: a read of each registry table (and no RegistryImport,
    # since nothing changed); then one outbox row queuing the duplicates search, and on
    # PostgreSQL the advisory lock that keeps two imports from racing
    with django_assert_max_num_queries(14 if connection.vendor == "sqlite" else 15):
        dataset_import(directory=sample)


def test_ten_times_the_rows_take_the_same_statements(sample, tmp_path):
    big = scaled_copy(sample, tmp_path / "big", 10)

    with CaptureQueriesContext(connection) as sample_run:
        dataset_import(directory=sample)
    with CaptureQueriesContext(connection) as big_run:
        report = dataset_import(directory=big)

    assert report.ok, [str(error) for error in report.errors[:5]]
    assert all(s.created == s.rows == 10 * file_rows(sample, s.name) for s in report.files)
    # The reads and the kinds of writes do not grow with the rows, but for the visits file,
    # read in chunks of CHUNK_ROWS rows: three statements a chunk (read, write, audit).
    small, large = statements(sample_run.captured_queries), statements(big_run.captured_queries)
    visits = file_rows(sample, "visits")
    extra_chunks = -(-10 * visits // CHUNK_ROWS) - -(-visits // CHUNK_ROWS)
    assert extra_chunks >= 2  # the big file is read in several chunks
    assert len(large) <= len(small) + 1 + 3 * extra_chunks, (len(small), len(large))
    # (writes go in batches of WRITE_BATCH rows on every database, so that memory and the
    # driver's work per statement stay bounded: a batched write is counted once)


# --- import-export resources --------------------------------------------------------------

RESOURCES = {
    "providers": ProviderResource,
    "tariffs": TariffResource,
    "children": ChildResource,
    "ipar": IparResource,
    "enrollments": EnrollmentResource,
}


def tablib_dataset(path, *, text=None):
    return tablib.Dataset().load(text or path.read_text(encoding="utf-8-sig"), format="csv")


def test_the_resources_import_the_sample_as_the_command_does(sample):
    for name, resource_class in RESOURCES.items():
        preview = resource_class().import_data(tablib_dataset(sample / f"{name}.csv"), dry_run=True)
        assert not preview.has_errors() and not preview.has_validation_errors(), name
        assert preview.totals["new"] == file_rows(sample, name)
        # written, so that the next files find the rows they refer to
        result = resource_class().import_data(tablib_dataset(sample / f"{name}.csv"))
        assert not result.has_errors() and not result.has_validation_errors(), name

    # the command finds every row as it would have written it
    report = dataset_import(directory={f"{name}.csv": sample / f"{name}.csv" for name in RESOURCES})
    assert all(summary.unchanged == summary.rows for summary in report.files), outcomes(report)
    # and a second import through the buttons skips every row
    for name, resource_class in RESOURCES.items():
        again = resource_class().import_data(tablib_dataset(sample / f"{name}.csv"), dry_run=True)
        assert again.totals["skip"] == file_rows(sample, name), name


def test_a_bad_row_shows_in_the_resource_preview(sample):
    dataset_import(directory={"providers.csv": sample / "providers.csv"})
    text = (sample / "children.csv").read_text(encoding="utf-8-sig")
    iin = read_rows(sample / "children.csv")[1]["iin"]
    text = text.replace(iin, iin[:11] + str((int(iin[11]) + 1) % 10), 1)

    result = ChildResource().import_data(tablib_dataset(None, text=text), dry_run=True)

    assert result.has_validation_errors()
    [invalid] = result.invalid_rows
    assert invalid.number == 2  # import-export counts data rows: file row 3
    assert list(invalid.field_specific_errors) == ["iin"]


def test_a_resource_reports_a_reference_missing_from_the_database(sample):
    dataset_import(
        directory={f"{name}.csv": sample / f"{name}.csv" for name in ("providers", "children")}
    )
    text = (sample / "enrollments.csv").read_text(encoding="utf-8-sig")
    first_bin = read_rows(sample / "enrollments.csv")[0]["provider_bin"]
    lines = text.splitlines()
    lines[1] = lines[1].replace(first_bin, UNKNOWN_BIN)

    result = EnrollmentResource().import_data(
        tablib_dataset(None, text="\n".join(lines)), dry_run=True
    )

    [invalid] = result.invalid_rows
    assert invalid.number == 1
    assert "provider_bin" in invalid.field_specific_errors


def test_a_resource_resolves_references_with_one_query_per_table(sample):
    dataset_import(
        directory={f"{name}.csv": sample / f"{name}.csv" for name in ("providers", "children")}
    )

    with CaptureQueriesContext(connection) as run:
        result = EnrollmentResource().import_data(
            tablib_dataset(sample / "enrollments.csv"), dry_run=True
        )

    assert result.totals["new"] == file_rows(sample, "enrollments")
    reads = [query["sql"] for query in run.captured_queries if query["sql"].startswith("SELECT")]
    assert sum('FROM "recipients_child"' in sql for sql in reads) == 1
    assert sum('FROM "providers_provider"' in sql for sql in reads) == 1


def test_the_resources_export_the_exchange_columns(sample):
    dataset_import(directory=sample)

    for name, resource_class in RESOURCES.items():
        exported = resource_class().export()
        assert exported.headers == FILE_SPECS[name].column_names, name
        expected = {
            tuple(row[column] for column in exported.headers)
            for row in read_rows(sample / f"{name}.csv")
        }
        assert set(exported) == expected, name


def test_a_resource_reads_spreadsheet_cells_as_the_format_writes_them():
    # what tablib hands over for an XLSX upload: numbers and dates, not text
    dataset = tablib.Dataset(headers=["BIN", *FILE_SPECS["providers"].column_names[1:]])
    dataset.append(
        [
            60640763877,
            "ОФ «Береке Астана»",
            "ОФ",
            "non_state",
            17076510.0,
            datetime.datetime(2018, 1, 1),
            "yes",
            datetime.datetime(2026, 6, 5),
            None,
        ]
    )

    result = ProviderResource().import_data(dataset)

    assert not result.has_errors() and not result.has_validation_errors()
    provider = Provider.objects.get()
    assert (provider.bin, provider.license_number) == ("060640763877", "17076510")
    assert provider.admitted_on == datetime.date(2026, 6, 5)


def test_a_resource_refuses_a_file_without_a_required_column(sample):
    rows = read_rows(sample / "tariffs.csv")
    dataset = tablib.Dataset(headers=["setting", "amount_kzt", "valid_from", "act"])
    for row in rows:
        dataset.append([row["setting"], row["amount_kzt"], row["valid_from"], row["act"]])

    result = TariffResource().import_data(dataset)

    assert result.has_errors()
    assert "valid_to" in str(result.base_errors[0].error)
    assert len(result.invalid_rows) == len(rows)
    assert not Tariff.objects.exists()


def test_the_command_attributes_the_changes_to_the_user_given(sample):
    user = officer(username="importer")

    call_command("import_dataset", str(sample), "--user", "importer", stdout=io.StringIO())

    assert set(
        LogEntry.objects.filter(additional_data__import="sample-data").values_list(
            "actor", flat=True
        )
    ) == {user.pk}
    with pytest.raises(CommandError):
        call_command("import_dataset", str(sample), "--user", "nobody", stdout=io.StringIO())


def test_the_command_refuses_a_user_whose_role_may_not_import(sample):
    coordinator_of(ProviderFactory(), username="coord")

    with pytest.raises(CommandError, match="coord"):
        call_command("import_dataset", str(sample), "--user", "coord", stdout=io.StringIO())

    assert not Child.objects.exists()


def test_a_birth_date_disagreeing_with_the_iin_is_only_a_warning(
    tmp_path, django_capture_on_commit_callbacks
):
    import io

    from django.core.management import call_command

    from recipients.models import Child, PossibleDuplicate

    (tmp_path / "children.csv").write_text(
        "iin,last_name,first_name,middle_name,birth_date,sex,district,address,"
        "representative_iin,representative_name,representative_phone,representative_relation\n"
        "220615674240,Жуманов,Мадина,,2022-06-16,F,nura,г. Астана,860508473537,Абенова,+7 701,parent\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("import_dataset", str(tmp_path), stdout=out)
    assert "Warning" in out.getvalue() and "15.06.2022" in out.getvalue()
    assert Child.objects.get().birth_date.isoformat() == "2022-06-16"
    assert len(callbacks) == 1  # the duplicates job is queued after the import commits
    assert not PossibleDuplicate.objects.exists()


# --- visits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        ("10:00", "14:01", "longer_than_four_hours"),
        ("10:00", "09:59", "end_not_after_start"),
        ("10:00", "10:00", "end_not_after_start"),
        ("10:00", "25:00", "invalid_time"),
    ],
)
def test_a_visit_breaking_the_time_rules_is_refused_and_nothing_written(dataset, start, end, code):
    set_cell(dataset / "visits.csv", 5, "start", start)
    set_cell(dataset / "visits.csv", 5, "end", end)

    report = dataset_import(directory=dataset)

    assert {(e.file, e.row, e.code) for e in report.errors} == {("visits.csv", 5, code)}
    assert counts() == NOTHING


def test_a_four_hour_visit_is_accepted_and_confirmation_is_kept(sample):
    dataset_import(directory=sample)
    rows = read_rows(sample / "visits.csv")
    confirmed = {row["visit_id"] for row in rows if row["confirmed"] == "yes"}
    stored = dict(Visit.objects.values_list("visit_id", "confirmation_method"))
    assert {visit_id for visit_id, method in stored.items() if method} == confirmed
    assert set(stored.values()) == {"", "exchange"}
    longest = max(
        (
            datetime.datetime.combine(datetime.date.min, v.end)
            - datetime.datetime.combine(datetime.date.min, v.start)
        )
        for v in Visit.objects.all()
    )
    assert longest <= datetime.timedelta(hours=4)


def test_a_visit_of_an_unknown_child_is_refused(dataset):
    from tests.factories import valid_identifier

    set_cell(dataset / "visits.csv", 2, "child_iin", valid_identifier("9901015"))
    report = dataset_import(directory=dataset)
    assert ("visits.csv", 2, "child_iin") in {(e.file, e.row, e.column) for e in report.errors}
    assert not Visit.objects.exists()


def test_imported_home_and_centre_visits_that_overlap_are_flagged(dataset):
    # Given the sample plus a centre visit overlapping the child's home visit of 7 July
    path = dataset / "visits.csv"
    rows = read_rows(path)
    extra = {
        **rows[2],
        "visit_id": "V-OVERLAP",
        "setting": "centre",
        "start": "11:00",
        "end": "13:00",
    }
    write_rows(path, [*rows, extra])
    # When it is imported
    report = dataset_import(directory=dataset)
    # Then exactly the two overlapping visits carry the flag
    from services.models import Visit

    assert report.ok
    flagged = set(Visit.objects.filter(overlaps=True).values_list("visit_id", flat=True))
    assert {"V-0000005", "V-OVERLAP"} <= flagged
    assert not Visit.objects.filter(visit_id="V-0000004", overlaps=True).exists()


# --- the visits file, read in chunks -----------------------------------------------------


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 100 rows: the sample's 1 134 visits are read, checked and written in 12."""
    monkeypatch.setattr("exchange.service.CHUNK_ROWS", 100)
    return 100


def test_visits_read_in_chunks_are_all_written_once(sample, small_chunks):
    report = dataset_import(directory=sample)

    assert report.ok and report.written
    summary = next(s for s in report.files if s.name == "visits")
    assert summary.rows == summary.created == file_rows(sample, "visits") > 10 * small_chunks
    rows = read_rows(sample / "visits.csv")
    stored = dict(Visit.objects.values_list("visit_id", "child__iin"))
    assert stored == {row["visit_id"]: row["child_iin"] for row in rows}
    # one audit entry per visit, attributed to the import
    imported = LogEntry.objects.get_for_model(Visit).filter(additional_data__import="sample-data")
    assert imported.count() == len(rows)


def test_a_bad_visit_in_the_last_chunk_rolls_back_the_chunks_written_before(dataset, small_chunks):
    # Given a dataset whose only bad row is the last visit, twelve chunks after the first
    path = dataset / "visits.csv"
    last = len(read_rows(path)) + 1
    set_cell(path, last, "end", "25:00")
    entries = LogEntry.objects.count()

    report = dataset_import(directory=dataset)

    # Then it is refused and nothing stays: neither the other files nor the earlier chunks
    assert {(e.file, e.row, e.code) for e in report.errors} == {
        ("visits.csv", last, "invalid_time")
    }
    assert not report.written
    assert counts() == NOTHING
    assert LogEntry.objects.count() == entries


def test_every_refused_row_of_every_chunk_is_listed(dataset, small_chunks):
    path = dataset / "visits.csv"
    rows = read_rows(path)
    rows[150]["visit_id"] = rows[3]["visit_id"]  # a key repeated in another chunk
    rows[700]["setting"] = "pool"
    write_rows(path, rows)
    with path.open("a", encoding="utf-8") as file:  # a row with a cell too many, at the end
        file.write(",".join([*rows[0].values(), "extra"]) + "\n")

    report = dataset_import(directory=dataset)

    assert refused(report) == {
        ("visits.csv", 152, "visit_id", "repeated_key"),
        ("visits.csv", 702, "setting", "unknown_code"),
        ("visits.csv", len(rows) + 2, "", "extra_cells"),
    }
    repeated = next(e for e in report.errors if e.code == "repeated_key")
    assert "row 5 has it already" in repeated.message
    assert counts() == NOTHING


def test_a_refused_children_file_still_gets_every_visit_checked(dataset, small_chunks):
    # A child refused in children.csv is still "earlier in this dataset" for the visits: only
    # the child's row is reported, not each of its visits, and a bad visit is reported too.
    set_cell(dataset / "children.csv", 2, "sex", "X")
    set_cell(dataset / "visits.csv", 900, "date", "2026-02-30")

    report = dataset_import(directory=dataset)

    assert {(e.file, e.row, e.code) for e in report.errors} == {
        ("children.csv", 2, "unknown_code"),
        ("visits.csv", 900, "invalid_date"),
    }
    assert counts() == NOTHING


def test_a_visits_file_that_is_not_utf8_is_refused_and_nothing_written(dataset, small_chunks):
    path = dataset / "visits.csv"
    path.write_bytes(path.read_bytes() + "V-X,Ошибка\n".encode("cp1251"))

    report = dataset_import(directory=dataset)

    assert ("visits.csv", None, "not_utf8") in {(e.file, e.row, e.code) for e in report.errors}
    assert counts() == NOTHING


def test_a_dry_run_in_chunks_counts_without_writing(sample, small_chunks):
    report = dataset_import(directory=sample, dry_run=True)

    assert report.ok and not report.written
    summary = next(s for s in report.files if s.name == "visits")
    assert summary.created == summary.rows == file_rows(sample, "visits")
    assert counts() == NOTHING


def test_visits_read_in_chunks_update_in_place(dataset, small_chunks):
    dataset_import(directory=dataset)
    set_cell(dataset / "visits.csv", 800, "status", "missed")
    changed = read_rows(dataset / "visits.csv")[798]["visit_id"]

    report = dataset_import(directory=dataset)

    summary = next(s for s in report.files if s.name == "visits")
    assert (summary.created, summary.updated) == (0, 1)
    assert Visit.objects.get(visit_id=changed).status == "missed"
    entry = LogEntry.objects.get_for_object(Visit.objects.get(visit_id=changed)).latest("pk")
    assert entry.changes_dict["status"] == ["done", "missed"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_a_big_import_refreshes_the_planner_statistics_of_what_it_wrote(sample, monkeypatch):
    monkeypatch.setattr("exchange.service.ANALYZE_ROWS", 1000)  # the sample: 1 134 visits

    dataset_import(directory=sample)

    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
        analyzed = {row[0] for row in cursor.fetchall()}
    assert {"services_visit", "auditlog_logentry"} <= analyzed
