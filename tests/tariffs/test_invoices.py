"""Invoices: the officer approves (freezes) a draft in the admin; a head reads their own."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.utils import translation
from django.utils.html import escape

from tariffs import services
from tariffs.billing.rules import EXPLANATIONS
from tariffs.models import Invoice
from tests.factories import admitted_provider, coordinator_of, head_of, officer
from tests.tariffs.test_bill_sample import sample  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(sample, tmp_path):  # noqa: F811
    call_command("bill", month="2026-07", out=str(tmp_path))
    return Invoice.objects.exclude(amount_kzt=0).select_related("provider").order_by("pk").first()


def test_the_admin_lists_invoices_with_their_documents(client, billed):
    client.force_login(officer())
    assert client.get("/admin/tariffs/invoice/").status_code == 200
    page = client.get(f"/admin/tariffs/invoice/{billed.pk}/change/").content.decode()
    assert str(billed.amount_kzt) in page and "act.pdf" in page


def test_a_head_reads_their_own_invoice_and_the_reasons_visits_were_not_paid(client, billed):
    head = head_of(billed.provider)
    client.force_login(head)
    listing = client.get("/invoices/").content.decode()
    assert f"/invoices/{billed.pk}/" in listing
    page = client.get(f"/invoices/{billed.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and f"{billed.amount_kzt:,}" in html
    russian = client.get(f"/invoices/{billed.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert f"{billed.amount_kzt:,}".replace(",", "\xa0") in russian
    if billed.exclusions.exists():
        exclusion = billed.exclusions.first()
        with translation.override("en"):
            assert escape(str(EXPLANATIONS[exclusion.reason])) in html
        assert f"<code>{exclusion.reason}</code>" not in html
    assert LogEntry.objects.filter(actor=head, action=LogEntry.Action.ACCESS).exists()


def test_another_centres_invoice_and_coordinators_are_refused(client, billed):
    client.force_login(head_of(admitted_provider()))
    assert client.get(f"/invoices/{billed.pk}/").status_code == 404
    client.force_login(coordinator_of(billed.provider))
    assert client.get("/invoices/").status_code == 403


def test_month_bounds():
    assert services.month_bounds(datetime.date(2026, 2, 14)) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 2, 28),
    )
