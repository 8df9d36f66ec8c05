"""The akimat's and inspectors' work on providers, in the admin. Transitions call the services."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import AccessLoggedAdminMixin, ExchangeMixin, service_action
from core.forms import DateInput, ReasonsForm
from providers import selectors, services
from providers.models import (
    AdmissionApplication,
    ApplicationEvent,
    ApplicationStatus,
    Branch,
    EquippedRoom,
    InspectionResult,
    Position,
    Premises,
    Provider,
    QualificationDocument,
    ReviewStatus,
    StaffDocument,
    StaffingNorm,
    StaffMember,
)


class DecisionForm(forms.Form):
    decision_number = forms.CharField(label=_("Decision number"), max_length=50)
    decision_date = forms.DateField(label=_("Decision date"), widget=DateInput)


class InspectionForm(forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=InspectionResult.choices)
    inspected_on = forms.DateField(label=_("Inspected on"), widget=DateInput)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class DatedReasonForm(forms.Form):
    on = forms.DateField(label=_("From"), widget=DateInput)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class RejectDocumentForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ExpiryFilter(admin.SimpleListFilter):
    title = _("expiry")
    parameter_name = "expiry"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("expiring", _("Expires within 30 days")),
            ("expired", _("Expired")),
            ("attention", _("Needs attention (expiring or expired)")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "attention":
            return queryset.filter(expiry_flag__in=["expiring", "expired"])
        if value in ("expiring", "expired"):
            return queryset.filter(expiry_flag=value)
        return queryset


def _file_link(document: QualificationDocument | StaffDocument) -> str:
    if not document.pk or not document.file:
        return "—"
    name = (
        "providers:staff_document_file"
        if isinstance(document, StaffDocument)
        else "providers:document_file"
    )
    url = reverse(name, args=[document.pk])
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("open"))


class BranchInline(admin.TabularInline):
    model = Branch
    extra = 0


class PremisesInline(admin.TabularInline):
    model = Premises
    extra = 0


class QualificationDocumentInline(admin.TabularInline):
    """A read-only overview: documents are added and corrected on their own admin page."""

    model = QualificationDocument
    extra = 0
    fields = (
        "kind",
        "premises",
        "number",
        "issued_on",
        "valid_until",
        "expiry_flag",
        "review_status",
        "file_link",
    )
    readonly_fields = fields
    can_delete = False
    show_change_link = True
    classes = ("collapse",)

    @admin.display(description=_("file"))
    def file_link(self, obj: QualificationDocument) -> str:
        return _file_link(obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Uploads go through the provider's page or the document admin, which validate the file.
        return False


class EquippedRoomInline(admin.TabularInline):
    model = EquippedRoom
    extra = 0
    classes = ("collapse",)


class StaffMemberInline(admin.TabularInline):
    model = StaffMember
    extra = 0
    fields = ("full_name", "position", "fte", "left_on")
    show_change_link = True
    classes = ("collapse",)


class ApplicationInline(admin.TabularInline):
    model = AdmissionApplication
    extra = 0
    fields = ("status", "submitted_at", "inspection_result", "decision_number", "decision_date")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Provider)
class ProviderAdmin(ExchangeMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "bin",
        "sector",
        "license_home_care",
        "admission_status",
        "admitted_on",
        "excluded_on",
    )
    list_filter = ("sector", "license_home_care", "legal_form", "admitted_on", "excluded_on")
    search_fields = ("name", "bin", "license_number")
    readonly_fields = (
        "admitted_on",
        "admission_decision_number",
        "suspended_on",
        "suspension_reason",
        "excluded_on",
        "exclusion_reason",
        "gaps",
        "staffing",
    )
    fieldsets = (
        (None, {"fields": ("name", "legal_form", "bin", "sector", "address")}),
        (_("Head and contacts"), {"fields": ("head_name", "phone", "email")}),
        (_("Licence"), {"fields": ("license_number", "license_issued_on", "license_home_care")}),
        (
            _("Size for the staffing norms"),
            {"fields": ("planned_recipients", "planned_care_recipients", "vehicles", "staffing")},
        ),
        (
            _("Participation"),
            {
                "fields": (
                    "admitted_on",
                    "admission_decision_number",
                    "suspended_on",
                    "suspension_reason",
                    "excluded_on",
                    "exclusion_reason",
                    "gaps",
                )
            },
        ),
    )
    inlines = (
        BranchInline,
        PremisesInline,
        QualificationDocumentInline,
        EquippedRoomInline,
        StaffMemberInline,
        ApplicationInline,
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Provider]:
        return selectors.providers_for_user(user=request.user).prefetch_related("applications")

    @admin.display(description=_("admission status"))
    def admission_status(self, obj: Provider) -> str:
        return str(selectors.admission_status(obj, on=timezone.localdate())[1])

    @admin.display(description=_("what is missing today"))
    def gaps(self, obj: Provider) -> str:
        if not obj.pk:
            return "—"
        state = selectors.readiness(provider=obj, on=timezone.localdate(), require_accepted=True)
        if not state.blocking_gaps:
            return str(_("Nothing: every document is accepted and every room equipped."))
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}</li>", ((g.message,) for g in state.blocking_gaps)),
        )

    @admin.display(description=_("staffing against App. 1"))
    def staffing(self, obj: Provider) -> str:
        if not obj.pk:
            return "—"
        state = selectors.readiness(provider=obj, on=timezone.localdate())
        labels = dict(Position.choices)
        rows = (
            (
                labels[line.position],
                floatformat(line.required, -2),
                floatformat(line.actual, -2),
                floatformat(line.shortfall, -2) if line.shortfall else "—",
            )
            for line in state.staffing
            if line.required or line.actual
        )
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("Position"),
            _("Required"),
            _("Actual FTE"),
            _("Shortfall"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    actions = [
        service_action(
            name="exclude",
            description=_("Exclude from the pilot from a date"),
            form_class=DatedReasonForm,
            call=lambda obj, data, user: services.provider_exclude(
                provider=obj, on=data["on"], reason=data["reason"], acting_user=user
            ),
        ),
        service_action(
            name="suspend",
            description=_("Suspend participation from a date"),
            form_class=DatedReasonForm,
            call=lambda obj, data, user: services.provider_suspend(
                provider=obj, on=data["on"], reason=data["reason"], acting_user=user
            ),
        ),
        service_action(
            name="resume",
            description=_("Lift the suspension"),
            form_class=None,
            call=lambda obj, data, user: services.provider_resume(provider=obj, acting_user=user),
        ),
        service_action(
            name="open_application",
            description=_("Open an admission application"),
            form_class=None,
            call=lambda obj, data, user: services.application_create(
                provider=obj, acting_user=user
            ),
        ),
    ]


class ApplicationEventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    fields = ("at", "from_status", "to_status", "actor", "comment")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AdmissionApplication)
class AdmissionApplicationAdmin(admin.ModelAdmin):
    list_display = (
        "provider",
        "status",
        "inspection_result",
        "decision_number",
        "decision_date",
        "submitted_at",
    )
    list_filter = ("status", "inspection_result")
    search_fields = ("provider__name", "provider__bin", "decision_number")
    list_select_related = ("provider",)
    inlines = (ApplicationEventInline,)
    # Every field changes only through a transition (the actions below).
    readonly_fields = (
        "provider",
        "status",
        "submitted_at",
        "inspection_requested_at",
        "inspector",
        "inspected_on",
        "inspection_result",
        "inspection_notes",
        "decision_number",
        "decision_date",
        "reasons",
        "missing",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[AdmissionApplication]:
        return selectors.applications_for_user(user=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("what is missing for approval"))
    def missing(self, obj: AdmissionApplication) -> str:
        state = selectors.readiness(
            provider=obj.provider, on=timezone.localdate(), require_accepted=True
        )
        if not state.blocking_gaps:
            return str(_("Nothing."))
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}</li>", ((g.message,) for g in state.blocking_gaps)),
        )

    actions = [
        service_action(
            name="request_inspection",
            description=_("Request the accessibility inspection"),
            form_class=None,
            call=lambda obj, data, user: services.application_request_inspection(
                application=obj, acting_user=user
            ),
        ),
        service_action(
            name="record_inspection",
            description=_("Record the accessibility inspection (inspector)"),
            form_class=InspectionForm,
            permission="view",
            precheck=lambda obj: (
                None
                if obj.status == ApplicationStatus.INSPECTION_REQUESTED
                else _("No inspection was requested for this application.")
            ),
            call=lambda obj, data, user: services.application_record_inspection(
                application=obj, acting_user=user, **data
            ),
        ),
        service_action(
            name="approve",
            description=_("Approve: put on the participants' list"),
            form_class=DecisionForm,
            precheck=lambda obj: (
                None
                if obj.status == ApplicationStatus.INSPECTED
                else _("Only an inspected application can be approved.")
            ),
            call=lambda obj, data, user: services.application_approve(
                application=obj, acting_user=user, **data
            ),
        ),
        service_action(
            name="return_for_correction",
            description=_("Return for correction"),
            form_class=ReasonsForm,
            call=lambda obj, data, user: services.application_return(
                application=obj, acting_user=user, **data
            ),
        ),
        service_action(
            name="reject",
            description=_("Reject"),
            form_class=ReasonsForm,
            call=lambda obj, data, user: services.application_reject(
                application=obj, acting_user=user, **data
            ),
        ),
    ]


class DocumentAdminBase(admin.ModelAdmin):
    list_filter: ClassVar[tuple[Any, ...]] = (ExpiryFilter, "review_status", "kind")
    readonly_fields = (
        "file_link",
        "original_name",
        "expiry_flag",
        "review_status",
        "rejection_reason",
        "reviewed_by",
        "reviewed_at",
        "uploaded_by",
        "uploaded_at",
    )

    @admin.display(description=_("file"))
    def file_link(self, obj: QualificationDocument | StaffDocument) -> str:
        return _file_link(obj)

    # Whose document it is and what it is never change; a wrong upload is deleted and redone.
    fixed_after_upload: tuple[str, ...] = ("kind", "file")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.readonly_fields
        return (*self.readonly_fields, *self.fixed_after_upload)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.document_save(document=obj, changed=form.changed_data, acting_user=request.user)

    actions = [
        service_action(
            name="accept",
            description=_("Accept the selected documents"),
            form_class=None,
            permission="view",
            call=lambda obj, data, user: services.document_review(
                document=obj, status=ReviewStatus.ACCEPTED, acting_user=user
            ),
        ),
        service_action(
            name="reject",
            description=_("Reject the selected documents"),
            form_class=RejectDocumentForm,
            permission="view",
            call=lambda obj, data, user: services.document_review(
                document=obj, status=ReviewStatus.REJECTED, reason=data["reason"], acting_user=user
            ),
        ),
    ]


@admin.register(QualificationDocument)
class QualificationDocumentAdmin(DocumentAdminBase):
    list_display = (
        "provider",
        "kind",
        "valid_until",
        "expiry_flag",
        "review_status",
        "file_link",
        "number",
        "issued_on",
    )
    list_filter: ClassVar[tuple[Any, ...]] = (ExpiryFilter, "review_status", "kind", "provider")
    search_fields = ("provider__name", "provider__bin", "number")
    list_select_related = ("provider",)
    fields = (
        "provider",
        "premises",
        "kind",
        "number",
        "issued_on",
        "valid_until",
        "file",
        *DocumentAdminBase.readonly_fields,
    )

    fixed_after_upload = ("provider", "premises", "kind", "file")

    def get_queryset(self, request: HttpRequest) -> QuerySet[QualificationDocument]:
        return selectors.documents_for_user(user=request.user)


@admin.register(StaffDocument)
class StaffDocumentAdmin(AccessLoggedAdminMixin, DocumentAdminBase):
    list_display = (
        "staff_member",
        "kind",
        "valid_until",
        "expiry_flag",
        "review_status",
        "file_link",
        "number",
        "issued_on",
    )
    search_fields = ("staff_member__full_name", "number")
    list_select_related = ("staff_member__provider",)
    fields = (
        "staff_member",
        "kind",
        "number",
        "issued_on",
        "valid_until",
        "file",
        *DocumentAdminBase.readonly_fields,
    )

    fixed_after_upload = ("staff_member", "kind", "file")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaffDocument]:
        return selectors.staff_documents_for_user(user=request.user)


class StaffDocumentInline(admin.TabularInline):
    """A read-only overview: staff documents are uploaded by the head or on their admin page."""

    model = StaffDocument
    extra = 0
    fields = ("kind", "number", "issued_on", "valid_until", "expiry_flag", "review_status")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StaffMember)
class StaffMemberAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    list_display = ("full_name", "provider", "position", "fte", "hired_on", "left_on")
    list_filter = ("position", "provider")
    search_fields = ("full_name", "provider__name")
    list_select_related = ("provider",)
    inlines = (StaffDocumentInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaffMember]:
        return selectors.staff_for_user(user=request.user)


@admin.register(Premises)
class PremisesAdmin(admin.ModelAdmin):
    list_display = ("address", "provider", "tenure", "lease_ends_on", "is_new_building")
    list_filter = ("tenure", "is_new_building")
    search_fields = ("address", "provider__name", "cadastre_record")
    list_select_related = ("provider",)


@admin.register(StaffingNorm)
class StaffingNormAdmin(admin.ModelAdmin):
    list_display = ("number", "position", "units", "basis", "per_count", "by_need")
    ordering = ("number",)
