"""The sample dataset billed for July 2026 gives exactly the files of `expected/2026-07/`."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.service import dataset_import
from tariffs.models import Invoice, InvoiceStatus
from tests.exchange_files import SAMPLE

EXPECTED = SAMPLE / "expected" / "2026-07"
FILES = ("invoices.csv", "invoice_lines.csv", "exclusions.csv")

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample():
    if not (EXPECTED / "invoices.csv").exists():
        pytest.skip(f"the sample dataset is not at {SAMPLE}")
    report = dataset_import(directory=SAMPLE)
    assert report.ok, [str(error) for error in report.errors[:5]]
    return SAMPLE


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").splitlines()


def test_billing_the_sample_month_writes_exactly_the_expected_files(sample, tmp_path):
    call_command("bill", month="2026-07", out=str(tmp_path))
    for name in FILES:
        assert lines(tmp_path / name) == lines(EXPECTED / name), name


def test_billing_again_changes_nothing_and_a_frozen_invoice_stays_as_it_was(sample, tmp_path):
    call_command("bill", month="2026-07", out=str(tmp_path / "first"))
    invoice = Invoice.objects.exclude(amount_kzt=0).order_by("provider__bin").first()
    Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.APPROVED)
    # A later change that would alter the invoice: its visits lose their confirmation.
    from services.models import Visit

    Visit.objects.filter(provider=invoice.provider).update(confirmation_method="")
    call_command("bill", month="2026-07", out=str(tmp_path / "second"))
    invoice.refresh_from_db()
    first = lines(tmp_path / "first" / "invoices.csv")
    second = lines(tmp_path / "second" / "invoices.csv")
    row = next(line for line in first if line.startswith(invoice.provider.bin))
    assert row in second  # the frozen invoice is reported as it was
    assert Invoice.objects.count() == len(first) - 1


def test_one_provider_is_billed_alone_with_the_citys_duplicates_in_view(sample, tmp_path):
    bin_ = "180340379594"
    call_command("bill", month="2026-07", out=str(tmp_path), provider=bin_)
    expected = [line for line in lines(EXPECTED / "invoices.csv")[1:] if line.startswith(bin_)]
    assert lines(tmp_path / "invoices.csv")[1:] == expected
    expected_exclusions = [
        line for line in lines(EXPECTED / "exclusions.csv")[1:] if f",{bin_}," in line
    ]
    assert lines(tmp_path / "exclusions.csv")[1:] == expected_exclusions


def test_ten_times_the_visits_take_the_same_statements(tmp_path):
    """Billing is set-based: the statements run do not grow with the number of visits."""
    import datetime

    from tariffs.services import bill_month
    from tests.core.test_import_dataset import scaled_copy, statements

    if not (EXPECTED / "invoices.csv").exists():
        pytest.skip(f"the sample dataset is not at {SAMPLE}")
    assert dataset_import(directory=SAMPLE).ok
    with CaptureQueriesContext(connection) as small:
        bill_month(month=datetime.date(2026, 7, 1))
    Invoice.objects.all().delete()
    assert dataset_import(
        directory=scaled_copy(SAMPLE, tmp_path / "big", 10) or tmp_path / "big"
    ).ok
    with CaptureQueriesContext(connection) as large:
        result = bill_month(month=datetime.date(2026, 7, 1))
    assert len(result.invoices) == 8 * 11
    assert len(statements(large.captured_queries)) <= len(statements(small.captured_queries)) + 1
