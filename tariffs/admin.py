from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ExchangeMixin, service_action
from core.forms import ConfirmForm
from tariffs import services
from tariffs.billing.rules import EXPLANATIONS
from tariffs.models import Invoice, InvoiceAdjustment, InvoiceExclusion, InvoiceLine, Tariff
from tariffs.payments import components


@admin.register(Tariff)
class TariffAdmin(ExchangeMixin, admin.ModelAdmin):
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


class InvoiceAdjustmentInline(ComputedInline):
    model = InvoiceAdjustment
    fk_name = "invoice"
    fields = ("corrects", "amount_kzt", "reason", "created_by", "created_at")


class InvoiceExclusionInline(ComputedInline):
    model = InvoiceExclusion
    fields = ("visit_id_text", "child_iin", "date", "setting", "reason", "explanation")

    @admin.display(description=_("why"))
    def explanation(self, obj: InvoiceExclusion) -> str:
        return str(EXPLANATIONS.get(obj.reason, ""))


check_action = service_action(
    name="check",
    description=_("Mark the selected invoices checked"),
    form_class=ConfirmForm,
    call=lambda invoice, data, user: services.invoice_check(invoice=invoice, acting_user=user),
)


def approve_action(warn: Any = None) -> Any:
    """The approval, with `warn(invoices)` (messages shown before it is confirmed)."""
    return service_action(
        name="approve",
        description=_("Approve and freeze the selected invoices"),
        form_class=ConfirmForm,
        call=lambda invoice, data, user: services.invoice_approve(
            invoice=invoice, acting_user=user
        ),
        warn=warn,
    )


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Monthly invoices computed by `bill`: an officer marks a draft checked, another approves
    (freezes) it, then the payment is recorded (domain.md §6)."""

    list_display = (
        "provider",
        "month",
        "state",
        "home_units",
        "centre_units",
        "amount_kzt",
        "computed_at",
        "checked_by",
        "approved_by",
        "paid_on",
    )
    list_filter = ("status", "month", "provider")
    list_select_related = ("provider", "checked_by", "approved_by")
    search_fields = ("=provider__bin", "provider__name")
    date_hierarchy = "month"
    readonly_fields = (
        "provider",
        "month",
        "state",
        "home_units",
        "centre_units",
        "amount_kzt",
        "two_components",
        "computed_at",
        "checked_by",
        "checked_at",
        "approved_by",
        "approved_at",
        "payment_order",
        "paid_on",
        "documents",
    )
    inlines = (InvoiceLineInline, InvoiceAdjustmentInline, InvoiceExclusionInline)
    # The budget adds the payment and the plan's warning (budget.admin.InvoiceAdmin).
    actions: tuple[Any, ...] = (check_action, approve_action())

    @admin.display(description=_("status"), ordering="status")
    def state(self, obj: Invoice) -> str:
        """The status, and whether the month is still running (a draft to preview only)."""
        if obj.month_running:
            return format_html(
                "{} · <strong>{}</strong>", obj.get_status_display(), _("running month — draft")
            )
        return str(obj.get_status_display())

    @admin.display(description=_("payment in two components"))
    def two_components(self, obj: Invoice) -> str:
        parts = components(obj)
        return format_html(
            "{}: {} ₸ · {}: {} ₸ · {}: {} ₸ · <strong>{}: {} ₸</strong>",
            _("base"),
            parts.base_kzt,
            _("per capita (service days)"),
            parts.per_capita_kzt,
            _("adjustments"),
            parts.adjustments_kzt,
            _("total"),
            parts.total_kzt,
        )

    @admin.display(description=_("documents"))
    def documents(self, obj: Invoice) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("tariffs:invoice_act", args=[obj.pk]),
            _("act (PDF)"),
            reverse("tariffs:invoice_xlsx", args=[obj.pk]),
            _("lines (XLSX)"),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AdjustmentForm(forms.ModelForm):
    class Meta:
        model = InvoiceAdjustment
        fields = ("invoice", "corrects", "amount_kzt", "reason")


@admin.register(InvoiceAdjustment)
class InvoiceAdjustmentAdmin(admin.ModelAdmin):
    """A correction of a frozen invoice, entered on a later month's invoice with a reason."""

    form = AdjustmentForm
    list_display = ("invoice", "corrects", "amount_kzt", "created_by", "created_at")
    list_select_related = ("invoice__provider", "corrects__provider", "created_by")
    autocomplete_fields = ()
    readonly_fields = ("created_by", "created_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = services.adjustment_add(
            invoice=obj.invoice,
            corrects=obj.corrects,
            amount_kzt=obj.amount_kzt,
            reason=obj.reason,
            acting_user=request.user,
        )
        obj.pk = saved.pk

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)

        class Checked(form):  # type: ignore[misc, valid-type]
            def clean(self) -> Any:
                data = super().clean()
                invoice, corrects = data.get("invoice"), data.get("corrects")
                if invoice is not None and corrects is not None:
                    problem = services.adjustment_problem(
                        invoice=invoice,
                        corrects=corrects,
                        amount_kzt=data.get("amount_kzt") or 0,
                        reason=data.get("reason") or "",
                    )
                    if problem is not None:
                        raise ValidationError(problem)
                return data

        return Checked
