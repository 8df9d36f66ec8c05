from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from core.admin import service_action
from core.forms import ConfirmForm
from tariffs import services
from tariffs.billing.rules import EXPLANATIONS
from tariffs.models import Invoice, InvoiceExclusion, InvoiceLine, Tariff
from tariffs.resources import TariffResource


@admin.register(Tariff)
class TariffAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [TariffResource]
    list_display = ("setting", "amount_kzt", "valid_from", "valid_to", "act")
    list_filter = ("setting",)
    ordering = ("setting", "valid_from")


class ComputedInline(admin.TabularInline):
    """What `bill` computed: shown, never edited here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InvoiceLineInline(ComputedInline):
    model = InvoiceLine
    fields = ("child_iin", "child", "setting", "tariff_kzt", "units", "amount_kzt")


class InvoiceExclusionInline(ComputedInline):
    model = InvoiceExclusion
    fields = ("visit_id_text", "child_iin", "date", "setting", "reason", "explanation")

    @admin.display(description=_("why"))
    def explanation(self, obj: InvoiceExclusion) -> str:
        return str(EXPLANATIONS.get(obj.reason, ""))


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Monthly invoices computed by `bill`; an officer approves (freezes) a draft."""

    list_display = (
        "provider",
        "month",
        "status",
        "home_units",
        "centre_units",
        "amount_kzt",
        "computed_at",
        "approved_by",
    )
    list_filter = ("status", "month", "provider")
    list_select_related = ("provider", "approved_by")
    search_fields = ("=provider__bin", "provider__name")
    date_hierarchy = "month"
    readonly_fields = (
        "provider",
        "month",
        "status",
        "home_units",
        "centre_units",
        "amount_kzt",
        "computed_at",
        "approved_by",
        "approved_at",
    )
    inlines = (InvoiceLineInline, InvoiceExclusionInline)
    actions = (
        service_action(
            name="approve",
            description=_("Approve and freeze the selected invoices"),
            form_class=ConfirmForm,
            call=lambda invoice, data, user: services.invoice_approve(
                invoice=invoice, acting_user=user
            ),
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
