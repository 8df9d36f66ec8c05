"""The akimat's admin for the state registries (domain.md §6): what was loaded, and the rows.

Registry rows come from files (`import_dataset` or the import buttons here, with a preview);
their pages are read-only. An officer may delete a row the registry no longer holds: a file
adds and updates rows but never removes one. Every opening of a row's page and every export is
recorded in the audit trail: the rows are personal (health) data keyed by IIN.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import AccessLoggedAdminMixin, ExchangeMixin, ReadOnlyAdminMixin
from core.audit import record_access_many
from monitoring.models import (
    EducationCorrection,
    HealthStay,
    PersonRecord,
    RegistryImport,
    RegistryKind,
)
from recipients.models import Child

# The changelist of each registry's rows, by the kind of its imports.
ROWS_OF_KIND = {
    RegistryKind.PERSONS: "admin:monitoring_personrecord_changelist",
    RegistryKind.HEALTH: "admin:monitoring_healthstay_changelist",
    RegistryKind.EDUCATION: "admin:monitoring_educationcorrection_changelist",
}


class KnownChildFilter(admin.SimpleListFilter):
    title = _("child known to the portal")
    parameter_name = "known"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Known")), ("no", _("Not known"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(known_child=True)
        if self.value() == "no":
            return queryset.filter(known_child=False)
        return queryset


class RegistryRowAdmin(AccessLoggedAdminMixin, ExchangeMixin, admin.ModelAdmin):
    """Rows of one registry: searched by IIN, filtered by kind, imported and exported as files."""

    search_fields = ("=iin",)
    list_select_related = ("registry_import",)
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Whether the IIN is a child of the portal: one subquery, not a query per row.
        return (
            super()
            .get_queryset(request)
            .annotate(known_child=Exists(Child.objects.filter(iin=OuterRef("iin"))))
        )

    @admin.display(description=_("child known to the portal"), boolean=True)
    def known(self, obj: Any) -> bool:
        return bool(getattr(obj, "known_child", False))

    @admin.display(description=_("registry import"), ordering="registry_import__loaded_at")
    def loaded(self, obj: Any) -> str:
        return str(obj.registry_import)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # --- import / export of the registry file

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
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        return super().process_result(result, request)  # type: ignore[no-any-return]

    def get_data_for_export(self, request: HttpRequest, queryset: Any, **kwargs: Any) -> Any:
        """The file names people by IIN: an export is a read of every exported row."""
        record_access_many(queryset, user=request.user, what="export")
        return super().get_data_for_export(request, queryset, **kwargs)


@admin.register(PersonRecord)
class PersonRecordAdmin(RegistryRowAdmin):
    list_display = ("iin", "known", "astana_from", "astana_until", "death_date", "loaded")
    list_filter = (KnownChildFilter, ("registry_import", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "astana_from"
    ordering = ("iin", "astana_from")
    fields = ("iin", "astana_from", "astana_until", "death_date", "registry_import")


@admin.register(HealthStay)
class HealthStayAdmin(RegistryRowAdmin):
    list_display = ("iin", "known", "kind", "start_on", "end_on", "organisation", "loaded")
    list_filter = ("kind", KnownChildFilter, ("registry_import", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "start_on"
    ordering = ("iin", "start_on", "kind")
    fields = ("iin", "kind", "start_on", "end_on", "organisation", "registry_import")


@admin.register(EducationCorrection)
class EducationCorrectionAdmin(RegistryRowAdmin):
    list_display = ("iin", "known", "kind", "start_on", "end_on", "organisation", "loaded")
    list_filter = ("kind", KnownChildFilter, ("registry_import", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "start_on"
    ordering = ("iin", "start_on", "kind")
    fields = ("iin", "kind", "start_on", "end_on", "organisation", "registry_import")


@admin.register(RegistryImport)
class RegistryImportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The registry files loaded: which, when, by whom, and what they changed. Read-only."""

    list_display = (
        "loaded_at",
        "kind",
        "source",
        "dataset",
        "loaded_by",
        "rows",
        "created",
        "updated",
        "unknown_iins",
        "rows_link",
    )
    list_filter = ("kind",)
    date_hierarchy = "loaded_at"
    search_fields = ("source", "dataset")
    list_select_related = ("loaded_by",)
    fields = (
        "kind",
        "source",
        "dataset",
        "loaded_by",
        "loaded_at",
        "rows",
        "created",
        "updated",
        "unknown_iins",
        "rows_link",
    )
    readonly_fields = ("rows_link",)

    @admin.display(description=_("rows it added or last changed"))
    def rows_link(self, obj: RegistryImport) -> str:
        url = reverse(ROWS_OF_KIND[RegistryKind(obj.kind)])
        return format_html(
            '<a href="{}?registry_import__id__exact={}">{}</a>', url, obj.pk, _("show the rows")
        )
