"""Officers start reconciliations, follow their progress, and review findings beside their
evidence."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import service_action
from core.audit import record_access
from recipients.rules import iin_birth_date_warning
from reconciliation import services
from reconciliation.models import ACTIVE, Finding, FindingStatus, ReconciliationRun


class RunForm(forms.ModelForm):
    class Meta:
        model = ReconciliationRun
        fields = ("period_start", "period_end")


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    """Runs are started here (a period) and made by the Celery job; the list refreshes itself
    while one is queued or running."""

    form = RunForm
    list_display = (
        "__str__",
        "status",
        "progress",
        "visits_checked",
        "found",
        "updated",
        "resolved",
        "requested_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status",)
    change_list_template = "admin/reconciliation/run_change_list.html"
    readonly_fields = (
        "status",
        "percent",
        "step",
        "visits_checked",
        "found",
        "updated",
        "resolved",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "error",
    )

    @admin.display(description=_("progress"))
    def progress(self, obj: ReconciliationRun) -> str:
        if obj.status in ACTIVE:
            return format_html("{} % {}", obj.percent, obj.step)
        return f"{obj.percent} %"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a run is made by the job, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        """The period is all an officer gives: the run itself is queued by the service."""
        if not self.has_add_permission(request):
            raise PermissionDenied  # before the POST branch below acts
        if request.method == "POST":
            form = RunForm(request.POST)
            if form.is_valid():
                try:
                    services.run_start(
                        period_start=form.cleaned_data["period_start"],
                        period_end=form.cleaned_data["period_end"],
                        acting_user=request.user,
                    )
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                    return HttpResponseRedirect(request.path)
                self.message_user(request, _("The reconciliation is queued."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:reconciliation_reconciliationrun_changelist")
                )
        return super().add_view(request, form_url, extra_context)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        extra_context = {
            **(extra_context or {}),
            "refresh": ReconciliationRun.objects.filter(status__in=ACTIVE).exists(),
        }
        return super().changelist_view(request, extra_context)


class ReviewForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


def _review(status: str) -> Any:
    def call(finding: Finding, data: dict[str, Any], user: Any) -> None:
        services.findings_review(
            findings=[finding], status=status, comment=data["comment"], acting_user=user
        )

    return call


def _not_reviewable(finding: Finding) -> Any:
    if finding.status == FindingStatus.RESOLVED:
        return _("no longer found; it cannot be reviewed")
    return None


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    """A finding beside its evidence; confirmed or dismissed with a comment, one or many."""

    list_display = ("kind", "day", "child", "provider", "status", "reviewer", "last_run")
    list_filter = ("status", "kind", "provider")
    list_select_related = ("child", "provider", "reviewer", "last_run")
    search_fields = ("=child__iin", "child__last_name", "key")
    date_hierarchy = "day"
    actions = [
        service_action(
            name="confirm_findings",
            description=_("Confirm (exclude their visits from billing)"),
            form_class=ReviewForm,
            call=_review(FindingStatus.CONFIRMED),
            precheck=_not_reviewable,
        ),
        service_action(
            name="dismiss_findings",
            description=_("Dismiss"),
            form_class=ReviewForm,
            call=_review(FindingStatus.DISMISSED),
            precheck=_not_reviewable,
        ),
    ]
    fields = (
        "kind",
        "status",
        "child",
        "provider",
        "day",
        "evidence_table",
        "visits_table",
        "reviewer",
        "reviewed_at",
        "comment",
        "last_run",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # findings are raised by reconciliation runs

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The page shows a child's data (and registry rows): reading it is recorded."""
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            finding = self.get_object(request, object_id)
            if finding is not None:
                record_access(finding.child, user=request.user, what=f"finding {finding.pk}")
        return response

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("evidence"))
    def evidence_table(self, obj: Finding) -> str:
        """The evidence side by side: one column per visit or enrolment compared."""
        evidence = obj.evidence or {}
        items = evidence.get("visits") or evidence.get("enrollments")
        if "registry" in evidence:  # the visit withheld beside the registry rows that say why
            items = [evidence.get("visit", {}), *evidence["registry"]]
        if items:
            keys = list(dict.fromkeys(key for item in items for key in item))
            header = format_html_join(
                "",
                "<th>{}</th>",
                (
                    (item.get("visit_id") or item.get("decision_number") or item.get("registry"),)
                    for item in items
                ),
            )
            rows = format_html_join(
                "",
                "<tr><th>{}</th>{}</tr>",
                (
                    (key, format_html_join("", "<td>{}</td>", ((item.get(key),) for item in items)))
                    for key in keys
                ),
            )
            return format_html("<table><tr><th></th>{}</tr>{}</table>", header, rows)
        if obj.kind == "iin_birth_date" and evidence.get("birth_date"):
            message = iin_birth_date_warning(
                evidence["iin"], datetime.date.fromisoformat(evidence["birth_date"])
            )
            return format_html("{}: {}", evidence["iin"], message or "")
        return format_html_join(
            "", "<div>{}: {}</div>", ((key, value) for key, value in evidence.items())
        )

    @admin.display(description=_("visits a confirmation excludes"))
    def visits_table(self, obj: Finding) -> str:
        visits = obj.visits.select_related("provider").order_by("date", "start")
        if not visits:
            return "—"
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}–{}</td>'
                "<td>{}</td></tr>",
                (
                    (
                        reverse("admin:services_visit_change", args=[visit.pk]),
                        visit.visit_id,
                        visit.provider,
                        visit.get_setting_display(),
                        visit.start.strftime("%H:%M"),
                        visit.end.strftime("%H:%M"),
                        visit.get_status_display(),
                    )
                    for visit in visits
                ),
            ),
        )
