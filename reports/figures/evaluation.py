"""The evaluation of the pilot (Alg. §27): accessibility, quality, satisfaction, effectiveness, and the months."""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Q, Sum

from recipients.models import (
    District,
    Enrollment,
    EnrollmentStatus,
)
from reconciliation.checks import Period, child_weeks
from reports import published
from reports.figures.base import _closes, _money_ratio, _pct, _weeks_share
from reports.figures.control import Control
from reports.models import SurveyResponse
from reports.periods import half_year_bounds, half_years
from reports.suppression import HIDDEN, THRESHOLD, is_suppressed
from services.models import Visit
from tariffs.models import FROZEN, InvoiceLine


class Evaluation(Control):
    """The evaluation of the pilot (Alg. §27), the questionnaire and the months."""

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
