"""The akimat's admin for the visits stage (domain.md §5): journal, schedules, calendar, catalogue.

Officers mostly read here. Writes go through the services: schedules are approved (and drafts
changed) with `services.services`, working-day transfers are saved with `services.calendar`,
visits come from the provider's pages, the API or an imported journal.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import AccessLoggedAdminMixin, ExchangeMixin, ReadOnlyAdminMixin, service_action
from core.audit import record_access_many, validated_save
from core.forms import ConfirmForm
from core.roles import Role, has_role, roles_of
from providers.models import Position, StaffMember
from services import calendar, selectors, services
from services.models import (
    CalendarDay,
    CatalogueService,
    Schedule,
    ScheduleSlot,
    ScheduleStatus,
    Visit,
    VisitCorrection,
)
from services.rules import WEEKDAY_NAMES

# --- visits --------------------------------------------------------------------------------------


class ConfirmedFilter(admin.SimpleListFilter):
    title = _("confirmed by the representative")
    parameter_name = "confirmed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Confirmed")), ("no", _("Not confirmed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.exclude(confirmation_method="")
        if self.value() == "no":
            return queryset.filter(confirmation_method="")
        return queryset


class VisitCorrectionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = VisitCorrection
    extra = 0
    fields = ("corrected_at", "corrected_by", "reason", "changed")
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[VisitCorrection]:
        return super().get_queryset(request).select_related("corrected_by")

    @admin.display(description=_("changes"))
    def changed(self, obj: VisitCorrection) -> str:
        return "; ".join(
            f"{field}: {before} → {after}"
            for field, (before, after) in sorted((obj.changes or {}).items())
        )


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdminMixin, AccessLoggedAdminMixin, ExchangeMixin, admin.ModelAdmin):
    """The visits journal as the akimat sees it; coordinators log visits on their own pages.

    The page of a visit is read-only: a visit is logged, confirmed and corrected through the
    services (by the provider's staff and head), or imported from a journal file.
    """

    list_display = (
        "visit_id",
        "date",
        "start",
        "end",
        "child",
        "provider",
        "setting",
        "status",
        "confirmation_method",
        "overlaps",
    )
    list_filter = (
        "status",
        "setting",
        ConfirmedFilter,
        "confirmation_method",
        "overlaps",
        "provider",
    )
    search_fields = ("=visit_id", "=child__iin", "child__last_name")
    list_select_related = ("child", "provider")
    date_hierarchy = "date"
    fields = (
        "visit_id",
        "child",
        "provider",
        "setting",
        "date",
        "start",
        "end",
        "status",
        "missed_reason",
        "services",
        "slot",
        "staff",
        "overlaps",
        "confirmation_method",
        "confirmed_at",
        "confirmation_recorded_by",
        "signature_link",
        "scan_link",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (VisitCorrectionInline,)

    def has_import_permission(self, request: HttpRequest) -> bool:
        # The file names any provider's visits: only the akimat imports it.
        return has_role(request.user, Role.AKIMAT_OFFICER)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Visit]:
        return selectors.visits_for_user(user=request.user)

    # The stored proof is opened through the permission-checked views, never a media URL.
    @admin.display(description=_("drawn signature"))
    def signature_link(self, obj: Visit) -> str:
        if not obj.signature:
            return "—"
        url = reverse("services:visit_signature", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">{}</a>', url, _("open the signature"))

    @admin.display(description=_("scan of the signed journal"))
    def scan_link(self, obj: Visit) -> str:
        if not obj.paper_scan:
            return "—"
        url = reverse("services:visit_scan", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">{}</a>', url, _("open the scan"))

    # --- import / export of the `visits` file

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # All or nothing at the confirmation too: a row refused then (the data changed since
        # the preview) rolls the whole file back instead of being skipped.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result: Any, request: HttpRequest) -> HttpResponse:
        if result.has_errors() or result.has_validation_errors():
            self.message_user(
                request,
                _(
                    "Nothing was imported: some rows are refused now. "
                    "Upload the file again to see them."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:services_visit_import"))
        return super().process_result(result, request)  # type: ignore[no-any-return]

    def get_data_for_export(self, request: HttpRequest, queryset: Any, **kwargs: Any) -> Any:
        """The file names children by IIN: an export is a read of every exported visit."""
        record_access_many(queryset, user=request.user, what="export")
        return super().get_data_for_export(request, queryset, **kwargs)


# --- schedules -----------------------------------------------------------------------------------

SLOT_FIELDS = ("weekday", "setting", "start", "duration_minutes", "staff")


def _is_draft(schedule: Schedule | None) -> bool:
    return schedule is not None and schedule.status == ScheduleStatus.DRAFT


class ScheduleSlotInline(admin.TabularInline):
    """The weekly visits; changed only while the schedule is a draft (through schedule_update)."""

    model = ScheduleSlot
    extra = 0
    fields = SLOT_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[ScheduleSlot]:
        return super().get_queryset(request).select_related("staff")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields.get("staff")
        if isinstance(field, forms.ModelChoiceField):
            # Only the provider's own staff give its visits.
            field.queryset = (
                StaffMember.objects.filter(provider_id=obj.enrollment.provider_id)
                if obj is not None
                else StaffMember.objects.none()
            )
        return formset

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and super().has_delete_permission(request, obj)


@admin.register(Schedule)
class ScheduleAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    """Children's weekly schedules; an officer may approve one, as the head does (Alg. §21)."""

    list_display = ("child", "provider", "version", "valid_from", "status", "approved_by")
    list_filter = ("status", ("enrollment__provider", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=enrollment__child__iin", "enrollment__child__last_name")
    list_select_related = ("enrollment__child", "enrollment__provider", "approved_by")
    fields = (
        "enrollment",
        "version",
        "valid_from",
        "centre_reason",
        "status",
        "problems",
        "created_by",
        "approved_by",
        "approved_at",
        "created_at",
    )
    readonly_fields = (
        "enrollment",
        "version",
        "status",
        "problems",
        "created_by",
        "approved_by",
        "approved_at",
        "created_at",
    )
    inlines = (ScheduleSlotInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Schedule]:
        # Officers see every schedule; provider staff use their own pages, not the admin.
        schedules = Schedule.objects.select_related(
            "enrollment__child", "enrollment__provider", "approved_by", "created_by"
        )
        return schedules if Role.AKIMAT_OFFICER in roles_of(request.user) else schedules.none()

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A new version is prepared by the provider's staff on the child's schedule page.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An approved version is history: it is replaced by a new version, never edited.
        if obj is not None and not _is_draft(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("child"), ordering="enrollment__child__last_name")
    def child(self, obj: Schedule) -> str:
        return obj.enrollment.child.full_name

    @admin.display(description=_("provider"), ordering="enrollment__provider__name")
    def provider(self, obj: Schedule) -> str:
        return obj.enrollment.provider.name

    @admin.display(description=_("what stops approval"))
    def problems(self, obj: Schedule) -> str:
        if not _is_draft(obj):
            return "—"
        found = services.schedule_problems(obj)
        if not found:
            return str(_("Nothing: the schedule keeps the rules."))
        return "; ".join(message for _code, message in found)

    def save_model(self, request: HttpRequest, obj: Schedule, form: Any, change: bool) -> None:
        """Saved with its weekly visits by `schedule_update`, in `save_related`."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        slots: list[dict[str, Any]] = []
        for formset in formsets:
            if formset.model is not ScheduleSlot:
                continue
            for slot_form in formset.forms:
                data = getattr(slot_form, "cleaned_data", None)
                if not data or data.get("DELETE"):
                    continue  # an empty extra row, or a row marked for deletion
                slots.append({name: data[name] for name in SLOT_FIELDS})
        schedule = form.instance
        services.schedule_update(
            schedule=schedule,
            valid_from=schedule.valid_from,
            slots=slots,
            centre_reason=schedule.centre_reason,
            acting_user=request.user,
        )

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list[dict[str, Any]]:
        # The weekly visits are rewritten by the service, not saved by the inline formset.
        message: list[dict[str, Any]] = super().construct_change_message(request, form, [], add)
        if any(formset.has_changed() for formset in formsets):
            message.append({"changed": {"fields": [str(ScheduleSlot._meta.verbose_name_plural)]}})
        return message

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # Refused by schedule_update: its transaction rolled back, nothing was saved.
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    actions = [
        service_action(
            name="approve",
            description=_("Approve the selected schedules"),
            form_class=ConfirmForm,
            precheck=lambda obj: (
                None if _is_draft(obj) else _("This schedule is already approved.")
            ),
            call=lambda obj, data, user: services.schedule_approve(schedule=obj, acting_user=user),
        ),
    ]


# --- the working calendar ------------------------------------------------------------------------


def _holidays_text(year: int) -> str:
    listed = ", ".join(f"{day:%d.%m} {name}" for day, name in calendar.holidays_of_year(year))
    return str(
        _("Public holidays of %(year)d the portal knows (no visits are planned on them): %(list)s")
        % {"year": year, "list": listed or "—"}
    )


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The government's yearly working-day transfers, entered by the akimat.

    The public holidays come from the `holidays` package and are listed above the transfers,
    so the officer sees what is known and enters only the transfers the decree adds.
    """

    list_display = ("date", "weekday", "kind", "works_as", "public_holiday", "note")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("note",)
    fields = ("date", "kind", "works_as", "note", "holidays_that_year")
    readonly_fields = ("holidays_that_year",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return str(WEEKDAY_NAMES[obj.date.weekday()])

    @admin.display(description=_("public holiday"))
    def public_holiday(self, obj: CalendarDay) -> str:
        return dict(calendar.holidays_of_year(obj.date.year)).get(obj.date, "—")

    @admin.display(description=_("public holidays that year"))
    def holidays_that_year(self, obj: CalendarDay | None) -> str:
        year = obj.date.year if obj is not None and obj.date else timezone.localdate().year
        return _holidays_text(year)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if request.method == "GET":
            # Shown above the list (the year chosen in the date navigation, else this year).
            year_given = request.GET.get("date__year", "")
            year = int(year_given) if year_given.isdigit() else timezone.localdate().year
            self.message_user(request, _holidays_text(year), messages.INFO)
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        calendar.calendar_day_save(day=obj, acting_user=request.user)
        self._warn_past(request, obj.date)

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        date = obj.date
        calendar.calendar_day_delete(day=obj, acting_user=request.user)
        self._warn_past(request, date)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for day in queryset.order_by("date"):
            calendar.calendar_day_delete(day=day, acting_user=request.user)

    def _warn_past(self, request: HttpRequest, date: datetime.date) -> None:
        if date < timezone.localdate():
            self.message_user(
                request,
                _("%(day)s has passed: its visits are as the journal recorded them.")
                % {"day": f"{date:%d.%m.%Y}"},
                messages.WARNING,
            )


# --- the service catalogue -----------------------------------------------------------------------


class CatalogueServiceForm(forms.ModelForm):
    """The staff positions as labelled checkboxes (stored as a list of App. 1 codes)."""

    positions = forms.MultipleChoiceField(
        label=_("staff positions that give it"),
        choices=Position.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = CatalogueService
        fields = (
            "code",
            "kind",
            "name_ru",
            "name_kk",
            "name_en",
            "positions",
            "order",
            "is_active",
        )


@admin.register(CatalogueService)
class CatalogueServiceAdmin(admin.ModelAdmin):
    """Astana's additional services (Alg. §18). A code is a key that visits name: it stays."""

    form = CatalogueServiceForm
    list_display = ("code", "kind", "name_ru", "name_kk", "name_en", "staff_positions", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name_ru", "name_kk", "name_en")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("code", "kind") if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Visits keep the codes they were given: a service no longer offered is switched off.
        return False

    @admin.display(description=_("staff positions"))
    def staff_positions(self, obj: CatalogueService) -> str:
        labels = dict(Position.choices)
        return ", ".join(str(labels.get(code, code)) for code in obj.positions) or "—"

    def save_model(
        self, request: HttpRequest, obj: CatalogueService, form: Any, change: bool
    ) -> None:
        validated_save(obj, acting_user=request.user)
