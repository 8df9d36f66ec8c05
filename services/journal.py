"""The journal of services rendered (Alg. §19): a page and a PDF, per provider and month or per child.

Who reads it: an akimat officer any provider's journal (``?provider=<id>``); a provider's head and
coordinators their own provider's only, whatever ``?provider`` says, and only children enrolled
with it (a child of another centre is a 404); everyone else gets 403.

What it lists: the visits that took place and the missed ones with their reason
(`services.selectors.journal_rows`). Planned visits are the schedule, not the journal; cancelled
ones were called off in advance.

The audit trail: every child whose visits are shown is a read of personal data, recorded as one
ACCESS entry per child in a single insert (``what="journal 2026-09"``, ``"journal pdf …"``), so
the question "who read this child's data" is answered from the child's own history, as for the
API's list pages. One entry on the provider would be cheaper still but would not name the child.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.files.base import ContentFile
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _

from core.audit import record_access, record_access_many
from core.choices import Setting
from core.jobs import JOURNAL_EXPORT, job_lock, job_started, outbox_enqueue
from core.periods import add_months, month_end, month_start
from core.roles import PROVIDER_ROLES, Role, roles_of
from providers.models import Provider
from recipients.models import Child, EnrollmentStatus, ServiceKind
from recipients.selectors import children_for_user
from services.models import (
    CatalogueService,
    ConfirmationMethod,
    JobStatus,
    JournalExport,
    Visit,
    VisitStatus,
)
from services.selectors import journal_rows

ROWS_PER_PAGE = 200
CHILD_PERIOD_MONTHS = 6
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FONTS = Path(settings.BASE_DIR) / "static" / "fonts"

# A paper journal's column is narrow: the method in a word or two.
CONFIRMATION_SHORT: dict[str, Promise] = {
    ConfirmationMethod.SIGNATURE: _("signature"),
    ConfirmationMethod.PIN: _("PIN"),
    ConfirmationMethod.PAPER: _("paper journal"),
    ConfirmationMethod.EXCHANGE: _("imported journal"),
}


# --- periods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole months from `start` (a first day) to `end` (a last day)."""

    start: datetime.date
    end: datetime.date

    @classmethod
    def month(cls, first_day: datetime.date) -> Period:
        return cls(first_day, month_end(first_day))

    @property
    def is_month(self) -> bool:
        return self.end == month_end(self.start)

    @property
    def code(self) -> str:
        """``2026-09`` for a month, ``2026-04_2026-09`` for several (file names, the audit)."""
        if self.is_month:
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m}_{self.end:%Y-%m}"

    @property
    def months(self) -> list[datetime.date]:
        first, months = self.start, []
        while first <= self.end:
            months.append(first)
            first = add_months(first, 1)
        return months


def _requested_month(request: HttpRequest) -> datetime.date | None:
    """The first day of ``?month=YYYY-MM``; None when absent; 400 when malformed."""
    raw = request.GET.get("month", "").strip()
    if not raw:
        return None
    match = MONTH.match(raw)
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2099:
        raise BadRequest("month must be YYYY-MM")
    return datetime.date(int(match[1]), int(match[2]), 1)


def _this_month() -> datetime.date:
    return month_start(timezone.localdate())


# --- who reads which provider ------------------------------------------------------------------


def _is_officer(user: Any) -> bool:
    return Role.AKIMAT_OFFICER in roles_of(user)


def _ensure_reader(request: HttpRequest) -> None:
    """Officers and a provider's own staff read journals; inspectors and analysts do not."""
    if _is_officer(request.user):
        return
    if roles_of(request.user) & PROVIDER_ROLES and getattr(request.user, "provider_id", None):
        return
    raise PermissionDenied


def _requested_provider_id(request: HttpRequest) -> int | None:
    """Provider staff: always their own provider. An officer: ``?provider=<id>``, if given."""
    if not _is_officer(request.user):
        return int(getattr(request.user, "provider_id", 0))
    raw = request.GET.get("provider", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return int(raw)


# --- the rows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalRow:
    number: int
    visit: Visit
    services: str
    confirmation: str


def service_names(codes: Iterable[str]) -> dict[str, str]:
    """Names in the current language of the kinds (``medical``) and of the catalogue services
    (``medical.massage``) among `codes`: one query, for the catalogue entries only."""
    names = {str(kind.value): str(kind.label) for kind in ServiceKind}
    catalogue = {code for code in codes if "." in code}
    if catalogue:
        names.update(
            (service.code, service.name)
            for service in CatalogueService.objects.filter(code__in=catalogue).only(
                "code", "name_ru", "name_kk", "name_en"
            )
        )
    return names


def describe_services(codes: Iterable[str], names: dict[str, str]) -> str:
    """``Social-medical: Massage, Swimming pool; Social-pedagogical`` — kinds in the order of
    Alg. §18, each with the catalogue services given under it."""
    by_kind: dict[str, list[str]] = {}
    for code in codes:
        kind, _dot, service = code.partition(".")
        entries = by_kind.setdefault(kind, [])
        if service:
            entries.append(names.get(code, code))
    order = list(ServiceKind.values)

    def position(kind: str) -> tuple[int, str]:
        return (order.index(kind) if kind in order else len(order), kind)

    parts = []
    for kind in sorted(by_kind, key=position):
        label = names.get(kind, kind)
        services = sorted(by_kind[kind])
        parts.append(f"{label}: {', '.join(services)}" if services else label)
    return "; ".join(parts)


def _journal_rows(visits: Iterable[Visit], *, first_number: int = 1) -> list[JournalRow]:
    visits = list(visits)
    names = service_names({code for visit in visits for code in visit.services})
    return [
        JournalRow(
            number=first_number + index,
            visit=visit,
            services=describe_services(visit.services, names),
            confirmation=str(CONFIRMATION_SHORT.get(visit.confirmation_method, ""))
            if visit.is_confirmed
            else "",
        )
        for index, visit in enumerate(visits)
    ]


def journal_totals(rows: QuerySet[Visit]) -> dict[str, int]:
    """Visits done at home and at the centre, missed, and done but not confirmed: one query."""
    done = Q(status=VisitStatus.DONE)
    return rows.order_by().aggregate(
        home=Count("pk", filter=done & Q(setting=Setting.HOME)),
        centre=Count("pk", filter=done & Q(setting=Setting.CENTRE)),
        missed=Count("pk", filter=Q(status=VisitStatus.MISSED)),
        unconfirmed=Count("pk", filter=done & Q(confirmation_method="")),
    )


# --- building a journal ------------------------------------------------------------------------


@dataclass
class Journal:
    provider: Provider
    period: Period
    child: Child | None = None

    def rows(self, user: Any) -> QuerySet[Visit]:
        return journal_rows(
            user=user,
            provider_id=self.provider.pk,
            start=self.period.start,
            end=self.period.end,
            child_id=self.child.pk if self.child else None,
        )

    def query(self, *, user: Any, **params: Any) -> str:
        """The query string of this journal (and `params`), for links."""
        values: dict[str, Any] = {}
        if _is_officer(user):
            values["provider"] = self.provider.pk
        if self.period.is_month:
            values["month"] = f"{self.period.start:%Y-%m}"
        values.update(params)
        return urlencode({key: value for key, value in values.items() if value is not None})

    def url(self, name: str, *, user: Any, **params: Any) -> str:
        args = [self.child.pk] if self.child and name.startswith("services:child_") else []
        query = self.query(user=user, **params)
        return reverse(name, args=args) + (f"?{query}" if query else "")

    def record_read(self, user: Any, visits: Iterable[Visit], *, pdf: bool) -> None:
        what = f"journal {'pdf ' if pdf else ''}{self.period.code}"
        if self.child is not None:
            record_access(self.child, user=user, what=what)
            return
        children: dict[int, Child] = {}
        for visit in visits:
            children.setdefault(visit.child_id, visit.child)
        record_access_many(children.values(), user=user, what=what)

    def filename(self) -> str:
        whose = f"-child{self.child.pk}" if self.child else ""
        return f"journal-{self.provider.bin}{whose}-{self.period.code}.pdf"


def _provider_journal(request: HttpRequest) -> Journal | None:
    _ensure_reader(request)
    month = _requested_month(request) or _this_month()
    provider_id = _requested_provider_id(request)
    if provider_id is None:
        return None
    provider = get_object_or_404(Provider, pk=provider_id)
    return Journal(provider=provider, period=Period.month(month))


def _child_journal(request: HttpRequest, pk: int) -> Journal:
    """A child's visits with the caller's provider.

    Period: ``?month=YYYY-MM`` gives that month; without it, the last six months up to and
    including the current one (a coordinator's overview of the child's recent visits).
    Provider: a provider's staff always their own; an officer ``?provider=<id>``, by default the
    provider of the child's latest approved enrolment (404 if the child has none).
    """
    _ensure_reader(request)
    month = _requested_month(request)
    child = get_object_or_404(children_for_user(user=request.user), pk=pk)
    provider_id = _requested_provider_id(request)
    if provider_id is None:
        latest = (
            child.enrollments.filter(status=EnrollmentStatus.APPROVED)
            .order_by("-start_on", "-pk")
            .values_list("provider_id", flat=True)
            .first()
        )
        if latest is None:
            raise Http404
        provider_id = latest
    provider = get_object_or_404(Provider, pk=provider_id)
    if month is not None:
        period = Period.month(month)
    else:
        this_month = _this_month()
        period = Period(add_months(this_month, 1 - CHILD_PERIOD_MONTHS), month_end(this_month))
    return Journal(provider=provider, period=period, child=child)


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


def _pdf(request: HttpRequest, journal: Journal) -> HttpResponse:
    """Small journals are made at once; a long one (WeasyPrint takes ~15 ms a row) by a job."""
    if journal.rows(request.user).count() <= settings.JOURNAL_PDF_INLINE_ROWS:
        content, _rows = render_pdf(journal, request.user)
        return _pdf_response(content, journal.filename())
    export = journal_export_request(journal=journal, acting_user=request.user)
    return redirect(reverse("services:journal_export", args=[export.pk]))


@transaction.atomic
def journal_export_request(*, journal: Journal, acting_user: Any) -> JournalExport:
    """The requester's export of this journal: the one being prepared if there is one (a
    reload does not start another four-minute job), else a new one, queued through the outbox
    so that a missing broker delays it and never fails the request."""
    language = get_language() or settings.LANGUAGE_CODE
    # One request at a time per requester: two reloads at once cannot both start a job.
    get_user_model().objects.select_for_update().filter(pk=acting_user.pk).first()
    fields = {
        "provider": journal.provider,
        "child": journal.child,
        "period_start": journal.period.start,
        "period_end": journal.period.end,
        "language": language,
        "requested_by": acting_user,
    }
    running = JournalExport.objects.filter(
        status__in=(JobStatus.QUEUED, JobStatus.RUNNING), **fields
    ).first()
    if running is not None:
        return running
    export = JournalExport.objects.create(heartbeat_at=timezone.now(), **fields)
    outbox_enqueue(JOURNAL_EXPORT.task, export_id=export.pk)
    return export


def journal_export_run(*, export_id: int) -> str:
    """The job: make the PDF as its requester would see it, in their language. Idempotent, and
    resumed when redelivered: an export left running by a dead worker is made again (its lock
    is free), one another worker is making is left to it."""
    with job_lock(JOURNAL_EXPORT, export_id) as acquired:
        if not acquired:
            return "busy"  # another worker is making it
        return _export_run(export_id)


def _export_run(export_id: int) -> str:
    with transaction.atomic():
        export = (
            JournalExport.objects.select_for_update(of=("self",))
            .select_related("provider", "child", "requested_by")
            .get(pk=export_id)
        )
        if export.status in (JobStatus.DONE, JobStatus.FAILED):
            return export.status
        export.status = JobStatus.RUNNING
        export.save(update_fields=["status"])
    job_started(JOURNAL_EXPORT, export_id)
    journal = Journal(
        provider=export.provider,
        period=Period(export.period_start, export.period_end),
        child=export.child,
    )
    try:
        with override(export.language):
            content, rows = render_pdf(journal, export.requested_by)
    except Exception as error:
        export.status = JobStatus.FAILED
        export.error = repr(error)[:2000]
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        raise
    export.file.save(journal.filename(), ContentFile(content), save=False)
    export.rows = rows
    export.status = JobStatus.DONE
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "rows", "status", "finished_at"])
    return export.status


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


# --- views -------------------------------------------------------------------------------------


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
