"""The akimat's admin for the visits stage: journal, import, schedules, calendar, catalogue."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from exchange.admin_resources.services import VisitResource
from services import calendar, services
from services.models import (
    CalendarDay,
    CatalogueService,
    ConfirmationMethod,
    Schedule,
    ScheduleStatus,
    Visit,
    VisitCorrection,
    VisitStatus,
)
from services.rules import visit_time_problem
from tests.factories import (
    WEEK,
    ChildFactory,
    VisitFactory,
    admitted_provider,
    approved_schedule,
    enrolled_child,
    head_of,
    officer,
)

pytestmark = pytest.mark.django_db

T = datetime.time


@pytest.fixture
def city(client):
    user = officer()
    client.force_login(user)
    return user


def next_day(weekday: int, *, after: datetime.date | None = None) -> datetime.date:
    """The first day from tomorrow on with `weekday` that is not a public holiday."""
    day = (after or timezone.localdate()) + datetime.timedelta(days=1)
    while day.weekday() != weekday or day in services.public_holidays(day, day):
        day += datetime.timedelta(days=1)
    return day


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- the lists ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 4])
def test_the_lists_open_for_an_officer_with_a_fixed_number_of_queries(
    client, city, rows, django_assert_max_num_queries
):
    provider = admitted_provider()
    for _row in range(rows):
        enrollment = enrolled_child(provider)
        approved_schedule(enrollment)
        VisitFactory(enrollment=enrollment, overlaps=True)
        services.schedule_create(
            enrollment=enrollment,
            valid_from=next_day(0),
            slots=[dict(slot) for slot in WEEK],
            acting_user=city,
        )
    CalendarDay.objects.create(date=next_day(5), kind="working_day", works_as=0)
    for name in ("visit", "schedule", "calendarday", "catalogueservice"):
        url = reverse(f"admin:services_{name}_changelist")
        with django_assert_max_num_queries(15):
            page = client.get(url)
        assert page.status_code == 200, name
        assert len(page.context["cl"].result_list) >= 1, name


def test_visit_filters_on_overlaps_and_confirmation(client, city):
    enrollment = enrolled_child(admitted_provider())
    overlapping = VisitFactory(enrollment=enrollment, overlaps=True)
    confirmed = VisitFactory(enrollment=enrollment, confirmation_method=ConfirmationMethod.PAPER)
    url = reverse("admin:services_visit_changelist")

    def shown(query):
        return set(client.get(url, query).context["cl"].result_list)

    assert shown({"overlaps__exact": "1"}) == {overlapping}
    assert shown({"confirmed": "yes"}) == {confirmed}
    assert shown({"confirmed": "no"}) == {overlapping}


def test_the_visit_page_is_read_only_with_corrections_and_proof_behind_the_views(client, city):
    enrollment = enrolled_child(admitted_provider())
    visit = VisitFactory(enrollment=enrollment, confirmation_method=ConfirmationMethod.SIGNATURE)
    visit.signature.save("sig.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    VisitCorrection.objects.create(
        visit=visit,
        corrected_by=head_of(enrollment.provider),
        reason="Ended earlier: the child was tired",
        changes={"end": ["12:00", "11:30"]},
    )

    page = client.get(reverse("admin:services_visit_change", args=[visit.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in text
    assert "Ended earlier: the child was tired" in text
    assert reverse("services:visit_signature", args=[visit.pk]) in text
    assert visit.signature.url not in text  # never the bare media file
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(visit.pk), actor=city
    ).exists()


# --- the visits file through the import button -------------------------------------------------

HEADER = "visit_id,child_iin,provider_bin,setting,date,start,end,status,confirmed,services\n"


def upload(client, content: str):
    url = reverse("admin:services_visit_import")
    page = client.get(url)
    formats = {label: value for value, label in page.context["form"].fields["format"].choices}
    return client.post(
        url,
        {
            "resource": "0",
            "format": formats["csv"],
            "import_file": SimpleUploadedFile("visits.csv", (HEADER + content).encode()),
        },
    )


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(
        reverse("admin:services_visit_process_import"),
        {name: form[name].value() for name in form.fields},
    )


def test_a_valid_visits_file_is_previewed_then_written_on_confirmation(client, city):
    enrollment = enrolled_child(admitted_provider())
    iin, bin_ = enrollment.child.iin, enrollment.provider.bin
    rows = (
        f"J-1,{iin},{bin_},home,2026-07-06,10:00,12:00,done,yes,pedagogical;psychological\n"
        f"J-2,{iin},{bin_},centre,2026-07-06,11:30,13:00,done,no,\n"
    )

    preview = upload(client, rows)

    assert preview.status_code == 200
    assert "J-1" in preview.content.decode()
    assert preview.context["confirm_form"] is not None
    assert not Visit.objects.exists()

    response = confirm(client, preview)

    assert response.status_code == 302
    home, centre = Visit.objects.order_by("visit_id")
    assert (home.visit_id, home.child, home.provider) == (
        "J-1",
        enrollment.child,
        enrollment.provider,
    )
    assert (home.start, home.end, home.status) == (T(10), T(12), VisitStatus.DONE)
    assert home.confirmation_method == ConfirmationMethod.EXCHANGE
    assert home.services == ["pedagogical", "psychological"]
    assert centre.confirmation_method == ""
    # the home and centre visits of the day overlap (Alg. §14)
    assert home.overlaps and centre.overlaps
    assert LogEntry.objects.filter(
        action=LogEntry.Action.CREATE, object_pk=str(home.pk), actor=city
    ).exists()


def test_a_row_refused_at_the_confirmation_writes_nothing(client, city):
    provider = admitted_provider()
    first, second = ChildFactory(), ChildFactory()
    rows = (
        f"J-1,{first.iin},{provider.bin},home,2026-07-06,10:00,12:00,done,no,\n"
        f"J-2,{second.iin},{provider.bin},home,2026-07-07,10:00,12:00,done,no,\n"
    )
    preview = upload(client, rows)
    second.delete()  # the data changed between the preview and the confirmation

    response = confirm(client, preview)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:services_visit_import")
    assert any("Nothing was imported" in message for message in messages_of(response))
    assert not Visit.objects.exists()


def test_a_five_hour_visit_refuses_the_whole_file(client, city):
    enrollment = enrolled_child(admitted_provider())
    iin, bin_ = enrollment.child.iin, enrollment.provider.bin
    rows = (
        f"J-1,{iin},{bin_},home,2026-07-06,10:00,12:00,done,yes,\n"
        f"J-2,{iin},{bin_},centre,2026-07-07,09:00,14:00,done,no,\n"
    )

    preview = upload(client, rows)

    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is None
    result = preview.context["result"]
    assert [row.number for row in result.invalid_rows] == [2]
    code, message = visit_time_problem(T(9), T(14))
    assert code == "longer_than_four_hours"
    assert message in result.invalid_rows[0].error_dict["end"]
    assert not Visit.objects.exists()


def test_an_unknown_child_is_refused(client, city):
    enrollment = enrolled_child(admitted_provider())
    rows = f"J-1,020202500013,{enrollment.provider.bin},home,2026-07-06,10:00,12:00,done,no,\n"

    preview = upload(client, rows)

    assert preview.context.get("confirm_form") is None
    assert "child_iin" in preview.context["result"].invalid_rows[0].error_dict
    assert not Visit.objects.exists()


def test_the_export_button_writes_the_visits_file_and_records_the_read(client, city):
    visit = VisitFactory(enrollment=enrolled_child(admitted_provider()))
    columns = HEADER.strip().split(",")

    response = client.post(
        reverse("admin:services_visit_export"),
        {"resource": "0", "format": "0", **{f"visitresource_{name}": "on" for name in columns}},
    )

    lines = response.content.decode().splitlines()
    assert lines[0].lstrip("\ufeff") == HEADER.strip()
    assert lines[1].startswith(f"{visit.visit_id},{visit.child.iin},{visit.provider.bin},home,")
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(visit.pk), actor=city
    ).exists()


def test_an_exported_file_imported_again_changes_nothing():
    enrollment = enrolled_child(admitted_provider())
    VisitFactory(enrollment=enrollment, confirmation_method=ConfirmationMethod.PIN)
    VisitFactory(enrollment=enrollment, setting="centre", date=datetime.date(2026, 7, 7))
    exported = VisitResource().export(Visit.objects.all())
    assert exported.dict[0]["services"] == "pedagogical"  # kinds, as the file holds them
    assert exported.dict[0]["confirmed"] == "yes"
    before = list(Visit.objects.order_by("pk").values())

    result = VisitResource().import_data(exported, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == 2
    assert list(Visit.objects.order_by("pk").values()) == before


# --- the working calendar ----------------------------------------------------------------------


@pytest.fixture
def planned():
    """An enrolled child with an approved week: planned visits for the coming four weeks."""
    enrollment = enrolled_child(admitted_provider())
    approved_schedule(enrollment)
    services.visits_generate(start=timezone.localdate())  # what the approval queues
    return enrollment


def add_transfer(client, **values):
    return client.post(
        reverse("admin:services_calendarday_add"),
        {"note": "Government decree", "works_as": "", **values},
    )


def test_a_day_off_removes_the_planned_visits_of_that_day(
    client, city, planned, django_capture_on_commit_callbacks
):
    day = next_day(1)  # a Tuesday: a centre visit in WEEK
    assert Visit.objects.filter(date=day, status=VisitStatus.PLANNED).count() == 1
    by_hand = VisitFactory(
        enrollment=planned, date=day, status=VisitStatus.PLANNED, start=T(16), end=T(17)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = add_transfer(client, date=day.isoformat(), kind="day_off")

    assert response.status_code == 302
    assert list(Visit.objects.filter(date=day)) == [by_hand]  # a plan logged by hand stays
    assert LogEntry.objects.filter(
        content_type__model="visit", action=LogEntry.Action.DELETE, actor=city
    ).exists()


def test_a_saturday_working_as_monday_gets_mondays_visits_until_the_transfer_is_removed(
    client, city, planned, django_capture_on_commit_callbacks
):
    saturday = next_day(5)
    assert not Visit.objects.filter(date=saturday).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = add_transfer(client, date=saturday.isoformat(), kind="working_day", works_as="0")

    assert response.status_code == 302
    visit = Visit.objects.get(date=saturday)
    monday = WEEK[0]
    assert (visit.setting, visit.start, visit.slot.weekday) == (
        monday["setting"],
        monday["start"],
        0,
    )

    transfer = CalendarDay.objects.get(date=saturday)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:services_calendarday_delete", args=[transfer.pk]), {"post": "yes"}
        )

    assert not CalendarDay.objects.exists()
    assert not Visit.objects.filter(date=saturday).exists()


def test_a_day_off_cannot_follow_a_weekday(client, city):
    response = add_transfer(client, date=next_day(2).isoformat(), kind="day_off", works_as="0")

    assert response.status_code == 200
    assert not CalendarDay.objects.exists()


def test_the_calendar_lists_the_public_holidays_of_the_year(client, city):
    year = timezone.localdate().year + 1
    listing = client.get(reverse("admin:services_calendarday_changelist"), {"date__year": year})
    day, name = calendar.holidays_of_year(year)[0]
    assert escape(f"{day:%d.%m} {name}") in listing.content.decode()


# --- schedules ---------------------------------------------------------------------------------


def draft(enrollment, slots):
    return services.schedule_create(
        enrollment=enrollment,
        valid_from=enrollment.start_on,
        slots=[dict(slot) for slot in slots],
        acting_user=head_of(enrollment.provider),
    )


def approve(client, schedule):
    return client.post(
        reverse("admin:services_schedule_changelist"),
        {"action": "approve", "_selected_action": [schedule.pk], "apply": "1"},
    )


def test_an_officer_approves_a_valid_draft(client, city):
    schedule = draft(enrolled_child(admitted_provider()), WEEK)
    page = client.post(
        reverse("admin:services_schedule_changelist"),
        {"action": "approve", "_selected_action": [schedule.pk]},
    )
    assert str(schedule) in page.content.decode()  # shown before it is approved
    schedule.refresh_from_db()
    assert schedule.status == ScheduleStatus.DRAFT

    approve(client, schedule)

    schedule.refresh_from_db()
    assert (schedule.status, schedule.approved_by) == (ScheduleStatus.APPROVED, city)


def test_a_schedule_with_one_home_visit_is_refused_and_stays_a_draft(client, city):
    schedule = draft(enrolled_child(admitted_provider()), WEEK[:1])
    problems = services.schedule_problems(schedule)
    assert "too_few_home_visits" in {code for code, _message in problems}

    response = approve(client, schedule)

    shown = " ".join(messages_of(response))
    assert all(message in shown for _code, message in problems)
    schedule.refresh_from_db()
    assert (schedule.status, schedule.approved_by, schedule.approved_at) == (
        ScheduleStatus.DRAFT,
        None,
        None,
    )
    assert not Visit.objects.exists()


def form_data(page) -> dict:
    """What the change page's form and inlines would post back unchanged."""
    data = {}
    form = page.context["adminform"].form
    forms = [form]
    for inline in page.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    for each in forms:
        for name in each.fields:
            value = each[name].value()
            if value is not None and value is not False:
                data[each[name].html_name] = value
    return data


def test_a_draft_is_changed_through_the_service_and_an_approved_version_is_read_only(client, city):
    enrollment = enrolled_child(admitted_provider())
    schedule = draft(enrollment, WEEK)
    url = reverse("admin:services_schedule_change", args=[schedule.pk])
    data = form_data(client.get(url))
    data["slots-0-duration_minutes"] = 60
    data["centre_reason"] = "Tires quickly"

    response = client.post(url, data)

    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.centre_reason == "Tires quickly"
    assert sorted(schedule.slots.values_list("duration_minutes", flat=True)) == sorted(
        [60, *[slot["duration_minutes"] for slot in WEEK[1:]]]
    )

    approved = approved_schedule(enrolled_child(admitted_provider()))
    page = client.get(reverse("admin:services_schedule_change", args=[approved.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (
        client.post(reverse("admin:services_schedule_change", args=[approved.pk]), {}).status_code
        == 403
    )
    assert Schedule.objects.get(pk=approved.pk).status == ScheduleStatus.APPROVED


# --- the catalogue -----------------------------------------------------------------------------


def test_an_officer_edits_a_catalogue_service_but_not_its_code(client, city):
    service = CatalogueService.objects.create(
        code="pedagogical.test", kind="pedagogical", name_ru="Тест", name_kk="Тест", name_en="Test"
    )
    url = reverse("admin:services_catalogueservice_change", args=[service.pk])
    page = client.get(url)
    assert "code" not in page.context["adminform"].form.fields

    response = client.post(
        url,
        {
            "code": "other.code",
            "name_ru": "Тест",
            "name_kk": "Тест",
            "name_en": "Testing",
            "positions": ["defectologist", "psychologist"],
            "order": 5,
        },
    )

    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.code, service.name_en, service.is_active) == (
        "pedagogical.test",
        "Testing",
        False,
    )
    assert service.positions == ["defectologist", "psychologist"]
