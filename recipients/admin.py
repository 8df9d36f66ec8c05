"""The akimat's work on children and enrolments. Decisions go through the services."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import AccessLoggedAdminMixin, ExchangeMixin, service_action
from core.audit import record_access, record_access_many
from core.forms import ConfirmForm, DateInput, ReasonsForm
from recipients import rules, selectors, services
from recipients.models import (
    Child,
    DuplicateStatus,
    EndReason,
    Enrollment,
    EnrollmentStatus,
    EnrollmentWarning,
    Ipar,
    LegalRepresentative,
    NeedsAssessment,
    PossibleDuplicate,
    ServiceApplication,
    ServiceKind,
)


class EndForm(forms.Form):
    end_on = forms.DateField(label=_("Last day of service"), widget=DateInput)
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *EndReason.choices])
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class WithdrawForm(forms.Form):
    on = forms.DateField(label=_("Withdrawn from"), widget=DateInput)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class IparExpiryFilter(admin.SimpleListFilter):
    title = _("ИПАР today")
    parameter_name = "ipar"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("ending", _("Ends within 30 days")),
            ("none", _("No valid ИПАР for home services")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = timezone.localdate()
        valid_today = Ipar.objects.filter(
            home_services=True, issued_on__lte=today, valid_until__gte=today
        )
        if self.value() == "ending":
            ending = valid_today.filter(valid_until__lte=today + datetime.timedelta(days=30))
            return queryset.filter(pk__in=ending.values("child_id")).exclude(
                pk__in=valid_today.filter(
                    valid_until__gt=today + datetime.timedelta(days=30)
                ).values("child_id")
            )
        if self.value() == "none":
            return queryset.exclude(pk__in=valid_today.values("child_id"))
        return queryset


class EnrollmentStatusFilter(admin.SimpleListFilter):
    title = _("enrolment today")
    parameter_name = "enrolment"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("active", _("Enrolled today")), ("not_active", _("Not enrolled today"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = timezone.localdate()
        active = Enrollment.objects.filter(
            status=EnrollmentStatus.APPROVED, start_on__lte=today
        ).exclude(end_on__lt=today)
        if self.value() == "active":
            return queryset.filter(pk__in=active.values("child_id"))
        if self.value() == "not_active":
            return queryset.exclude(pk__in=active.values("child_id"))
        return queryset


def _draft_only(enrollment: Enrollment) -> Any:
    if enrollment.status == EnrollmentStatus.DRAFT:
        return None
    return _("Only a draft decision can be approved or refused.")


class ServiceKindsForm(forms.ModelForm):
    """The recommended kinds of service as labelled checkboxes (stored as a list of codes)."""

    services = forms.MultipleChoiceField(
        label=_("recommended kinds of service"),
        choices=ServiceKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class RepresentativeInline(admin.TabularInline):
    model = LegalRepresentative
    extra = 0


class IparInline(admin.StackedInline):
    model = Ipar
    form = ServiceKindsForm
    extra = 0
    fields = (
        ("number", "issued_on", "valid_until", "home_services"),
        "services",
        ("form_031_on", "mse_on", "pmpk_conclusion"),
    )


class ApplicationInline(admin.TabularInline):
    model = ServiceApplication
    extra = 0

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields.get("representative")
        if isinstance(field, forms.ModelChoiceField):
            # Only this child's own representatives can sign its application.
            field.queryset = (
                LegalRepresentative.objects.filter(child=obj)
                if obj
                else LegalRepresentative.objects.none()
            )
        return formset

    fields = (
        "submitted_on",
        "representative",
        "consent_on",
        "consent_withdrawn_on",
        "withdrawal_reason",
    )
    readonly_fields = ("consent_withdrawn_on", "withdrawal_reason")


class AssessmentInline(admin.StackedInline):
    model = NeedsAssessment
    form = ServiceKindsForm
    extra = 0
    classes = ("collapse",)


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    fields = ("decision_number", "provider", "start_on", "end_on", "status", "end_reason")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Child)
class ChildAdmin(AccessLoggedAdminMixin, ExchangeMixin, admin.ModelAdmin):
    def get_data_for_export(self, request: HttpRequest, queryset: Any, **kwargs: Any) -> Any:
        """An export is a read of every exported child: recorded when the file is made."""
        record_access_many(queryset, user=request.user, what="export")
        return super().get_data_for_export(request, queryset, **kwargs)

    list_display = ("iin", "name", "birth_date", "district", "stage")
    list_filter = (
        "district",
        "enrollments__provider",
        EnrollmentStatusFilter,
        IparExpiryFilter,
        "diagnosis_group",
    )
    search_fields = ("=iin", "last_name", "first_name", "middle_name")
    readonly_fields = ("iin_warning", "valid_ipar_today")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "iin",
                    "iin_warning",
                    "last_name",
                    "first_name",
                    "middle_name",
                    "birth_date",
                    "sex",
                )
            },
        ),
        (_("Address"), {"fields": ("district", "address")}),
        (_("Disability"), {"fields": ("disability_until", "diagnosis_group", "valid_ipar_today")}),
    )
    inlines = (
        RepresentativeInline,
        IparInline,
        ApplicationInline,
        AssessmentInline,
        EnrollmentInline,
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Child]:
        return selectors.children_for_user(user=request.user).prefetch_related(
            "enrollments", "assessments", "applications"
        )

    @admin.display(description=_("full name"), ordering="last_name")
    def name(self, obj: Child) -> str:
        return obj.full_name

    @admin.display(description=_("stage"))
    def stage(self, obj: Child) -> str:
        labels = {
            "enrolled": _("Enrolled"),
            "ended": _("Enrolment ended"),
            "assessed": _("Assessed"),
            "applied": _("Applied"),
            "registered": _("Registered"),
        }
        return str(labels[selectors.stage_of(obj, day=timezone.localdate())])

    @admin.display(description=_("IIN check"))
    def iin_warning(self, obj: Child) -> str:
        if not obj.pk:
            return "—"
        warning = rules.iin_birth_date_warning(obj.iin, obj.birth_date)
        return format_html('<strong class="errornote">{}</strong>', warning) if warning else "✓"

    @admin.display(description=_("ИПАР valid today"))
    def valid_ipar_today(self, obj: Child) -> str:
        if not obj.pk:
            return "—"
        ipar = selectors.valid_ipar(obj, day=timezone.localdate())
        if ipar is None:
            return str(_("none"))
        return f"{ipar.number} ({ipar.issued_on:%d.%m.%Y}–{ipar.valid_until:%d.%m.%Y})"

    def save_model(self, request: HttpRequest, obj: Child, form: Any, change: bool) -> None:
        services.child_save(child=obj, acting_user=request.user)
        warning = rules.iin_birth_date_warning(obj.iin, obj.birth_date)
        if warning:
            self.message_user(request, warning, messages.WARNING)


@admin.register(Ipar)
class IparAdmin(AccessLoggedAdminMixin, ExchangeMixin, admin.ModelAdmin):
    form = ServiceKindsForm

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ipar]:
        return Ipar.objects.filter(
            child__in=selectors.children_for_user(user=request.user)
        ).select_related("child")

    list_display = ("number", "child", "issued_on", "valid_until", "home_services")
    list_filter = ("home_services",)
    search_fields = ("number", "=child__iin", "child__last_name")
    list_select_related = ("child",)
    autocomplete_fields = ("child",)


@admin.register(Enrollment)
class EnrollmentAdmin(AccessLoggedAdminMixin, ExchangeMixin, admin.ModelAdmin):
    list_display = ("decision_number", "child", "provider", "start_on", "end_on", "status")
    list_filter = ("status", "provider", "end_reason")
    search_fields = ("decision_number", "=child__iin", "child__last_name")
    list_select_related = ("child", "provider")
    autocomplete_fields = ("child", "application")
    # The PIN's hash and its failure count are never shown or edited here: the representative
    # sets the PIN on the coordinator's device (services.enrollment_set_pin).
    exclude = ("confirmation_pin", "pin_failures")
    readonly_fields = (
        "status",
        "refusal_reasons",
        "end_on",
        "end_reason",
        "end_note",
        "decided_by",
        "missing",
        "pin_state",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Enrollment]:
        return selectors.enrollments_for_user(user=request.user)

    @admin.display(description=_("representative's PIN"))
    def pin_state(self, obj: Enrollment) -> str:
        if not obj.confirmation_pin:
            return str(_("not set"))
        if obj.pin_failures >= 5:
            return str(_("set, locked after wrong entries"))
        return str(_("set"))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Decisions taken are legal acts: only a draft may be deleted.
        if obj is not None and obj.status != EnrollmentStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status != EnrollmentStatus.DRAFT:
            return (
                *self.readonly_fields,
                "child",
                "provider",
                "application",
                "decision_number",
                "decision_date",
                "start_on",
            )
        return self.readonly_fields

    @admin.display(description=_("conditions on the start date"))
    def missing(self, obj: Enrollment) -> str:
        if not obj.pk:
            return "—"
        missing = services.enrollment_missing_conditions(obj)
        if not missing:
            return str(_("All conditions are met."))
        return "; ".join(item.message for item in missing)

    actions = [
        service_action(
            name="approve",
            description=_("Approve the selected decisions"),
            form_class=ConfirmForm,
            precheck=_draft_only,
            call=lambda obj, data, user: services.enrollment_approve(
                enrollment=obj, acting_user=user
            ),
        ),
        service_action(
            name="refuse",
            description=_("Refuse the selected decisions"),
            form_class=ReasonsForm,
            precheck=_draft_only,
            call=lambda obj, data, user: services.enrollment_refuse(
                enrollment=obj, reasons=data["reasons"], acting_user=user
            ),
        ),
        service_action(
            name="end",
            description=_("End the selected enrolments"),
            form_class=EndForm,
            precheck=lambda obj: (
                None
                if obj.status == EnrollmentStatus.APPROVED
                else _("Only an approved enrolment can be ended.")
            ),
            call=lambda obj, data, user: services.enrollment_end(
                enrollment=obj, acting_user=user, **data
            ),
        ),
    ]


@admin.register(ServiceApplication)
class ServiceApplicationAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    list_display = ("child", "child_iin", "submitted_on", "consent_on", "consent_withdrawn_on")
    list_filter = ("consent_withdrawn_on",)
    search_fields = ("=child__iin", "child__last_name")
    list_select_related = ("child",)
    autocomplete_fields = ("child",)
    readonly_fields = ("consent_withdrawn_on", "withdrawal_reason")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Once a decision rests on this consent, its date and the child are evidence: withdraw
        # consent with the action instead of editing the date.
        if obj is not None and obj.enrollments.exclude(status=EnrollmentStatus.REFUSED).exists():
            return (*self.readonly_fields, "child", "consent_on", "submitted_on")
        return self.readonly_fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        field = form.base_fields.get("representative")
        if obj is not None and isinstance(field, forms.ModelChoiceField):
            field.queryset = LegalRepresentative.objects.filter(child=obj.child)
        return form

    def get_queryset(self, request: HttpRequest) -> QuerySet[ServiceApplication]:
        return ServiceApplication.objects.filter(
            child__in=selectors.children_for_user(user=request.user)
        ).select_related("child")

    @admin.display(description=_("IIN"), ordering="child__iin")
    def child_iin(self, obj: ServiceApplication) -> str:
        return obj.child.iin

    actions = [
        service_action(
            name="withdraw_consent",
            description=_("Record the withdrawal of consent"),
            form_class=WithdrawForm,
            call=lambda obj, data, user: services.consent_withdraw(
                application=obj, acting_user=user, **data
            ),
        ),
    ]


@admin.register(EnrollmentWarning)
class EnrollmentWarningAdmin(admin.ModelAdmin):
    list_display = ("child", "provider", "kind", "due_on", "found_on")
    list_filter = ("kind", "enrollment__provider")
    list_select_related = ("enrollment__child", "enrollment__provider")
    date_hierarchy = "due_on"

    def get_queryset(self, request: HttpRequest) -> QuerySet[EnrollmentWarning]:
        return EnrollmentWarning.objects.filter(
            enrollment__in=selectors.enrollments_for_user(user=request.user)
        ).select_related("enrollment__child", "enrollment__provider")

    @admin.display(description=_("child"), ordering="enrollment__child__last_name")
    def child(self, obj: EnrollmentWarning) -> str:
        return obj.enrollment.child.full_name

    @admin.display(description=_("provider"))
    def provider(self, obj: EnrollmentWarning) -> str:
        return obj.enrollment.provider.name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
    compared = forms.BooleanField(
        label=_("I have compared both records; a merge cannot be undone."), required=True
    )


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(admin.ModelAdmin):
    list_display = ("review_link", "first_label", "second_label", "status", "found_at")
    list_display_links = None
    list_filter = ("status",)
    readonly_fields = ("first_label", "second_label", "status", "comment", "decided_by", "found_at")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("review"))
    def review_link(self, obj: PossibleDuplicate) -> str:
        url = reverse("admin:recipients_possibleduplicate_review", args=[obj.pk])
        label = _("compare side by side") if obj.status == DuplicateStatus.OPEN else _("view")
        return format_html('<a href="{}">{}</a>', url, label)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "find/",
                self.admin_site.admin_view(self.find_view),
                name="recipients_possibleduplicate_find",
            ),
            path(
                "<int:pk>/review/",
                self.admin_site.admin_view(self.review_view),
                name="recipients_possibleduplicate_review",
            ),
            *super().get_urls(),
        ]

    def find_view(self, request: HttpRequest) -> HttpResponse:
        """Start the search for possible duplicates now (it also runs after every import)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:recipients_possibleduplicate_changelist"))
        services.duplicates_search_start(acting_user=request.user)
        self.message_user(
            request, _("The search for possible duplicates was started."), messages.INFO
        )
        return HttpResponseRedirect(reverse("admin:recipients_possibleduplicate_changelist"))

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Both records side by side; merge into one of them, or mark them different children."""
        if not self.has_view_permission(request) or (
            request.method == "POST" and not self.has_change_permission(request)
        ):
            raise PermissionDenied
        pair = get_object_or_404(PossibleDuplicate, pk=pk)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            decision = request.POST.get("decision")
            try:
                if decision == "distinct":
                    services.duplicate_mark_distinct(
                        pair=pair, comment=form.cleaned_data["comment"], acting_user=request.user
                    )
                elif decision in ("keep_first", "keep_second"):
                    keep = pair.first if decision == "keep_first" else pair.second
                    if keep is None:
                        raise ValidationError(_("That record no longer exists."), code="gone")
                    services.duplicate_merge(
                        pair=pair,
                        keep=keep,
                        comment=form.cleaned_data["comment"],
                        acting_user=request.user,
                    )
                else:
                    raise ValidationError(_("Choose a decision."), code="decision_required")
            except ValidationError as error:
                for message in error.messages:
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(request, _("The decision was saved."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:recipients_possibleduplicate_changelist")
                )
        for child in (pair.first, pair.second):
            if child is not None:
                record_access(child, user=request.user, what="duplicate review")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Possible duplicate"),
            "pair": pair,
            "form": form,
            "rows": _comparison_rows(pair.first, pair.second),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/recipients/duplicate_review.html", context)


def _comparison_rows(first: Child | None, second: Child | None) -> list[tuple[str, str, str, bool]]:
    def values(child: Child | None) -> dict[str, str]:
        if child is None:
            return {}
        return {
            "iin": child.iin,
            "name": child.full_name,
            "birth": f"{child.birth_date:%d.%m.%Y}",
            "district": child.get_district_display(),
            "address": child.address,
            "representatives": ", ".join(
                f"{r.full_name} ({r.iin})" for r in child.representatives.all()
            ),
            "ipars": ", ".join(i.number for i in child.ipars.all()),
            "enrollments": ", ".join(
                f"{e.decision_number} {e.provider}" for e in child.enrollments.all()
            ),
        }

    labels = {
        "iin": _("IIN"),
        "name": _("Full name"),
        "birth": _("Birth date"),
        "district": _("District"),
        "address": _("Address"),
        "representatives": _("Legal representatives"),
        "ipars": _("ИПАР"),
        "enrollments": _("Enrolments"),
    }
    left, right = values(first), values(second)
    return [
        (str(label), left.get(key) or "—", right.get(key) or "—", left.get(key) != right.get(key))
        for key, label in labels.items()
    ]
