"""A month that has not ended (docs/decisions.md, "The running month"): billed as a draft to
preview, up to today only; its invoice is never checked or approved before the month is over,
and the pages say it is running."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone, translation

from services.models import Visit, VisitStatus
from tariffs import services
from tariffs.billing.rules import FUTURE_DATE
from tariffs.models import Invoice, InvoiceExclusion, InvoiceStatus
from tests.factories import head_of, officer
from tests.tariffs.test_bill_sample import EXPECTED, FILES, lines, sample  # noqa: F401

pytestmark = pytest.mark.django_db

RUNNING = "running month — draft"


@pytest.fixture
def today(monkeypatch):
    """Set the portal's today (timezone.localdate() without arguments) to a given day."""
    original = timezone.localdate

    def set_today(day: datetime.date) -> None:
        monkeypatch.setattr(
            timezone,
            "localdate",
            lambda *args, **kwargs: original(*args, **kwargs) if args else day,
        )

    return set_today


def _bill(tmp_path, name="out"):
    out = tmp_path / name
    call_command("bill", month="2026-07", out=str(out))
    return out


def test_a_running_month_bills_only_the_days_up_to_today_and_flags_later_done_visits(
    sample,  # noqa: F811
    tmp_path,
    today,
):
    today(datetime.date(2026, 7, 15))
    later = Visit.objects.filter(
        status=VisitStatus.DONE, date__gt=datetime.date(2026, 7, 15), date__month=7
    )
    assert later.exists()  # the sample's July is full of them

    out = _bill(tmp_path)

    billed = {
        visit_id
        for invoice in Invoice.objects.all()
        for line in invoice.lines.all()
        for visit_id in line.visit_ids
    }
    assert billed and not billed & set(later.values_list("visit_id", flat=True))
    future = InvoiceExclusion.objects.filter(reason=FUTURE_DATE)
    assert set(future.values_list("visit_id", flat=True)) == set(later.values_list("pk", flat=True))
    assert not future.filter(date__lte=datetime.date(2026, 7, 15)).exists()
    assert f",{FUTURE_DATE}" in (out / "exclusions.csv").read_text(encoding="utf-8")
    assert all(invoice.month_running for invoice in Invoice.objects.all())
    assert all(invoice.status == InvoiceStatus.DRAFT for invoice in Invoice.objects.all())

    # Once the month is over, billing it again gives the contract's files exactly.
    today(datetime.date(2026, 8, 1))
    out = _bill(tmp_path, "after")
    for name in FILES:
        assert lines(out / name) == lines(EXPECTED / name), name
    assert not InvoiceExclusion.objects.filter(reason=FUTURE_DATE).exists()
    assert not any(invoice.month_running for invoice in Invoice.objects.all())


def test_the_last_day_of_the_month_is_still_running_and_its_visits_are_billed(
    sample,  # noqa: F811
    tmp_path,
    today,
):
    today(datetime.date(2026, 7, 31))
    out = _bill(tmp_path)
    assert lines(out / "invoices.csv") == lines(EXPECTED / "invoices.csv")
    assert all(invoice.month_running for invoice in Invoice.objects.all())


def test_a_running_months_invoice_cannot_be_checked_or_approved(
    sample,  # noqa: F811
    tmp_path,
    today,
):
    today(datetime.date(2026, 7, 20))
    _bill(tmp_path)
    invoice = Invoice.objects.exclude(amount_kzt=0).order_by("pk").first()

    with pytest.raises(ValidationError) as refused:
        services.invoice_check(invoice=invoice, acting_user=officer())
    assert refused.value.code == "month_not_over"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT and invoice.checked_by is None

    # An invoice marked checked before the month ended (before this rule) is not approved.
    checker = officer()
    Invoice.objects.filter(pk=invoice.pk).update(
        status=InvoiceStatus.CHECKED, checked_by=checker, checked_at=timezone.now()
    )
    with pytest.raises(ValidationError) as refused:
        services.invoice_approve(invoice=invoice, acting_user=officer())
    assert refused.value.code == "month_not_over"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CHECKED and invoice.approved_by is None


def test_the_admin_check_action_obeys_the_running_month(client, sample, tmp_path, today):  # noqa: F811
    today(datetime.date(2026, 7, 20))
    _bill(tmp_path)
    invoice = Invoice.objects.exclude(amount_kzt=0).order_by("pk").first()
    client.force_login(officer())
    listing = client.get("/admin/tariffs/invoice/").content.decode()
    assert RUNNING in listing
    assert RUNNING in client.get(f"/admin/tariffs/invoice/{invoice.pk}/change/").content.decode()

    client.post(
        "/admin/tariffs/invoice/",
        {"action": "check", "_selected_action": [invoice.pk], "apply": "1"},
        follow=True,
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT


def test_the_heads_pages_label_a_running_month_and_not_an_ended_one(
    client,
    sample,  # noqa: F811
    tmp_path,
    today,
):
    today(datetime.date(2026, 7, 20))
    _bill(tmp_path)
    invoice = Invoice.objects.exclude(amount_kzt=0).order_by("pk").first()
    client.force_login(head_of(invoice.provider))
    assert RUNNING in client.get("/invoices/").content.decode()
    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert RUNNING in page and 'data-testid="running-hint"' in page

    today(datetime.date(2026, 8, 3))
    assert RUNNING not in client.get("/invoices/").content.decode()
    assert RUNNING not in client.get(f"/invoices/{invoice.pk}/").content.decode()


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_running_month_label_and_error_are_translated(language):
    with translation.override(language):
        assert translation.gettext(RUNNING) != RUNNING
        message = (
            "%(month)s has not ended yet: its invoice is a draft to preview, checked and "
            "approved once the month is over."
        )
        assert translation.gettext(message) != message
        explanation = "The visit is dated after the day of billing: it cannot have been given yet."
        assert translation.gettext(explanation) != explanation
