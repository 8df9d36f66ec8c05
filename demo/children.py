"""Synthetic children for the demo and for benchmarks, at each stage of the workflow.

Deterministic (a seeded generator), written in bulk: a few hundred children for `make run`,
the Astana scale (about 3 550) with `manage.py generate_children --count 3550`.
The IINs have valid check digits and encode the birth dates; the names are invented.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction

from core.validators import check_digit
from providers.models import Provider
from recipients import rules
from recipients.models import (
    Child,
    DiagnosisGroup,
    District,
    EndReason,
    Enrollment,
    EnrollmentStatus,
    Ipar,
    LegalRepresentative,
    NeedsAssessment,
    Relation,
    ServiceApplication,
    ServiceKind,
)

LAST_NAMES = [
    "Абенов",
    "Ахметов",
    "Байжанов",
    "Есенов",
    "Жуманов",
    "Иманов",
    "Касымов",
    "Кенжебаев",
    "Муканов",
    "Нурланов",
    "Оспанов",
    "Рахимов",
    "Садыков",
    "Тулеуов",
    "Омаров",
    "Ким",
    "Иванов",
    "Петров",
    "Сейтказин",
    "Бекмуратов",
    "Жаксылыков",
    "Калиев",
    "Мусин",
    "Сапаров",
]
FIRST_NAMES_F = [
    "Айлин",
    "Аружан",
    "Дана",
    "Камила",
    "Әсем",
    "Мадина",
    "Айгерим",
    "Томирис",
    "Алия",
    "Софья",
]
FIRST_NAMES_M = [
    "Алихан",
    "Нурислам",
    "Іляс",
    "Амир",
    "Тимур",
    "Арсен",
    "Ерасыл",
    "Данияр",
    "Марк",
    "Санжар",
]
STREETS = [
    "Сыганак",
    "Туран",
    "Кенесары",
    "Достык",
    "Кабанбай батыра",
    "Сарайшык",
    "Иманова",
    "Жубанова",
]
SOCIAL_WORKERS = ["Сейткали Жанна", "Оразбаева Гульмира", "Петренко Ольга", "Тлеубаев Ержан"]

# Demo stages, with their share of the children.
STAGES = [
    ("applied", 0.08),
    ("assessed", 0.10),
    ("draft", 0.05),
    ("enrolled", 0.60),
    ("ended", 0.17),
]
END_REASONS = [
    EndReason.TURNED_18,
    EndReason.MOVED_OUT,
    EndReason.TRANSFERRED,
]


def female_name(last: str) -> str:
    if last.endswith(("ов", "ев", "ин")):
        return last + "а"
    return last


def make_iin(birth: datetime.date, male: bool, serial: int) -> str:
    century = ("5" if male else "6") if birth.year >= 2000 else ("3" if male else "4")
    for attempt in range(100):
        body = f"{birth:%y%m%d}{century}{(serial * 7 + attempt) % 10000:04d}"
        digit = check_digit(body)
        if digit is not None:
            return f"{body}{digit}"
    raise RuntimeError("no valid IIN")


@dataclass
class Generated:
    children: int
    enrollments: int


@transaction.atomic
def generate_children(
    *, count: int, providers: list[Provider], seed: int = 2026, today: datetime.date
) -> Generated:
    """Create `count` children spread over `providers` and the stages; skips IINs that exist."""
    rng = random.Random(seed)
    existing = set(Child.objects.values_list("iin", flat=True))
    children: list[Child] = []
    plans: list[tuple[Child, str, Provider, bool]] = []
    for serial in range(count):
        male = rng.random() < 0.55
        birth = datetime.date(2009, 1, 1) + datetime.timedelta(days=rng.randrange(0, 16 * 365))
        iin = make_iin(birth, male, serial + seed)
        if iin in existing:
            continue
        existing.add(iin)
        last = rng.choice(LAST_NAMES)
        last = last if male else female_name(last)
        first = rng.choice(FIRST_NAMES_M if male else FIRST_NAMES_F)
        child = Child(
            iin=iin,
            last_name=last,
            first_name=first,
            birth_date=birth,
            sex="M" if male else "F",
            district=rng.choice(District.values),
            address=f"г. Астана, ул. {rng.choice(STREETS)}, д. {rng.randint(1, 90)}, кв. {rng.randint(1, 200)}",
            diagnosis_group=rng.choice(
                [
                    DiagnosisGroup.PSYCHONEUROLOGICAL,
                    DiagnosisGroup.MUSCULOSKELETAL,
                    DiagnosisGroup.OTHER,
                    "",
                ]
            ),
            disability_until=datetime.date(2027 + rng.randint(0, 3), rng.randint(1, 12), 1),
            name_key=rules.name_key(last, first),
        )
        stage = rng.choices([s for s, _ in STAGES], weights=[w for _, w in STAGES])[0]
        if rules.eighteenth_birthday(birth) <= datetime.date(2026, 8, 1) and stage in (
            "draft",
            "enrolled",
        ):
            stage = "ended"
        children.append(child)
        plans.append((child, stage, rng.choice(providers), male))
    Child.objects.bulk_create(children, batch_size=500)

    representatives, ipars, applications, assessments = [], [], [], []
    for index, (child, stage, _provider, _male) in enumerate(plans):
        parent_birth = child.birth_date.replace(
            year=child.birth_date.year - rng.randint(22, 40), day=1
        )
        representatives.append(
            LegalRepresentative(
                child=child,
                iin=make_iin(parent_birth, False, index + 500_000),
                full_name=f"{female_name(rng.choice(LAST_NAMES))} {rng.choice(FIRST_NAMES_F)}",
                phone=f"+7 70{rng.randint(0, 8)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                relation=(
                    relation := Relation.GUARDIAN if rng.random() < 0.05 else Relation.PARENT
                ),
                guardianship_document=f"Постановление акимата № {rng.randint(100, 999)}-о"
                if relation == Relation.GUARDIAN
                else "",
            )
        )
        issued = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randrange(0, 150))
        ending_soon = rng.random() < 0.05
        valid_until = (
            today + datetime.timedelta(days=rng.randint(3, 28))
            if ending_soon
            else issued + datetime.timedelta(days=365 + rng.randrange(0, 400))
        )
        kinds = sorted(rng.sample(ServiceKind.values, rng.randint(2, 5)))
        ipars.append(
            Ipar(
                child=child,
                number=f"ИПАР-D{child.iin}",
                issued_on=issued,
                valid_until=valid_until,
                home_services=True,
                services=kinds,
                form_031_on=issued - datetime.timedelta(days=20),
                mse_on=issued - datetime.timedelta(days=5),
            )
        )
        applications.append(
            ServiceApplication(
                child=child,
                submitted_on=issued + datetime.timedelta(days=10),
                consent_on=issued + datetime.timedelta(days=10),
            )
        )
        if stage != "applied":
            assessments.append(
                NeedsAssessment(
                    child=child,
                    assessed_on=issued + datetime.timedelta(days=15),
                    social_worker=rng.choice(SOCIAL_WORKERS),
                    conclusion="Нуждается в комбинированном обслуживании: на дому и в центре.",
                    services=kinds,
                    home_visits_per_week=2,
                    centre_visits_per_week=3,
                )
            )
    LegalRepresentative.objects.bulk_create(representatives, batch_size=500)
    Ipar.objects.bulk_create(ipars, batch_size=500)
    ServiceApplication.objects.bulk_create(applications, batch_size=500)
    NeedsAssessment.objects.bulk_create(assessments, batch_size=500)

    for representative, application in zip(representatives, applications, strict=True):
        application.representative = representative
    ServiceApplication.objects.bulk_update(applications, ["representative"], batch_size=500)

    enrollments = []
    for (child, stage, provider, _male), ipar, application in zip(
        plans, ipars, applications, strict=True
    ):
        if stage not in ("draft", "enrolled", "ended"):
            continue
        admitted = provider.admitted_on or datetime.date(2026, 6, 5)
        start = max(
            admitted, application.consent_on or admitted, ipar.issued_on
        ) + datetime.timedelta(days=rng.randint(20, 60))
        number = f"РЕШ-D{child.iin}"
        enrollment = Enrollment(
            child=child,
            provider=provider,
            application=application,
            decision_number=number,
            decision_date=start - datetime.timedelta(days=3),
            start_on=start,
            status=EnrollmentStatus.DRAFT if stage == "draft" else EnrollmentStatus.APPROVED,
        )
        if stage == "ended":
            eighteenth = rules.eighteenth_birthday(child.birth_date)
            if eighteenth <= today:
                enrollment.end_on = max(start, eighteenth - datetime.timedelta(days=1))
                enrollment.end_reason = EndReason.TURNED_18
            else:
                enrollment.end_on = min(
                    start + datetime.timedelta(days=rng.randint(20, 90)),
                    max(start, today - datetime.timedelta(days=1)),
                )
                enrollment.end_reason = rng.choice(END_REASONS[1:])
        if provider.excluded_on and (
            enrollment.end_on is None or enrollment.end_on >= provider.excluded_on
        ):
            enrollment.end_on = max(start, provider.excluded_on - datetime.timedelta(days=1))
            enrollment.end_reason = EndReason.TRANSFERRED
        enrollments.append(enrollment)
    Enrollment.objects.bulk_create(enrollments, batch_size=500)
    return Generated(children=len(children), enrollments=len(enrollments))


def add_duplicate_pairs(*, count: int = 2) -> int:
    """Re-enter a few children under another IIN (as the old spreadsheets did), for the review."""
    added = 0
    for original in Child.objects.order_by("pk")[:count]:
        twin_iin = make_iin(original.birth_date, original.sex == "M", original.pk + 900_000)
        if Child.objects.filter(iin=twin_iin).exists():
            continue
        last = original.last_name.upper()  # typed differently, the same name once normalised
        Child.objects.create(
            iin=twin_iin,
            last_name=last,
            first_name=original.first_name,
            birth_date=original.birth_date,
            sex=original.sex,
            district=original.district,
            address=original.address,
            name_key=rules.name_key(last, original.first_name),
        )
        added += 1
    return added
