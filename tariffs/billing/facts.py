"""Load what the billing rules need for a set of visits: a fixed number of queries, any size.

Each read filters by a subquery of the candidate visits (never a list of ids), so the number of
queries does not grow with the month and SQLite's parameter limit never applies.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from monitoring.models import EducationCorrection, HealthStay, PersonRecord
from providers.models import Provider, Sector
from recipients.models import Child, Enrollment, EnrollmentStatus, Ipar
from reconciliation.services import rejected_visit_ids
from services.models import Visit, VisitStatus
from tariffs.billing.rules import (
    Candidate,
    ChildFacts,
    EnrollmentFacts,
    Facts,
    Period,
    PersonFacts,
    ProviderFacts,
    TariffFacts,
    decide,
)
from tariffs.models import Tariff


def candidates(visits: QuerySet[Visit]) -> list[Candidate]:
    """The done visits among `visits`, in a stable order (by visit id).

    Sorted here, not by the database: read through a cursor, an ORDER BY visit_id makes
    PostgreSQL walk the whole table in key order for the month's rows (fast to start, slow to
    finish: minutes at ten times the city), where the month's date index reads only them.
    """
    rows = (
        visits.filter(status=VisitStatus.DONE)
        .order_by()
        .values_list(
            "visit_id",
            "child_id",
            "provider_id",
            "setting",
            "date",
            "start",
            "confirmation_method",
            "pk",
        )
    )
    found = [
        Candidate(visit_id, child_id, provider_id, setting, day, start, bool(method), pk)
        for visit_id, child_id, provider_id, setting, day, start, method, pk in rows.iterator(
            chunk_size=5000
        )
    ]
    found.sort(key=lambda candidate: candidate.visit_id)
    return found


def load_tariffs() -> dict[str, list[TariffFacts]]:
    """Every tariff by setting, for `Facts.tariff_on` (the tariff of the day). One query."""
    tariffs: dict[str, list[TariffFacts]] = {}
    for setting, amount, valid_from, valid_to in Tariff.objects.values_list(
        "setting", "amount_kzt", "valid_from", "valid_to"
    ):
        tariffs.setdefault(setting, []).append(TariffFacts(Period(valid_from, valid_to), amount))
    return tariffs


def load(visits: QuerySet[Visit]) -> Facts:
    """Facts about every child, provider and tariff the done visits in `visits` touch."""
    done = visits.filter(status=VisitStatus.DONE)
    child_ids = done.values("child_id")
    iins = Child.objects.filter(pk__in=child_ids).values("iin")

    children: dict[int, ChildFacts] = {}
    by_iin: dict[str, ChildFacts] = {}
    for pk, iin, birth_date in Child.objects.filter(pk__in=child_ids).values_list(
        "pk", "iin", "birth_date"
    ):
        children[pk] = by_iin[iin] = ChildFacts(birth_date=birth_date, iin=iin)
    for child_id, issued_on, valid_until in Ipar.objects.filter(
        child_id__in=child_ids, home_services=True
    ).values_list("child_id", "issued_on", "valid_until"):
        children[child_id].home_ipars.append(Period(issued_on, valid_until))

    enrollments: dict[tuple[int, int], list[EnrollmentFacts]] = {}
    for (
        child_id,
        provider_id,
        start_on,
        end_on,
        consent_on,
        withdrawn_on,
    ) in Enrollment.objects.filter(
        child_id__in=child_ids, status=EnrollmentStatus.APPROVED
    ).values_list(
        "child_id",
        "provider_id",
        "start_on",
        "end_on",
        "application__consent_on",
        "application__consent_withdrawn_on",
    ):
        enrollments.setdefault((child_id, provider_id), []).append(
            EnrollmentFacts(Period(start_on, end_on), consent_on, withdrawn_on)
        )

    for iin, start, until, death in PersonRecord.objects.filter(iin__in=iins).values_list(
        "iin", "astana_from", "astana_until", "death_date"
    ):
        by_iin[iin].persons.append(PersonFacts(Period(start, until), death))
    for iin, kind, start, end in HealthStay.objects.filter(iin__in=iins).values_list(
        "iin", "kind", "start_on", "end_on"
    ):
        stays = by_iin[iin].hospital if kind == "hospital" else by_iin[iin].sanatorium
        stays.append(Period(start, end))
    for iin, start, end in EducationCorrection.objects.filter(iin__in=iins).values_list(
        "iin", "start_on", "end_on"
    ):
        by_iin[iin].education.append(Period(start, end))

    providers = {
        pk: ProviderFacts(
            eligible=sector == Sector.NON_STATE and bool(home_care),
            admitted_on=admitted_on,
            excluded_on=excluded_on,
        )
        for pk, sector, home_care, admitted_on, excluded_on in Provider.objects.filter(
            pk__in=done.values("provider_id")
        ).values_list("pk", "sector", "license_home_care", "admitted_on", "excluded_on")
    }

    return Facts(
        providers=providers,
        children=children,
        enrollments=enrollments,
        tariffs=load_tariffs(),
        rejected=frozenset(rejected_visit_ids(done)),
        today=timezone.localdate(),
    )


def decide_visits(visits: QuerySet[Visit]) -> Any:
    """The decisions for the done visits in `visits` (candidates and facts loaded together)."""

    return decide(candidates(visits), load(visits))
