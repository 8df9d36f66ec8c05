"""`bill --month YYYY-MM --out DIR [--provider BIN]` (exchange.md): invoices of a month as files."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.spreadsheets import csv_writer
from providers.models import Provider
from tariffs.models import Invoice, InvoiceExclusion, InvoiceLine
from tariffs.services import bill_month


class Command(BaseCommand):
    help = "Bill a month: store the draft invoices and write invoices, lines and exclusions."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--out", required=True, help="folder to write the three files to")
        parser.add_argument("--provider", help="BIN: bill this provider only")

    def handle(self, *args: Any, **options: Any) -> None:
        match = re.fullmatch(r"(\d{4})-(\d{2})", options["month"])
        if not match or not 1 <= int(match[2]) <= 12:
            raise CommandError("--month must be YYYY-MM")
        month = datetime.date(int(match[1]), int(match[2]), 1)
        provider = None
        if options.get("provider"):
            provider = Provider.objects.filter(bin=options["provider"]).first()
            if provider is None:
                raise CommandError(f"no provider with BIN {options['provider']}")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)

        result = bill_month(month=month, provider=provider)
        invoices = [*result.invoices, *result.frozen]
        write_files(out, invoices)
        total = sum(invoice.amount_kzt for invoice in invoices)
        running = ""
        if any(invoice.month_running for invoice in invoices):
            # Days after today are not billed (FUTURE_DATE); the drafts cannot be checked yet.
            running = " (running month: drafts to preview, up to today)"
        self.stdout.write(
            f"{month:%Y-%m}: {len(result.invoices)} draft invoices, {len(result.frozen)} frozen, "
            f"{total} ₸ in all{running}; files written to {out}"
        )


def write_files(out: Path, invoices: list[Invoice]) -> None:
    """The three files of exchange.md, each sorted in plain string order of the written values."""
    ids = [invoice.pk for invoice in invoices]
    bins = dict(Provider.objects.filter(invoices__in=ids).values_list("invoices", "bin"))
    months = {invoice.pk: f"{invoice.month:%Y-%m}" for invoice in invoices}
    invoice_rows = sorted(
        [
            bins[invoice.pk],
            months[invoice.pk],
            str(invoice.home_units),
            str(invoice.centre_units),
            str(invoice.amount_kzt),
        ]
        for invoice in invoices
    )
    line_rows = sorted(
        [bins[invoice_id], months[invoice_id], iin, setting, str(tariff), str(units), str(amount)]
        for invoice_id, iin, setting, tariff, units, amount in InvoiceLine.objects.filter(
            invoice_id__in=ids
        ).values_list("invoice_id", "child_iin", "setting", "tariff_kzt", "units", "amount_kzt")
    )
    exclusion_rows = sorted(
        [visit_id, bins[invoice_id], iin, f"{day:%Y-%m-%d}", setting, reason]
        for invoice_id, visit_id, iin, day, setting, reason in InvoiceExclusion.objects.filter(
            invoice_id__in=ids
        ).values_list("invoice_id", "visit_id_text", "child_iin", "date", "setting", "reason")
    )
    _write(
        out / "invoices.csv",
        ["provider_bin", "month", "home_units", "centre_units", "amount_kzt"],
        invoice_rows,
    )
    _write(
        out / "invoice_lines.csv",
        ["provider_bin", "month", "child_iin", "setting", "tariff_kzt", "units", "amount_kzt"],
        line_rows,
    )
    _write(
        out / "exclusions.csv",
        ["visit_id", "provider_bin", "child_iin", "date", "setting", "reason"],
        exclusion_rows,
    )


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        # The safe writer leaves the contract's identifiers, codes, dates and numbers as they
        # are; only a free-text visit_id that starts like a formula would get its apostrophe.
        writer = csv_writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
