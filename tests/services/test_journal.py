"""The journal of services rendered (Alg. §19): who reads it, what it lists, and its PDF."""

import datetime
import io
import logging

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import formats, timezone
from pypdf import PdfReader

from services.models import CatalogueService
from tests.factories import (
    StaffMemberFactory,
    VisitFactory,
    admitted_provider,
    analyst,
    coordinator_of,
    enrolled_child,
    head_of,
    inspector,
    officer,
)

pytestmark = pytest.mark.django_db

SEPTEMBER = datetime.date(2026, 9, 1)


def journal(client, **params):
    return client.get(reverse("services:journal"), params)


def child_journal(client, child, **params):
    return client.get(reverse("services:child_journal", args=[child.pk]), params)


def shown_ids(response):
    return [row.visit.visit_id for row in response.context["rows"]]


def months_before(first_day, months):
    index = first_day.year * 12 + first_day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def pdf_text(response):
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    # Table cells wrap: compare words, not line breaks.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def two_centres():
    """Given a centre with one enrolled child and another centre with its own child."""
    mine, other = admitted_provider(), admitted_provider()
    enrollment = enrolled_child(mine, last_name="Иванова", first_name="Дарина")
    foreign = enrolled_child(other, last_name="Петров", first_name="Арман")
    return mine, other, enrollment, foreign


def test_the_page_lists_the_months_visits_of_its_provider_only(client, two_centres):
    mine, _, enrollment, foreign = two_centres
    staff = StaffMemberFactory(provider=mine, full_name="Сейтова Гульнар")
    VisitFactory(enrollment=enrollment, visit_id="SEP-HOME", date=SEPTEMBER, staff=staff)
    VisitFactory(
        enrollment=enrollment,
        visit_id="SEP-CENTRE",
        date=datetime.date(2026, 9, 2),
        setting="centre",
        confirmation_method="pin",
        confirmed_at=timezone.make_aware(datetime.datetime(2026, 9, 2, 13, 5)),
    )
    VisitFactory(
        enrollment=enrollment,
        visit_id="SEP-MISSED",
        date=datetime.date(2026, 9, 3),
        status="missed",
        missed_reason="Ребёнок заболел",
    )
    VisitFactory(enrollment=enrollment, visit_id="SEP-PLANNED", date=SEPTEMBER, status="planned")
    VisitFactory(enrollment=enrollment, visit_id="AUG", date=datetime.date(2026, 8, 31))
    VisitFactory(enrollment=enrollment, visit_id="OCT", date=datetime.date(2026, 10, 1))
    VisitFactory(enrollment=foreign, visit_id="SEP-OTHER-CENTRE", date=SEPTEMBER)

    client.force_login(coordinator_of(mine))
    response = journal(client, month="2026-09")

    assert response.status_code == 200
    assert shown_ids(response) == ["SEP-HOME", "SEP-CENTRE", "SEP-MISSED"]
    assert response.context["totals"] == {"home": 1, "centre": 1, "missed": 1, "unconfirmed": 1}
    page = response.content.decode()
    assert "Иванова Дарина" in page and "Петров" not in page
    assert "Сейтова Гульнар" in page
    assert "Ребёнок заболел" in page
    assert "Social-pedagogical: ABA therapy" in page
    confirmed_at = formats.date_format(
        timezone.make_aware(datetime.datetime(2026, 9, 2, 13, 5)), "SHORT_DATETIME_FORMAT"
    )
    assert f"PIN, {confirmed_at}" in page
    assert reverse("services:journal_pdf") + "?month=2026-09" in page
    assert "?month=2026-08" in page and "?month=2026-10" in page
    assert reverse("services:child_journal", args=[enrollment.child.pk]) + "?month=2026-09" in page


def test_without_a_month_the_page_shows_the_current_one(client, two_centres):
    mine, _, enrollment, _ = two_centres
    today = timezone.localdate()
    VisitFactory(enrollment=enrollment, visit_id="NOW", date=today)
    VisitFactory(
        enrollment=enrollment,
        visit_id="LAST-MONTH",
        date=today.replace(day=1) - datetime.timedelta(days=1),
    )

    client.force_login(head_of(mine))
    response = journal(client)

    assert shown_ids(response) == ["NOW"]
    assert response.context["period"].start == today.replace(day=1)
    assert "navigation" in response.context and "next" not in response.context["navigation"]


def test_a_malformed_month_is_a_bad_request(client, two_centres):
    client.force_login(head_of(two_centres[0]))
    assert journal(client, month="2026-13").status_code == 400
    assert journal(client, month="September").status_code == 400


def test_provider_staff_always_get_their_own_provider(client, two_centres):
    mine, other, enrollment, foreign = two_centres
    VisitFactory(enrollment=enrollment, visit_id="MINE", date=SEPTEMBER)
    VisitFactory(enrollment=foreign, visit_id="THEIRS", date=SEPTEMBER)
    # A visit logged here for a child never enrolled here stays out of this centre's journal.
    VisitFactory(child=foreign.child, provider=mine, visit_id="NOT-ENROLLED", date=SEPTEMBER)

    client.force_login(coordinator_of(mine))
    response = journal(client, month="2026-09", provider=other.pk)

    assert response.context["provider"] == mine
    assert shown_ids(response) == ["MINE"]


def test_an_officer_reads_any_providers_journal(client, two_centres):
    _, other, enrollment, foreign = two_centres
    VisitFactory(enrollment=enrollment, visit_id="MINE", date=SEPTEMBER)
    VisitFactory(enrollment=foreign, visit_id="THEIRS", date=SEPTEMBER)
    client.force_login(officer())

    chooser = journal(client, month="2026-09")
    assert chooser.status_code == 200 and "rows" not in chooser.context
    assert other.name in chooser.content.decode()

    response = journal(client, month="2026-09", provider=other.pk)
    assert shown_ids(response) == ["THEIRS"]
    assert f"provider={other.pk}" in response.context["navigation"]["previous"]

    child_page = child_journal(client, foreign.child, month="2026-09")
    assert child_page.context["provider"] == other and shown_ids(child_page) == ["THEIRS"]
    assert journal(client, provider=999999).status_code == 404


@pytest.mark.parametrize("reader", [analyst, inspector])
def test_analysts_and_inspectors_are_refused(client, two_centres, reader):
    mine, _, enrollment, _ = two_centres
    client.force_login(reader())

    assert journal(client, provider=mine.pk).status_code == 403
    assert client.get(reverse("services:journal_pdf"), {"provider": mine.pk}).status_code == 403
    assert child_journal(client, enrollment.child).status_code == 403
    pdf_url = reverse("services:child_journal_pdf", args=[enrollment.child.pk])
    assert client.get(pdf_url).status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(reverse("services:journal"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_centres_child_journal_is_not_found(client, two_centres):
    mine, _, enrollment, foreign = two_centres
    VisitFactory(enrollment=foreign, visit_id="THEIRS", date=SEPTEMBER)
    client.force_login(coordinator_of(mine))

    assert child_journal(client, foreign.child).status_code == 404
    pdf_url = reverse("services:child_journal_pdf", args=[foreign.child.pk])
    assert client.get(pdf_url).status_code == 404
    assert child_journal(client, enrollment.child).status_code == 200


def test_a_childs_journal_covers_the_last_six_months_by_default(client, two_centres):
    mine, _, enrollment, _ = two_centres
    other_child = enrolled_child(mine)
    first_of_month = timezone.localdate().replace(day=1)
    five_months_ago = months_before(first_of_month, 5)
    six_months_ago = months_before(first_of_month, 6)
    VisitFactory(enrollment=enrollment, visit_id="NOW", date=first_of_month)
    VisitFactory(enrollment=enrollment, visit_id="FIVE-AGO", date=five_months_ago)
    VisitFactory(enrollment=enrollment, visit_id="SIX-AGO", date=six_months_ago)
    VisitFactory(enrollment=other_child, visit_id="SIBLING", date=first_of_month)
    reader = coordinator_of(mine)
    client.force_login(reader)

    response = child_journal(client, enrollment.child)

    assert shown_ids(response) == ["FIVE-AGO", "NOW"]
    assert response.context["period"].start == five_months_ago
    one_month = child_journal(client, enrollment.child, month=f"{first_of_month:%Y-%m}")
    assert shown_ids(one_month) == ["NOW"]
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=reader).first()
    assert entry.object_pk == str(enrollment.child.pk)
    assert entry.additional_data["opened"].startswith("journal ")


def test_reading_the_journal_records_each_child_shown(client, two_centres):
    mine, _, enrollment, foreign = two_centres
    second = enrolled_child(mine)
    for index, enrolled in enumerate((enrollment, enrollment, second)):
        VisitFactory(enrollment=enrolled, date=SEPTEMBER, start=datetime.time(8 + index))
    VisitFactory(enrollment=foreign, date=SEPTEMBER)
    reader = head_of(mine)
    client.force_login(reader)

    journal(client, month="2026-09")

    entries = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=reader)
    assert sorted(int(entry.object_pk) for entry in entries) == sorted(
        [enrollment.child.pk, second.child.pk]
    )
    assert {entry.additional_data["opened"] for entry in entries} == {"journal 2026-09"}


def test_the_pdf_is_a_pdf_with_the_childs_name(client, two_centres):
    mine, _, enrollment, _ = two_centres
    VisitFactory(enrollment=enrollment, date=SEPTEMBER, status="missed", missed_reason="Карантин")
    client.force_login(coordinator_of(mine))

    response = client.get(reverse("services:journal_pdf"), {"month": "2026-09"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'inline; filename="journal-{mine.bin}-2026-09.pdf"'
    text = pdf_text(response)
    assert "Иванова Дарина" in text
    assert mine.bin in text and "Карантин" in text
    assert "1 / 1" in text


def test_the_childs_pdf_names_the_child_in_its_header(client, two_centres):
    mine, _, enrollment, _ = two_centres
    VisitFactory(enrollment=enrollment, date=SEPTEMBER)
    client.force_login(coordinator_of(mine))

    url = reverse("services:child_journal_pdf", args=[enrollment.child.pk])
    response = client.get(url, {"month": "2026-09"})

    assert response.status_code == 200
    child_pk = enrollment.child.pk
    assert (
        f'filename="journal-{mine.bin}-child{child_pk}-2026-09.pdf"'
        in response["Content-Disposition"]
    )
    assert "Иванова Дарина" in pdf_text(response)


def test_the_kazakh_pdf_renders_every_kazakh_letter(client, caplog):
    provider = admitted_provider(name="«Шаңырақ» қоғамдық қоры")
    enrollment = enrolled_child(
        provider, last_name="Әлібек", first_name="Ұлжан", middle_name="Қасымұлы"
    )
    staff = StaffMemberFactory(provider=provider, full_name="Өмірзақ Ғалия Һ.")
    CatalogueService.objects.create(
        code="cultural.song",
        kind="cultural",
        name_ru="Пение",
        name_kk="Ән үйірмесі, оңалту",
        name_en="Singing",
    )
    VisitFactory(enrollment=enrollment, date=SEPTEMBER, staff=staff, services=["cultural.song"])
    client.force_login(coordinator_of(provider))
    client.cookies["django_language"] = "kk"

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        response = client.get(reverse("services:journal_pdf"), {"month": "2026-09"})

    assert not [record for record in caplog.records if "cannot be loaded" in record.getMessage()]
    text = pdf_text(response)
    assert "Әлібек Ұлжан Қасымұлы" in text
    assert "Өмірзақ Ғалия Һ." in text
    assert "Ән үйірмесі, оңалту" in text
    assert "Қыркүйек 2026" in text
    assert set("әғқңөұүһі") <= set(text.casefold())


def test_the_page_keeps_its_queries_whatever_the_number_of_visits(
    client, two_centres, django_assert_max_num_queries
):
    mine, _, _, _ = two_centres
    for number in range(10):
        enrolled = enrolled_child(mine)
        staff = StaffMemberFactory(provider=mine)
        for day in range(3):
            VisitFactory(
                enrollment=enrolled,
                date=SEPTEMBER + datetime.timedelta(days=day),
                staff=staff,
                setting="centre" if number % 2 else "home",
                services=["medical", "medical.massage", "pedagogical.aba"],
            )
    client.force_login(coordinator_of(mine))

    # Session, user, roles, provider, count, rows, catalogue, audit insert, totals, session save.
    with django_assert_max_num_queries(12):
        response = journal(client, month="2026-09")

    assert len(response.context["rows"]) == 30


def _long_journal(settings, two_centres):
    """Given a journal longer than the inline limit (lowered to two rows for the test)."""
    settings.JOURNAL_PDF_INLINE_ROWS = 2
    mine, _, enrollment, _ = two_centres
    for day in (1, 2, 3):
        VisitFactory(enrollment=enrollment, date=SEPTEMBER.replace(day=day))
    return mine


def test_a_long_journal_pdf_is_prepared_by_a_job_for_its_requester(
    client, settings, two_centres, django_capture_on_commit_callbacks
):
    from services.models import JournalExport

    mine = _long_journal(settings, two_centres)
    coordinator = coordinator_of(mine)
    client.force_login(coordinator)
    # When the coordinator asks for the PDF, a job is queued and its page shown
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("services:journal_pdf"), {"month": "2026-09"})
    export = JournalExport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("services:journal_export", args=[export.pk])
    # Then (the job ran in-process) the page offers the finished PDF with every row
    page = client.get(response.url).content.decode()
    assert 'data-status="done"' in page
    pdf = client.get(reverse("services:journal_export_file", args=[export.pk]))
    text = " ".join(
        " ".join(
            page.extract_text()
            for page in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages
        ).split()
    )
    assert text.count("Иванова Дарина") == 3
    # And nobody else fetches it, not even the head of the same centre
    client.force_login(head_of(mine))
    assert client.get(reverse("services:journal_export_file", args=[export.pk])).status_code == 404


def test_a_journal_job_run_twice_makes_one_file(settings, two_centres):
    from services.journal import journal_export_run
    from services.models import JournalExport

    mine = _long_journal(settings, two_centres)
    export = JournalExport.objects.create(
        provider=mine,
        period_start=SEPTEMBER,
        period_end=datetime.date(2026, 9, 30),
        language="kk",
        requested_by=coordinator_of(mine),
    )
    assert journal_export_run(export_id=export.pk) == "done"
    name = JournalExport.objects.get().file.name
    assert journal_export_run(export_id=export.pk) == "done"
    export.refresh_from_db()
    assert export.file.name == name and export.rows == 3


@pytest.mark.celery_worker
@pytest.mark.skipif(
    not __import__("os").environ.get("REDIS_URL"), reason="needs REDIS_URL: a real Celery worker"
)
@pytest.mark.django_db(transaction=True)
def test_the_journal_job_runs_on_a_real_worker(settings, two_centres, real_celery_worker):
    from services.models import JournalExport
    from services.tasks import journal_pdf_task

    mine = _long_journal(settings, two_centres)
    export = JournalExport.objects.create(
        provider=mine,
        period_start=SEPTEMBER,
        period_end=datetime.date(2026, 9, 30),
        language="ru",
        requested_by=coordinator_of(mine),
    )
    assert journal_pdf_task.delay(export.pk).get(timeout=120) == "done"
    export.refresh_from_db()
    assert export.file.open("rb").read(5) == b"%PDF-"
