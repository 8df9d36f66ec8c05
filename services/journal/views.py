"""The journal's pages and PDF downloads, per provider and month or per child."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from core.periods import add_months
from providers.models import Provider
from services.journal.exports import journal_export_request
from services.journal.pdf import _pdf_response, render_pdf
from services.journal.reads import (
    CHILD_PERIOD_MONTHS,
    Journal,
    Period,
    _child_journal,
    _ensure_reader,
    _is_officer,
    _journal_rows,
    _provider_journal,
    _requested_month,
    _this_month,
    journal_totals,
)
from services.models import (
    JobStatus,
    JournalExport,
)

ROWS_PER_PAGE = 200


def _page(request: HttpRequest, journal: Journal) -> HttpResponse:
    user = request.user
    visits = journal.rows(user)
    page = Paginator(visits, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    rows = _journal_rows(page.object_list, first_number=page.start_index() or 1)
    journal.record_read(user, (row.visit for row in rows), pdf=False)
    period = journal.period
    this_month = _this_month()
    navigation: dict[str, Any] = {
        "pdf": journal.url(
            "services:child_journal_pdf" if journal.child else "services:journal_pdf", user=user
        ),
    }
    if period.is_month:
        navigation["previous"] = _month_link(journal, add_months(period.start, -1), user)
        if period.start < this_month:
            navigation["next"] = _month_link(journal, add_months(period.start, 1), user)
    if journal.child is not None:
        navigation["months"] = [
            (month, _month_link(journal, month, user))
            for month in Period(add_months(this_month, 1 - CHILD_PERIOD_MONTHS), this_month).months
        ]
        navigation["recent"] = journal.url("services:child_journal", user=user, month=None)
        navigation["provider_journal"] = (
            reverse("services:journal")
            + "?"
            + journal.query(user=user, month=f"{period.end:%Y-%m}")
        )
    return render(
        request,
        "services/journal.html",
        {
            "journal": journal,
            "provider": journal.provider,
            "child": journal.child,
            "period": period,
            "rows": rows,
            "page": page,
            "query": journal.query(user=user),
            "totals": journal_totals(visits),
            "navigation": navigation,
            "is_officer": _is_officer(user),
        },
    )


def _month_link(journal: Journal, month: datetime.date, user: Any) -> str:
    name = "services:child_journal" if journal.child else "services:journal"
    return journal.url(name, user=user, month=f"{month:%Y-%m}")


def _pdf(request: HttpRequest, journal: Journal) -> HttpResponse:
    """Small journals are made at once; a long one (WeasyPrint takes ~15 ms a row) by a job."""
    if journal.rows(request.user).count() <= settings.JOURNAL_PDF_INLINE_ROWS:
        content, _rows = render_pdf(journal, request.user)
        return _pdf_response(content, journal.filename())
    export = journal_export_request(journal=journal, acting_user=request.user)
    return redirect(reverse("services:journal_export", args=[export.pk]))


def _export_for(request: HttpRequest, pk: int) -> JournalExport:
    """Only the person who asked for a journal PDF fetches it."""
    _ensure_reader(request)
    return get_object_or_404(
        JournalExport.objects.select_related("provider", "child"),
        pk=pk,
        requested_by=request.user,
    )


@login_required
def journal_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Where a long journal's PDF is being prepared; the page refreshes itself until it is ready."""
    export = _export_for(request, pk)
    return render(request, "services/journal_export.html", {"export": export})


@login_required
def journal_export_file(request: HttpRequest, pk: int) -> FileResponse:
    export = _export_for(request, pk)
    if export.status != JobStatus.DONE or not export.file:
        raise Http404
    response = FileResponse(export.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{export.file.name.rsplit("/", 1)[-1]}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def provider_journal(request: HttpRequest) -> HttpResponse:
    """``?month=YYYY-MM`` (default: this month); an officer chooses ``?provider=<id>``."""
    journal = _provider_journal(request)
    if journal is None:
        month = _requested_month(request) or _this_month()
        return render(
            request,
            "services/journal.html",
            {
                "providers": Provider.objects.filter(admitted_on__isnull=False).order_by("name"),
                "month_value": f"{month:%Y-%m}",
                "is_officer": True,
            },
        )
    return _page(request, journal)


@login_required
def provider_journal_pdf(request: HttpRequest) -> HttpResponse:
    journal = _provider_journal(request)
    if journal is None:
        raise Http404
    return _pdf(request, journal)


@login_required
def child_journal(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _child_journal(request, pk))


@login_required
def child_journal_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf(request, _child_journal(request, pk))
