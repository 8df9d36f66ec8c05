"""Section 3 (R261 §10): the local budget; tenge shown only as the days they bill are."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Sum

from budget.models import BaseComponent, BudgetYear, ExpenseCode, Payment, PlanMonth
from reports import published
from reports.figures.base import names
from reports.figures.people import People
from reports.suppression import HIDDEN, is_suppressed
from tariffs.models import FROZEN, Invoice

Bill = tuple[int, datetime.date]  # an approved invoice: (provider, month)


class Money(People):
    """Section 3: the local budget, and which sums of tenge may be shown (the days they bill)."""

    # -- 3. local budget ------------------------------------------------------------------
    def budget(self) -> dict[str, Any]:
        months = self.scope.months
        years = sorted({m.year for m in months})
        allocated = (
            BudgetYear.objects.filter(year__in=years).aggregate(t=Sum("allocation_kzt"))["t"] or 0
        )
        plan = {
            (year, month): (obligations, payments)
            for year, month, obligations, payments in PlanMonth.objects.filter(
                budget_year__year__in=years
            ).values_list("budget_year__year", "month", "obligations_kzt", "payments_kzt")
        }
        # Every approved invoice of the pilot, whoever's: (provider, month) → its payments.
        self._bills: dict[Bill, set[int]] = defaultdict(set)
        # The days each bills now, for the city too (an invoice approved after the month's
        # figures were published bills days those figures do not hold).
        self._billed_now: dict[tuple[int | None, datetime.date], dict[str, int]] = defaultdict(
            lambda: {"home": 0, "centre": 0}
        )
        for provider_id, month, home, centre, payment in Invoice.objects.filter(
            status__in=FROZEN
        ).values_list("provider_id", "month", "home_units", "centre_units", "payments__pk"):
            if (provider_id, month) not in self._bills:
                for who in (provider_id, None):
                    self._billed_now[(who, month)]["home"] += home
                    self._billed_now[(who, month)]["centre"] += centre
            self._bills[(provider_id, month)].update([payment] if payment else [])
        approved_invoices = self.invoices().filter(status__in=FROZEN)
        approved: dict[datetime.date, int] = defaultdict(int)
        approved_by_provider: dict[int, int] = defaultdict(int)
        days_by_provider: dict[int, int] = defaultdict(int)
        invoices_by_provider: dict[int, set[Bill]] = defaultdict(set)
        for (
            provider_id,
            month,
            amount,
            base,
            adjustments,
            home,
            centre,
        ) in approved_invoices.values_list(
            "provider_id",
            "month",
            "amount_kzt",
            "base_kzt",
            "adjustments_kzt",
            "home_units",
            "centre_units",
        ):
            total = amount + (base or 0) + (adjustments or 0)
            approved[month] += total
            approved_by_provider[provider_id] += total
            days_by_provider[provider_id] += home + centre
            invoices_by_provider[provider_id].add((provider_id, month))
        payments = self._by_provider(
            Payment.objects.filter(paid_on__range=(self.scope.start, self.scope.until)),
            "invoice__provider_id",
        )
        paid: dict[datetime.date, int] = defaultdict(int)
        paid_by_provider: dict[int, int] = defaultdict(int)
        paid_by_code: dict[int, int] = defaultdict(int)
        # The invoices each sum of payments is made of, and every month's payments of each.
        paid_bills: dict[Any, set[tuple[Bill, int]]] = defaultdict(set)
        for pk, provider_id, code_id, paid_on, amount, month in payments.values_list(
            "pk",
            "invoice__provider_id",
            "expense_code_id",
            "paid_on",
            "amount_kzt",
            "invoice__month",
        ):
            paid[paid_on.replace(day=1)] += amount
            paid_by_provider[provider_id] += amount
            paid_by_code[code_id] += amount
            paid_bill = ((provider_id, month), pk)
            for part in (paid_on.replace(day=1), ("provider", provider_id), ("code", code_id)):
                paid_bills[part].add(paid_bill)
            paid_bills["all"].add(paid_bill)
        codes = {
            code.pk: code
            for code in ExpenseCode.objects.filter(pk__in=list(paid_by_code)).order_by("code")
        }
        bases = dict(
            self._by_provider(BaseComponent.objects.filter(year__in=years)).values_list(
                "provider_id", "monthly_kzt"
            )
        )
        me = self.scope.provider_id
        by_month = [
            {
                "month": f"{month:%Y-%m}",
                "plan_obligations": plan.get((month.year, month.month), (0, 0))[0],
                "plan_payments": plan.get((month.year, month.month), (0, 0))[1],
                "approved": self._money(approved[month], self._month_bills(me, month)),
                "paid": self._paid(paid[month], paid_bills[month]),
            }
            for month in months
        ]
        by_provider = [
            {
                "provider": name,
                "base_monthly": bases.get(provider_id, 0),
                # Days billed and money tell each other (tenge are tariffs times days).
                "service_days": self._money(
                    days_by_provider[provider_id], invoices_by_provider[provider_id]
                ),
                "approved": self._money(
                    approved_by_provider[provider_id], invoices_by_provider[provider_id]
                ),
                "paid": self._paid(
                    paid_by_provider[provider_id], paid_bills[("provider", provider_id)]
                ),
            }
            for provider_id, name in self.providers.items()
            if approved_by_provider[provider_id] or paid_by_provider[provider_id]
        ]
        every_bill = {bill for bills in invoices_by_provider.values() for bill in bills}
        self._approved_total = self._money(sum(approved.values()), every_bill)
        city = self.scope.provider_id is None
        if not city:  # the city's plan and allocation are not a provider's
            for row in by_month:
                row["plan_obligations"] = row["plan_payments"] = None
        return {
            "allocated": allocated if city else None,
            "plan_payments": sum(row["plan_payments"] or 0 for row in by_month) if city else None,
            "plan_obligations": (
                sum(row["plan_obligations"] or 0 for row in by_month) if city else None
            ),
            "approved": self._approved_total,
            "paid": self._paid(sum(paid.values()), paid_bills["all"]),
            "by_month": by_month,
            "by_code": [
                {
                    "code": code.code,
                    "name": code.name,
                    "names": names(code),
                    "paid": self._paid(paid_by_code[pk], paid_bills[("code", pk)]),
                }
                for pk, code in codes.items()
            ],
            "by_provider": by_provider,
        }

    # -- money, shown as the billed days it tells ------------------------------------------
    def _bill_shown(self, provider: int | None, month: datetime.date) -> bool:
        """Whether the days an invoice of a month bills (of a provider; None: all the city's
        invoices of the month) are published: its tenge tell them."""
        for setting in ("home", "centre"):
            key = published.billed_key(month, provider, setting)
            if key not in self.published.cells or is_suppressed(self.published.cells[key]):
                return False
            # Published when the invoice bills what it bills now: one approved later is
            # decided with the next month's figures.
            if self.published.value(key) != self._billed_now[(provider, month)][setting]:
                return False
        return True

    def _month_bills(self, provider: int | None, month: datetime.date) -> set[Bill]:
        """The invoices of a month: the provider's, or every provider's for the city."""
        return {
            bill
            for bill in self._bills
            if bill[1] == month and (provider is None or bill[0] == provider)
        }

    def _money(self, amount: int, bills: set[Bill]) -> Any:
        """A sum of approved invoices, shown when the days it bills are: each invoice's, or
        where only the city's days of a month are published, all of that month's invoices
        together."""
        return amount if self._bills_shown(bills) else HIDDEN

    def _bills_shown(self, bills: set[Bill]) -> bool:
        months: dict[datetime.date, set[Bill]] = defaultdict(set)
        for bill in bills:
            if not self._bill_shown(*bill):
                months[bill[1]].add(bill)
        return all(
            self._bill_shown(None, month) and hidden == self._hidden_bills(month)
            for month, hidden in months.items()
        )

    def _hidden_bills(self, month: datetime.date) -> set[Bill]:
        return {bill for bill in self._bills if bill[1] == month and not self._bill_shown(*bill)}

    def _paid(self, amount: int, payments: set[tuple[Bill, int]]) -> Any:
        """A sum of payments, shown as the invoices they pay are; an invoice whose days are
        hidden counts only where the sum holds every payment of it (part of it is not it)."""
        bills = {bill for bill, _pk in payments}
        for bill in bills:
            if not self._bill_shown(*bill) and self._bills.get(bill, set()) != {
                pk for b, pk in payments if b == bill
            }:
                return HIDDEN
        return amount if self._bills_shown(bills) else HIDDEN
