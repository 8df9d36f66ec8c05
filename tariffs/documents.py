"""An invoice's documents: the act of services rendered (PDF) and its lines (XLSX)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from core.spreadsheets import SafeWorkbook
from services.journal import FONTS
from tariffs.models import Invoice
from tariffs.payments import components


def _lines(invoice: Invoice) -> list[Any]:
    return list(invoice.lines.select_related("child").order_by("child__last_name", "setting"))


def act_pdf(invoice: Invoice) -> bytes:
    """The act of services rendered for the month, in the current language (WeasyPrint)."""
    from weasyprint import HTML  # noqa: PLC0415 - Pango is loaded only when a PDF is made

    html = render_to_string(
        "tariffs/act_pdf.html",
        {
            "invoice": invoice,
            "lines": _lines(invoice),
            "adjustments": list(invoice.adjustments.select_related("corrects")),
            "parts": components(invoice),
            "printed_at": timezone.localtime(),
            # Vendored, so every Kazakh letter renders whatever fonts the server has.
            "font_regular": (FONTS / "DejaVuSans.ttf").as_uri(),
            "font_bold": (FONTS / "DejaVuSans-Bold.ttf").as_uri(),
        },
    )
    return HTML(string=html, base_url=FONTS.as_uri() + "/").write_pdf()


def lines_xlsx(invoice: Invoice) -> bytes:
    """The invoice's lines as a workbook: one row a line, then the totals."""
    book = SafeWorkbook()
    sheet = book.create_sheet(title=f"{invoice.month:%Y-%m}")
    sheet.append([_("Provider"), invoice.provider.name, invoice.provider.bin])
    sheet.append([_("Month"), f"{invoice.month:%Y-%m}", str(invoice.get_status_display())])
    sheet.append([])
    sheet.append(
        [_("IIN"), _("Child"), _("Setting"), _("Tariff, ₸"), _("Service days"), _("Amount, ₸")]
    )
    for line in _lines(invoice):
        sheet.append(
            [
                line.child_iin,
                line.child.full_name,
                str(line.get_setting_display()),
                line.tariff_kzt,
                line.units,
                line.amount_kzt,
            ]
        )
    parts = components(invoice)
    sheet.append([])
    sheet.append(
        [
            _("Per-capita component (service days), ₸"),
            None,
            None,
            None,
            invoice.home_units + invoice.centre_units,
            parts.per_capita_kzt,
        ]
    )
    sheet.append([_("Base component, ₸"), None, None, None, None, parts.base_kzt])
    sheet.append([_("Adjustments, ₸"), None, None, None, None, parts.adjustments_kzt])
    sheet.append([_("Total, ₸"), None, None, None, None, parts.total_kzt])
    return book.save()
