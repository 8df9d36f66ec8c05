"""Two first-time bills of a month at once, on PostgreSQL (issue 13, "Concurrency"): the second
waits for the first (the month's named lock) and recomputes the drafts it stored, so both write
the expected files and the month has one invoice per provider, not a raw IntegrityError."""

import pytest
from django.core.management import call_command

from exchange.service import dataset_import
from tariffs.models import Invoice
from tests.racing import postgresql_only, race, tables_locked, waiting_for_locks
from tests.tariffs.test_bill_sample import EXPECTED, FILES, lines

pytestmark = [pytest.mark.django_db(transaction=True), postgresql_only]


def test_two_first_bills_of_a_month_at_once_store_one_invoice_each_and_the_same_files(
    sample, tmp_path
):
    assert dataset_import(directory=sample).ok
    assert not Invoice.objects.exists()

    # The first comes to read the month's invoices for update and waits on the held table;
    # the second waits on the month's lock meanwhile. Then both go on.
    with tables_locked("tariffs_invoice"):
        racers = race(
            *(
                lambda out=tmp_path / name: call_command("bill", month="2026-07", out=str(out))
                for name in ("first", "second")
            )
        )
        waiting_for_locks(2)
    for racer in racers:
        racer.outcome()  # neither raised

    expected_invoices = len(lines(EXPECTED / "invoices.csv")) - 1
    assert Invoice.objects.filter(month__year=2026, month__month=7).count() == expected_invoices
    for name in ("first", "second"):
        for file in FILES:
            assert lines(tmp_path / name / file) == lines(EXPECTED / file), (name, file)
