"""`make run` loads the demo: every printed login works and lands on its role's page."""

import datetime
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from demo.loading import DEMO_PASSWORD, USERS
from providers.models import AdmissionApplication, Provider
from reports.periods import data_as_of

pytestmark = pytest.mark.django_db


def sign_in(client, username):
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module (half a year of visits takes a while).

    It stays in an outer transaction that is rolled back after the module; each test runs in
    its own savepoint inside it, so what a test changes is undone as usual.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_loaded):
    return demo_loaded


def test_demo_has_the_nine_organisations_in_their_states(demo):
    assert Provider.objects.count() == 11  # the nine of the seeds and two invented applicants
    admitted = Provider.objects.filter(admitted_on="2026-06-05")
    assert admitted.count() == 5
    assert Provider.objects.get(bin="140540734341").admitted_on.isoformat() == "2026-08-10"
    assert Provider.objects.get(bin="180340379594").excluded_on.isoformat() == "2026-09-09"
    assert set(Provider.objects.filter(sector="state").values_list("legal_form", flat=True)) == {
        "КГУ"
    }
    statuses = set(AdmissionApplication.objects.values_list("status", flat=True))
    assert {"approved", "draft", "inspection_requested"} <= statuses


def test_demo_is_idempotent(demo):
    counts = (Provider.objects.count(), AdmissionApplication.objects.count())
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Provider.objects.count(), AdmissionApplication.objects.count()) == counts


@pytest.mark.parametrize(
    ("username", "lands_on"),
    [
        ("admin", "/admin/"),
        *[
            (
                username,
                {
                    "akimat_officer": "/admin/",
                    "inspector": "/admin/",
                    "provider_head": "/provider/",
                    "coordinator": "/visits/",
                    "analyst": "/reports/",
                }[role],
            )
            for username, role, *_ in USERS
        ],
    ],
)
def test_every_demo_login_works(client, demo, username, lands_on):
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    home = client.get("/", follow=True)
    assert home.status_code == 200
    assert home.redirect_chain[-1][0] == lands_on


def test_officer_admin_pages_render_for_demo_data(client, demo):
    sign_in(client, "officer")
    for name in (
        "admin:providers_provider_changelist",
        "admin:providers_admissionapplication_changelist",
        "admin:providers_qualificationdocument_changelist",
        "admin:providers_staffmember_changelist",
    ):
        assert client.get(reverse(name)).status_code == 200
    provider = Provider.objects.get(bin="100340517502")
    page = client.get(reverse("admin:providers_provider_change", args=[provider.pk]))
    assert page.status_code == 200
    assert "Nothing: every document is accepted" in page.content.decode()


def test_draft_applicant_sees_what_is_missing(client, demo):
    sign_in(client, "head.zhana")
    page = client.get(reverse("providers:my_provider")).content.decode()
    assert 'data-testid="gaps"' in page
    assert "Fire-safety inspection" in page


def test_demo_children_at_every_stage_and_visible_to_their_centre(client, demo):
    import datetime

    from recipients.models import Child, EnrollmentWarning, PossibleDuplicate
    from recipients.selectors import stage_of

    day = datetime.date(2026, 11, 22)
    children = Child.objects.prefetch_related("enrollments", "assessments", "applications")
    stages = {stage_of(child, day=day) for child in children}
    assert {"applied", "assessed", "enrolled", "ended"} <= stages
    assert children.count() >= 300
    assert PossibleDuplicate.objects.exists()
    assert EnrollmentWarning.objects.exists()

    sign_in(client, "coord.solnechny")
    listing = client.get(reverse("recipients:children"))
    shown = listing.context["page"].object_list
    assert len(shown) > 10
    card = client.get(reverse("recipients:child", args=[shown[0].pk]))
    assert card.status_code == 200


# --- the visits stage -------------------------------------------------------------------------


def test_every_enrolment_of_an_admitted_provider_has_an_approved_schedule(demo):
    from recipients.models import Enrollment
    from services.models import Schedule

    enrolled = Enrollment.objects.filter(status="approved", provider__admitted_on__isnull=False)
    assert enrolled.count() > 150
    without = enrolled.exclude(
        Exists(Schedule.objects.filter(enrollment=OuterRef("pk"), status="approved", version=1))
    )
    assert not without.exists()
    assert Schedule.objects.filter(version=2, status="approved").count() >= 10
    assert Schedule.objects.exclude(status="approved").count() == 0


def test_every_demo_schedule_keeps_the_rules(demo):
    from services.models import Schedule
    from services.services import schedule_problems

    schedules = list(
        Schedule.objects.select_related("enrollment").prefetch_related(
            "slots", "enrollment__schedules"
        )
    )
    latest = {}
    for schedule in schedules:
        if schedule.version > latest.get(schedule.enrollment_id, 0):
            latest[schedule.enrollment_id] = schedule.version
    for schedule in schedules:
        problems = [code for code, _message in schedule_problems(schedule)]
        if schedule.version == latest[schedule.enrollment_id]:
            assert problems == [], schedule
        else:  # an older version is history: a later one applies from its own date
            assert problems == ["not_after_approved"], schedule
    fewer = [s for s in schedules if s.centre_reason]
    assert fewer
    assert all(sum(slot.setting == "centre" for slot in s.slots.all()) == 2 for s in fewer)
    assert all(slot.staff_id for s in schedules for slot in s.slots.all())


def test_demo_has_half_a_year_of_visits_in_a_realistic_mix(demo):
    from services.models import Visit

    today = timezone.localdate()
    days = Visit.objects.order_by("date").values_list("date", flat=True)
    assert (days.last() - days.first()).days >= 170
    statuses = Counter(Visit.objects.values_list("status", flat=True))
    past = statuses["done"] + statuses["missed"] + statuses["cancelled"]
    assert 0.8 < statuses["done"] / past < 0.92
    assert 0.05 < statuses["missed"] / past < 0.15
    assert 0 < statuses["cancelled"] / past < 0.06
    assert statuses["planned"] > 0
    assert not Visit.objects.filter(status="planned", date__lt=today).exists()
    assert not Visit.objects.filter(date__gte=today).exclude(status="planned").exists()

    done = Visit.objects.filter(status="done")
    assert done.filter(confirmation_method="").exists()
    methods = Counter(done.values_list("confirmation_method", flat=True))
    assert {"pin", "paper", "signature"} <= set(methods)
    assert not Visit.objects.exclude(status="done").exclude(confirmation_method="").exists()
    assert not done.filter(services=[]).exists()
    assert not done.filter(confirmation_method="signature", signature="").exists()
    assert not done.filter(confirmation_method="paper", paper_scan="").exists()
    assert not Visit.objects.filter(status="missed", missed_reason="").exists()
    # the coordinator's to-do: the last two weeks are confirmed less often than the months before
    recent = done.filter(date__gte=today - datetime.timedelta(days=14))
    older = done.filter(date__lt=today - datetime.timedelta(days=14))
    assert (
        recent.filter(confirmation_method="").count() / recent.count()
        > older.filter(confirmation_method="").count() / older.count()
    )


def test_no_demo_visit_is_over_four_hours_or_outside_an_enrolment(demo):
    from recipients.models import Enrollment
    from services.models import Visit

    lengths = [
        (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        for start, end in Visit.objects.values_list("start", "end")
    ]
    assert min(lengths) > 0
    assert max(lengths) <= 240
    enrolled = Enrollment.objects.filter(
        child_id=OuterRef("child_id"),
        provider_id=OuterRef("provider_id"),
        status="approved",
        start_on__lte=OuterRef("date"),
    ).filter(Q(end_on__isnull=True) | Q(end_on__gte=OuterRef("date")))
    assert not Visit.objects.exclude(Exists(enrolled)).exists()


def test_demo_has_unplanned_and_overlapping_visits_and_a_transfer(demo):
    from services.models import CalendarDay, Visit

    assert Visit.objects.filter(visit_id__startswith="U", slot__isnull=True).count() >= 5
    flagged = Visit.objects.filter(overlaps=True)
    assert {"home", "centre"} <= set(flagged.values_list("setting", flat=True))

    day_off = CalendarDay.objects.get(kind="day_off")
    working = CalendarDay.objects.get(kind="working_day")
    assert day_off.date.weekday() == 4 and working.date.weekday() == 5
    assert working.works_as == 4 and day_off.date > timezone.localdate()
    assert not Visit.objects.filter(date=day_off.date).exists()
    moved = Visit.objects.filter(date=working.date)
    assert moved.exists()
    assert set(moved.values_list("slot__weekday", flat=True)) == {4}


def test_a_demo_representative_confirms_with_the_printed_pin(demo):
    from core.models import User
    from demo.visits import DEMO_PIN
    from services import services
    from services.models import Visit

    coordinator = User.objects.get(username="coord.solnechny")
    visit = (
        Visit.objects.filter(
            provider_id=coordinator.provider_id, status="done", confirmation_method=""
        )
        .order_by("-date")
        .first()
    )
    confirmed = services.visit_confirm(
        visit=visit, method="pin", pin=DEMO_PIN, acting_user=coordinator
    )
    assert confirmed.confirmation_method == "pin"


def test_demo_signatures_are_real_png_images():
    import base64
    import random

    from demo.visits import _signature_png
    from services.services import signature_png

    content = _signature_png(random.Random(1))
    data_url = "data:image/png;base64," + base64.b64encode(content).decode()
    # accepted, and stored re-encoded: the same pixels in a new PNG
    from PIL import Image

    stored = signature_png(data_url)
    assert Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(content)).tobytes()


def test_loading_the_demo_again_adds_no_visits_or_schedules(demo):
    from services.models import CalendarDay, Schedule, Visit

    counts = (Visit.objects.count(), Schedule.objects.count(), CalendarDay.objects.count())
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert (Visit.objects.count(), Schedule.objects.count(), CalendarDay.objects.count()) == counts


def test_demo_months_are_billed_the_older_ones_paid_and_the_last_checked(demo):
    from budget.models import BaseComponent, BudgetYear, Payment
    from reconciliation.models import Finding
    from tariffs.models import Invoice

    months = sorted(set(Invoice.objects.values_list("month", flat=True)))
    assert months and months[0].isoformat() == "2026-06-01"
    last = months[-1]
    assert set(Invoice.objects.filter(month=last).values_list("status", flat=True)) == {"checked"}
    older = Invoice.objects.exclude(month=last)
    assert set(older.values_list("status", flat=True)) == {"paid"}
    assert Payment.objects.count() == older.count()
    assert not older.filter(checked_by=models.F("approved_by")).exists()  # maker ≠ checker
    assert BudgetYear.objects.filter(year=2026, months__obligations_kzt__gt=0).exists()
    assert BaseComponent.objects.exists()
    assert Finding.objects.filter(status="open").exists()  # this month's reconciliation
    paid = Invoice.objects.exclude(amount_kzt=0).first()
    assert paid is not None and paid.lines.exists()
    assert sum(line.amount_kzt for line in paid.lines.all()) == paid.amount_kzt


def test_demo_budget_plan_is_of_the_demos_size(demo):
    """The plan compares like with like: no month over it, the busiest month near it."""
    from budget.services import year_figures

    months = year_figures(2026)
    for month in months:
        assert month.approved_kzt <= month.plan_obligations_kzt
        assert month.paid_kzt <= month.plan_payments_kzt
    busiest = max(months, key=lambda month: month.approved_kzt)
    assert busiest.approved_kzt * 2 > busiest.plan_obligations_kzt


def test_demo_has_the_h1_report_published_and_a_draft_h2_the_analyst_sees(client, demo):
    from reports.models import Report, ReportStatus, SurveyResponse, VersionStatus

    today = timezone.localdate()
    h1 = Report.objects.get(kind="half_year", year=2026, half=1)
    assert h1.status == ReportStatus.PUBLISHED  # the demo runs after 25 July 2026
    assert h1.final_version.status == VersionStatus.DONE
    assert h1.final_version.data_until == datetime.date(2026, 6, 30)
    kazakh = h1.final_version.translations.get()  # the final report in the state language too
    assert (kazakh.language, kazakh.status) == ("kk", VersionStatus.DONE)
    assert kazakh.figures == h1.final_version.figures
    year, half = (today.year, 1 if today.month <= 6 else 2)
    draft = Report.objects.get(kind="half_year", year=year, half=half)
    assert draft.status == ReportStatus.DRAFT
    # A running half-year's version counts up to the end of the last month ended, as the
    # dashboard does.
    assert draft.versions.get().data_until == data_as_of(today)
    assert SurveyResponse.objects.filter(year=year, half=half).count() >= 5
    sign_in(client, "analyst")
    page = client.get(reverse("reports:list")).content.decode()
    assert str(h1) in page and str(draft) in page
    assert reverse("reports:version_file", args=[h1.final_version.pk, "pdf"]) in page
    assert reverse("reports:version_file", args=[kazakh.pk, "pdf"]) in page
    assert len(h1.final_version.pdf_sha256) == 64
    assert client.get(reverse("reports:dashboard")).status_code == 200
    answers = SurveyResponse.objects.count()
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert SurveyResponse.objects.count() == answers  # idempotent
    assert h1.versions.count() == 2
    assert Report.objects.filter(kind="half_year").count() == (year - 2026) * 2 + half


def test_demo_registries_withhold_days_that_bills_findings_and_reports_show(demo):
    """A hospital stay, a sanatorium stay, a КППК period and a family that moved away: the
    bills withhold those days (rules 8–11), the reconciliation finds them, the reports count
    what was withheld."""
    from monitoring.models import HealthStay
    from reconciliation.models import Finding
    from reports.figures import compute
    from reports.periods import PILOT_START
    from tariffs.models import InvoiceExclusion

    paid = set(
        InvoiceExclusion.objects.filter(invoice__status="paid").values_list("reason", flat=True)
    )
    assert {"HOSPITAL", "SANATORIUM", "EDUCATION_CORRECTION"} <= paid
    assert InvoiceExclusion.objects.filter(reason="NOT_RESIDENT").exists()
    assert HealthStay.objects.filter(kind="hospital").count() == 2
    assert Finding.objects.filter(kind__in=["hospital", "not_resident"]).exists()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    control = compute(PILOT_START, yesterday)["control"]
    # The days and tenge withheld follow the children withheld: each reason's row shows them
    # where its children are shown, and the totals only when no row is hidden.
    rows = control["withheld"]
    assert len(rows) >= 3  # the hospital, sanatorium and correction stays withheld
    for row in rows:
        hidden = row["children"] in ("< 5", "×")
        assert (row["service_days"] == "×") == hidden and (row["amount"] == "×") == hidden
        assert hidden or (row["amount"] > 0 and row["service_days"] >= row["children"])
    if any(row["amount"] == "×" for row in rows):
        assert control["withheld_amount"] == control["withheld_days"] == "×"
    else:
        assert control["withheld_amount"] > 0 and control["withheld_days"] >= 3
