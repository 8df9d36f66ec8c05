"""Report versions (PDF and XLSX read back), their immutability, the draft → final → delivered
→ published lifecycle, R261's deadlines and reminders, and the real Celery worker."""

import datetime
import hashlib
import io
import os
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from openpyxl import load_workbook
from pypdf import PdfReader

from core.errors import RoleRequired
from reports import services
from reports.models import Channel, Report, ReportStatus, ReportVersion, VersionStatus
from tests.db_state import changed_tables, db_contents
from tests.factories import analyst, coordinator_of, head_of, inspector, officer
from tests.reports.conftest import D, codes

pytestmark = pytest.mark.django_db


def pdf_text(version):
    with version.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text), len(reader.pages)


def pages_running_off(version):
    """The pages where some text starts right of the right margin (13 mm): a table too wide
    for A4, its last columns cut off on paper (the text is still in the file)."""
    with version.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    pages = []
    for number, page in enumerate(reader.pages, 1):
        limit = float(page.mediabox.width) - 13 * 72 / 25.4
        starts: list[float] = []

        def shown(operator, _args, cm, tm, starts=starts):
            if operator in (b"Tj", b"TJ"):
                starts.append(tm[4] * cm[0] + tm[5] * cm[2] + cm[4])

        page.extract_text(visitor_operand_before=shown)
        if starts and max(starts) > limit:
            pages.append(number)
    return pages


def generate(report, language, on, django_capture_on_commit_callbacks, user=None):
    with django_capture_on_commit_callbacks(execute=True):
        version = services.version_start(report=report, language=language, on=on, acting_user=user)
    version.refresh_from_db()
    assert version.status == VersionStatus.DONE, version.error
    return version


@pytest.mark.parametrize(
    ("language", "titles"),
    [
        (
            "ru",
            [
                "Получатели специальных социальных услуг",
                "Ключевой персонал",
                "Местный бюджет: выделено и освоено",
                "Виды оказанных услуг",
            ],
        ),
        (
            "kk",
            [
                "Арнаулы әлеуметтік қызметтерді алушылар",
                "Негізгі қызметкерлер",
                "Жергілікті бюджет: бөлінгені және игерілгені",
                "Көрсетілген қызметтердің түрлері",
            ],
        ),
    ],
)
def test_the_pdf_holds_the_period_the_sections_and_the_totals(
    half_year, billed_august, language, titles, django_capture_on_commit_callbacks
):
    report = services.report_for_half(year=2026, half=2)
    user = officer(first_name="Асель", last_name="Нурланова")
    version = generate(report, language, D(2026, 10, 1), django_capture_on_commit_callbacks, user)
    assert version.data_until == D(2026, 9, 30)
    text, pages = pdf_text(version)
    assert pages >= 6
    assert "01.07.2026 – 31.12.2026" in text and "30.09.2026" in text
    for title in titles:
        assert title in text, title
    # August's tenge (20 home days) are shown, approved and paid; July's
    # would tell its 4 home days and 1 centre day, so they are hidden, and the totals too.
    assert f"{billed_august:,}".replace(",", " ") in text.replace("\N{NO-BREAK SPACE}", " ")
    assert "36 988" not in text
    # Withheld for the hospital stay: one child, one day. The day and its 4 997 ₸ would say
    # how many children ("< 5"), so they are hidden with them.
    assert "4 997" not in text
    assert "Асель Нурланова" in text
    assert pages_running_off(version) == []
    assert "None" not in text  # a figure withheld (a norm telling a diagnosis) prints "×"
    for enrolment in half_year["enrolments"]:  # no child can be found in it
        assert enrolment.child.iin not in text and enrolment.child.last_name not in text
    with version.pdf.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == version.pdf_sha256


def test_the_xlsx_holds_tenge_as_numbers_where_they_are_shown(
    half_year, billed_august, django_capture_on_commit_callbacks
):
    report = services.report_for_half(year=2026, half=2)
    version = generate(report, "ru", D(2026, 10, 1), django_capture_on_commit_callbacks)
    with version.xlsx.open("rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    rows = {r[0]: r for r in book.worksheets[2].iter_rows(values_only=True) if r and r[0]}
    # August's invoice (20 home days) approved in August, paid in September.
    assert rows["2026-08"][3] == billed_august and rows["2026-09"][4] == billed_august
    # July's invoice (4 home days, 1 centre day) approved in July, paid in August: hidden.
    assert (rows["2026-07"][3], rows["2026-08"][4]) == ("×", "×")


def test_the_xlsx_holds_the_same_totals(half_year, django_capture_on_commit_callbacks):
    report = services.report_for_half(year=2026, half=2)
    version = generate(report, "en", D(2026, 10, 1), django_capture_on_commit_callbacks)
    with version.xlsx.open("rb") as handle:
        content = handle.read()
    assert hashlib.sha256(content).hexdigest() == version.xlsx_sha256
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames[:4] == ["Recipients", "Key staff", "Budget", "Kinds of service"]
    # The last sheet says what "< 5" and "×" mean (a reader of the file alone needs it).
    notes = [row[0] for row in book["Notes"].iter_rows(values_only=True) if row and row[0]]
    assert book.sheetnames[-1] == "Notes"
    assert any("“×” is a hidden count of any size" in str(line) for line in notes)
    budget = [
        row for row in book["Budget"].iter_rows(values_only=True) if row and row[0] == "Total"
    ]
    # The plan is the city's; July's tenge are hidden (they tell 4 days and 1), so the totals.
    assert budget[0][1:5] == (120_000, 100_000, "×", "×")
    recipients = list(book["Recipients"].iter_rows(values_only=True))
    assert recipients[3][:2] == ("Total", "< 5")  # three children: suppressed in the file too
    control = [r for r in book["Control"].iter_rows(values_only=True) if r and r[0] == "Total"]
    assert control[-1][2:4] == ("×", "×")  # one child's day and tenge: hidden with the child
    staff = list(book["Key staff"].iter_rows(values_only=True))
    assert ("Центр А", "Total") in {row[:2] for row in staff}
    assert all(row[4] == "×" for row in staff[1:] if row[1] == "Total")  # fewer than 5 children
    # The figures stored with the version are the published ones.
    assert version.figures["recipients"]["total"] == "< 5"


def test_a_ready_version_never_changes_and_is_never_deleted(
    half_year, django_capture_on_commit_callbacks
):
    version = generate(
        services.report_for_half(year=2026, half=2),
        "ru",
        D(2026, 10, 1),
        django_capture_on_commit_callbacks,
    )
    version.language = "kk"
    with pytest.raises(ValidationError) as refused:
        version.save()
    assert codes(refused.value) == {"version_ready"}
    with pytest.raises(ValidationError) as refused:
        version.delete()
    assert codes(refused.value) == {"version_ready"}
    assert ReportVersion.objects.get(pk=version.pk).language == "ru"
    # Generating again makes a new version beside it.
    second = generate(version.report, "kk", D(2026, 10, 2), django_capture_on_commit_callbacks)
    # Made on 2 October, while the half-year runs: data up to the end of September, as the
    # dashboard's (two versions a day apart never differ by a day).
    assert (second.number, second.data_until) == (2, D(2026, 9, 30))


def test_draft_final_delivered_published(half_year, django_capture_on_commit_callbacks):
    report = services.report_for_half(year=2026, half=2)
    user = officer()
    with pytest.raises(ValidationError) as refused:
        services.report_finalise(report=report, acting_user=user)
    assert codes(refused.value) == {"nothing_to_finalise"}
    generate(report, "ru", D(2026, 10, 1), django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as refused:
        services.report_finalise(report=report, acting_user=user)
    assert codes(refused.value) == {"data_incomplete"}
    complete = generate(report, "ru", D(2027, 1, 5), django_capture_on_commit_callbacks)
    assert complete.data_until == D(2026, 12, 31)
    services.report_finalise(report=report, acting_user=user)
    report.refresh_from_db()
    assert (report.status, report.final_version, report.finalised_by) == (
        ReportStatus.FINAL,
        complete,
        user,
    )
    with pytest.raises(ValidationError) as refused:
        services.version_start(report=report, language="ru", on=D(2027, 1, 6))
    assert codes(refused.value) == {"not_draft"}
    with pytest.raises(ValidationError) as refused:
        services.report_publish(report=report, acting_user=user, on=D(2027, 1, 21))
    assert codes(refused.value) == {"not_delivered"}
    services.report_deliver(report=report, acting_user=user, on=D(2027, 1, 20))
    services.report_publish(
        report=report, acting_user=user, on=D(2027, 1, 24), url="https://enbek.gov.kz/r"
    )
    report.refresh_from_db()
    assert (report.status, report.delivered_on, report.published_on) == (
        ReportStatus.PUBLISHED,
        D(2027, 1, 20),
        D(2027, 1, 24),
    )


def test_no_version_before_the_period_starts(db):
    report = services.report_for_half(year=2027, half=1)
    with pytest.raises(ValidationError) as refused:
        services.version_start(report=report, language="ru", on=D(2026, 12, 31))
    assert codes(refused.value) == {"period_not_started"}
    # Nor before its first month has ended: a version counts whole months while it runs.
    with pytest.raises(ValidationError) as refused:
        services.version_start(report=report, language="ru", on=D(2027, 1, 20))
    assert codes(refused.value) == {"no_month_ended"}
    assert "31.01.2027" in refused.value.messages[0]
    assert not report.versions.exists()


def test_deadlines_of_the_second_half_fall_in_the_next_year(db):
    assert services.deadlines(2026, 2) == {
        "final": D(2027, 1, 15),
        "delivered": D(2027, 1, 20),
        "published": D(2027, 1, 25),
    }
    assert services.deadlines(2026, 1)["final"] == D(2026, 7, 15)
    report = services.report_for_half(year=2026, half=2)
    assert (report.final_due, report.delivery_due, report.publication_due) == (
        D(2027, 1, 15),
        D(2027, 1, 20),
        D(2027, 1, 25),
    )
    states = {
        day: services.next_due(report, day)[1]
        for day in (D(2026, 12, 31), D(2027, 1, 10), D(2027, 1, 16))
    }
    assert states == {D(2026, 12, 31): "later", D(2027, 1, 10): "due", D(2027, 1, 16): "late"}


def test_beat_opens_the_drafts_on_1_january_and_1_july(
    half_year, django_capture_on_commit_callbacks
):
    assert "report-calendar" in settings.CELERY_BEAT_SCHEDULE
    with django_capture_on_commit_callbacks(execute=True):
        made = services.open_half_year_drafts(D(2027, 1, 1))
    assert len(made) == 1
    report = made[0].report
    assert (report.year, report.half, report.status) == (2026, 2, ReportStatus.DRAFT)
    made[0].refresh_from_db()
    assert made[0].status == VersionStatus.DONE and made[0].requested_by is None
    assert made[0].data_until == D(2026, 12, 31)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.open_half_year_drafts(D(2027, 1, 2)) == []  # once
    with django_capture_on_commit_callbacks(execute=True):
        assert len(services.open_half_year_drafts(D(2026, 7, 1))) == 1
    assert Report.objects.filter(year=2026, half=1).exists()
    # Before the pilot there is nothing to report.
    assert services.open_half_year_drafts(D(2026, 3, 1)) == []


def reminders():
    from reports.models import ReportReminder

    return set(ReportReminder.objects.values_list("milestone", "days_before"))


def test_officers_are_reminded_before_each_deadline_and_when_one_is_missed(db):
    reader = officer(email="officer@akimat.kz")
    services.report_for_half(year=2026, half=2)
    assert services.send_reminders(D(2027, 1, 1)) == 0  # two weeks ahead: nothing yet
    assert services.send_reminders(D(2027, 1, 8)) == 1  # final in 7 days
    assert services.send_reminders(D(2027, 1, 8)) == 0  # sent once
    assert mail.outbox[-1].to == [reader.email]
    assert "15.01.2027" in mail.outbox[-1].subject
    assert reminders() == {("final", 7)}
    services.send_reminders(D(2027, 1, 14))  # final tomorrow; delivery within a week
    assert reminders() == {("final", 7), ("final", 1), ("delivered", 7)}
    services.send_reminders(D(2027, 1, 16))  # final missed yesterday
    assert ("final", -1) in reminders()
    assert "15.01.2027" in mail.outbox[-1].subject or "15.01.2027" in mail.outbox[-2].subject


def test_a_reminder_missed_while_the_scheduler_was_down_is_caught_up(db):
    officer(email="officer@akimat.kz")
    services.report_for_half(year=2026, half=1)
    assert services.send_reminders(D(2026, 7, 10)) == 1  # the 8th and 9th were missed
    assert reminders() == {("final", 7)}
    assert services.send_reminders(D(2026, 7, 17)) == 2  # final missed; delivery in 3 days
    assert reminders() == {("final", 7), ("final", -1), ("delivered", 7)}


def test_a_reminder_the_mail_server_refused_is_sent_again(db, settings):
    officer(email="officer@akimat.kz")
    services.report_for_half(year=2026, half=1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    assert services.send_reminders(D(2026, 7, 8)) == 0  # nothing listens on port 1
    assert reminders() == set()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.send_reminders(D(2026, 7, 9)) == 1
    assert reminders() == {("final", 7)}


def test_a_report_being_prepared_is_not_made_final_and_a_final_one_gets_no_new_version(
    half_year, django_capture_on_commit_callbacks
):
    report = services.report_for_half(year=2026, half=2)
    user = officer()
    generate(report, "ru", D(2027, 1, 5), django_capture_on_commit_callbacks)
    queued = services.version_start(report=report, language="kk", on=D(2027, 1, 6))
    with pytest.raises(ValidationError) as refused:
        services.report_finalise(report=report, acting_user=user)
    assert codes(refused.value) == {"version_in_preparation"}
    ReportVersion.objects.filter(pk=queued.pk).update(status=VersionStatus.FAILED)
    services.report_finalise(report=report, acting_user=user)
    # A job delivered late for a version queued before the report was final is refused.
    late = ReportVersion.objects.create(
        report=report, number=9, language="kk", data_until=D(2026, 12, 31)
    )
    assert services.run_version(late.pk) == VersionStatus.FAILED
    late.refresh_from_db()
    assert "final" in late.error and not late.pdf


def test_a_ready_version_is_left_alone_by_a_redelivered_job(
    half_year, django_capture_on_commit_callbacks
):
    version = generate(
        services.report_for_half(year=2026, half=2),
        "ru",
        D(2026, 10, 1),
        django_capture_on_commit_callbacks,
    )
    checksum, finished = version.pdf_sha256, version.finished_at
    assert services.run_version(version.pk) == VersionStatus.DONE
    services._fail(version.pk, "late failure")  # a failure of a second run changes nothing
    version.refresh_from_db()
    assert (version.pdf_sha256, version.finished_at, version.error) == (checksum, finished, "")


def test_abandoned_versions_are_released_and_a_storage_failure_is_recorded(
    half_year, settings, tmp_path
):
    import datetime as dt

    from django.utils import timezone

    report = services.report_for_half(year=2026, half=2)
    stuck = ReportVersion.objects.create(
        report=report, number=1, language="ru", data_until=D(2026, 9, 30)
    )
    assert services.release_stale_versions() == 0
    assert services.release_stale_versions(timezone.now() + dt.timedelta(hours=3)) == 1
    stuck.refresh_from_db()
    assert stuck.status == VersionStatus.FAILED and "Abandoned" in stuck.error
    # The files cannot be written (the media folder is a file): failed, not left running.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    settings.MEDIA_ROOT = blocked
    version = ReportVersion.objects.create(
        report=report, number=2, language="ru", data_until=D(2026, 9, 30)
    )
    with pytest.raises(OSError):
        services.run_version(version.pk)
    version.refresh_from_db()
    assert version.status == VersionStatus.FAILED


def test_the_january_draft_is_made_even_after_an_earlier_version(
    half_year, django_capture_on_commit_callbacks
):
    report = services.report_for_half(year=2026, half=2)
    generate(report, "ru", D(2026, 10, 1), django_capture_on_commit_callbacks)  # mid-period
    with django_capture_on_commit_callbacks(execute=True):
        made = services.open_half_year_drafts(D(2027, 1, 1))
    assert [v.data_until for v in made] == [D(2026, 12, 31)]


def test_links_are_made_for_enrolments_that_have_other_half_years(half_year):
    from reports.models import SurveyInvitation

    enrolment = half_year["enrolments"][0]
    SurveyInvitation.objects.create(enrollment=enrolment, year=2026, half=2)
    SurveyInvitation.objects.create(enrollment=enrolment, year=2027, half=1)
    assert services.survey_invitations(year=2027, half=2) == 3  # c4 ended in 2026
    assert SurveyInvitation.objects.filter(enrollment=enrolment, year=2027, half=2).exists()
    assert services.survey_invitations(year=2027, half=2) == 0


def test_delivery_and_publication_dates_follow_the_steps(
    half_year, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    report = services.report_for_half(year=2026, half=2)
    generate(report, "ru", D(2027, 1, 5), django_capture_on_commit_callbacks)
    user = officer()
    services.report_finalise(report=report, acting_user=user)
    finalised = timezone.localdate(report.finalised_at)
    with pytest.raises(ValidationError) as refused:
        services.report_deliver(
            report=report, acting_user=user, on=finalised - datetime.timedelta(days=1)
        )
    assert codes(refused.value) == {"before_final"}
    services.report_deliver(report=report, acting_user=user, on=finalised)
    with pytest.raises(ValidationError) as refused:
        services.report_publish(
            report=report, acting_user=user, on=finalised - datetime.timedelta(days=1)
        )
    assert codes(refused.value) == {"before_delivery"}


@pytest.mark.celery_worker
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real Celery worker")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_generates_the_report(real_celery_worker, half_year):
    from reports.tasks import generate_report_task

    report = services.report_for_half(year=2026, half=2)
    version = ReportVersion.objects.create(
        report=report, number=1, language="kk", data_until=datetime.date(2026, 9, 30)
    )
    assert generate_report_task.delay(version.pk).get(timeout=180) == VersionStatus.DONE
    version.refresh_from_db()
    text, _pages = pdf_text(version)
    assert "Арнаулы әлеуметтік қызметтерді алушылар" in text and "Есіл" in text
    # Delivered again (a worker lost mid-run), the ready version is left as it was.
    checksum = version.pdf_sha256
    assert generate_report_task.delay(version.pk).get(timeout=60) == VersionStatus.DONE
    version.refresh_from_db()
    assert version.pdf_sha256 == checksum


def test_the_pilots_analytical_report_covers_the_pilot_and_prints_the_proposals(
    half_year, django_capture_on_commit_callbacks
):
    report = services.pilot_report(period_end=D(2026, 9, 30))
    assert (report.kind, report.period_start, report.final_due) == ("pilot", D(2026, 6, 5), None)
    report.proposals = "Закрепить комбинированную форму в Социальном кодексе."
    report.save()
    version = generate(report, "ru", D(2026, 10, 1), django_capture_on_commit_callbacks)
    text, _pages = pdf_text(version)
    assert "05.06.2026 – 30.09.2026" in text
    assert "Закрепить комбинированную форму в Социальном кодексе." in text
    with pytest.raises(ValidationError) as refused:
        services.pilot_report(period_end=D(2026, 5, 1))
    assert codes(refused.value) == {"ends_before_pilot"}
    # It ends at a month's end, as the dashboard's figures do.
    with pytest.raises(ValidationError) as refused:
        services.pilot_report(period_end=D(2026, 11, 15))
    assert codes(refused.value) == {"not_month_end"}


def test_a_failed_job_is_recorded_and_frees_the_report(half_year, monkeypatch):
    import weasyprint

    report = services.report_for_half(year=2026, half=2)
    version = ReportVersion.objects.create(
        report=report, number=1, language="ru", data_until=D(2026, 9, 30)
    )
    with pytest.raises(ValidationError) as refused:
        services.version_start(report=report, language="ru", on=D(2026, 10, 1))
    assert codes(refused.value) == {"version_in_preparation"}

    def broken(*args, **kwargs):  # the PDF engine (outside the project) fails
        raise RuntimeError("Pango is missing")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    with pytest.raises(RuntimeError):
        services.run_version(version.pk)
    version.refresh_from_db()
    assert (version.status, version.error) == (VersionStatus.FAILED, "Pango is missing")
    assert not version.pdf
    monkeypatch.undo()
    again = services.version_start(report=report, language="ru", on=D(2026, 10, 1))
    assert again.number == 2


def test_a_final_report_is_printed_in_kazakh_from_its_own_figures(
    half_year, billed_august, django_capture_on_commit_callbacks
):
    """The state language and Russian both: a translation prints the final version's stored
    figures in Kazakh. Nothing is counted again, so a payment changed after the report was
    made final does not reach it; labels and the catalogue's names are in Kazakh."""
    from budget.models import Payment

    report = services.report_for_half(year=2026, half=2)
    user = officer()
    with pytest.raises(ValidationError) as refused:
        services.version_translate(report=report, language="kk", acting_user=user)
    assert codes(refused.value) == {"nothing_to_translate"}
    final = generate(report, "ru", D(2027, 1, 5), django_capture_on_commit_callbacks)
    services.report_finalise(report=report, acting_user=user)
    report.refresh_from_db()
    # The version stores its labels in their source text and prints them in its language.
    assert {row["reason"] for row in final.figures["control"]["withheld"]} >= {
        "Inpatient hospital stay (health registry)"
    }
    russian, _pages = pdf_text(final)
    assert "Есиль" in russian and "Стационарное лечение (реестр здравоохранения)" in russian

    Payment.objects.update(amount_kzt=99_999)  # after the report was made final
    with pytest.raises(ValidationError) as refused:
        services.version_translate(report=report, language="ru", acting_user=user)
    assert codes(refused.value) == {"same_language"}
    with django_capture_on_commit_callbacks(execute=True):
        kazakh = services.version_translate(report=report, language="kk", acting_user=user)
    kazakh.refresh_from_db()
    assert kazakh.status == VersionStatus.DONE, kazakh.error
    assert (kazakh.number, kazakh.translation_of, kazakh.data_until) == (2, final, final.data_until)
    assert kazakh.figures == final.figures
    assert kazakh.pdf_sha256 != final.pdf_sha256
    text, _pages = pdf_text(kazakh)
    assert "Арнаулы әлеуметтік қызметтерді алушылар" in text
    assert "Есіл" in text and "Стационарлық емдеу (денсаулық сақтау тізілімі)" in text
    # August's tenge as the final version holds them (20 home days).
    assert f"{billed_august:,}".replace(",", "\N{NO-BREAK SPACE}") in text.replace(
        " ", "\N{NO-BREAK SPACE}"
    )
    assert "99 999" not in text
    assert pages_running_off(kazakh) == []
    assert kazakh.figures["services"]["catalogue"] and kazakh.figures["budget"]["by_code"]
    for row in kazakh.figures["services"]["catalogue"] + kazakh.figures["budget"]["by_code"]:
        assert row["names"]["kk"] in text
        assert row["names"]["ru"] == row["names"]["kk"] or row["names"]["ru"] not in text
    with kazakh.xlsx.open("rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    paid = [
        r
        for r in book.worksheets[2].iter_rows(values_only=True)
        if r and r[0] == "2026-09" and r[4] == billed_august
    ]
    assert paid, "the Kazakh XLSX holds the final figures"
    report.refresh_from_db()
    assert report.final_version == final  # the translation does not replace the final version

    with pytest.raises(ValidationError) as refused:
        services.version_translate(report=report, language="kk", acting_user=user)
    assert codes(refused.value) == {"translation_exists"}
    with pytest.raises(ValidationError) as refused:
        services.version_start(report=report, language="kk", on=D(2027, 1, 6))
    assert codes(refused.value) == {"not_draft"}


def test_a_draft_is_translated_from_its_latest_counted_version_which_alone_is_made_final(
    half_year, django_capture_on_commit_callbacks
):
    report = services.report_for_half(year=2026, half=2)
    user = officer()
    counted = generate(report, "ru", D(2027, 1, 5), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        kazakh = services.version_translate(report=report, language="kk", acting_user=user)
    kazakh.refresh_from_db()
    assert (kazakh.status, kazakh.translation_of) == (VersionStatus.DONE, counted)
    # A translation is never the source of another: Russian is the counted version's language.
    with pytest.raises(ValidationError) as refused:
        services.version_translate(report=report, language="ru", acting_user=user)
    assert codes(refused.value) == {"same_language"}
    # The newest ready version is the translation, but the counted one is made final.
    services.report_finalise(report=report, acting_user=user)
    report.refresh_from_db()
    assert report.final_version == counted
    with django_capture_on_commit_callbacks(execute=True):
        english = services.version_translate(report=report, language="en", acting_user=user)
    english.refresh_from_db()
    assert (english.number, english.translation_of, english.status) == (3, counted, "done")


def test_a_version_stored_before_translations_is_not_translated(
    half_year, django_capture_on_commit_callbacks
):
    """Its labels are in its own language already: a "Kazakh" copy would print them in Russian."""
    report = services.report_for_half(year=2026, half=2)
    old = generate(report, "ru", D(2026, 10, 1), django_capture_on_commit_callbacks)
    figures = dict(old.figures)
    figures.pop("labels")
    ReportVersion.objects.filter(pk=old.pk).update(figures=figures)
    with pytest.raises(ValidationError) as refused:
        services.version_translate(report=report, language="kk", acting_user=officer())
    assert codes(refused.value) == {"made_before_translations"}
    assert not ReportVersion.objects.filter(translation_of=old).exists()


def test_each_step_is_refused_to_every_role_but_the_officer_and_changes_nothing(
    half_year, django_capture_on_commit_callbacks
):
    """Each step is tried when an officer could take it, by the other roles and by no one (the
    scheduler moves no report on): refused with `role_required`, nothing written."""
    report = services.report_for_half(year=2026, half=2)
    generate(report, "ru", D(2027, 1, 5), django_capture_on_commit_callbacks)
    provider = half_year["a"]
    others = [inspector(), analyst(), head_of(provider), coordinator_of(provider)]
    user = officer()
    before = db_contents()
    for who in others:
        for refused_call in (
            lambda who=who: services.version_start(
                report=report, language="kk", acting_user=who, on=D(2027, 1, 6)
            ),
            lambda who=who: services.version_translate(
                report=report, language="kk", acting_user=who
            ),
        ):
            with pytest.raises(RoleRequired) as refused:
                refused_call()
            assert refused.value.code == "role_required"
    assert changed_tables(before, db_contents()) == []
    steps = [
        lambda who: services.report_finalise(report=report, acting_user=who),
        lambda who: services.report_deliver(report=report, acting_user=who, on=D(2027, 1, 20)),
        lambda who: services.report_publish(report=report, acting_user=who, on=D(2027, 1, 24)),
    ]
    for step, reached in zip(
        steps, (ReportStatus.FINAL, ReportStatus.DELIVERED, ReportStatus.PUBLISHED), strict=True
    ):
        before = db_contents()
        for who in [*others, None]:
            with pytest.raises(RoleRequired) as refused:
                step(who)
            assert refused.value.code == "role_required"
        assert changed_tables(before, db_contents()) == []
        step(user)  # the officer takes the step
        assert Report.objects.get(pk=report.pk).status == reached


def test_a_step_reads_the_report_again_under_its_lock(
    half_year, django_capture_on_commit_callbacks
):
    """A caller holding a copy read before another officer moved the report on is refused as
    the report now stands, not as its copy says."""
    report = services.report_for_half(year=2026, half=2)
    generate(report, "ru", D(2027, 1, 5), django_capture_on_commit_callbacks)
    stale = Report.objects.get(pk=report.pk)
    first, second = officer(), officer(username="officer.second")
    services.report_finalise(report=report, acting_user=first)
    assert stale.status == ReportStatus.DRAFT  # as read before
    with pytest.raises(ValidationError) as refused:
        services.report_finalise(report=stale, acting_user=second)
    assert codes(refused.value) == {"not_draft"}
    with pytest.raises(ValidationError) as refused:
        services.version_start(report=stale, language="kk", on=D(2027, 1, 6))
    assert codes(refused.value) == {"not_draft"}
    report.refresh_from_db()
    assert (report.status, report.finalised_by) == (ReportStatus.FINAL, first)
    assert report.versions.count() == 1
    services.report_deliver(report=report, acting_user=first, on=D(2027, 1, 20))
    with pytest.raises(ValidationError) as refused:
        services.report_deliver(report=stale, acting_user=second, on=D(2027, 1, 21))
    assert codes(refused.value) == {"not_final"}
    assert Report.objects.get(pk=report.pk).delivered_on == D(2027, 1, 20)


def test_an_unknown_language_is_refused_with_its_code(half_year):
    report = services.report_for_half(year=2026, half=2)
    for call in (services.version_start, services.version_translate):
        with pytest.raises(ValidationError) as refused:
            call(report=report, language="de", acting_user=officer(username=call.__name__))
        assert codes(refused.value) == {"unknown_language"}
    assert not report.versions.exists()


def test_a_questionnaire_answer_is_taken_once_while_open_and_on_paper_by_an_officer(half_year):
    from reports.models import SurveyInvitation, SurveyResponse

    enrolment = half_year["enrolments"][0]
    invitation = SurveyInvitation.objects.create(enrollment=enrolment, year=2026, half=2)
    answers = {"convenience": 5, "specialists": 4, "coordination": 3, "progress": 4, "overall": 5}
    for who in (inspector(), analyst(), head_of(half_year["a"]), None):
        with pytest.raises(RoleRequired) as refused:
            services.survey_response_submit(
                invitation=invitation, answers=answers, channel=Channel.STAFF, acting_user=who
            )
        assert refused.value.code == "role_required"
    assert not SurveyResponse.objects.exists()
    user = officer()
    saved = services.survey_response_submit(
        invitation=invitation, answers=answers, channel=Channel.STAFF, acting_user=user
    )
    saved.refresh_from_db()
    assert (saved.provider, saved.year, saved.half, saved.entered_by, saved.overall) == (
        half_year["a"],
        2026,
        2,
        user,
        5,
    )
    with pytest.raises(ValidationError) as refused:
        services.survey_response_submit(
            invitation=invitation, answers=answers, channel=Channel.FAMILY
        )
    assert codes(refused.value) == {"already_answered"}
    closed = SurveyInvitation.objects.create(enrollment=enrolment, year=2026, half=1)
    with pytest.raises(ValidationError) as refused:
        services.survey_response_submit(invitation=closed, answers=answers, channel=Channel.FAMILY)
    assert codes(refused.value) == {"survey_closed"}
    assert SurveyResponse.objects.count() == 1


def test_the_proposals_are_written_by_an_officer_in_the_pilots_draft_only(
    half_year, django_capture_on_commit_callbacks
):
    text = "Закрепить комбинированную форму в Социальном кодексе."
    pilot = services.pilot_report(period_end=D(2026, 9, 30))
    user, others = officer(), [inspector(), analyst(), None]
    before = db_contents()
    for who in others:
        with pytest.raises(RoleRequired) as refused:
            services.report_proposals_save(report=pilot, proposals=text, acting_user=who)
        assert refused.value.code == "role_required"
    assert changed_tables(before, db_contents()) == []
    services.report_proposals_save(report=pilot, proposals=text, acting_user=user)
    assert Report.objects.get(pk=pilot.pk).proposals == text
    half = services.report_for_half(year=2026, half=2)
    with pytest.raises(ValidationError) as refused:
        services.report_proposals_save(report=half, proposals=text, acting_user=user)
    assert codes(refused.value) == {"not_pilot"}
    Report.objects.filter(pk=pilot.pk).update(status=ReportStatus.FINAL)
    with pytest.raises(ValidationError) as refused:
        services.report_proposals_save(report=pilot, proposals="", acting_user=user)
    assert codes(refused.value) == {"not_draft"}
    assert Report.objects.get(pk=pilot.pk).proposals == text
