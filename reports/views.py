"""Analysts' pages (the reports and the dashboard: aggregates only, never a child), report
files, and the families' public questionnaire page."""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from core.roles import Role, has_role
from providers.models import Provider
from reports import charts, published, services
from reports.figures import localise, neutral
from reports.models import (
    Channel,
    Report,
    ReportVersion,
    SurveyInvitation,
    SurveyResponse,
    VersionStatus,
)
from reports.periods import dashboard_periods, data_as_of
from reports.published import Published

DASHBOARD_CACHE_SECONDS = 300
logger = logging.getLogger(__name__)


def reads_reports(user: Any) -> bool:
    """Analysts and akimat officers read reports and the dashboard."""
    return has_role(user, Role.ANALYST, Role.AKIMAT_OFFICER)


def _ensure_reader(request: HttpRequest) -> None:
    if not reads_reports(request.user):
        raise PermissionDenied


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    _ensure_reader(request)
    today = timezone.localdate()
    reports = list(Report.objects.prefetch_related("versions").order_by("-period_end", "kind"))
    rows = []
    for report in reports:
        versions = sorted(
            (v for v in report.versions.all() if v.status == VersionStatus.DONE),
            key=lambda v: -v.number,
        )
        numbers: dict[int | None, int] = {v.pk: v.number for v in report.versions.all()}
        for version in versions:  # a translation names its source, read from the prefetch
            version.source_number = numbers.get(version.translation_of_id)  # type: ignore[attr-defined]
        preparing = any(
            v.status in (VersionStatus.QUEUED, VersionStatus.RUNNING) for v in report.versions.all()
        )
        rows.append(
            {
                "report": report,
                "versions": versions,
                "preparing": preparing,
                "milestones": [(due, due.state(today)) for due in services.milestones(report)],
            }
        )
    return render(request, "reports/report_list.html", {"rows": rows, "today": today})


@login_required
@require_GET
def version_file(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    _ensure_reader(request)
    version = get_object_or_404(ReportVersion, pk=pk, status=VersionStatus.DONE)
    return _version_response(version, kind)


def _version_response(version: ReportVersion, kind: str) -> FileResponse:
    if kind not in ("pdf", "xlsx"):
        raise Http404
    field = version.pdf if kind == "pdf" else version.xlsx
    content_type = (
        "application/pdf"
        if kind == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    report = version.report
    name = f"report-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}-v{version.number}-{version.language}.{kind}"
    try:
        handle = field.open("rb")
    except FileNotFoundError as error:
        logger.error("report version %s: its %s file is missing from storage", version.pk, kind)
        raise Http404 from error
    response = FileResponse(handle, content_type=content_type, as_attachment=True, filename=name)
    response["X-Checksum-SHA256"] = version.pdf_sha256 if kind == "pdf" else version.xlsx_sha256
    response["Cache-Control"] = "private, no-store"
    return response


class DashboardForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"))
    provider = forms.TypedChoiceField(
        label=_("Provider"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = dashboard_periods(today)
        self.options = {code: (start, end) for code, _l, start, end in options}
        period = self.fields["period"]
        assert isinstance(period, forms.ChoiceField)
        period.choices = [(code, label) for code, label, _s, _e in options]
        provider = self.fields["provider"]
        assert isinstance(provider, forms.ChoiceField)
        provider.choices = [
            ("", _("All providers")),
            *Provider.objects.filter(admitted_on__isnull=False)
            .order_by("name")
            .values_list("pk", "name"),
        ]


def _dashboard(request: HttpRequest) -> tuple[DashboardForm, dict[str, Any] | None]:
    today = timezone.localdate()
    form = DashboardForm(request.GET or None, today=today)
    if not form.options:  # no month of the pilot has ended yet: nothing to show
        return form, None
    if not request.GET:
        form = DashboardForm({"period": next(iter(form.options))}, today=today)
    if not form.is_valid():
        return form, None
    start, end = form.options[form.cleaned_data["period"]]
    until = min(end, data_as_of(today))
    if until < start:
        return form, None
    provider_id = form.cleaned_data["provider"]
    # Counted once for every language: cached language-neutral, put into the reader's language.
    key = (
        "dashboard:"
        + hashlib.sha256(
            json.dumps([str(start), str(end), str(until), provider_id]).encode()
        ).hexdigest()
    )
    figures = _cached(key)
    if figures is None:
        decision = _decision((start, until))
        figures = neutral(start, end, until=until, provider_id=provider_id, decision=decision)
        _cache(key, figures)
    return form, localise(figures, get_language() or settings.LANGUAGE_CODE)


def _decision(period: tuple[datetime.date, datetime.date]) -> Published:
    """The one suppression decision of every view of the dashboard (they are all seen
    together, so all of them share it): the month's release (published.release), kept in
    the cache as long as the views' figures."""
    today = timezone.localdate()
    key = f"dashboard-decision:{data_as_of(today)}:{period[0]}:{period[1]}"
    decision = _cached(key)
    if not isinstance(decision, Published):
        decision = published.decision_for(period, today)
        _cache(key, decision)
    return decision


def _cached(key: str) -> Any:
    """The cached figures, or None: an unreachable cache (Redis down) means counting afresh."""
    try:
        return cache.get(key)
    except Exception as error:
        logger.warning("dashboard cache unreachable, figures counted afresh: %r", error)
        return None


def _cache(key: str, figures: Any) -> None:
    try:
        cache.set(key, figures, DASHBOARD_CACHE_SECONDS)
    except Exception as error:
        logger.warning("dashboard cache unreachable, figures not kept: %r", error)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _ensure_reader(request)
    form, figures = _dashboard(request)
    query = request.GET.urlencode() or f"period={form.data.get('period', '')}"
    period = figures["period"] if figures else {}
    return render(
        request,
        "reports/dashboard.html",
        {
            "form": form,
            "figures": figures,
            "query": query,
            "charts": list(charts.CHARTS),
            "start": datetime.date.fromisoformat(period["start"]) if period else None,
            "until": datetime.date.fromisoformat(period["until"]) if period else None,
        },
    )


@login_required
@require_GET
def dashboard_chart(request: HttpRequest, name: str) -> HttpResponse:
    _ensure_reader(request)
    if name not in charts.CHARTS:
        raise Http404
    _form, figures = _dashboard(request)
    if figures is None:
        raise Http404
    response = HttpResponse(charts.CHARTS[name](figures), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


# -- the families' questionnaire (public, reached by a per-family link) ------------------
class SurveyForm(forms.ModelForm):
    class Meta:
        model = SurveyResponse
        fields = (*SurveyResponse.QUESTIONS, "comment")
        widgets = {
            q: forms.RadioSelect(choices=[(n, str(n)) for n in range(1, 6)])
            for q in SurveyResponse.QUESTIONS
        }


def survey(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(
        SurveyInvitation.objects.select_related("enrollment__provider"), token=token
    )
    context: dict[str, Any] = {
        "invitation": invitation,
        "provider": invitation.enrollment.provider.name,
    }
    if hasattr(invitation, "response"):
        return render(request, "reports/survey_thanks.html", {**context, "already": True})
    if timezone.localdate() > invitation.closes_on:
        return render(request, "reports/survey_thanks.html", {**context, "closed": True})
    form = SurveyForm(
        request.POST or None,
        instance=SurveyResponse(invitation=invitation, channel=Channel.FAMILY),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_response_submit(
                invitation=invitation, answers=form.cleaned_data, channel=Channel.FAMILY
            )
        except ValidationError as error:
            # answered or closed meanwhile (another request, midnight): the page says which
            codes = _codes(error)
            if "already_answered" in codes:
                return render(request, "reports/survey_thanks.html", {**context, "already": True})
            if "survey_closed" in codes:
                return render(request, "reports/survey_thanks.html", {**context, "closed": True})
            raise
        return render(request, "reports/survey_thanks.html", context)
    return render(request, "reports/survey.html", {**context, "form": form})


def _codes(error: ValidationError) -> set[str | None]:
    """The codes of a service's refusal, whether it names fields or not."""
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}
