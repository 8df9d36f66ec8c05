"""The figures of a monitoring report (R261 §10) and of the pilot's evaluation (Alg. §27).

`compute` reads the portal's data for a period in a fixed number of set-based queries and
returns plain, JSON-ready figures. Counts of children (and of families' answers) pass through
`suppression`, so that what is stored in a report version, printed in its files and shown to
analysts never lets a child be singled out (docs/decisions.md, "Monitoring reports").

What counts (docs/decisions.md):
- a child is *served* in the period when at least one of their visits in it is done;
- a *service day* is a child's day in one setting with a done visit (as billed: domain.md §6);
- ages are counted on the child's first service day in the period;
- staff are those in post on the last day of the data, against App. 1 for the children
  enrolled on that day;
- money is whole tenge: approved invoices of the period's months, payments by their date.
"""

from __future__ import annotations

import datetime
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budget.models import BaseComponent, BudgetYear, ExpenseCode, Payment, PlanMonth
from core.periods import month_start, months_between
from providers import rules
from providers.models import Branch, Position, Provider, StaffingNorm, StaffMember
from recipients.models import (
    CARE_DIAGNOSIS_GROUPS,
    District,
    Enrollment,
    EnrollmentStatus,
    ServiceKind,
)
from reconciliation.checks import Period, child_weeks
from reconciliation.models import FindingKind, FindingStatus
from reports import published
from reports.models import SurveyResponse
from reports.periods import half_year_bounds, half_years
from reports.published import AGE_GROUPS, Published, age_group
from reports.suppression import HIDDEN, SUPPRESSED, THRESHOLD, is_suppressed, small
from services.models import CatalogueService, Visit, VisitStatus
from tariffs.billing.facts import load_tariffs
from tariffs.billing.rules import tariff_on
from tariffs.models import FROZEN, Invoice, InvoiceAdjustment, InvoiceExclusion, InvoiceLine

__all__ = ["AGE_GROUPS", "age_group", "compute", "localise", "neutral"]

# The reasons for which the billing rules withhold a visit because another budget pays for the
# child that day, or a review rejected it (domain.md §6, Alg. §24–25).
CONTROL_REASONS = {
    "DECEASED": gettext_lazy("Death recorded (persons registry)"),
    "NOT_RESIDENT": gettext_lazy("Not registered in Astana (persons registry)"),
    "HOSPITAL": gettext_lazy("Inpatient hospital stay (health registry)"),
    "SANATORIUM": gettext_lazy("Sanatorium stay (health registry)"),
    "EDUCATION_CORRECTION": gettext_lazy("КППК / ПМПК correction (education registry)"),
    "REJECTED_ON_REVIEW": gettext_lazy("Rejected on review of a finding"),
}


Bill = tuple[int, datetime.date]  # an approved invoice: (provider, month)


@dataclass(frozen=True)
class Scope:
    start: datetime.date
    end: datetime.date  # the period's last day
    until: datetime.date  # the last day of data counted (the end, or yesterday for a draft)
    provider_id: int | None = None

    @property
    def months(self) -> list[datetime.date]:
        return [month_start(first) for first, _last in months_between(self.start, self.until)]


def _pct(part: int, whole: int) -> str | None:
    if not whole:
        return None
    return str((Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _weeks_share(meeting: int, weeks: int) -> str | None:
    """The share of child-weeks meeting the minimum frequency, in whole percent; the counts
    themselves are not published (a period's less a period inside it would be a few weeks of
    a child or two). Withheld ("×") where the weeks meeting it or those short of it are 1–4,
    which the share and its neighbours' would give back."""
    if not weeks:
        return None
    if is_suppressed(small(meeting)) or is_suppressed(small(weeks - meeting)):
        return HIDDEN
    return str((Decimal(100) * meeting / weeks).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _units(value: Decimal) -> str:
    """Staff units as printed: 1, 0.5, 10 (never 1.00 or 1E+1)."""
    return format(Decimal(value).normalize(), "f")


def _money_ratio(amount: int, count: int) -> int | None:
    if not count:
        return None
    return int((Decimal(amount) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _closes(end: datetime.date) -> datetime.datetime:
    """The moment a half-year's questionnaire closes: the end of its last day."""
    return timezone.make_aware(
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time())
    )


class Computation:
    """One period's figures; each section a method, each method a few queries."""

    def __init__(self, scope: Scope, decision: Published | None = None) -> None:
        self.scope = scope
        self.period = (scope.start, scope.until)
        # The counts of children, as decided once for every view seen with this one.
        self.published = decision or published.decision_for(self.period, timezone.localdate())
        providers = Provider.objects.order_by("name")
        if scope.provider_id is not None:
            providers = providers.filter(pk=scope.provider_id)
        self.providers = dict(providers.values_list("pk", "name"))

    # -- querysets limited to the scope ---------------------------------------------------
    def _by_provider(self, queryset: Any, path: str = "provider_id") -> Any:
        if self.scope.provider_id is None:
            return queryset
        return queryset.filter(**{path: self.scope.provider_id})

    def done_visits(self) -> Any:
        return self._by_provider(
            Visit.objects.filter(
                status=VisitStatus.DONE, date__range=(self.scope.start, self.scope.until)
            )
        )

    def invoices(self) -> Any:
        return self._by_provider(
            Invoice.objects.filter(month__range=(self.scope.start.replace(day=1), self.scope.until))
        )

    def _name(self, provider_id: int) -> str:
        return self.providers.get(provider_id, str(provider_id))

    # -- 1. recipients --------------------------------------------------------------------
    def recipients(self) -> dict[str, Any]:
        """Counted in reports.published for the city and every provider, shown as decided
        there for every view at once."""

        period, me = self.period, self.scope.provider_id

        def cell(provider: int | None, *path: str) -> Any:
            return self.published.cell(published.recipients_key(period, provider, *path))

        def value(provider: int | None, *path: str) -> int:
            return self.published.value(published.recipients_key(period, provider, *path))

        shown = [
            p for p in self.providers if value(p, "total") or value(p, "new") or value(p, "ended")
        ]
        columns = published.COLUMNS
        breakdowns = {
            "district": [d.value for d in District],
            "age": published.AGE_CODES,
        }
        labels = {"district": {d.value: str(d.label) for d in District}, "age": {}}
        self.district_rows = [
            {"code": code, "total": cell(me, "district", code, "total")}
            for code in breakdowns["district"]
        ]
        return {
            **{key: cell(me, key) for key in columns},
            "by_provider": [
                {"provider": self.providers[p], **{key: cell(p, key) for key in columns}}
                for p in shown
            ],
            **{
                f"by_{name}": [
                    {
                        "code": code,
                        "label": labels[name].get(code, code),
                        **{sex: cell(me, name, code, sex) for sex in published.SEXES},
                    }
                    for code in codes
                ]
                for name, codes in breakdowns.items()
            },
        }

    # -- 2. key staff ---------------------------------------------------------------------
    def staff(self) -> dict[str, Any]:
        on = self.scope.until
        in_post = (
            self._by_provider(
                StaffMember.objects.filter(Q(hired_on__isnull=True) | Q(hired_on__lte=on))
            )
            .filter(Q(left_on__isnull=True) | Q(left_on__gt=on))
            .values("provider_id", "position")
            .annotate(headcount=Count("pk"), fte=Sum("fte"))
        )
        staff: dict[int, dict[str, tuple[int, Decimal]]] = defaultdict(dict)
        for row in in_post:
            staff[row["provider_id"]][row["position"]] = (
                row["headcount"],
                row["fte"] or Decimal(0),
            )
        enrolled = {
            row["provider_id"]: row
            for row in self._by_provider(Enrollment.objects.in_force(on))
            .values("provider_id")
            .annotate(
                children=Count("child", distinct=True),
                care=Count(
                    "child",
                    distinct=True,
                    filter=Q(child__diagnosis_group__in=CARE_DIAGNOSIS_GROUPS),
                ),
            )
        }
        branches = dict(
            self._by_provider(
                Branch.objects.filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on))
            )
            .values("provider_id")
            .annotate(n=Count("pk"))
            .values_list("provider_id", "n")
        )
        vehicles = dict(
            Provider.objects.filter(pk__in=list(self.providers)).values_list("pk", "vehicles")
        )
        norms = list(StaffingNorm.objects.order_by("number"))
        labels = dict(Position.choices)
        by_provider = []
        total_headcount, total_fte, total_required = 0, Decimal(0), Decimal(0)
        any_few = False
        compliant = 0
        for provider_id, name in self.providers.items():
            counts = enrolled.get(provider_id, {})
            if provider_id not in staff and not counts:
                continue
            lines = rules.staffing_table(
                norms=norms,
                actual_fte={p: fte for p, (_h, fte) in staff[provider_id].items()},
                recipients=counts.get("children", 0),
                care_recipients=counts.get("care", 0),
                branches=branches.get(provider_id, 0),
                vehicles=vehicles.get(provider_id, 0),
            )
            # The units required follow the children enrolled: shown only beside their
            # count published as a number, or they would tell a count hidden as "< 5" or
            # "×". The care worker's follow the children with a psychoneurological or
            # musculoskeletal condition, a count published nowhere: withheld for 1–4 of them
            # (which says no more than "< 5" would), and the provider's totals with them.
            children_cell = self.published.cell(published.enrolled_key(on, provider_id, None))
            care = counts.get("care", 0)
            few = is_suppressed(children_cell)
            withheld = few or is_suppressed(small(care))
            positions = []
            for line in lines:
                headcount = staff[provider_id].get(line.position, (0, Decimal(0)))[0]
                care_line = line.position == Position.CARE_SOCIAL_WORKER
                hide = few or (withheld and care_line)
                if not headcount and not line.required and not (hide and care_line):
                    continue
                positions.append(
                    {
                        "position": str(labels.get(line.position, line.position)),
                        "headcount": headcount,
                        "fte": _units(line.actual),
                        "required": None if hide else _units(line.required),
                        "shortfall": None if hide else _units(line.shortfall),
                    }
                )
            headcount = sum(h for h, _f in staff[provider_id].values())
            fte = sum((f for _h, f in staff[provider_id].values()), Decimal(0))
            required = sum((line.required for line in lines), Decimal(0))
            shortfall = sum((line.shortfall for line in lines), Decimal(0))
            compliant += shortfall == 0
            any_few = any_few or withheld
            total_headcount += headcount
            total_fte += fte
            total_required += required
            by_provider.append(
                {
                    "provider": name,
                    "children": children_cell,
                    "headcount": headcount,
                    "fte": _units(fte),
                    "required": None if withheld else _units(required),
                    "shortfall": None if withheld else _units(shortfall),
                    "positions": positions,
                }
            )
        return {
            "on": on.isoformat(),
            "headcount": total_headcount,
            "fte": _units(total_fte),
            "required": None if any_few else _units(total_required),
            "providers": len(by_provider),
            "providers_compliant": compliant,
            "by_provider": by_provider,
        }

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

    # -- 4. kinds of service --------------------------------------------------------------
    def service_days(self) -> dict[tuple[int, str, datetime.date], int]:
        """(provider, setting, day) → children with a done visit then: one query, grouped."""

        table = Visit._meta.db_table
        sql = (
            f"SELECT provider_id, setting, date, COUNT(DISTINCT child_id) FROM {table} "  # noqa: S608
            "WHERE status = %s AND date BETWEEN %s AND %s"
        )
        params: list[Any] = [VisitStatus.DONE.value, self.scope.start, self.scope.until]
        if self.scope.provider_id is not None:
            sql += " AND provider_id = %s"
            params.append(self.scope.provider_id)
        sql += " GROUP BY provider_id, setting, date"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return {
            (
                provider_id,
                setting,
                day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day),
            ): count
            for provider_id, setting, day, count in rows
        }

    def _days(self, provider: int | None, setting: str) -> Any:
        """The period's service days of `provider` (None: the scope's whole) in `setting`, as
        the suppression decision publishes them (they bound the children they serve)."""
        return self.published.cell(
            published.days_key(published.period_tag(self.period), provider, setting)
        )

    def _days_hidden(self, provider: int | None) -> bool:
        return is_suppressed(self._days(provider, "home")) or is_suppressed(
            self._days(provider, "centre")
        )

    def services(self) -> dict[str, Any]:
        days: dict[tuple[int, str], int] = defaultdict(int)
        for (provider_id, setting, _day), count in self._service_days.items():
            days[(provider_id, setting)] += count
        given: Counter[tuple[int, str]] = Counter()
        # Visits with the same list of services are counted together by the database.
        for provider_id, codes, number in (
            self.done_visits()
            .values("provider_id", "services")
            .annotate(number=Count("pk"))
            .values_list("provider_id", "services", "number")
        ):
            for code in codes or []:
                given[(provider_id, code)] += number
        catalogue = {
            row.code: row for row in CatalogueService.objects.order_by("kind", "order", "code")
        }
        kinds = [(kind.value, str(kind.label)) for kind in ServiceKind]
        kinds_given: dict[int, Counter[str]] = defaultdict(Counter)
        for (p, code), number in given.items():
            if code in catalogue:
                kinds_given[p][catalogue[code].kind] += number
        by_provider = []
        for provider_id, name in self.providers.items():
            home, centre = days[(provider_id, "home")], days[(provider_id, "centre")]
            per_kind = kinds_given[provider_id]
            if not home and not centre and not per_kind:
                continue
            home_cell, centre_cell = (
                self._days(provider_id, "home"),
                self._days(provider_id, "centre"),
            )
            hidden = self._days_hidden(provider_id)
            by_provider.append(
                {
                    "provider": name,
                    "home_days": home_cell,
                    "centre_days": centre_cell,
                    # The visits of each kind follow the days: hidden with them.
                    "kinds": [HIDDEN if hidden else per_kind[code] for code, _label in kinds],
                }
            )
        city: Counter[str] = Counter()
        for (_p, code), number in given.items():
            city[code] += number
        me = self.scope.provider_id
        home_all, centre_all = self._days(me, "home"), self._days(me, "centre")
        return {
            "home_days": home_all,
            "centre_days": centre_all,
            "days": HIDDEN if self._days_hidden(me) else int(home_all) + int(centre_all),
            "kinds": [label for _code, label in kinds],
            "by_provider": by_provider,
            "catalogue": [
                {
                    "code": code,
                    "name": service.name,
                    "names": names(service),
                    "kind": str(service.get_kind_display()),
                    # Visits with a service follow the days of the view: hidden with them.
                    # A count under 5 is a visit or a few: of one child, perhaps.
                    "given": HIDDEN if self._days_hidden(me) else small(city[code]),
                }
                for code, service in catalogue.items()
                if city[code]
            ],
        }

    # -- double financing control ---------------------------------------------------------
    def control(self) -> dict[str, Any]:
        period, me = self.period, self.scope.provider_id
        statuses = [status.value for status in FindingStatus]
        by_kind = []
        for kind in FindingKind:
            total = published.findings_key(period, me, kind.value, "total")
            if not self.published.value(total):
                continue
            cells = [
                self.published.cell(published.findings_key(period, me, kind.value, status))
                for status in statuses
            ]
            by_kind.append(
                {"kind": str(kind.label), "total": self.published.cell(total), "statuses": cells}
            )
        tariffs = load_tariffs()  # the billing rules' own table of the tariff of the day
        frozen = self.invoices().filter(status__in=FROZEN)
        withheld: dict[str, set[tuple[str, datetime.date, str]]] = defaultdict(set)
        for reason, iin, day, setting in InvoiceExclusion.objects.filter(
            invoice__in=frozen, reason__in=list(CONTROL_REASONS)
        ).values_list("reason", "child_iin", "date", "setting"):
            withheld[reason].add((iin, day, setting))
        rows: list[dict[str, Any]] = []
        for reason, label in CONTROL_REASONS.items():
            service_days = withheld.get(reason, set())
            if not service_days:
                continue
            children = self.published.cell(published.withheld_key(period, me, reason))
            # The days and tenge withheld bound the children withheld: hidden with them.
            hidden = is_suppressed(children)
            rows.append(
                {
                    "reason": str(label),
                    "children": children,
                    "service_days": HIDDEN if hidden else len(service_days),
                    "amount": (
                        HIDDEN
                        if hidden
                        else sum(tariff_on(tariffs, s, d) or 0 for _i, d, s in service_days)
                    ),
                }
            )
        # Found after approval: withheld by a negative adjustment on a later invoice (§6).
        taken_back = -(
            InvoiceAdjustment.objects.filter(invoice__in=frozen, amount_kzt__lt=0).aggregate(
                t=Sum("amount_kzt")
            )["t"]
            or 0
        )
        if taken_back:
            rows.append(
                {
                    "reason": str(_("Withheld after approval (negative adjustments)")),
                    "children": None,
                    "service_days": None,
                    "amount": taken_back,
                }
            )
        return {
            "statuses": [str(status.label) for status in FindingStatus],
            "findings": by_kind,
            "withheld": rows,
            **(
                dict.fromkeys(("withheld_amount", "withheld_days"), HIDDEN)
                if any(is_suppressed(row["amount"]) for row in rows)
                else {
                    "withheld_amount": sum(row["amount"] for row in rows),
                    "withheld_days": sum(row["service_days"] or 0 for row in rows),
                }
            ),
        }

    # -- the pilot's evaluation (Alg. §27) ------------------------------------------------
    def evaluation(self, staff: dict[str, Any], budget: dict[str, Any]) -> dict[str, Any]:
        scope = self.scope
        window = (scope.start, scope.until)
        me = scope.provider_id

        def access(name: str) -> Any:
            return self.published.cell(published.access_key(self.period, me, name))

        decided = self._by_provider(
            Enrollment.objects.filter(
                decision_date__range=window,
                status__in=[EnrollmentStatus.APPROVED, EnrollmentStatus.REFUSED],
            )
        ).values_list("status", "decision_date", "application__submitted_on")
        waits = [
            (decision_date - submitted_on).days
            for _status, decision_date, submitted_on in decided
            if submitted_on is not None
        ]
        # The served children by district are the recipients section's, suppressed there.
        served_by_district = {row["code"]: row["total"] for row in self.district_rows}

        statuses = dict(
            self._by_provider(Visit.objects.filter(date__range=window))
            .values("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        # Done visits are service days (but for duplicates): shown as the decision does.
        done: Any = self.published.cell(published.visits_key(self.period, me))
        missed = statuses.get("missed", 0)
        planned_past = statuses.get("planned", 0)
        weeks = weeks_meeting = 0
        monthly_weeks: dict[datetime.date, list[int]] = defaultdict(lambda: [0, 0])
        for week in child_weeks(Period(scope.start, scope.until)):
            if (
                scope.provider_id is not None
                and week.enrollment["provider_id"] != scope.provider_id
            ):
                continue
            weeks += 1
            weeks_meeting += week.meets_minimum
            bucket = monthly_weeks[week.monday.replace(day=1)]
            bucket[0] += 1
            bucket[1] += week.meets_minimum
        self._monthly_weeks = monthly_weeks

        satisfaction = self.satisfaction()

        lines = InvoiceLine.objects.filter(invoice__in=self.invoices().filter(status__in=FROZEN))
        per_capita = lines.aggregate(amount=Sum("amount_kzt"), units=Sum("units"))
        # Tenge and days billed tell each other, and the children billed are at most those
        # served: shown as the decision publishes the billed days and children.
        billed_now = dict(
            lines.values("invoice__month")
            .annotate(n=Count("child", distinct=True))
            .values_list("invoice__month", "n")
        )
        keys = [published.billed_key(month, me, "children") for month in scope.months]
        child_months: Any = (
            sum(billed_now.values())
            if all(
                not is_suppressed(self.published.cell(key))
                and self.published.value(key) == billed_now.get(month, 0)
                for key, month in zip(keys, scope.months, strict=True)
            )
            else HIDDEN
        )
        money_shown = not is_suppressed(budget["approved"])
        per_capita_amount = (per_capita["amount"] or 0) if money_shown else HIDDEN
        units = (per_capita["units"] or 0) if money_shown else HIDDEN
        return {
            "accessibility": {
                "applications": access("applications"),
                "decided": access("decided"),
                "approved": access("approved"),
                "refused": access("refused"),
                "days_mean": (
                    str(Decimal(statistics.fmean(waits)).quantize(Decimal("0.1")))
                    if len(waits) >= 5
                    else None
                ),
                "days_median": statistics.median(waits) if len(waits) >= 5 else None,
                "coverage": [
                    {
                        "district": str(d.label),
                        "enrolled": self.published.cell(
                            published.enrolled_key(scope.until, me, d.value)
                        ),
                        "served": served_by_district[d.value],
                    }
                    for d in District
                ],
            },
            "quality": {
                "done": done,
                "missed": missed,
                "cancelled": statuses.get("cancelled", 0),
                "not_logged": planned_past,
                "done_share": (
                    HIDDEN if is_suppressed(done) else _pct(done, done + missed + planned_past)
                ),
                "weeks_share": _weeks_share(weeks_meeting, weeks),
                "providers": staff["providers"],
                "providers_compliant": staff["providers_compliant"],
            },
            "satisfaction": satisfaction,
            "effectiveness": {
                "child_months": child_months,
                "per_capita_amount": per_capita_amount,
                "service_days": units,
                "cost_per_child_month": (
                    HIDDEN
                    if is_suppressed(child_months) or not money_shown
                    else _money_ratio(int(budget["approved"]), int(child_months))
                ),
                "cost_per_service_day": (
                    _money_ratio(int(per_capita_amount), int(units)) if money_shown else HIDDEN
                ),
                "execution": (
                    HIDDEN
                    if is_suppressed(budget["paid"])
                    else _pct(budget["paid"], budget["plan_payments"])
                ),
                "execution_of_allocation": (
                    HIDDEN
                    if is_suppressed(budget["paid"]) and budget["allocated"]
                    else _pct(budget["paid"], budget["allocated"])
                    if budget["allocated"]
                    else None
                ),
            },
        }

    def satisfaction(self) -> dict[str, Any]:
        """The questionnaire's averages, published so that no family's answers can be told
        apart by comparing two publications: only the city's (never one provider's); only
        half-years that are over and whose answers are in the data (the questionnaire of a
        half-year closes on its last day, so every publication of it counts the same
        answers); only half-years with 5 answers or more."""

        scope = self.scope
        labels = {
            q: str(getattr(SurveyResponse._meta.get_field(q), "verbose_name", q))
            for q in SurveyResponse.QUESTIONS
        }
        included: list[tuple[int, int]] = []
        counts: dict[tuple[int, int], int] = {}
        if scope.provider_id is None:
            for year, half in half_years(scope.start, scope.until):
                end = half_year_bounds(year, half)[1]
                if end > scope.until:
                    continue  # still running: its answers are not all in
                closes = _closes(end)
                number = SurveyResponse.objects.filter(
                    year=year, half=half, submitted_at__lt=closes
                ).count()
                counts[(year, half)] = number
                if number >= THRESHOLD:
                    included.append((year, half))
        means: dict[str, Any] = {q: None for q in SurveyResponse.QUESTIONS}
        total = sum(counts[h] for h in included)
        if included:
            condition = Q()
            for year, half in included:
                end = half_year_bounds(year, half)[1]
                closes = _closes(end)
                condition |= Q(year=year, half=half, submitted_at__lt=closes)
            means = SurveyResponse.objects.filter(condition).aggregate(
                **{q: Avg(q) for q in SurveyResponse.QUESTIONS}
            )
        return {
            "responses": total if scope.provider_id is None else None,
            "half_years": [f"H{half} {year}" for year, half in included],
            "questions": [
                {
                    "question": labels[q],
                    "mean": (
                        str(Decimal(means[q]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
                        if means[q] is not None
                        else None
                    ),
                }
                for q in SurveyResponse.QUESTIONS
            ],
        }

    # -- month by month (the dashboard's and the report's charts) -------------------------
    def monthly(self, budget: dict[str, Any]) -> list[dict[str, Any]]:
        me = self.scope.provider_id
        tags = dict(published.months(self.period))

        def cell(kind: str, month: datetime.date) -> Any:
            return self.published.cell(published.month_key(kind, tags[month], me))

        money = {row["month"]: row for row in budget["by_month"]}
        out = []
        for month in self.scope.months:
            weeks, meeting = self._monthly_weeks.get(month, [0, 0])
            days = self.published.cell(published.days_key(tags[month], me))
            out.append(
                {
                    "month": f"{month:%Y-%m}",
                    "children": cell("children", month),
                    "service_days": days,
                    "plan_payments": money[f"{month:%Y-%m}"]["plan_payments"],
                    "approved": money[f"{month:%Y-%m}"]["approved"],
                    "paid": money[f"{month:%Y-%m}"]["paid"],
                    "weeks_share": _weeks_share(meeting, weeks),
                    "findings": cell("findings", month),
                }
            )
        return out

    def run(self, progress: Any = None) -> dict[str, Any]:
        def step(percent: int, name: str) -> None:
            if progress is not None:
                progress(percent, name)

        step(5, _("Recipients"))
        recipients = self.recipients()
        step(25, _("Key staff"))
        staff = self.staff()
        step(35, _("Local budget"))
        budget = self.budget()
        step(45, _("Kinds of service"))
        self._service_days = self.service_days()
        services = self.services()
        step(60, _("Double financing control"))
        control = self.control()
        step(70, _("Evaluation of the pilot"))
        evaluation = self.evaluation(staff, budget)
        monthly = self.monthly(budget)
        return {
            "period": {
                "start": self.scope.start.isoformat(),
                "end": self.scope.end.isoformat(),
                "until": self.scope.until.isoformat(),
                "provider": self.providers.get(self.scope.provider_id)
                if self.scope.provider_id is not None
                else None,
            },
            "recipients": recipients,
            "staff": staff,
            "budget": budget,
            "services": services,
            "control": control,
            "evaluation": evaluation,
            "monthly": monthly,
        }


def compute(
    start: datetime.date,
    end: datetime.date,
    *,
    until: datetime.date | None = None,
    provider_id: int | None = None,
    progress: Any = None,
    decision: Published | None = None,
) -> dict[str, Any]:
    """The figures of [start, end], counting data up to `until` (default: the end); the counts
    of children as `decision` publishes them (default: as the month's release publishes
    them, published.decision_for)."""
    until = min(until or end, end)
    return Computation(Scope(start, end, until, provider_id), decision).run(progress)


def names(row: Any) -> dict[str, str]:
    """A catalogue row's name in every language (`name_ru`, `name_kk`, …), so that stored
    figures print in any language (see `localise`)."""
    return {
        language: getattr(row, f"name_{language}", "") or row.name_ru
        for language, _language_name in django_settings.LANGUAGES
    }


# Stored figures whose labels are in their source text carry this mark: figures stored before
# (labels already in one language) are not translated.
NEUTRAL = ("labels", "source")

# The keys whose values are labels of the portal's enumerations (translated texts), in the
# figures and their rows; a list under such a key may mix labels and counts ("kinds").
LABEL_KEYS = frozenset(
    {"label", "position", "kind", "kinds", "reason", "statuses", "question", "district"}
)


def neutral(
    start: datetime.date,
    end: datetime.date,
    *,
    until: datetime.date | None = None,
    provider_id: int | None = None,
    progress: Any = None,
    decision: Published | None = None,
) -> dict[str, Any]:
    """The figures as a version stores them (and the dashboard caches them): labels in their
    source text (computed with no language active), so that the same figures print in any
    language with `localise`."""
    with translation.override(None):
        figures = compute(
            start, end, until=until, provider_id=provider_id, progress=progress, decision=decision
        )
    return {**figures, NEUTRAL[0]: NEUTRAL[1]}


def is_neutral(figures: dict[str, Any]) -> bool:
    return figures.get(NEUTRAL[0]) == NEUTRAL[1]


def localise(figures: dict[str, Any], language: str) -> dict[str, Any]:
    """A copy of stored figures with their labels in `language`, and the catalogue's names
    in that language. The counts, tenge and providers' names are left as they are, so two
    versions printed from the same figures in two languages hold the same numbers."""

    def label(value: Any) -> Any:
        if isinstance(value, str) and value not in (SUPPRESSED, HIDDEN):
            return _(value)
        return value

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in LABEL_KEYS:
                out[key] = [label(v) for v in value] if isinstance(value, list) else label(value)
            else:
                out[key] = walk(value)
        names = node.get("names")
        if isinstance(names, dict) and names:
            out["name"] = (
                names.get(language) or names.get(django_settings.LANGUAGE_CODE) or node["name"]
            )
        return out

    with translation.override(language):
        return dict(walk(figures))
