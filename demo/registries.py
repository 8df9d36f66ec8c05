"""Demo extracts of the state registries (domain.md §6, billing rules 8–11): a few children
whose served days fall in a hospital stay, a sanatorium stay, a КППК period, or after they
moved out of Astana — so the bills withhold those days, the reconciliation raises its
findings, and the monitoring report and the analysts' dashboard show what was withheld."""

from __future__ import annotations

import datetime
from collections import defaultdict

from core.models import User
from core.periods import previous_month_bounds
from monitoring.models import (
    CorrectionKind,
    EducationCorrection,
    HealthStay,
    HealthStayKind,
    PersonRecord,
    RegistryImport,
    RegistryKind,
)
from recipients.models import Child
from services.models import Visit, VisitStatus

HOSPITAL_ORGANISATION = "ГКП на ПХВ «Многопрофильная городская детская больница № 2» (демо)"
SANATORIUM_ORGANISATION = "Детский санаторий «Балдаурен» (демо)"
KPPK_ORGANISATION = "КППК № 3 г. Астаны (демо)"


def _months_before(today: datetime.date, count: int) -> list[tuple[datetime.date, datetime.date]]:
    """The `count` whole months before this one, oldest first, from the pilot's first month."""
    months: list[tuple[datetime.date, datetime.date]] = []
    first, end = previous_month_bounds(today)
    while len(months) < count and end >= datetime.date(2026, 6, 1):
        months.append((first, end))
        first, end = previous_month_bounds(first)
    return list(reversed(months))


def _served_days(
    start: datetime.date, end: datetime.date, taken: set[int]
) -> list[tuple[int, str, list[datetime.date]]]:
    """Children with at least three confirmed done visits in [start, end], with those days."""

    days: dict[tuple[int, str], set[datetime.date]] = defaultdict(set)
    for child_id, iin, day in (
        Visit.objects.filter(
            status=VisitStatus.DONE, confirmed_at__isnull=False, date__range=(start, end)
        )
        .exclude(child_id__in=taken)
        .values_list("child_id", "child__iin", "date")
    ):
        days[(child_id, iin)].add(day)
    return [
        (child_id, iin, sorted(found))
        for (child_id, iin), found in sorted(days.items())
        if len(found) >= 3
    ]


def load_registries(*, today: datetime.date, officer: User) -> int:
    """Once, before the months are billed: one extract of each registry, as `import_dataset`
    would record it. Returns the number of registry rows added."""

    if RegistryImport.objects.filter(dataset="demo").exists():
        return 0
    months = _months_before(today, 3)
    if not months:
        return 0
    taken: set[int] = set()

    def pick(
        month: tuple[datetime.date, datetime.date], skip: int
    ) -> tuple[str, list[datetime.date]] | None:
        """A child served on three days or more that month (the `skip`-th, to spread them
        over the providers), not picked before."""
        found = _served_days(*month, taken)
        if not found:
            return None
        child_id, iin, days = found[min(skip, len(found) - 1)]
        taken.add(child_id)
        return iin, days

    def extract(kind: str, source: str) -> RegistryImport:
        return RegistryImport.objects.create(
            kind=kind, source=source, dataset="demo", loaded_by=officer
        )

    oldest, latest = months[0], months[-1]
    health = extract(RegistryKind.HEALTH, "health_stays.csv")
    stays = []
    for month, kind, organisation, skip in (
        (oldest, HealthStayKind.HOSPITAL, HOSPITAL_ORGANISATION, 3),
        (latest, HealthStayKind.HOSPITAL, HOSPITAL_ORGANISATION, 7),
        (months[len(months) // 2], HealthStayKind.SANATORIUM, SANATORIUM_ORGANISATION, 11),
    ):
        picked = pick(month, skip)
        if picked is None:
            continue
        iin, days = picked
        stays.append(
            HealthStay(
                iin=iin,
                kind=kind,
                start_on=days[0],
                end_on=days[2],  # three service days inside the stay
                organisation=organisation,
                registry_import=health,
            )
        )
    HealthStay.objects.bulk_create(stays)
    education = extract(RegistryKind.EDUCATION, "education_corrections.csv")
    corrections = []
    picked = pick(oldest, 15)
    if picked is not None:
        corrections.append(
            EducationCorrection(
                iin=picked[0],
                kind=CorrectionKind.KPPK,
                start_on=picked[1][0],
                end_on=picked[1][0] + datetime.timedelta(days=20),
                organisation=KPPK_ORGANISATION,
                registry_import=education,
            )
        )
    EducationCorrection.objects.bulk_create(corrections)
    # A family that moved out of Astana in the latest month: its later days are not paid;
    # the other children in the extract are registered in the city throughout.
    persons = extract(RegistryKind.PERSONS, "persons.csv")
    records = []
    picked = pick(latest, 19)
    if picked is not None:
        records.append(
            PersonRecord(
                iin=picked[0],
                astana_from=datetime.date(2019, 3, 1),
                astana_until=picked[1][1],
                registry_import=persons,
            )
        )

    moved = picked[0] if picked is not None else ""
    records += [
        PersonRecord(iin=iin, astana_from=birth_date, registry_import=persons)
        for iin, birth_date in Child.objects.filter(pk__in=taken)
        .exclude(iin=moved)
        .values_list("iin", "birth_date")
        .order_by("iin")
    ]
    PersonRecord.objects.bulk_create(records)
    counts = ((health, len(stays)), (education, len(corrections)), (persons, len(records)))
    for registry_import, count in counts:
        RegistryImport.objects.filter(pk=registry_import.pk).update(rows=count, created=count)
    return sum(count for _import, count in counts)
