"""The budget in the admin: the year's allocation and financing plan beside what was approved
and paid, payments by expense specifics, and each provider's base component; and, on the
invoices' page, the payment of an approved invoice and the plan's warning before an approval
(the budget builds on billing, so it extends billing's admin rather than billing knowing it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from budget import services
from budget.models import BaseComponent, BudgetYear, ExpenseCode, Payment, PlanMonth
from budget.services import kzt, year_figures
from core.admin import ReadOnlyAdminMixin, service_action
from tariffs import admin as tariff_admin
from tariffs.models import Invoice


class PaymentForm(forms.Form):
    payment_order = forms.CharField(label=_("Payment order number"), max_length=50)
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    expense_code = forms.ModelChoiceField(
        label=_("Expense specifics"),
        queryset=ExpenseCode.objects.filter(active=True),
        initial=lambda: ExpenseCode.objects.filter(code="159").first(),
    )


def approval_warning(invoices: Any) -> list[str]:
    """Whether approving the selection together would go over the month's plan."""
    message = services.approval_warning(list(invoices))
    return [message] if message else []


admin.site.unregister(Invoice)


@admin.register(Invoice)
class InvoiceAdmin(tariff_admin.InvoiceAdmin):
    actions = (
        tariff_admin.check_action,
        tariff_admin.approve_action(warn=approval_warning),
        service_action(
            name="mark_paid",
            description=_("Record the payment of the selected invoices"),
            form_class=PaymentForm,
            call=lambda invoice, data, user: services.invoice_mark_paid(
                invoice=invoice,
                payment_order=data["payment_order"],
                paid_on=data["paid_on"],
                expense_code=data["expense_code"].code,
                acting_user=user,
            ),
        ),
    )


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
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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


@admin.register(BaseComponent)
class BaseComponentAdmin(admin.ModelAdmin):
    list_display = ("provider", "year", "monthly_kzt")
    list_filter = ("year",)
    list_select_related = ("provider",)
