"""The journal of services rendered (Alg. §19): who reads which provider, its period, its rows and totals."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import BadRequest, PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.audit import record_access, record_access_many
from core.choices import Setting
from core.periods import add_months, month_end, month_start
from core.roles import PROVIDER_ROLES, Role, roles_of
from providers.models import Provider
from recipients.models import Child, EnrollmentStatus, ServiceKind
from recipients.selectors import children_for_user
from services.models import (
    CatalogueService,
    ConfirmationMethod,
    Visit,
    VisitStatus,
)
from services.selectors import journal_rows

CHILD_PERIOD_MONTHS = 6


MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# A paper journal's column is narrow: the method in a word or two.
CONFIRMATION_SHORT: dict[str, Promise] = {
    ConfirmationMethod.SIGNATURE: _("signature"),
    ConfirmationMethod.PIN: _("PIN"),
    ConfirmationMethod.PAPER: _("paper journal"),
    ConfirmationMethod.EXCHANGE: _("imported journal"),
}


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
