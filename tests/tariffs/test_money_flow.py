"""The money flow (domain.md §6): an invoice checked after reconciliation, approved by another
officer (frozen), paid against the budget; adjustments, documents and the plan."""

import datetime
import io
import tempfile

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from budget import services as budget_services
from budget.models import BaseComponent, BudgetYear, Payment, PlanMonth
from budget.services import approval_warning, year_figures
from core.errors import RoleRequired
from exchange.service import dataset_import
from reconciliation.models import Finding, FindingStatus
from reconciliation.services import findings_review, run_start
from services.models import Visit
from tariffs import services
from tariffs.models import Invoice, Tariff
from tariffs.payments import components
from tests.exchange_files import read_rows
from tests.factories import admitted_provider, coordinator_of, head_of, officer
from tests.tariffs.test_bill_sample import sample  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
JULY = (datetime.date(2026, 7, 1), datetime.date(2026, 7, 31))


@pytest.fixture
def billed(sample, tmp_path):  # noqa: F811
    call_command("bill", month="2026-07", out=str(tmp_path))
    return Invoice.objects.exclude(amount_kzt=0).select_related("provider").order_by("pk").first()


def reconcile_july(django_capture_on_commit_callbacks):
    """Reconcile the whole of July, as an officer would before checking its invoices; what it
    found about visits is reviewed (dismissed), then the month is billed and reconciled again
    since a review changes what the bill is computed from."""
    with django_capture_on_commit_callbacks(execute=True):
        run_start(period_start=JULY[0], period_end=JULY[1])
    blocking = list(
        Finding.objects.filter(status=FindingStatus.OPEN, visits__isnull=False).distinct()
    )
    if blocking:
        findings_review(
            findings=blocking,
            status=FindingStatus.DISMISSED,
            comment="Checked with the centre",
            acting_user=officer(),
        )
        call_command("bill", month="2026-07", out=tempfile.mkdtemp())
        with django_capture_on_commit_callbacks(execute=True):
            run_start(period_start=JULY[0], period_end=JULY[1])


def frozen(billed, django_capture_on_commit_callbacks):
    reconcile_july(django_capture_on_commit_callbacks)
    billed.refresh_from_db()
    services.invoice_check(invoice=billed, acting_user=officer())
    services.invoice_approve(invoice=billed, acting_user=officer())
    billed.refresh_from_db()
    return billed


def test_an_invoice_goes_draft_checked_approved_paid_and_the_maker_is_not_the_checker(
    billed, django_capture_on_commit_callbacks
):
    checker, approver = officer(), officer()
    with pytest.raises(ValidationError) as refused:
        services.invoice_check(invoice=billed, acting_user=checker)
    assert refused.value.code == "reconciliation_needed"
    with pytest.raises(ValidationError) as refused:
        services.invoice_approve(invoice=billed, acting_user=approver)
    assert refused.value.code == "invoice_not_checked"

    reconcile_july(django_capture_on_commit_callbacks)
    billed.refresh_from_db()
    with pytest.raises(RoleRequired):
        services.invoice_check(invoice=billed, acting_user=head_of(billed.provider))
    services.invoice_check(invoice=billed, acting_user=checker)
    with pytest.raises(ValidationError) as refused:
        services.invoice_approve(invoice=billed, acting_user=checker)
    assert refused.value.code == "maker_is_checker"
    services.invoice_approve(invoice=billed, acting_user=approver)
    billed.refresh_from_db()
    assert billed.is_frozen and (billed.checked_by, billed.approved_by) == (checker, approver)
    with pytest.raises(ValidationError) as refused:
        services.invoice_approve(invoice=billed, acting_user=approver)
    assert refused.value.code == "invoice_frozen"

    budget_services.invoice_mark_paid(
        invoice=billed,
        payment_order="ПП-0042",
        paid_on=datetime.date(2026, 8, 20),
        expense_code="159",
        acting_user=approver,
    )
    billed.refresh_from_db()
    payment = Payment.objects.get(invoice=billed)
    assert billed.status == "paid" and billed.payment_order == "ПП-0042"
    assert payment.amount_kzt == billed.amount_kzt and payment.expense_code.code == "159"
    assert year_figures(2026)[7].paid_kzt == billed.amount_kzt  # August


def test_an_open_finding_about_its_visits_or_changed_data_stop_the_check(
    billed, django_capture_on_commit_callbacks
):
    reconcile_july(django_capture_on_commit_callbacks)
    billed.refresh_from_db()
    visit = Visit.objects.filter(provider=billed.provider, date__month=7, status="done").first()
    finding = Finding.objects.create(
        key="test:open", kind="overlap", child=visit.child, day=visit.date, evidence={}
    )
    finding.visits.add(visit)
    with pytest.raises(ValidationError) as refused:
        services.invoice_check(invoice=billed, acting_user=officer())
    assert refused.value.code == "findings_open"
    finding.delete()
    Visit.objects.filter(pk=visit.pk).update(updated_at=timezone.now())  # the data changed
    with pytest.raises(ValidationError) as refused:
        services.invoice_check(invoice=billed, acting_user=officer())
    assert refused.value.code == "invoice_stale"
    billed.refresh_from_db()
    assert billed.status == "draft"


def test_an_approved_invoice_stays_identical_after_a_tariff_a_registry_and_a_visit_change(
    billed, django_capture_on_commit_callbacks, tmp_path
):
    billed = frozen(billed, django_capture_on_commit_callbacks)

    def snapshot():
        invoice = Invoice.objects.get(pk=billed.pk)
        return (
            invoice.amount_kzt,
            invoice.home_units,
            invoice.centre_units,
            sorted(
                invoice.lines.values_list(
                    "child_iin", "setting", "tariff_kzt", "units", "visit_ids"
                )
            ),
            sorted(invoice.exclusions.values_list("visit_id_text", "reason")),
        )

    before = snapshot()
    paid_before = components(billed).total_kzt
    BaseComponent.objects.create(provider=billed.provider, year=2026, monthly_kzt=999_999)
    assert sum(len(line[4]) for line in before[3]) == billed.home_units + billed.centre_units
    Tariff.objects.filter(setting="home").update(amount_kzt=9999)
    child_iin = billed.lines.first().child_iin
    report = dataset_import(
        directory={
            "registry_health.csv": "iin,kind,start_on,end_on,organisation\n"
            f"{child_iin},hospital,2026-07-01,2026-07-31,ГКП Больница\n"
        }
    )
    assert report.ok and report.written
    Visit.objects.filter(provider=billed.provider, date__month=7).update(confirmation_method="")
    call_command("bill", month="2026-07", out=str(tmp_path))

    assert snapshot() == before
    assert components(Invoice.objects.get(pk=billed.pk)).total_kzt == paid_before


def test_approval_checks_again_what_the_check_required(billed, django_capture_on_commit_callbacks):
    reconcile_july(django_capture_on_commit_callbacks)
    billed.refresh_from_db()
    services.invoice_check(invoice=billed, acting_user=officer())
    Tariff.objects.filter(setting="home").update(amount_kzt=7)  # after the check

    with pytest.raises(ValidationError) as refused:
        services.invoice_approve(invoice=billed, acting_user=officer())

    assert refused.value.code == "invoice_stale"
    assert Invoice.objects.get(pk=billed.pk).status == "checked"


def test_a_draft_whose_visits_are_gone_is_billed_again_to_nothing(billed, tmp_path):
    Visit.objects.filter(provider=billed.provider, date__month=7).update(status="missed")

    call_command("bill", month="2026-07", out=str(tmp_path))

    billed.refresh_from_db()
    assert (billed.amount_kzt, billed.status, billed.lines.count()) == (0, "draft", 0)


def test_a_correction_of_a_frozen_invoice_is_an_adjustment_on_a_later_month(
    billed, django_capture_on_commit_callbacks
):
    billed = frozen(billed, django_capture_on_commit_callbacks)
    august = Invoice.objects.create(
        provider=billed.provider, month=datetime.date(2026, 8, 1), computed_at=timezone.now()
    )
    with pytest.raises(ValidationError) as refused:
        services.adjustment_add(
            invoice=billed, corrects=billed, amount_kzt=-100, reason="x", acting_user=officer()
        )
    assert refused.value.code == "invoice_frozen"
    with pytest.raises(ValidationError) as refused:
        services.adjustment_add(
            invoice=august, corrects=billed, amount_kzt=-4997, reason=" ", acting_user=officer()
        )
    assert refused.value.code == "adjustment_incomplete"
    services.adjustment_add(
        invoice=august,
        corrects=billed,
        amount_kzt=-4997,
        reason="A home visit of 14 July was not given",
        acting_user=officer(),
    )
    assert Invoice.objects.get(pk=billed.pk).amount_kzt == billed.amount_kzt  # never changes
    assert components(august).total_kzt == august.amount_kzt - 4997
    assert components(billed).adjustments_kzt == 0


def test_the_act_and_the_lines_are_downloaded_by_the_head_in_russian_and_kazakh(client, billed):
    BaseComponent.objects.create(provider=billed.provider, year=2026, monthly_kzt=250000)
    head = head_of(billed.provider)
    client.force_login(head)
    titles = {"ru": "Акт оказанных услуг", "kk": "Көрсетілген қызметтер актісі"}
    for language, title in titles.items():
        client.cookies["django_language"] = language
        response = client.get(f"/invoices/{billed.pk}/act.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        text = " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        ).replace("\n", " ")
        assert title in text, text[:300]
        assert str(billed.amount_kzt) in text and str(billed.amount_kzt + 250000) in text
        assert billed.provider.bin in text
    workbook = client.get(f"/invoices/{billed.pk}/lines.xlsx")
    assert workbook.status_code == 200
    rows = list(load_workbook(io.BytesIO(workbook.content)).active.iter_rows(values_only=True))
    line_rows = rows[4 : 4 + billed.lines.count()]
    assert sum(row[5] for row in line_rows) == billed.amount_kzt
    assert rows[-1][5] == billed.amount_kzt + 250000
    assert LogEntry.objects.filter(actor=head, action=LogEntry.Action.ACCESS).exists()


def test_another_centres_head_cannot_download_the_documents(client, billed):
    client.force_login(head_of(admitted_provider()))
    assert client.get(f"/invoices/{billed.pk}/act.pdf").status_code == 404
    assert client.get(f"/invoices/{billed.pk}/lines.xlsx").status_code == 404
    client.force_login(coordinator_of(billed.provider))
    assert client.get(f"/invoices/{billed.pk}/act.pdf").status_code == 403


def test_the_admin_checks_warns_before_going_over_the_plan_and_approves(
    client, billed, django_capture_on_commit_callbacks
):
    reconcile_july(django_capture_on_commit_callbacks)
    today = timezone.localdate()
    year = BudgetYear.objects.create(year=today.year, allocation_kzt=10_000_000)
    PlanMonth.objects.create(budget_year=year, month=today.month, obligations_kzt=1000)
    client.force_login(officer())
    client.post(
        "/admin/tariffs/invoice/",
        {"action": "check", "_selected_action": [billed.pk], "apply": "1"},
    )
    billed.refresh_from_db()
    assert billed.status == "checked"
    client.force_login(officer())
    asked = client.post(
        "/admin/tariffs/invoice/", {"action": "approve", "_selected_action": [billed.pk]}
    )
    assert "over the plan by obligations" in asked.content.decode()
    client.post(
        "/admin/tariffs/invoice/",
        {"action": "approve", "_selected_action": [billed.pk], "apply": "1"},
    )
    billed.refresh_from_db()
    assert billed.is_frozen
    figures = year_figures(today.year)[today.month - 1]
    assert figures.approved_kzt == billed.amount_kzt and figures.over_obligations
    page = client.get(f"/admin/budget/budgetyear/{year.pk}/change/").content.decode()
    assert "budget-figures" in page and "⚠" in page


def test_the_plan_warning_adds_up_the_invoices_approved_together(billed):
    others = list(Invoice.objects.exclude(amount_kzt=0).order_by("pk")[:2])
    assert len(others) == 2
    today = timezone.localdate()
    year = BudgetYear.objects.create(year=today.year, allocation_kzt=10**10)
    plan = max(components(invoice).total_kzt for invoice in others)
    PlanMonth.objects.create(budget_year=year, month=today.month, obligations_kzt=plan)

    assert approval_warning([others[0]]) is None or approval_warning([others[1]]) is None
    assert "over the plan by obligations" in approval_warning(others)


def test_a_visit_on_an_approved_invoice_cannot_move_to_another_provider_or_month(
    billed,
    django_capture_on_commit_callbacks,
    sample,  # noqa: F811
):
    billed = frozen(billed, django_capture_on_commit_callbacks)
    visit_id = billed.lines.first().visit_ids[0]
    rows = read_rows(sample / "visits.csv")
    row = next(row for row in rows if row["visit_id"] == visit_id)
    other = Invoice.objects.exclude(provider=billed.provider).select_related("provider").first()
    header = ",".join(row)
    moved = {**row, "provider_bin": other.provider.bin}

    report = dataset_import(
        directory={"visits.csv": header + "\n" + ",".join(moved.values()) + "\n"}
    )

    assert {(e.row, e.code) for e in report.errors} == {(2, "visit_invoiced")}
    visit = Visit.objects.get(visit_id=visit_id)
    assert visit.provider_id == billed.provider_id  # nothing written
    visit.date = datetime.date(2026, 8, 3)
    with pytest.raises(ValidationError) as refused:
        visit.full_clean()
    assert refused.value.error_dict["__all__"][0].code == "visit_invoiced"
    visit.date = datetime.date(2026, 7, 2)  # within its month: allowed
    visit.full_clean(exclude=["slot", "staff"])
