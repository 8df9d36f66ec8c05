"""A prepared half-year (H2 2026, data up to 30 September) whose figures are worked out by hand
in the tests: two providers, four children, visits, staff, an approved invoice and its payment,
findings and questionnaire answers."""

import datetime

import pytest
from django.utils import timezone

from budget.models import BudgetYear, ExpenseCode, Payment, PlanMonth
from reconciliation.models import Finding, FindingKind, FindingStatus
from reports.models import Channel, SurveyInvitation, SurveyResponse
from services.models import Visit
from tariffs.models import Invoice, InvoiceExclusion, InvoiceLine, Tariff
from tests.factories import (
    StaffMemberFactory,
    VisitFactory,
    admitted_provider,
    enrolled_child,
    officer,
)

D = datetime.date
UNTIL = D(2026, 9, 30)


def visit(enrollment, day, setting="home", status="done", services=("pedagogical.aba",), **kw):
    return VisitFactory(
        enrollment=enrollment,
        date=day,
        setting=setting,
        status=status,
        services=list(services),
        missed_reason="ill" if status != "done" else "",
        **kw,
    )


@pytest.fixture
def half_year(db):
    for setting, amount in (("home", 4997), ("centre", 13000)):
        Tariff.objects.get_or_create(
            setting=setting, valid_from=D(2026, 6, 5), defaults={"amount_kzt": amount}
        )
    a = admitted_provider(name="Центр А", vehicles=0)
    b = admitted_provider(name="Центр Б", vehicles=0)
    # c1: a girl of 11 served at home and at the centre by A.
    c1 = enrolled_child(a, sex="F", district="almaty", birth_date=D(2015, 3, 1))
    # c2: a boy of 3 (on his first service day) served at home only by A.
    c2 = enrolled_child(a, sex="M", district="yesil", birth_date=D(2022, 8, 10))
    # c3: a boy of 16 served at the centre only by B (two visits on one day: one service day).
    c3 = enrolled_child(b, sex="M", district="almaty", birth_date=D(2010, 1, 15))
    # c4: enrolled with B in August, ended in September, never served.
    c4 = enrolled_child(b, start_on=D(2026, 8, 1), sex="F", district="nura")
    c4.end_on = D(2026, 9, 30)
    c4.end_reason = "other"
    c4.save()

    visit(c1, D(2026, 7, 6), services=["pedagogical.aba", "medical.massage"])
    visit(c1, D(2026, 7, 7), "centre", services=["medical.massage"])
    visit(c1, D(2026, 7, 8))
    visit(c1, D(2026, 7, 9), status="missed")
    visit(c2, D(2026, 7, 6))
    visit(c2, D(2026, 7, 13))
    visit(c3, D(2026, 7, 7), "centre", start=datetime.time(9), end=datetime.time(10))
    visit(c3, D(2026, 7, 7), "centre", start=datetime.time(11), end=datetime.time(12))
    visit(c3, D(2026, 7, 10), "centre", status="cancelled")
    # Outside the data: after UNTIL, and in the first half-year.
    visit(c2, D(2026, 10, 5))
    visit(c2, D(2026, 6, 29))

    StaffMemberFactory(provider=a, position="director", fte=1, hired_on=D(2026, 1, 1))
    StaffMemberFactory(provider=a, position="speech_therapist", fte="0.5", hired_on=D(2026, 1, 1))
    StaffMemberFactory(  # left before the last day: not in post
        provider=a, position="psychologist", fte=1, hired_on=D(2026, 1, 1), left_on=D(2026, 8, 31)
    )

    year = BudgetYear.objects.create(year=2026, allocation_kzt=1_000_000)
    PlanMonth.objects.create(
        budget_year=year, month=7, obligations_kzt=120_000, payments_kzt=100_000
    )
    checker, approver = officer(), officer()
    invoice = Invoice.objects.create(
        provider=a,
        month=D(2026, 7, 1),
        status="approved",
        home_units=4,
        centre_units=1,
        amount_kzt=4 * 4997 + 13000,
        computed_at=timezone.now(),
        checked_by=checker,
        checked_at=timezone.now(),
        approved_by=approver,
        approved_at=timezone.now(),
        base_kzt=5_000,
        adjustments_kzt=-1_000,
    )
    for enrolment, setting, tariff, units in (
        (c1, "home", 4997, 2),
        (c1, "centre", 13000, 1),
        (c2, "home", 4997, 2),
    ):
        InvoiceLine.objects.create(
            invoice=invoice,
            child=enrolment.child,
            child_iin=enrolment.child.iin,
            setting=setting,
            tariff_kzt=tariff,
            units=units,
            amount_kzt=tariff * units,
        )
    hospital_visit = visit(c1, D(2026, 7, 14))
    InvoiceExclusion.objects.create(
        invoice=invoice,
        visit=hospital_visit,
        visit_id_text=hospital_visit.visit_id,
        child_iin=c1.child.iin,
        date=D(2026, 7, 14),
        setting="home",
        reason="HOSPITAL",
    )
    InvoiceExclusion.objects.create(
        invoice=invoice,
        visit=hospital_visit,
        visit_id_text=hospital_visit.visit_id,
        child_iin=c1.child.iin,
        date=D(2026, 7, 14),
        setting="home",
        reason="NOT_CONFIRMED",
    )
    total = 4 * 4997 + 13000 + 5_000 - 1_000
    Payment.objects.create(
        invoice=invoice,
        order_number="ПП-1",
        paid_on=D(2026, 8, 10),
        amount_kzt=total,
        expense_code=ExpenseCode.objects.get(code="159"),
        recorded_by=approver,
    )

    Finding.objects.create(
        key="hospital:x",
        kind=FindingKind.HOSPITAL,
        child=c1.child,
        provider=a,
        day=D(2026, 7, 14),
        evidence={},
    )
    Finding.objects.create(
        key="low:x",
        kind=FindingKind.LOW_FREQUENCY,
        child=c2.child,
        provider=a,
        day=D(2026, 7, 6),
        evidence={},
        status=FindingStatus.CONFIRMED,
        reviewer=checker,
        comment="Two home visits were not made",
    )
    Finding.objects.create(  # another half-year: not counted
        key="low:y",
        kind=FindingKind.LOW_FREQUENCY,
        child=c2.child,
        provider=a,
        day=D(2026, 6, 29),
        evidence={},
    )
    return {"a": a, "b": b, "enrolments": [c1, c2, c3, c4], "invoice": invoice, "total": total}


def bill_month(provider, month, paid_on):
    """The provider's done visits of `month` billed at the tariff, approved, and paid in one
    payment on `paid_on`."""
    visits = Visit.objects.filter(provider=provider, status="done", date__month=month.month)
    home = visits.filter(setting="home").count()
    centre = visits.filter(setting="centre").count()
    checker, approver = officer(), officer()
    invoice = Invoice.objects.create(
        provider=provider,
        month=month,
        status="approved",
        home_units=home,
        centre_units=centre,
        amount_kzt=home * 4997 + centre * 13000,
        computed_at=timezone.now(),
        checked_by=checker,
        checked_at=timezone.now(),
        approved_by=approver,
        approved_at=timezone.now(),
        base_kzt=0,
        adjustments_kzt=0,
    )
    for visit in visits:
        tariff = 4997 if visit.setting == "home" else 13000
        InvoiceLine.objects.create(
            invoice=invoice,
            child=visit.child,
            child_iin=visit.child.iin,
            setting=visit.setting,
            tariff_kzt=tariff,
            units=1,
            amount_kzt=tariff,
        )
    Payment.objects.create(
        invoice=invoice,
        order_number=f"ПП-{invoice.pk}",
        paid_on=paid_on,
        amount_kzt=invoice.amount_kzt,
        expense_code=ExpenseCode.objects.get(code="159"),
        recorded_by=approver,
    )


@pytest.fixture
def billed_august(half_year):
    """Ten more children of A served at home twice in August, billed and paid on 10 September:
    days billed that are not small, so their tenge are shown."""
    for i in range(10):
        enrolment = enrolled_child(half_year["a"], sex="MF"[i % 2])
        visit(enrolment, D(2026, 8, 3 + i))
        visit(enrolment, D(2026, 8, 17 + i))
    bill_month(half_year["a"], D(2026, 8, 1), D(2026, 9, 10))
    return 20 * 4997


@pytest.fixture
def five_answers(half_year):
    """Five families of provider A answered the H2 2026 questionnaire (overall 4, 4, 5, 3, 4)
    in November 2026."""
    a = half_year["a"]
    for overall in (4, 4, 5, 3, 4):
        enrollment = enrolled_child(a)
        invitation = SurveyInvitation.objects.create(enrollment=enrollment, year=2026, half=2)
        SurveyResponse.objects.create(
            invitation=invitation,
            provider=a,
            year=2026,
            half=2,
            convenience=5,
            specialists=4,
            coordination=3,
            progress=4,
            overall=overall,
            channel=Channel.FAMILY,
        )
    return half_year


def codes(error):
    """The codes of a refusal, whether it names fields or not (tests assert these, not the
    wording)."""
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}
