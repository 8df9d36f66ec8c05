"""The journal as a PDF (WeasyPrint), with the fonts every printed document of the portal uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from services.journal.reads import Journal, _journal_rows, journal_totals

FONTS = Path(settings.BASE_DIR) / "static" / "fonts"


def render_pdf(journal: Journal, user: Any) -> tuple[bytes, int]:
    """The journal as a PDF in the current language, and its number of rows; records the read."""
    from weasyprint import HTML  # noqa: PLC0415 - Pango is loaded only when a PDF is made

    visits = journal.rows(user)
    rows = _journal_rows(visits)
    journal.record_read(user, (row.visit for row in rows), pdf=True)
    html = render_to_string(
        "services/journal_pdf.html",
        {
            "provider": journal.provider,
            "child": journal.child,
            "period": journal.period,
            "rows": rows,
            "totals": journal_totals(visits),
            "printed_at": timezone.localtime(),
            # Vendored, so every Kazakh letter renders whatever fonts the server has.
            "font_regular": (FONTS / "DejaVuSans.ttf").as_uri(),
            "font_bold": (FONTS / "DejaVuSans-Bold.ttf").as_uri(),
        },
    )
    return HTML(string=html, base_url=FONTS.as_uri() + "/").write_pdf(), len(rows)


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    # The name holds only the BIN, a child's id and the period: ASCII, and no personal data.
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
