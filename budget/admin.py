"""The budget in the admin: the year's allocation and financing plan beside what was approved
and paid, payments by expense specifics, and each provider's base component."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from budget.models import BaseComponent, BudgetYear, ExpenseCode, Payment, PlanMonth
from budget.services import kzt, year_figures


@admin.register(ExpenseCode)
class ExpenseCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ru", "name_kk", "name_en", "active")
    list_filter = ("active",)


class PlanMonthInline(admin.TabularInline):
    model = PlanMonth
    extra = 0
    max_num = 12


@admin.register(BudgetYear)
class BudgetYearAdmin(admin.ModelAdmin):
    list_display = ("year", "allocation_kzt", "act")
    inlines = (PlanMonthInline,)
    readonly_fields = ("plan_against_execution",)

    @admin.display(description=_("plan against approved and paid"))
    def plan_against_execution(self, obj: BudgetYear) -> str:
        if obj.pk is None:
            return "—"
        rows = format_html_join(
            "",
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    format_html(' class="{}"', "over")
                    if month.over_obligations or month.over_payments
                    else "",
                    f"{month.month:02d}",
                    kzt(month.plan_obligations_kzt),
                    format_html("<strong>{} ⚠</strong>", kzt(month.approved_kzt))
                    if month.over_obligations
                    else kzt(month.approved_kzt),
                    kzt(month.plan_payments_kzt),
                    format_html("<strong>{} ⚠</strong>", kzt(month.paid_kzt))
                    if month.over_payments
                    else kzt(month.paid_kzt),
                )
                for month in year_figures(obj.year)
            ),
        )
        return format_html(
            '<table data-testid="budget-figures"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("month"),
            _("plan by obligations, ₸"),
            _("approved, ₸"),
            _("plan by payments, ₸"),
            _("paid, ₸"),
            rows,
        )


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Payments are recorded on invoices (Invoices → Record the payment)."""

    list_display = (
        "order_number",
        "paid_on",
        "invoice",
        "amount_kzt",
        "expense_code",
        "recorded_by",
    )
    list_filter = ("expense_code", "paid_on")
    list_select_related = ("invoice__provider", "expense_code", "recorded_by")
    date_hierarchy = "paid_on"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BaseComponent)
class BaseComponentAdmin(admin.ModelAdmin):
    list_display = ("provider", "year", "monthly_kzt")
    list_filter = ("year",)
    list_select_related = ("provider",)
