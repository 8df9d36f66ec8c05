"""The state registries: imported from files (the command and the admin's buttons), kept by IIN."""

import datetime
import io

import pytest
import tablib
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from exchange.admin_resources.monitoring import (
    EducationCorrectionResource,
    HealthStayResource,
    PersonRecordResource,
)
from exchange.service import dataset_import
from exchange.specs import FILE_SPECS, PLANNED_FILES
from monitoring.models import (
    EducationCorrection,
    HealthStay,
    PersonRecord,
    RegistryImport,
    RegistryKind,
)
from recipients.models import Child
from tests.exchange_files import read_rows, set_cell, write_rows
from tests.factories import UserFactory, inspector, officer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]

REGISTRIES = {
    "registry_persons": PersonRecord,
    "registry_health": HealthStay,
    "registry_education": EducationCorrection,
}
RESOURCES = {
    "registry_persons": PersonRecordResource,
    "registry_health": HealthStayResource,
    "registry_education": EducationCorrectionResource,
}
# The three health-registry rows of the sample whose IINs are in none of its files.
UNKNOWN_IN_SAMPLE = {"registry_persons": 0, "registry_health": 3, "registry_education": 0}


def registry_files(directory):
    return {f"{name}.csv": directory / f"{name}.csv" for name in REGISTRIES}


def registry_counts():
    return {name: model.objects.count() for name, model in REGISTRIES.items()}


def refused(report):
    return {(error.file, error.row, error.column, error.code) for error in report.errors}


# --- import_dataset ---------------------------------------------------------------------------


def test_every_file_of_the_format_is_imported_now():
    assert set(REGISTRIES) <= set(FILE_SPECS)
    assert PLANNED_FILES == ()


def test_the_sample_registries_import_with_their_counts_and_unknown_iins(sample):
    rows = {name: len(read_rows(sample / f"{name}.csv")) for name in REGISTRIES}
    assert rows == {"registry_persons": 72, "registry_health": 15, "registry_education": 4}

    report = dataset_import(directory=sample)

    assert report.ok and report.written
    summaries = {summary.name: summary for summary in report.files}
    for name, count in rows.items():
        summary = summaries[name]
        assert (summary.rows, summary.created, summary.updated, summary.unchanged) == (
            count,
            count,
            0,
            0,
        )
        assert summary.unknown_iins == UNKNOWN_IN_SAMPLE[name]
    assert summaries["children"].unknown_iins is None  # not a registry: nothing to count
    assert registry_counts() == rows
    loads = {load.kind: load for load in RegistryImport.objects.all()}
    assert set(loads) == set(RegistryKind.values)
    health = loads[RegistryKind.HEALTH]
    assert (health.source, health.dataset, health.loaded_by) == (
        "registry_health.csv",
        "sample-data",
        None,
    )
    assert (health.rows, health.created, health.updated, health.unknown_iins) == (15, 15, 0, 3)
    assert set(HealthStay.objects.values_list("registry_import", flat=True)) == {health.pk}
    # kept although the portal does not know the child: it may be enrolled later
    known = set(Child.objects.values_list("iin", flat=True))
    assert HealthStay.objects.exclude(iin__in=known).count() == 3


def test_the_command_names_the_rows_for_unknown_iins(sample):
    out = io.StringIO()

    call_command("import_dataset", str(sample), stdout=out)

    text = out.getvalue()
    assert "registry_health.csv: 3 rows for IINs not known to the portal" in text
    assert "registry_persons.csv: " not in text  # every IIN of it is a child of the sample
    assert "not imported yet" not in text


def test_registries_alone_are_kept_for_iins_the_portal_does_not_know(sample):
    report = dataset_import(directory=registry_files(sample), label="registries")

    assert report.ok, [str(error) for error in report.errors]
    assert not Child.objects.exists()
    assert {summary.name: summary.unknown_iins for summary in report.files} == {
        name: len(read_rows(sample / f"{name}.csv")) for name in REGISTRIES
    }
    assert RegistryImport.objects.get(kind=RegistryKind.PERSONS).unknown_iins == 72


def test_a_second_import_changes_nothing_and_records_no_new_load(sample):
    dataset_import(directory=sample)
    loads = list(RegistryImport.objects.values_list("pk", flat=True))
    entries = LogEntry.objects.count()

    report = dataset_import(directory=sample)

    assert report.ok
    for summary in report.files:
        assert (summary.created, summary.updated, summary.unchanged) == (0, 0, summary.rows)
    assert list(RegistryImport.objects.values_list("pk", flat=True)) == loads
    assert LogEntry.objects.count() == entries


def test_a_changed_row_is_updated_in_place_and_links_to_the_new_load(sample, dataset):
    dataset_import(directory=sample)
    first_load = RegistryImport.objects.get(kind=RegistryKind.HEALTH)
    user = officer()
    row = read_rows(dataset / "registry_health.csv")[0]
    set_cell(dataset / "registry_health.csv", 2, "end_on", "2026-09-10")

    report = dataset_import(directory=registry_files(dataset), acting_user=user)

    summary = next(s for s in report.files if s.name == "registry_health")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 14)
    assert HealthStay.objects.count() == 15
    second_load = RegistryImport.objects.get(kind=RegistryKind.HEALTH, pk__gt=first_load.pk)
    assert (second_load.loaded_by, second_load.created, second_load.updated) == (user, 0, 1)
    stay = HealthStay.objects.get(iin=row["iin"], kind=row["kind"], start_on=row["start_on"])
    assert stay.end_on == datetime.date(2026, 9, 10)
    assert stay.registry_import == second_load
    # the other rows still name the file that wrote them
    assert HealthStay.objects.filter(registry_import=first_load).count() == 14
    # only the health file changed anything
    assert RegistryImport.objects.count() == 4
    change = LogEntry.objects.get_for_object(stay).get(action=LogEntry.Action.UPDATE)
    assert change.actor == user
    assert change.changes_dict["end_on"] == [row["end_on"], "2026-09-10"]


def test_an_open_ended_stay_or_period_is_stored_without_an_end(sample):
    dataset_import(directory=sample)

    open_stays = [r for r in read_rows(sample / "registry_health.csv") if not r["end_on"]]
    assert open_stays
    for row in open_stays:
        stay = HealthStay.objects.get(iin=row["iin"], kind=row["kind"], start_on=row["start_on"])
        assert stay.end_on is None
    open_periods = [r for r in read_rows(sample / "registry_education.csv") if not r["end_on"]]
    assert open_periods
    for row in open_periods:
        assert EducationCorrection.objects.get(iin=row["iin"], kind=row["kind"]).end_on is None
    assert PersonRecord.objects.filter(astana_until=None).count() == 72


def end_before_start(directory):
    start = datetime.date.fromisoformat(read_rows(directory / "registry_health.csv")[2]["start_on"])
    set_cell(directory / "registry_health.csv", 4, "end_on", str(start - datetime.timedelta(1)))
    return ("registry_health.csv", 4, "end_on", "end_before_start")


def until_before_from(directory):
    set_cell(directory / "registry_persons.csv", 3, "astana_until", "2000-01-01")
    return ("registry_persons.csv", 3, "astana_until", "end_before_start")


def unknown_kind(directory):
    set_cell(directory / "registry_education.csv", 3, "kind", "school")
    return ("registry_education.csv", 3, "kind", "unknown_code")


def unknown_stay_kind(directory):
    set_cell(directory / "registry_health.csv", 2, "kind", "clinic")
    return ("registry_health.csv", 2, "kind", "unknown_code")


def bad_check_digit(directory):
    iin = read_rows(directory / "registry_persons.csv")[4]["iin"]
    set_cell(directory / "registry_persons.csv", 6, "iin", iin[:11] + str((int(iin[11]) + 1) % 10))
    return ("registry_persons.csv", 6, "iin", "iin_bad_check_digit")


def date_that_does_not_exist(directory):
    set_cell(directory / "registry_persons.csv", 2, "death_date", "2026-02-30")
    return ("registry_persons.csv", 2, "death_date", "invalid_date")


def repeated_key(directory):
    rows = read_rows(directory / "registry_health.csv")
    rows.append({**rows[1], "organisation": "another name, same key"})
    write_rows(directory / "registry_health.csv", rows)
    return ("registry_health.csv", len(rows) + 1, "iin+kind+start_on", "repeated_key")


def missing_start(directory):
    set_cell(directory / "registry_education.csv", 2, "start_on", "")
    return ("registry_education.csv", 2, "start_on", "required")


@pytest.mark.parametrize(
    "spoil",
    [
        end_before_start,
        until_before_from,
        unknown_kind,
        unknown_stay_kind,
        bad_check_digit,
        date_that_does_not_exist,
        repeated_key,
        missing_start,
    ],
)
def test_one_bad_registry_row_refuses_the_whole_dataset(dataset, spoil):
    expected = spoil(dataset)
    entries = LogEntry.objects.count()

    report = dataset_import(directory=dataset)

    assert not report.ok and not report.written
    assert expected in refused(report)
    assert registry_counts() == dict.fromkeys(REGISTRIES, 0)
    assert not RegistryImport.objects.exists()
    assert not Child.objects.exists()  # nothing of the dataset, not only the bad file
    assert LogEntry.objects.count() == entries


def test_the_command_reports_a_bad_registry_row_and_exits_1(dataset):
    from django.core.management.base import CommandError

    unknown_kind(dataset)
    err = io.StringIO()

    with pytest.raises(CommandError) as refusal:
        call_command("import_dataset", str(dataset), stdout=io.StringIO(), stderr=err)

    assert refusal.value.returncode == 1
    [line] = [line for line in err.getvalue().splitlines() if "registry_education" in line]
    assert line.startswith("registry_education.csv, row 3, kind, unknown kind of correctional")


def test_the_database_refuses_a_period_ending_before_it_starts(sample):
    dataset_import(directory=registry_files(sample))
    load = RegistryImport.objects.first()

    with pytest.raises(IntegrityError), transaction.atomic():
        HealthStay.objects.create(
            iin="220615674240",
            kind="hospital",
            start_on=datetime.date(2026, 7, 2),
            end_on=datetime.date(2026, 7, 1),
            registry_import=load,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonRecord.objects.create(
            iin="220615674240",
            astana_from=datetime.date(2026, 7, 2),
            astana_until=datetime.date(2026, 7, 1),
            registry_import=load,
        )


# --- the admin's resources --------------------------------------------------------------------


def tablib_dataset(path):
    return tablib.Dataset().load(path.read_text(encoding="utf-8-sig"), format="csv")


def test_the_resources_import_the_sample_registries_as_the_command_does(sample):
    user = UserFactory()
    for name, resource_class in RESOURCES.items():
        rows = len(read_rows(sample / f"{name}.csv"))
        loads = RegistryImport.objects.count()
        preview = resource_class().import_data(tablib_dataset(sample / f"{name}.csv"), dry_run=True)
        assert not preview.has_errors() and not preview.has_validation_errors(), name
        assert preview.totals["new"] == rows
        # a preview writes nothing
        assert (RegistryImport.objects.count(), REGISTRIES[name].objects.count()) == (loads, 0)
        result = resource_class().import_data(
            tablib_dataset(sample / f"{name}.csv"), file_name=f"{name}.csv", user=user
        )
        assert not result.has_errors() and not result.has_validation_errors(), name

    loads = {load.kind: load for load in RegistryImport.objects.all()}
    assert len(loads) == 3
    health = loads[RegistryKind.HEALTH]
    assert (health.source, health.dataset, health.loaded_by) == (
        "registry_health.csv",
        "admin",
        user,
    )
    # no child in the database: every row's IIN is unknown
    assert (health.rows, health.created, health.updated, health.unknown_iins) == (15, 15, 0, 15)
    assert set(HealthStay.objects.values_list("registry_import", flat=True)) == {health.pk}

    # the command finds every row as the buttons wrote it, and records no load
    report = dataset_import(directory=registry_files(sample))
    assert all(summary.unchanged == summary.rows for summary in report.files)
    # and a second import through the buttons skips every row, recording no load either
    for name, resource_class in RESOURCES.items():
        again = resource_class().import_data(tablib_dataset(sample / f"{name}.csv"), user=user)
        assert again.totals["skip"] == len(read_rows(sample / f"{name}.csv")), name
    assert RegistryImport.objects.count() == 3


def test_the_resources_export_the_exchange_columns(sample):
    dataset_import(directory=registry_files(sample))

    for name, resource_class in RESOURCES.items():
        exported = resource_class().export()
        assert exported.headers == FILE_SPECS[name].column_names, name
        expected = {
            tuple(row[column] for column in exported.headers)
            for row in read_rows(sample / f"{name}.csv")
        }
        assert set(exported) == expected, name


# --- the admin --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "admin:monitoring_personrecord_changelist",
        "admin:monitoring_healthstay_changelist",
        "admin:monitoring_educationcorrection_changelist",
        "admin:monitoring_registryimport_changelist",
    ],
)
def test_the_registry_lists_open_for_an_officer(client, sample, url):
    dataset_import(directory=sample)
    client.force_login(officer())

    response = client.get(reverse(url))

    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


def test_an_officer_filters_and_searches_a_registry(client, sample):
    dataset_import(directory=sample)
    client.force_login(officer())
    url = reverse("admin:monitoring_healthstay_changelist")

    sanatoria = client.get(url, {"kind": "sanatorium"}).context["cl"].result_count
    assert sanatoria == HealthStay.objects.filter(kind="sanatorium").count()
    assert client.get(url, {"known": "no"}).context["cl"].result_count == 3
    assert client.get(url, {"q": "150410500150"}).context["cl"].result_count == 1
    assert client.get(url, {"start_on__year": "2026"}).status_code == 200
    load = RegistryImport.objects.get(kind=RegistryKind.HEALTH)
    rows = client.get(url, {"registry_import__id__exact": load.pk})
    assert rows.context["cl"].result_count == 15


def test_a_registry_row_opens_read_only_and_the_opening_is_recorded(client, sample):
    dataset_import(directory=sample)
    user = officer()
    client.force_login(user)
    stay = HealthStay.objects.first()

    page = client.get(reverse("admin:monitoring_healthstay_change", args=[stay.pk]))

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert (
        LogEntry.objects.get_for_object(stay)
        .filter(action=LogEntry.Action.ACCESS, actor=user)
        .exists()
    )
    load_page = client.get(
        reverse("admin:monitoring_registryimport_change", args=[stay.registry_import_id])
    )
    assert load_page.status_code == 200
    assert client.get(reverse("admin:monitoring_healthstay_add")).status_code == 403


def test_inspectors_do_not_see_the_registries(client):
    client.force_login(inspector())

    assert client.get(reverse("admin:monitoring_healthstay_changelist")).status_code == 403
    assert client.get(reverse("admin:monitoring_registryimport_changelist")).status_code == 403


def format_index(page) -> str:
    choices = {label: value for value, label in page.context["form"].fields["format"].choices}
    return choices["csv"]


def upload(client, name, content):
    url = reverse("admin:monitoring_healthstay_import")
    page = client.get(url)
    return client.post(
        url,
        {
            "resource": "0",
            "format": format_index(page),
            "import_file": SimpleUploadedFile(name, content.encode()),
        },
    )


def test_the_admin_previews_a_registry_file_then_imports_it(client, sample):
    user = officer()
    client.force_login(user)
    content = (sample / "registry_health.csv").read_text(encoding="utf-8-sig")

    preview = upload(client, "health-2026-07.csv", content)

    assert preview.status_code == 200
    assert "Санаторий «Окжетпес»" in preview.content.decode()
    assert not HealthStay.objects.exists() and not RegistryImport.objects.exists()
    confirm_form = preview.context["confirm_form"]
    response = client.post(
        reverse("admin:monitoring_healthstay_process_import"),
        {name: confirm_form[name].value() for name in confirm_form.fields},
    )
    assert response.status_code == 302
    assert HealthStay.objects.count() == 15
    load = RegistryImport.objects.get()
    assert (load.kind, load.source, load.loaded_by, load.created) == (
        RegistryKind.HEALTH,
        "health-2026-07.csv",
        user,
        15,
    )
    assert HealthStay.objects.get(iin="150410500150").end_on is None


def test_the_admin_preview_shows_a_bad_registry_row_and_writes_nothing(client, sample):
    client.force_login(officer())
    lines = (sample / "registry_health.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace(",hospital,", ",clinic,")

    preview = upload(client, "registry_health.csv", "\n".join(lines) + "\n")

    assert preview.status_code == 200
    assert "unknown kind of stay" in preview.content.decode()
    assert preview.context.get("confirm_form") is None
    assert not HealthStay.objects.exists() and not RegistryImport.objects.exists()
