"""The review checks of a reconciliation (domain.md §6), each a few set-based queries.

Each check returns `Found` values: what a finding says, with a key that names it across runs.
Nothing is written here; `reconciliation.services` stores them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from core.choices import Setting
from core.periods import months_between
from monitoring.models import EducationCorrection, HealthStay, PersonRecord
from recipients.models import Child, Enrollment
from recipients.rules import birth_date_from_iin
from reconciliation import ports
from reconciliation.models import FindingKind
from services.models import Schedule, ScheduleStatus, Visit, VisitStatus

# The weekly minimum of a child's visits (domain.md §5): 2 at home and 3 at the centre, unless
# the schedule in force records why the child needs fewer centre visits.
MINIMUM_HOME = 2
MINIMUM_CENTRE = 3


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date


@dataclass
class Found:
    key: str
    kind: str
    child_id: int
    provider_id: int | None
    day: datetime.date
    evidence: dict[str, Any]
    visit_ids: set[int] = field(default_factory=set)


def done_visits(period: Period) -> Any:
    return Visit.objects.filter(status=VisitStatus.DONE, date__range=(period.start, period.end))


def _iso(value: datetime.date | datetime.time | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return value.isoformat()


def overlaps(period: Period) -> list[Found]:
    """A child's home and centre visits of one day that overlap in time (both done)."""
    rows = (
        done_visits(period)
        .filter(overlaps=True)
        .values(
            "pk",
            "visit_id",
            "child_id",
            "provider_id",
            "provider__name",
            "setting",
            "date",
            "start",
            "end",
            "confirmation_method",
        )
    )
    by_day: dict[tuple[int, datetime.date], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_day[(row["child_id"], row["date"])].append(row)
    found = []
    for (child_id, day), visits in by_day.items():
        homes = [visit for visit in visits if visit["setting"] == Setting.HOME]
        centres = [visit for visit in visits if visit["setting"] == Setting.CENTRE]
        for home in homes:
            for centre in centres:
                if not (home["start"] < centre["end"] and centre["start"] < home["end"]):
                    continue
                pair = sorted((home, centre), key=lambda visit: visit["visit_id"])
                providers = {home["provider_id"], centre["provider_id"]}
                found.append(
                    Found(
                        key=f"overlap:{pair[0]['visit_id']}:{pair[1]['visit_id']}",
                        kind=FindingKind.OVERLAP,
                        child_id=child_id,
                        provider_id=providers.pop() if len(providers) == 1 else None,
                        day=day,
                        evidence={
                            "visits": [
                                {
                                    "visit_id": visit["visit_id"],
                                    "setting": visit["setting"],
                                    "provider": visit["provider__name"],
                                    "date": _iso(visit["date"]),
                                    "start": _iso(visit["start"]),
                                    "end": _iso(visit["end"]),
                                    "confirmed": bool(visit["confirmation_method"]),
                                }
                                for visit in pair
                            ]
                        },
                        visit_ids={home["pk"], centre["pk"]},
                    )
                )
    return found


def _enrollments(period: Period) -> list[dict[str, Any]]:
    rows: Any = Enrollment.objects.in_force(period.start, period.end).values(
        "pk",
        "child_id",
        "provider_id",
        "provider__name",
        "decision_number",
        "decision_date",
        "start_on",
        "end_on",
    )
    return list(rows)


def two_providers(period: Period) -> list[Found]:
    """A child enrolled with two providers on the same days. The later decision's visits of
    those days are the finding's: confirming it excludes them."""
    by_child: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in _enrollments(period):
        by_child[row["child_id"]].append(row)
    pairs = []
    for rows in by_child.values():
        for index, first in enumerate(rows):
            for second in rows[index + 1 :]:
                if first["provider_id"] == second["provider_id"]:
                    continue
                # The shared days are the enrolments' own, whatever period the run covers, so
                # that runs of other periods raise the same finding with the same evidence.
                start = max(first["start_on"], second["start_on"])
                ends = [e for e in (first["end_on"], second["end_on"]) if e]
                end = min(ends) if ends else None
                if end is None or start <= end:
                    earlier, later = sorted(
                        (first, second), key=lambda row: (row["decision_date"], row["pk"])
                    )
                    pairs.append((earlier, later, start, end))
    if not pairs:
        return []
    # the later decision's done visits on the shared days: one query for every pair
    wanted = Q()
    for _earlier, later, start, end in pairs:
        days = Q(date__gte=start) if end is None else Q(date__range=(start, end))
        wanted |= Q(child_id=later["child_id"], provider_id=later["provider_id"]) & days
    visits: dict[tuple[int, int], list[tuple[int, datetime.date]]] = defaultdict(list)
    for pk, child_id, provider_id, day in (
        Visit.objects.filter(status=VisitStatus.DONE)
        .filter(wanted)
        .values_list("pk", "child_id", "provider_id", "date")
    ):
        visits[(child_id, provider_id)].append((pk, day))
    found = []
    for earlier, later, start, end in pairs:
        found.append(
            Found(
                key=f"two_providers:{earlier['pk']}:{later['pk']}",
                kind=FindingKind.TWO_PROVIDERS,
                child_id=later["child_id"],
                provider_id=later["provider_id"],
                day=start,
                evidence={
                    "days": [_iso(start), _iso(end)],
                    "enrollments": [
                        {
                            "decision_number": row["decision_number"],
                            "decision_date": _iso(row["decision_date"]),
                            "provider": row["provider__name"],
                            "start_on": _iso(row["start_on"]),
                            "end_on": _iso(row["end_on"]),
                        }
                        for row in (earlier, later)
                    ],
                },
                visit_ids={
                    pk
                    for pk, day in visits[(later["child_id"], later["provider_id"])]
                    if start <= day and (end is None or day <= end)
                },
            )
        )
    return found


def judged_by(period: Period) -> Q:
    """The stored findings a run of `period` decides, so that it may resolve those it did not
    raise again: the findings of its days, but a low-frequency finding only if its whole week
    lies in the period. A week that crosses the period's edge is judged by a run that holds all
    of it (a month run leaves the weeks that cross the month's edges to the half-year run);
    judged on part of its days, it would be resolved, and raised again by the next longer run.
    A week that has not ended yet is judged by no run: its later days' visits are still to come.
    """
    last_monday = _last_judged_sunday(period) - datetime.timedelta(days=6)
    return (~Q(kind=FindingKind.LOW_FREQUENCY) & Q(day__range=(period.start, period.end))) | Q(
        kind=FindingKind.LOW_FREQUENCY, day__range=(period.start, last_monday)
    )


def _last_judged_sunday(period: Period) -> datetime.date:
    """The last day a week judged by a run of `period` may end on: the period's end, or
    yesterday if the period runs on past it (a week ending today is not over)."""
    return min(period.end, timezone.localdate() - datetime.timedelta(days=1))


def _weeks(period: Period) -> list[datetime.date]:
    """The Mondays of the whole weeks inside the period."""
    monday = period.start + datetime.timedelta(days=(7 - period.start.weekday()) % 7)
    weeks = []
    while monday + datetime.timedelta(days=6) <= period.end:
        weeks.append(monday)
        monday += datetime.timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class ChildWeek:
    """One enrolled child's whole week inside a period, with the done visits it had."""

    enrollment: dict[str, Any]
    monday: datetime.date
    home: int
    centre: int
    waived: bool  # the schedule in force records why the child needs fewer centre visits

    @property
    def meets_minimum(self) -> bool:
        return self.home >= MINIMUM_HOME and (self.centre >= MINIMUM_CENTRE or self.waived)


def child_weeks(period: Period) -> Iterator[ChildWeek]:
    """Every whole week of the period in which an enrolment covers the whole week, with its
    done visits by setting. Shared by the frequency check and the pilot's evaluation."""
    weeks = _weeks(period)
    if not weeks:
        return
    counts: dict[tuple[int, int, datetime.date], dict[str, int]] = defaultdict(dict)
    for child_id, provider_id, week, setting, number in (
        done_visits(period)
        .filter(date__range=(weeks[0], weeks[-1] + datetime.timedelta(days=6)))
        .annotate(week=TruncWeek("date"))
        .values("child_id", "provider_id", "week", "setting")
        .annotate(number=Count("pk"))
        .values_list("child_id", "provider_id", "week", "setting", "number")
    ):
        week_day = week.date() if isinstance(week, datetime.datetime) else week
        counts[(child_id, provider_id, week_day)][setting] = number
    enrollments = _enrollments(period)
    reasons = _centre_reasons([row["pk"] for row in enrollments])
    for row in enrollments:
        for monday in weeks:
            sunday = monday + datetime.timedelta(days=6)
            if row["start_on"] > monday or (row["end_on"] is not None and row["end_on"] < sunday):
                continue
            done = counts.get((row["child_id"], row["provider_id"], monday), {})
            yield ChildWeek(
                enrollment=row,
                monday=monday,
                home=done.get(Setting.HOME, 0),
                centre=done.get(Setting.CENTRE, 0),
                waived=_reason_in_force(reasons.get(row["pk"], []), monday),
            )


def low_frequency(period: Period) -> list[Found]:
    """Weeks in which an enrolled child had fewer visits than the minimum (whole weeks of the
    period that are over, enrolments covering the whole week). Raised for review; no visit is
    attached."""
    found = []
    # Only weeks that are over: a week still running has visits to come (docs/decisions.md).
    judged = Period(period.start, _last_judged_sunday(period))
    for week in child_weeks(judged):
        if week.meets_minimum:
            continue
        row, monday = week.enrollment, week.monday
        found.append(
            Found(
                key=f"low_frequency:{row['pk']}:{monday.isoformat()}",
                kind=FindingKind.LOW_FREQUENCY,
                child_id=row["child_id"],
                provider_id=row["provider_id"],
                day=monday,
                evidence={
                    "week": [_iso(monday), _iso(monday + datetime.timedelta(days=6))],
                    "decision_number": row["decision_number"],
                    "home": week.home,
                    "centre": week.centre,
                    "minimum_home": MINIMUM_HOME,
                    "minimum_centre": 0 if week.waived else MINIMUM_CENTRE,
                },
            )
        )
    return found


def _centre_reasons(enrollment_ids: Iterable[int]) -> dict[int, list[tuple[datetime.date, bool]]]:
    """For each enrolment, its approved schedule versions: (applies from, fewer centre visits
    agreed), latest first."""
    reasons: dict[int, list[tuple[datetime.date, bool]]] = defaultdict(list)
    for enrollment_id, valid_from, reason in (
        Schedule.objects.filter(
            enrollment_id__in=list(enrollment_ids), status=ScheduleStatus.APPROVED
        )
        .order_by("enrollment_id", "-valid_from", "-version")
        .values_list("enrollment_id", "valid_from", "centre_reason")
    ):
        reasons[enrollment_id].append((valid_from, bool(reason.strip())))
    return reasons


def _reason_in_force(versions: list[tuple[datetime.date, bool]], monday: datetime.date) -> bool:
    for valid_from, agreed in versions:
        if valid_from <= monday:
            return agreed
    return False


def iin_birth_dates(period: Period) -> list[Found]:
    """Children served in the period whose IIN's digits disagree with the recorded birth date."""
    found = []
    for pk, iin, birth_date in Child.objects.filter(
        pk__in=done_visits(period).values("child_id")
    ).values_list("pk", "iin", "birth_date"):
        encoded = birth_date_from_iin(iin)
        if encoded == birth_date:
            continue
        found.append(
            Found(
                key=f"iin_birth_date:{pk}",
                kind=FindingKind.IIN_BIRTH_DATE,
                child_id=pk,
                provider_id=None,
                day=period.start,
                evidence={
                    "iin": iin,
                    "birth_date": _iso(birth_date),
                    "encoded_birth_date": _iso(encoded),
                },
            )
        )
    return found


# The billing rules' reasons that come from a state registry, and the finding each raises.
_REGISTRY_REASONS = {
    "DECEASED": FindingKind.DECEASED,
    "NOT_RESIDENT": FindingKind.NOT_RESIDENT,
    "HOSPITAL": FindingKind.HOSPITAL,
    "SANATORIUM": FindingKind.SANATORIUM,
    "EDUCATION_CORRECTION": FindingKind.EDUCATION_CORRECTION,
}


def _months(period: Period) -> list[Period]:
    """The period cut at month ends."""
    return [Period(first, last) for first, last in months_between(period.start, period.end)]


def double_financing(period: Period) -> list[Found]:
    """The visits the billing rules withhold because a state registry shows the child in
    hospital, a sanatorium, correctional education, dead or not in Astana (Alg. §24–25), each
    with the registry rows as evidence. The rules are the billing's own (one implementation),
    applied a month at a time so that memory stays that of a month."""

    found = []
    for month in _months(period):
        withheld = [
            decision
            for decision in ports.billing_decisions(
                Visit.objects.filter(date__range=(month.start, month.end))
            )
            if decision.reason in _REGISTRY_REASONS
        ]
        if not withheld:
            continue
        children = dict(
            Child.objects.filter(pk__in={d.visit.child_id for d in withheld}).values_list(
                "pk", "iin"
            )
        )
        iins = set(children.values())
        rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for model, fields in (
            (PersonRecord, ("astana_from", "astana_until", "death_date")),
            (HealthStay, ("kind", "start_on", "end_on", "organisation")),
            (EducationCorrection, ("kind", "start_on", "end_on", "organisation")),
        ):
            for row in model.objects.filter(iin__in=iins).values(
                "iin", *fields, "registry_import__source", "registry_import__loaded_at"
            ):
                rows[row["iin"]].append(
                    {
                        "registry": model._meta.model_name,
                        **{
                            name: _iso(row[name])
                            if name not in ("kind", "organisation")
                            else row[name]
                            for name in fields
                        },
                        "file": row["registry_import__source"],
                        "loaded_at": _iso(row["registry_import__loaded_at"].date())
                        if row["registry_import__loaded_at"]
                        else None,
                    }
                )
        registry_of = {
            FindingKind.DECEASED: "personrecord",
            FindingKind.NOT_RESIDENT: "personrecord",
            FindingKind.HOSPITAL: "healthstay",
            FindingKind.SANATORIUM: "healthstay",
            FindingKind.EDUCATION_CORRECTION: "educationcorrection",
        }
        for decision in withheld:
            visit = decision.visit
            kind = _REGISTRY_REASONS[str(decision.reason)]
            iin = children[visit.child_id]
            found.append(
                Found(
                    key=f"{kind}:{visit.visit_id}",
                    kind=kind,
                    child_id=visit.child_id,
                    provider_id=visit.provider_id,
                    day=visit.date,
                    evidence={
                        "visit": {
                            "visit_id": visit.visit_id,
                            "date": _iso(visit.date),
                            "setting": visit.setting,
                        },
                        "reason": decision.reason,
                        "registry": [
                            row for row in rows[iin] if row["registry"] == registry_of[kind]
                        ],
                    },
                    visit_ids={visit.pk},
                )
            )
    return found


@dataclass(frozen=True)
class Check:
    run: Callable[[Period], list[Found]]
    step: Promise  # what the run's progress says while it runs


# The checks in the order a run makes them; together they raise every kind of finding.
CHECKS = (
    Check(overlaps, gettext_lazy("Overlapping home and centre visits")),
    Check(two_providers, gettext_lazy("Enrolments with two providers at once")),
    Check(low_frequency, gettext_lazy("Weeks below the minimum frequency")),
    Check(iin_birth_dates, gettext_lazy("IINs and birth dates")),
    Check(double_financing, gettext_lazy("Double financing: the state registries")),
)
