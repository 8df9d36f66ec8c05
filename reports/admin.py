"""Officers' side of the reports: create, generate (a Celery job), move through the statuses,
see what is due and what is late; questionnaire links and answers entered from paper."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, service_action
from reports import services
from reports.models import (
    Channel,
    Release,
    Report,
    ReportKind,
    ReportReminder,
    ReportStatus,
    ReportVersion,
    SurveyInvitation,
    SurveyResponse,
    VersionStatus,
)
from reports.periods import HALF_CHOICES, half_of


class ReportCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=ReportKind.choices)
    year = forms.IntegerField(label=_("year"), min_value=2026, max_value=2100, required=False)
    half = forms.TypedChoiceField(
        label=_("half-year"),
        choices=[("", "—"), *HALF_CHOICES],
        coerce=int,
        required=False,
    )
    period_end = forms.DateField(
        label=_("pilot report: period to"),
        required=False,
        help_text=_(
            "The analytical report of the pilot runs from 05.06.2026 to this day, the last day "
            "of a month."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == ReportKind.HALF_YEAR:
            if not data.get("year"):
                self.add_error("year", _("Give the year."))
            if not data.get("half"):
                self.add_error("half", _("Choose the half-year."))
        elif not data.get("period_end"):
            self.add_error("period_end", _("Give the last day of the pilot's period."))
        return data


class GenerateForm(forms.Form):
    language = forms.ChoiceField(
        label=_("language"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE
    )


class DeliverForm(forms.Form):
    on = forms.DateField(label=_("delivered on"), initial=timezone.localdate)


class PublishForm(forms.Form):
    on = forms.DateField(label=_("published on"), initial=timezone.localdate)
    url = forms.URLField(
        label=_("address of the publication"), required=False, assume_scheme="https"
    )


class VersionInline(admin.TabularInline):
    model = ReportVersion
    extra = 0
    can_delete = False
    fields = (
        "number",
        "language",
        "translation_of",
        "status",
        "progress",
        "data_until",
        "requested_by",
        "finished_at",
        "files",
        "pdf_sha256",
    )
    readonly_fields = fields

    @admin.display(description=_("progress"))
    def progress(self, obj: ReportVersion) -> str:
        if obj.status in (VersionStatus.QUEUED, VersionStatus.RUNNING):
            return format_html("{} % {}", obj.percent, obj.step)
        return obj.error[:200] if obj.status == VersionStatus.FAILED else "100 %"

    @admin.display(description=_("files"))
    def files(self, obj: ReportVersion) -> str:
        if obj.status != VersionStatus.DONE:
            return "—"
        return format_html(
            '<a href="{}">PDF</a> · <a href="{}">XLSX</a>',
            reverse("reports:version_file", args=[obj.pk, "pdf"]),
            reverse("reports:version_file", args=[obj.pk, "xlsx"]),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportVersion]:
        return (
            super().get_queryset(request).select_related("requested_by", "translation_of__report")
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _state_html(report: Report, today: datetime.date) -> str:
    found = services.next_due(report, today)
    if found is None:
        return str(_("all deadlines met")) if report.final_due else "—"
    due, state = found
    text = f"{due.label}: {due.due_on:%d.%m.%Y}"
    if state == "late":
        return format_html('<strong class="errornote">⚠ {} — {}</strong>', text, _("late"))
    if state == "due":
        return format_html("<strong>{} — {}</strong>", text, _("due soon"))
    return text


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "status", "deadline", "latest_version", "created_at")
    list_filter = ("kind", "status", "year")
    inlines = [VersionInline]
    change_list_template = "admin/reports/report_change_list.html"
    change_form_template = "admin/reports/report_change_form.html"
    readonly_fields = (
        "kind",
        "year",
        "half",
        "period_start",
        "period_end",
        "status",
        "deadlines",
        "final_version",
        "finalised_by",
        "finalised_at",
        "delivered_on",
        "published_on",
        "publication_url",
        "created_at",
    )
    fields = (*readonly_fields, "proposals")
    actions = ["generate", "translate", "make_final", "deliver", "publish"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return super().get_queryset(request).prefetch_related("versions")

    @admin.display(description=_("next deadline"))
    def deadline(self, obj: Report) -> str:
        return _state_html(obj, timezone.localdate())

    @admin.display(description=_("deadlines (R261 §11–14)"))
    def deadlines(self, obj: Report) -> str:
        today = timezone.localdate()
        states = {
            "done": _("met"),
            "done_late": _("met late"),
            "late": _("late"),
            "due": _("due soon"),
            "later": "",
        }
        return (
            format_html_join(
                "",
                "<div>{}: {} {}</div>",
                (
                    (due.label, f"{due.due_on:%d.%m.%Y}", states[due.state(today)])
                    for due in services.milestones(obj)
                ),
            )
            or "—"
        )

    @admin.display(description=_("latest version"))
    def latest_version(self, obj: Report) -> str:
        versions = sorted(obj.versions.all(), key=lambda v: v.number)
        if not versions:
            return "—"
        last = versions[-1]
        if last.status in (VersionStatus.QUEUED, VersionStatus.RUNNING):
            return format_html("v{} · {} % {}", last.number, last.percent, last.step)
        return f"v{last.number} · {last.get_status_display()} · {last.data_until:%d.%m.%Y}"

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        preparing = ReportVersion.objects.filter(
            status__in=[VersionStatus.QUEUED, VersionStatus.RUNNING]
        ).exists()
        return super().changelist_view(request, {**(extra_context or {}), "refresh": preparing})

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        # Permission first, then the object through get_object (a malformed or out-of-range
        # id is a 404 there, not a 500 in our own query).
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        report = self.get_object(request, object_id)
        if report is None:
            raise Http404
        preparing = ReportVersion.objects.filter(
            report=report, status__in=[VersionStatus.QUEUED, VersionStatus.RUNNING]
        ).exists()
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "refresh": preparing}
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and (obj.kind != ReportKind.PILOT or obj.status != ReportStatus.DRAFT):
            return (*self.readonly_fields, "proposals")
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Report, form: Any, change: bool) -> None:
        """Only the pilot draft's proposals are edited here, through their service; the
        report itself is made by `add_view` and moved on by the actions."""
        if "proposals" in form.changed_data:
            services.report_proposals_save(
                report=obj, proposals=form.cleaned_data["proposals"], acting_user=request.user
            )

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        """Officers name the period; the report and its deadlines are made by the service."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ReportCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data["kind"] == ReportKind.HALF_YEAR:
                    report = services.report_for_half(
                        year=data["year"], half=data["half"], acting_user=request.user
                    )
                else:
                    report = services.pilot_report(
                        period_end=data["period_end"], acting_user=request.user
                    )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("The report is ready for its first version."))
                return HttpResponseRedirect(
                    reverse("admin:reports_report_change", args=[report.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("New report"),
            "form": form,
            "objects": [],
            "opts": self.model._meta,
            "action_name": None,
        }

        return TemplateResponse(request, "admin/reports/report_add.html", context)

    generate = service_action(
        name="generate",
        description=_("Generate a new version (PDF and XLSX)"),
        form_class=GenerateForm,
        call=lambda report, data, user: services.version_start(
            report=report, language=data["language"], acting_user=user
        ),
        precheck=lambda report: (
            _("only a draft gets new versions") if report.status != ReportStatus.DRAFT else None
        ),
    )
    translate = service_action(
        name="translate",
        description=_("Translate (the final or latest version, the same figures)"),
        form_class=GenerateForm,
        call=lambda report, data, user: services.version_translate(
            report=report, language=data["language"], acting_user=user
        ),
    )
    make_final = service_action(
        name="make_final",
        description=_("Make final (with its latest version)"),
        form_class=None,
        call=lambda report, data, user: services.report_finalise(report=report, acting_user=user),
    )
    deliver = service_action(
        name="deliver",
        description=_("Record delivery to the ministry"),
        form_class=DeliverForm,
        call=lambda report, data, user: services.report_deliver(
            report=report, acting_user=user, on=data["on"]
        ),
    )
    publish = service_action(
        name="publish",
        description=_("Record publication"),
        form_class=PublishForm,
        call=lambda report, data, user: services.report_publish(
            report=report, acting_user=user, on=data["on"], url=data["url"]
        ),
    )


@admin.register(ReportReminder)
class ReportReminderAdmin(admin.ModelAdmin):
    list_display = ("report", "milestone", "days_before", "recipients", "sent_at")
    list_filter = ("milestone",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The dashboard's figures of each month, as written: read only (they are the record of
    what the analysts have been shown)."""

    list_display = ("as_of", "created_at", "shown", "hidden")
    fields = ("as_of", "created_at", "shown", "hidden")
    readonly_fields = fields
    date_hierarchy = "as_of"

    @admin.display(description=_("figures shown"))
    def shown(self, obj: Release) -> int:
        return sum(1 for _key, cell in obj.cells if isinstance(cell, int))

    @admin.display(description=_("figures hidden (“< 5”, “×”)"))
    def hidden(self, obj: Release) -> int:
        return sum(1 for _key, cell in obj.cells if isinstance(cell, str))


class InvitationForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2026, max_value=2100)
    half = forms.TypedChoiceField(
        label=_("half-year"),
        choices=HALF_CHOICES,
        coerce=int,
    )


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(admin.ModelAdmin):
    """Links to hand to families (SMS, paper); made for every enrolment of a half-year."""

    list_display = ("enrollment", "year", "half", "link", "answered", "created_at")
    list_filter = ("year", "half", "enrollment__provider")
    list_select_related = ("enrollment__child", "enrollment__provider", "response")
    search_fields = ("enrollment__decision_number",)
    readonly_fields = ("enrollment", "year", "half", "link", "created_at")
    fields = readonly_fields

    @admin.display(description=_("link for the family"))
    def link(self, obj: SurveyInvitation) -> str:
        path = reverse("reports:survey", args=[obj.token])
        return format_html('<a href="{}">{}</a>', path, path)

    @admin.display(description=_("answered"), boolean=True)
    def answered(self, obj: SurveyInvitation) -> bool:
        return hasattr(obj, "response")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.method == "POST" and request.POST.get("make_links"):
            if not self.has_view_permission(request):
                raise PermissionDenied
            form = InvitationForm(request.POST)
            if form.is_valid():
                made = services.survey_invitations(**form.cleaned_data, acting_user=request.user)
                self.message_user(request, _("%(count)d link(s) made.") % {"count": made})
            else:
                self.message_user(request, _("Give the year and the half-year."), messages.ERROR)
            return HttpResponseRedirect(request.path)
        today = timezone.localdate()
        year, half = half_of(today)
        context = {
            **(extra_context or {}),
            "links_form": InvitationForm(initial={"year": year, "half": half}),
        }
        return super().changelist_view(request, context)

    change_list_template = "admin/reports/invitation_change_list.html"


class ResponseForm(forms.ModelForm):
    class Meta:
        model = SurveyResponse
        fields = ("invitation", *SurveyResponse.QUESTIONS, "comment")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    """Answers from paper forms are entered here by staff; the family's own answers arrive
    through the link. Read one by one only by officers; analysts see averages of five or more."""

    form = ResponseForm
    list_display = ("invitation", "provider", "year", "half", "overall", "channel", "submitted_at")
    list_select_related = (
        "invitation__enrollment__child",
        "invitation__enrollment__provider",
        "provider",
    )
    list_filter = ("year", "half", "channel", "provider")
    autocomplete_fields = ("invitation",)
    readonly_fields = ("channel", "entered_by", "submitted_at")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "invitation":
            kwargs["queryset"] = SurveyInvitation.objects.filter(response__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: SurveyResponse, form: Any, change: bool
    ) -> None:
        """Entered from a paper form, through the same service as the family's own answers."""
        saved = services.survey_response_submit(
            invitation=obj.invitation,
            answers=form.cleaned_data,
            channel=Channel.STAFF,
            acting_user=request.user,
        )
        obj.pk = saved.pk

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
