"""Every count of children an analyst can see together, and one suppression decision for all.

The dashboard shows each period it offers (every half-year of the pilot and the whole pilot)
for the city and for each provider, and a report prints a period for the city; figures seen
side by side can be subtracted from one another. So the counts are not suppressed table by
table: `decide` counts, for every period seen together, each count of children for the city
and for every provider (set-based: a handful of grouped queries per period), names each cell
by what it counts — a month's children are the same cell in every period that holds the
month, the children enrolled on a day the same in every period ending that day — writes down
every relation between the cells (suppression.Relation), and runs the suppression once over
the whole system. Every view (the city, one provider, a report) then prints the cells of that
one decision: what one view hides, every view hides.
"""

from __future__ import annotations

import datetime
import itertools
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncMonth

from core.periods import month_end, month_start, months_between
from providers.models import Provider as ProviderModel
from recipients.models import District, Enrollment, EnrollmentStatus, ServiceApplication, Sex
from reconciliation.models import Finding, FindingKind, FindingStatus
from reports.models import Release
from reports.periods import PILOT_START, data_as_of, release_periods, releases
from reports.suppression import Cell, Relation, protect_system
from services.models import Visit, VisitStatus
from tariffs.models import FROZEN, Invoice, InvoiceExclusion, InvoiceLine

COLUMNS = ("total", "home", "centre", "both", "girls", "boys", "new", "ended")
SEXES = ("total", "girls", "boys")
AGE_GROUPS: tuple[tuple[int, int], ...] = ((0, 3), (4, 6), (7, 10), (11, 14), (15, 17))
AGE_CODES = [f"{low}–{high}" for low, high in AGE_GROUPS] + ["18+"]
# The reasons for which the billing rules withhold a visit as double financing (figures.py).
CONTROL_REASONS = (
    "DECEASED",
    "NOT_RESIDENT",
    "HOSPITAL",
    "SANATORIUM",
    "EDUCATION_CORRECTION",
    "REJECTED_ON_REVIEW",
)
ACCESS = ("applications", "decided", "approved", "refused")

Period = tuple[datetime.date, datetime.date]  # (first day, last day of data counted)
Provider = int | None  # None: the city


def age_group(age: int) -> str:
    for low, high in AGE_GROUPS:
        if low <= age <= high:
            return f"{low}–{high}"
    return "18+"


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def period_tag(period: Period) -> str:
    return f"{period[0]:%Y-%m-%d}:{period[1]:%Y-%m-%d}"


def months(period: Period) -> list[tuple[datetime.date, str]]:
    """(first of the month, the cell's name: the days of it counted) of the period."""
    start, until = period
    return [
        (month_start(first), period_tag((first, last)))
        for first, last in months_between(start, until)
    ]


# -- the names of the cells -----------------------------------------------------------------
def recipients_key(period: Period, provider: Provider, *path: str) -> Hashable:
    return ("recipients", period_tag(period), provider, *path)


def month_key(kind: str, month_tag: str, provider: Provider) -> Hashable:
    return (kind, month_tag, provider)


def days_key(tag: str, provider: Provider, setting: str = "total") -> Hashable:
    """Service days (a child's day of service in a setting): of a month (tag of its days
    counted) or of a period (its tag), at home, at a centre or both together ("total").
    They are not counts of children, but they bound them: a month's children are at least
    one for any service day and at most its service days."""
    return ("days", tag, provider, setting)


def increment_key(inner: Period, outer: Period, key: Hashable) -> Hashable:
    """What a period counts beyond a period inside it (the children first served after the
    first half-year, the enrolments started in November): never published, but the
    difference of two published cells, so protected as they are."""
    return ("increment", period_tag(inner), period_tag(outer), key)


def billed_key(month: datetime.date, provider: Provider, setting: str) -> Hashable:
    """The service days an approved invoice of a month bills at home or at a centre
    ("children": the children it bills). Tenge are the tariffs times these days (and the
    provider's published base component), so a month's money is shown when these are."""
    return ("billed", f"{month:%Y-%m}", provider, setting)


def visits_key(period: Period, provider: Provider) -> Hashable:
    """Done visits of a period: a service day each, but for the duplicates."""
    return ("visits", period_tag(period), provider)


def findings_key(period: Period, provider: Provider, kind: str, status: str) -> Hashable:
    return ("findings", period_tag(period), provider, kind, status)


def withheld_key(period: Period, provider: Provider, reason: str) -> Hashable:
    return ("withheld", period_tag(period), provider, reason)


def access_key(period: Period, provider: Provider, name: str) -> Hashable:
    return ("access", period_tag(period), provider, name)


def enrolled_key(on: datetime.date, provider: Provider, district: str | None) -> Hashable:
    """Children enrolled on a day (district None: all of them, the staff table's figure)."""
    return ("enrolled", f"{on:%Y-%m-%d}", provider, district)


@dataclass
class Published:
    """The one decision: the true counts (for rules that need them) and the cells shown."""

    values: dict[Hashable, int]
    cells: dict[Hashable, Cell]

    def cell(self, key: Hashable) -> Cell:
        return self.cells.get(key, 0)

    def value(self, key: Hashable) -> int:
        return self.values.get(key, 0)


class System:
    """The cells and relations of the periods seen together."""

    # The counts of a period that only grow with it (a child or an enrolment counted in a
    # period inside it is counted in it too), by their path after the provider. Not the
    # kinds of service (a child at home may be served at a centre later) nor the ages (a
    # child's age is counted at the first service of the period).
    GROWING = (
        *(("recipients", (column,)) for column in ("total", "girls", "boys", "new", "ended")),
        *(
            ("recipients", ("district", district, sex))
            for district in District.values
            for sex in SEXES
        ),
        *(("access", (name,)) for name in ACCESS),
        ("visits", ()),
    )

    def __init__(self, providers: Sequence[int]) -> None:
        self.providers = list(providers)
        self.districts = [d.value for d in District]
        self.kinds = [k.value for k in FindingKind]
        self.statuses = [s.value for s in FindingStatus]
        self.values: dict[Hashable, int] = {}
        self.relations: list[Relation] = []
        # Cells no view shows (what one period counts beyond another).
        self.unpublished: set[Hashable] = set()

    def _all(self) -> list[Provider]:
        return [None, *self.providers]

    def relate(
        self, left: Iterable[Hashable], right: Iterable[Hashable], *, at_most: bool = False
    ) -> None:
        self.relations.append(Relation(tuple(left), tuple(right), at_most=at_most))

    def _city_is_the_providers(self, key: Any) -> None:
        """key(provider) for the city = the providers' added up."""
        self.relate([key(None)], [key(p) for p in self.providers])

    # -- one period -------------------------------------------------------------------------
    def add(self, period: Period) -> None:
        self._recipients(period)
        self._months(period)
        self._days(period)
        self._billed(period)
        self._findings(period)
        self._withheld(period)
        self._access(period)
        self._enrolled(period)
        self._started_and_ended(period)

    def _recipients(self, period: Period) -> None:
        start, until = period
        rows = (
            Visit.objects.filter(status=VisitStatus.DONE, date__range=(start, until))
            .values(
                "child_id",
                "provider_id",
                "setting",
                "child__sex",
                "child__district",
                "child__birth_date",
            )
            .annotate(first=Min("date"))
        )
        settings_of: dict[tuple[Provider, int], set[str]] = defaultdict(set)
        first_of: dict[tuple[Provider, int], datetime.date] = {}
        person: dict[int, tuple[str, str, datetime.date]] = {}
        for row in rows:
            child = row["child_id"]
            person[child] = (row["child__sex"], row["child__district"], row["child__birth_date"])
            for provider in (row["provider_id"], None):
                settings_of[(provider, child)].add(row["setting"])
                first = first_of.get((provider, child), row["first"])
                first_of[(provider, child)] = min(first, row["first"])
        counts: Counter[Hashable] = Counter()
        for (provider, child), settings in settings_of.items():
            sex, district, birth = person[child]
            column = "girls" if sex == Sex.FEMALE else "boys" if sex == Sex.MALE else None
            kind = "both" if len(settings) > 1 else next(iter(settings))
            group = age_group(_age(birth, first_of[(provider, child)]))
            counts[(provider, "total")] += 1
            counts[(provider, kind)] += 1
            counts[(provider, "district", district, "total")] += 1
            counts[(provider, "age", group, "total")] += 1
            if column:
                counts[(provider, column)] += 1
                counts[(provider, "district", district, column)] += 1
                counts[(provider, "age", group, column)] += 1
        moves = (
            Enrollment.objects.filter(status=EnrollmentStatus.APPROVED)
            .values("provider_id")
            .annotate(
                new=Count("pk", filter=Q(start_on__range=(start, until))),
                ended=Count("pk", filter=Q(end_on__range=(start, until))),
            )
        )
        for row in moves:
            for provider in (row["provider_id"], None):
                counts[(provider, "new")] += row["new"]
                counts[(provider, "ended")] += row["ended"]
        breakdowns = {"district": self.districts, "age": AGE_CODES}
        for provider in self._all():

            def key(*path: str, provider: Provider = provider) -> Hashable:
                return recipients_key(period, provider, *path)

            for column in COLUMNS:
                self.values[key(column)] = counts[(provider, column)]
            self.relate([key("total")], [key("home"), key("centre"), key("both")])
            self.relate([key("total")], [key("girls"), key("boys")])
            for name, codes in breakdowns.items():
                for code in codes:
                    for sex in SEXES:
                        self.values[key(name, code, sex)] = counts[(provider, name, code, sex)]
                    self.relate([key(name, code, "total")], [key(name, code, s) for s in SEXES[1:]])
                for sex in SEXES:
                    self.relate(
                        [key("total" if sex == "total" else sex)],
                        [key(name, code, sex) for code in codes],
                    )
        for column in COLUMNS:
            self._city_is_the_providers(lambda p, c=column: recipients_key(period, p, c))
        for name, codes in breakdowns.items():
            for code in codes:
                for sex in SEXES:
                    self._city_is_the_providers(
                        lambda p, n=name, c=code, s=sex: recipients_key(period, p, n, c, s)
                    )

    def _months(self, period: Period) -> None:
        start, until = period
        tags = dict(months(period))
        done = Visit.objects.filter(status=VisitStatus.DONE, date__range=(start, until))
        children: Counter[tuple[Provider, datetime.date]] = Counter()
        for pid, month, number in (
            done.annotate(m=TruncMonth("date"))
            .values("provider_id", "m")
            .annotate(n=Count("child", distinct=True))
            .values_list("provider_id", "m", "n")
        ):
            children[(pid, _day(month))] = number
        for month, number in (
            done.annotate(m=TruncMonth("date"))
            .values("m")
            .annotate(n=Count("child", distinct=True))
            .values_list("m", "n")
        ):
            children[(None, _day(month))] = number
        findings: Counter[tuple[Provider, datetime.date]] = Counter()
        for pid, month, number in (
            Finding.objects.filter(day__range=(start, until))
            .annotate(m=TruncMonth("day"))
            .values("provider_id", "m")
            .annotate(n=Count("pk"))
            .values_list("provider_id", "m", "n")
        ):
            for who in _and_city(pid):
                findings[(who, _day(month))] += number
        for month, tag in tags.items():
            for provider in self._all():
                self.values[month_key("children", tag, provider)] = children[(provider, month)]
                self.values[month_key("findings", tag, provider)] = findings[(provider, month)]
            for kind in ("children", "findings"):
                self._city_is_the_providers(lambda p, k=kind, t=tag: month_key(k, t, p))
        if len(tags) == 1:  # a period of one month: its children are the month's
            (tag,) = tags.values()
            if tag == period_tag(period):
                for provider in self._all():
                    self.relate(
                        [recipients_key(period, provider, "total")],
                        [month_key("children", tag, provider)],
                    )

    def _days(self, period: Period) -> None:
        """Service days beside the children they serve: a month's days (the monthly table),
        a period's by setting (the kinds of service), with what they tell of the children."""
        start, until = period
        days: Counter[tuple[Provider, datetime.date, str]] = Counter()
        for pid, setting, day, number in (
            Visit.objects.filter(status=VisitStatus.DONE, date__range=(start, until))
            .values("provider_id", "setting", "date")
            .annotate(n=Count("child", distinct=True))
            .values_list("provider_id", "setting", "date", "n")
        ):
            for who in (pid, None):
                days[(who, month_start(day), setting)] += number
        tags = months(period)
        whole = period_tag(period)
        length = (until - start).days + 1
        for provider in self._all():

            def rec(column: str, provider: Provider = provider) -> Hashable:
                return recipients_key(period, provider, column)

            for setting in ("home", "centre"):
                self.values[days_key(whole, provider, setting)] = sum(
                    days[(provider, month, setting)] for month, _tag_ in tags
                )
            # Children served at home (home only or both) at most the home days, at least
            # one for each two months' worth (a child has one service day a day at most).
            for setting in ("home", "centre"):
                served = [rec(setting), rec("both")]
                self.relate(served, [days_key(whole, provider, setting)], at_most=True)
                self.relate([days_key(whole, provider, setting)], served * length, at_most=True)
            month_children = []
            for month, tag in tags:
                self.values[days_key(tag, provider)] = sum(
                    days[(provider, month, setting)] for setting in ("home", "centre")
                )
                first = max(start, month)
                last = min(until, month_end(month))
                span = 2 * ((last - first).days + 1)  # two settings a day at most
                children = month_key("children", tag, provider)
                month_children.append(children)
                self.relate([children], [days_key(tag, provider)], at_most=True)
                self.relate([days_key(tag, provider)], [children] * span, at_most=True)
                # A month's children are children of the period.
                self.relate([children], [rec("total")], at_most=True)
            self.relate(
                [days_key(tag, provider) for _m, tag in tags],
                [days_key(whole, provider, "home"), days_key(whole, provider, "centre")],
            )
            # Every child of the period was served in one of its months at least.
            self.relate([rec("total")], month_children, at_most=True)
        for _month, tag in tags:
            self._city_is_the_providers(lambda p, t=tag: days_key(t, p))
        for setting in ("home", "centre"):
            self._city_is_the_providers(lambda p, w=whole, st=setting: days_key(w, p, st))

    def _billed(self, period: Period) -> None:
        """The approved invoices of the period's months: their service days and children
        billed, which the money shown tells exactly, at most the days and children served;
        and the done visits, which are the service days and the duplicates."""
        start, until = period
        counts: Counter[Hashable] = Counter()
        for pid, month, home, centre in Invoice.objects.filter(
            status__in=FROZEN, month__range=(month_start(start), until)
        ).values_list("provider_id", "month", "home_units", "centre_units"):
            for who in (pid, None):
                counts[billed_key(month, who, "home")] += home
                counts[billed_key(month, who, "centre")] += centre
        lines = InvoiceLine.objects.filter(
            invoice__status__in=FROZEN, invoice__month__range=(month_start(start), until)
        )
        for pid, month, number in (
            lines.values("invoice__provider_id", "invoice__month")
            .annotate(n=Count("child", distinct=True))
            .values_list("invoice__provider_id", "invoice__month", "n")
        ):
            counts[billed_key(month, pid, "children")] = number
        for month, number in (
            lines.values("invoice__month")
            .annotate(n=Count("child", distinct=True))
            .values_list("invoice__month", "n")
        ):
            counts[billed_key(month, None, "children")] = number
        done = Visit.objects.filter(status=VisitStatus.DONE, date__range=(start, until))
        for pid, number in (
            done.values("provider_id").annotate(n=Count("pk")).values_list("provider_id", "n")
        ):
            counts[visits_key(period, pid)] = number
        counts[visits_key(period, None)] = done.count()
        whole = period_tag(period)
        for provider in self._all():
            self.values[visits_key(period, provider)] = counts[visits_key(period, provider)]
            self.relate(
                [visits_key(period, provider)],
                [days_key(whole, provider, "home"), days_key(whole, provider, "centre")],
            )
            for first, tag in months(period):
                billed = [billed_key(first, provider, s) for s in ("home", "centre", "children")]
                home_billed, centre_billed, children = billed
                for cell in billed:
                    self.values[cell] = counts[cell]
                last = min(until, month_end(first))
                span = 2 * ((last - max(start, first)).days + 1)
                both = [home_billed, centre_billed]
                self.relate(both, [days_key(tag, provider)], at_most=True)
                self.relate([children], [month_key("children", tag, provider)], at_most=True)
                self.relate([children], both, at_most=True)
                self.relate(both, [children] * span, at_most=True)
        self._city_is_the_providers(lambda p: visits_key(period, p))
        for first, _tag in months(period):
            for setting in ("home", "centre", "children"):
                self._city_is_the_providers(lambda p, m=first, s=setting: billed_key(m, p, s))

    def _findings(self, period: Period) -> None:
        counts: Counter[tuple[Provider, str, str]] = Counter()
        for row in (
            Finding.objects.filter(day__range=period)
            .values("provider_id", "kind", "status")
            .annotate(n=Count("pk"))
        ):
            for provider in _and_city(row["provider_id"]):
                counts[(provider, row["kind"], row["status"])] += row["n"]
                counts[(provider, row["kind"], "total")] += row["n"]
        tags = [tag for _m, tag in months(period)]
        for provider in self._all():
            for kind in self.kinds:
                for status in (*self.statuses, "total"):
                    key = findings_key(period, provider, kind, status)
                    self.values[key] = counts[(provider, kind, status)]
                self.relate(
                    [findings_key(period, provider, kind, "total")],
                    [findings_key(period, provider, kind, s) for s in self.statuses],
                )
            # The months' findings and the kinds' are the same findings.
            self.relate(
                [month_key("findings", tag, provider) for tag in tags],
                [findings_key(period, provider, kind, "total") for kind in self.kinds],
            )
        for kind in self.kinds:
            for status in (*self.statuses, "total"):
                self._city_is_the_providers(
                    lambda p, k=kind, s=status: findings_key(period, p, k, s)
                )

    def _withheld(self, period: Period) -> None:
        start, until = period
        children: dict[tuple[Provider, str], set[str]] = defaultdict(set)
        for pid, reason, iin in (
            InvoiceExclusion.objects.filter(
                invoice__status__in=FROZEN,
                invoice__month__range=(start.replace(day=1), until),
                reason__in=CONTROL_REASONS,
            )
            .values_list("invoice__provider_id", "reason", "child_iin")
            .distinct()
        ):
            for who in (pid, None):
                children[(who, reason)].add(iin)
        for provider in self._all():
            for reason in CONTROL_REASONS:
                key = withheld_key(period, provider, reason)
                self.values[key] = len(children.get((provider, reason), ()))
        for reason in CONTROL_REASONS:
            self._city_is_the_providers(lambda p, r=reason: withheld_key(period, p, r))

    def _access(self, period: Period) -> None:
        applications = ServiceApplication.objects.filter(submitted_on__range=period)
        counts: Counter[tuple[Provider, str]] = Counter()
        counts[(None, "applications")] = applications.count()
        for pid, number in (
            applications.filter(enrollments__provider_id__isnull=False)
            .values("enrollments__provider_id")
            .annotate(n=Count("pk", distinct=True))
            .values_list("enrollments__provider_id", "n")
        ):
            counts[(pid, "applications")] = number
        for pid, status, number in (
            Enrollment.objects.filter(
                decision_date__range=period,
                status__in=[EnrollmentStatus.APPROVED, EnrollmentStatus.REFUSED],
            )
            .values("provider_id", "status")
            .annotate(n=Count("pk"))
            .values_list("provider_id", "status", "n")
        ):
            name = "approved" if status == EnrollmentStatus.APPROVED else "refused"
            for who in (pid, None):
                counts[(who, name)] += number
                counts[(who, "decided")] += number
        for provider in self._all():
            for name in ACCESS:
                self.values[access_key(period, provider, name)] = counts[(provider, name)]
            self.relate(
                [access_key(period, provider, "decided")],
                [access_key(period, provider, "approved"), access_key(period, provider, "refused")],
            )
        for name in ACCESS:
            self._city_is_the_providers(lambda p, n=name: access_key(period, p, n))

    def _enrolled(self, period: Period) -> None:
        on = period[1]
        if enrolled_key(on, None, None) in self.values:
            return  # another period ending that day holds the same cells
        counts: Counter[tuple[Provider, str | None]] = Counter()
        in_force = Enrollment.objects.in_force(on)
        for pid, dist, number in (
            in_force.values("provider_id", "child__district")
            .annotate(n=Count("child", distinct=True))
            .values_list("provider_id", "child__district", "n")
        ):
            counts[(pid, dist)] = number
        for pid, number in (
            in_force.values("provider_id")
            .annotate(n=Count("child", distinct=True))
            .values_list("provider_id", "n")
        ):
            counts[(pid, None)] = number
        for dist, number in (
            in_force.values("child__district")
            .annotate(n=Count("child", distinct=True))
            .values_list("child__district", "n")
        ):
            counts[(None, dist)] = number
        counts[(None, None)] = in_force.values("child").distinct().count()
        for provider in self._all():
            for district in (*self.districts, None):
                self.values[enrolled_key(on, provider, district)] = counts[(provider, district)]
            self.relate(
                [enrolled_key(on, provider, None)],
                [enrolled_key(on, provider, d) for d in self.districts],
            )
        for district in (*self.districts, None):
            self._city_is_the_providers(lambda p, d=district: enrolled_key(on, p, d))

    def _started_and_ended(self, period: Period) -> None:
        """An enrolment started in the period is in force on its last day or has ended in
        it: the enrolments started are at most the children enrolled on the last day and the
        enrolments ended (where the counts bear it out: a child's two enrolments with one
        provider count once among the enrolled)."""
        for provider in self._all():
            new = recipients_key(period, provider, "new")
            ended = recipients_key(period, provider, "ended")
            enrolled = enrolled_key(period[1], provider, None)
            if self.values[new] <= self.values[enrolled] + self.values[ended]:
                self.relate([new], [enrolled, ended], at_most=True)

    # -- across periods ---------------------------------------------------------------------
    def across(self, periods: Sequence[Period]) -> None:
        """A period made of others (the whole pilot of its half-years): what adds up over
        time — enrolments started and ended, applications and decisions, findings — is the
        sum of the parts'."""
        for whole in periods:
            for parts in _chains(whole, periods):
                self._sum_over_time(whole, parts)

    def nested(self, periods: Sequence[Period]) -> None:
        """A period inside another (a half-year in the pilot, the pilot as counted at the end
        of October in the pilot as counted at the end of November): what the outer one
        counts beyond the inner one is a count of children too, worked out by subtraction.
        Each is a cell of the system, never published, so that no such difference is under 5
        and exact."""
        for inner, outer in itertools.permutations(periods, 2):
            if not _inside(inner, outer):
                continue
            same = _effective(inner) == _effective(outer)
            for provider in self._all():
                for kind, path in self.GROWING:
                    key = (kind, period_tag(outer), provider, *path)
                    part = (kind, period_tag(inner), provider, *path)
                    rest = self.values[key] - self.values[part]
                    if rest < 0:
                        continue  # counted before the pilot: the reader cannot relate them
                    if same:
                        if inner < outer:
                            self.relate([key], [part])
                        continue
                    extra = increment_key(inner, outer, (provider, *path, kind))
                    self.values[extra] = rest
                    self.unpublished.add(extra)
                    self.relate([key], [part, extra])
            if same:
                continue
            for provider in self._all():
                for setting in ("home", "centre"):
                    days = days_key(period_tag(outer), provider, setting)
                    days_inside = days_key(period_tag(inner), provider, setting)
                    extra = increment_key(inner, outer, (provider, setting, "days"))
                    rest = self.values[days] - self.values[days_inside]
                    if rest >= 0:
                        self.values[extra] = rest
                        self.unpublished.add(extra)
                        self.relate([days], [days_inside, extra])

    def same_months(self) -> None:
        """A month counted from two first days (the pilot began on 5 June, its half-year on
        1 January) counts nearly the same children and service days: the check credits the
        reader with the difference."""
        variants: dict[tuple[Any, ...], list[Hashable]] = defaultdict(list)
        for key in self.values:
            assert isinstance(key, tuple)
            if key[0] in ("children", "findings", "days"):
                first, last = key[1].split(":")
                # The same count (provider, kind, status…), its period's first day aside.
                variants[(key[0], first[:7], last, *key[2:])].append(key)
        for keys in variants.values():
            for a, b in itertools.pairwise(keys):
                self.relate([a], [b])

    def _sum_over_time(self, whole: Period, parts: Sequence[Period]) -> None:
        exact = parts[0][0] == whole[0]

        def relate(left: list[Hashable], right: list[Hashable]) -> None:
            # A first half-year that began before the pilot counts what the pilot's figures
            # leave out; where it holds anything then, the reader cannot know how much.
            if exact or sum(self.values[k] for k in left) == sum(self.values[k] for k in right):
                self.relate(left, right)

        for provider in self._all():
            for column in ("new", "ended"):
                relate(
                    [recipients_key(whole, provider, column)],
                    [recipients_key(p, provider, column) for p in parts],
                )
            for name in ACCESS:
                relate(
                    [access_key(whole, provider, name)],
                    [access_key(p, provider, name) for p in parts],
                )
            for kind in self.kinds:
                for status in (*self.statuses, "total"):
                    relate(
                        [findings_key(whole, provider, kind, status)],
                        [findings_key(p, provider, kind, status) for p in parts],
                    )


def _chains(whole: Period, periods: Sequence[Period]) -> list[list[Period]]:
    """Every way of laying other periods end to end over `whole`: the first may begin
    before it (the pilot's first half-year began before the pilot: nothing is counted then),
    none holds all of it."""
    inside = [
        p
        for p in periods
        if p != whole
        and p[1] <= whole[1]
        and p[1] >= whole[0]
        and not p[0] <= whole[0] <= whole[1] <= p[1]
    ]
    out: list[list[Period]] = []

    def extend(chain: list[Period]) -> None:
        if chain[-1][1] == whole[1]:
            out.append(chain)
            return
        for p in inside:
            if p[0] == chain[-1][1] + datetime.timedelta(days=1):
                extend([*chain, p])

    for first in inside:
        if first[0] <= whole[0]:
            extend([first])
    return out


def _effective(period: Period) -> Period:
    """The days of a period the pilot's data can fall in (a first half-year began before
    the pilot)."""
    return max(period[0], PILOT_START), period[1]


def _inside(inner: Period, outer: Period) -> bool:
    a, b = _effective(inner), _effective(outer)
    return inner != outer and b[0] <= a[0] and a[1] <= b[1]


def _and_city(provider: Provider) -> tuple[Provider, ...]:
    """Where a row of a provider counts: its own and the city's (a finding of no provider
    only the city's)."""
    return (provider, None) if provider is not None else (None,)


def _day(value: Any) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def decide(periods: Iterable[Period], fixed: Published | None = None) -> Published:
    """One suppression decision over every count of children of `periods`, for the city
    and every provider; the cells `fixed` published already kept as they were shown."""

    periods = sorted(set(periods))
    system = System(list(ProviderModel.objects.order_by("pk").values_list("pk", flat=True)))
    for period in periods:
        system.add(period)
    system.across(periods)
    system.same_months()
    system.nested(periods)
    kept: dict[Hashable, Cell] = {}
    if fixed is not None:
        # A cell published before stays as it was shown; one whose count has changed since
        # (a visit logged or rejected late, an invoice approved since) is decided afresh.
        kept = {
            key: cell
            for key, cell in fixed.cells.items()
            if key in system.values and system.values[key] == fixed.values.get(key)
        }
    cells = protect_system(
        system.values,
        system.relations,
        tier=_tier,
        unpublished=system.unpublished,
        fixed=kept,
    )
    for key in system.unpublished:
        del cells[key]
    return Published(system.values, cells)


def _tier(key: Hashable) -> int:
    """Cells hidden beside others: the whole pilot's before a half-year's or a month's (the
    pilot less its half-years gives the other half-year: one of them must go, and the
    half-years are the periods of monitoring), then a provider's before the city's (the
    city's figures are the ones most read), a breakdown's before a total."""
    assert isinstance(key, tuple)
    whole_pilot = isinstance(key[1], str) and key[1].startswith(f"{PILOT_START:%Y-%m-%d}:")
    return ((key[2] is None) * 2 + (len(key) <= 4)) * 2 + (not whole_pilot)


# -- the month's release --------------------------------------------------------------------
def release(as_of: datetime.date) -> Published:
    """The decision published to the dashboard with the figures of `as_of` (a month's end).
    Written once, the first time it is asked for (the nightly job asks on the 1st), and read
    back after that: every period the dashboard has offered since the pilot began is in it,
    and every cell published by the month before is kept as it was shown, so that no two
    months' pages, saved and put side by side, give a count away."""
    stored = Release.objects.filter(as_of=as_of).first()
    if stored is not None:
        return _loaded(stored)
    earlier = releases(as_of)  # the months ended before this one's figures
    previous = release(earlier[-1]) if earlier else None
    decision = decide(release_periods(as_of), fixed=previous)
    try:
        with transaction.atomic():
            Release.objects.create(
                as_of=as_of,
                values=[[_plain(key), value] for key, value in decision.values.items()],
                cells=[[_plain(key), cell] for key, cell in decision.cells.items()],
            )
    except IntegrityError:  # written meanwhile by another request: the one written counts
        return _loaded(Release.objects.get(as_of=as_of))
    return decision


def decision_for(period: Period, today: datetime.date) -> Published:
    """The cells to show for `period` today: this month's release where it holds the period
    (every dashboard view, a finished half-year's report); for another period (a report's
    draft, counted up to yesterday) the release with that period added, every released cell
    kept as published."""
    as_of = data_as_of(today)
    if as_of < PILOT_START:
        return decide([period])
    current = release(as_of)
    if period in release_periods(as_of):
        return current
    return decide([*release_periods(as_of), period], fixed=current)


def _plain(key: Any) -> Any:
    return [_plain(part) for part in key] if isinstance(key, tuple) else key


def _key(value: Any) -> Any:
    return tuple(_key(part) for part in value) if isinstance(value, list) else value


def _loaded(stored: Release) -> Published:
    return Published(
        {_key(key): value for key, value in stored.values},
        {_key(key): cell for key, cell in stored.cells},
    )
