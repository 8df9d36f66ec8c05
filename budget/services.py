"""The budget's figures and payments: a provider's base component, the plan against what was
approved and paid, the warning before an approval would go over the month's plan, and the
payment of an approved invoice."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from budget.models import BaseComponent, BudgetYear, ExpenseCode, Payment, PlanMonth
from core.audit import acting_as
from core.errors import fail
from core.roles import Role, ensure_role
from tariffs import services as tariff_services
from tariffs.models import FROZEN, Invoice, InvoiceAdjustment
from tariffs.payments import components


def kzt(value: int) -> str:
    """Whole tenge in groups of three, as documents here write amounts: 1 234 567."""
    return f"{value:,}".replace(",", " ")


def base_component(provider_id: int, year: int) -> int:
    """The provider's monthly base component for `year` (0 where none is set); provides
    `tariffs.ports.base_component`."""
    monthly = (
        BaseComponent.objects.filter(provider_id=provider_id, year=year)
        .values_list("monthly_kzt", flat=True)
        .first()
    )
    return monthly or 0


@dataclass
class MonthFigures:
    month: int
    plan_obligations_kzt: int = 0
    plan_payments_kzt: int = 0
    approved_kzt: int = 0  # invoices approved in the month (obligations taken)
    paid_kzt: int = 0  # payments made in the month

    @property
    def over_obligations(self) -> bool:
        return self.approved_kzt > self.plan_obligations_kzt

    @property
    def over_payments(self) -> bool:
        return self.paid_kzt > self.plan_payments_kzt


def year_figures(year: int) -> list[MonthFigures]:
    """Plan against approved and paid, month by month; a few set-based queries."""
    figures = {month: MonthFigures(month) for month in range(1, 13)}
    for month, obligations, payments in PlanMonth.objects.filter(
        budget_year__year=year
    ).values_list("month", "obligations_kzt", "payments_kzt"):
        figures[month].plan_obligations_kzt = obligations
        figures[month].plan_payments_kzt = payments
    approved = Invoice.objects.filter(status__in=FROZEN, approved_at__year=year)
    for month, amount in (
        approved.annotate(m=ExtractMonth("approved_at"))
        .values("m")
        .annotate(total=Sum("amount_kzt"))
        .values_list("m", "total")
    ):
        figures[month].approved_kzt += amount or 0
    for month, amount in (
        InvoiceAdjustment.objects.filter(invoice__in=approved)
        .annotate(m=ExtractMonth("invoice__approved_at"))
        .values("m")
        .annotate(total=Sum("amount_kzt"))
        .values_list("m", "total")
    ):
        figures[month].approved_kzt += amount or 0
    bases = dict(BaseComponent.objects.filter(year=year).values_list("provider_id", "monthly_kzt"))
    per_month: dict[int, int] = defaultdict(int)
    for provider_id, approved_at in approved.values_list("provider_id", "approved_at"):
        if approved_at is None:
            continue
        local = timezone.localtime(approved_at) if timezone.is_aware(approved_at) else approved_at
        per_month[local.month] += bases.get(provider_id, 0)
    for month, base in per_month.items():
        figures[month].approved_kzt += base
    for month, amount in (
        Payment.objects.filter(paid_on__year=year)
        .annotate(m=ExtractMonth("paid_on"))
        .values("m")
        .annotate(total=Sum("amount_kzt"))
        .values_list("m", "total")
    ):
        figures[month].paid_kzt += amount or 0
    return list(figures.values())


def approval_warning(invoices: list[Any], *, on: datetime.date | None = None) -> str | None:
    """A warning when approving `invoices` (one or several, together) on `on` (today) would
    take the month's approved total over the financing plan by obligations; None when it
    stays within. The year's figures are read once, whatever the number of invoices."""
    on = on or timezone.localdate()
    if not BudgetYear.objects.filter(year=on.year).exists():
        return _(
            "No budget is recorded for %(year)d: the approval cannot be compared with a plan."
        ) % {"year": on.year}
    month = year_figures(on.year)[on.month - 1]
    after = month.approved_kzt + sum(components(invoice).total_kzt for invoice in invoices)
    if after <= month.plan_obligations_kzt:
        return None
    return _(
        "Approving it takes %(month)02d.%(year)d's approved total to %(after)s ₸, over the plan "
        "by obligations of %(plan)s ₸."
    ) % {
        "month": on.month,
        "year": on.year,
        "after": kzt(after),
        "plan": kzt(month.plan_obligations_kzt),
    }


@transaction.atomic
def invoice_mark_paid(
    *,
    invoice: Invoice,
    payment_order: str,
    paid_on: datetime.date,
    expense_code: str,
    acting_user: Any,
) -> Invoice:
    """An approved invoice is paid: the payment order, its date and the expense specifics code
    are recorded, and the payment of its two components with them."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    invoice = tariff_services.invoice_paid(
        invoice=invoice, payment_order=payment_order, paid_on=paid_on, acting_user=acting_user
    )
    code = ExpenseCode.objects.filter(code=expense_code, active=True).first()
    if code is None:  # the invoice's change is undone with the transaction
        raise fail(_("Unknown expense specifics code."), "expense_code_unknown")
    with acting_as(acting_user):
        Payment.objects.create(
            invoice=invoice,
            order_number=invoice.payment_order,
            paid_on=paid_on,
            amount_kzt=components(invoice).total_kzt,
            expense_code=code,
            recorded_by=acting_user,
        )
    return invoice
