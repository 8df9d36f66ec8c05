"""Demo data for `make run`: every role, and the nine organisations of the source documents.

Everything is created through the same services the pages use, so the demo exercises the real
rules. It is idempotent: a second run finds the organisations and users and changes nothing.
Dates before today are written back onto the timestamps afterwards, so the history reads as it
happened (the pilot started on 2026-06-05).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from budget.models import BaseComponent, BudgetYear, ExpenseCode, Payment, PlanMonth
from core.models import User
from core.periods import add_months, month_start, previous_month_bounds
from core.roles import Role
from demo.children import add_duplicate_pairs, generate_children
from demo.files import DEMO_PDF
from demo.registries import load_registries
from demo.reports import load_reports, load_survey
from demo.visits import load_visits
from providers import services
from providers.models import (
    NEW_BUILDING_FIRE_DOCUMENTS,
    AdmissionApplication,
    ApplicationEvent,
    Branch,
    DocumentKind,
    InspectionResult,
    LegalForm,
    Position,
    Premises,
    Provider,
    ReviewStatus,
    RoomKind,
    Sector,
    StaffDocument,
    StaffDocumentKind,
    StaffMember,
    Tenure,
)
from recipients import services as recipient_services
from recipients.models import Child
from reconciliation.models import Finding, FindingStatus, ReconciliationRun
from reconciliation.services import run_reconciliation
from tariffs.defaults import ensure_tariffs
from tariffs.models import Invoice, InvoiceStatus
from tariffs.payments import components
from tariffs.services import bill_month

DEMO_PASSWORD = "pilot-demo-2026"  # noqa: S105 - printed for the demo; never used in production
PILOT_START = datetime.date(2026, 6, 5)


@dataclass(frozen=True)
class DemoProvider:
    bin: str
    name: str
    legal_form: str
    sector: str
    license_number: str
    license_issued_on: datetime.date
    license_home_care: bool
    address: str
    head_name: str
    planned: int
    # What happens to it in the demo: "admitted", "excluded", "late", "draft", "inspection",
    # "returned", "not_eligible".
    story: str
    admitted_on: datetime.date | None = None
    excluded_on: datetime.date | None = None


D = datetime.date
PROVIDERS = [
    DemoProvider(
        "100340517502",
        "ОФ «Солнечный мир»",
        "ОФ",
        "non_state",
        "93016328",
        D(2016, 9, 1),
        True,
        "г. Астана, ул. Кенесары, 40",
        "Ахметова Гульнара Сериковна",
        140,
        "admitted",
        PILOT_START,
    ),
    DemoProvider(
        "060640763877",
        "ОФ «Береке Астана»",
        "ОФ",
        "non_state",
        "17076510",
        D(2018, 1, 1),
        True,
        "г. Астана, пр. Республики, 12",
        "Султанов Ерлан Маратович",
        90,
        "admitted",
        PILOT_START,
    ),
    DemoProvider(
        "060740548100",
        "ОФ «ОРДА»",
        "ОФ",
        "non_state",
        "18041544",
        D(2016, 9, 1),
        False,
        "г. Астана, ул. Бейбитшилик, 7",
        "Жаксыбекова Алия Нурлановна",
        60,
        "not_eligible",
    ),
    DemoProvider(
        "110140741156",
        "ОО «Общество детей-инвалидов г. Астаны»",
        "ОО",
        "non_state",
        "25039260",
        D(2024, 1, 1),
        True,
        "г. Астана, ул. Сейфуллина, 21",
        "Ким Ирина Викторовна",
        110,
        "admitted",
        PILOT_START,
    ),
    DemoProvider(
        "141040519934",
        "ОО «Объединение инвалидов «Береке Астана»»",
        "ОО",
        "non_state",
        "16038977",
        D(2015, 9, 1),
        True,
        "г. Астана, ул. Иманова, 3",
        "Оспанов Данияр Бекович",
        130,
        "admitted",
        PILOT_START,
    ),
    DemoProvider(
        "180340379594",
        "ОФ «Erekshe analar»",
        "ОФ",
        "non_state",
        "63028907",
        D(2023, 2, 1),
        True,
        "г. Астана, ул. Достык, 5",
        "Нурпеисова Айгерим Кайратовна",
        170,
        "excluded",
        PILOT_START,
        D(2026, 9, 9),
    ),
    DemoProvider(
        "140540734341",
        "ОФ «Балам-ай»",
        "ОФ",
        "non_state",
        "97033688",
        D(2016, 10, 1),
        True,
        "г. Астана, ул. Жубанова, 18",
        "Бекова Сауле Ермековна",
        70,
        "late",
        D(2026, 8, 10),
    ),
    DemoProvider(
        "141140246242",
        "КГУ «Центр социального обслуживания «Жансая»»",
        "КГУ",
        "state",
        "57022770",
        D(2023, 12, 1),
        True,
        "г. Астана, ул. Абая, 55",
        "Тулегенов Марат Асетович",
        200,
        "not_eligible",
    ),
    DemoProvider(
        "061040078128",
        "КГУ «Центр социального обслуживания «Нұрлы-жүрек»»",
        "КГУ",
        "state",
        "89036995",
        D(2022, 11, 1),
        True,
        "г. Астана, ул. Шокана Валиханова, 9",
        "Абдрахманова Динара Сакеновна",
        150,
        "not_eligible",
    ),
    # Two invented applicants (not in the source documents) so that the application workflow can
    # be walked through from the provider head's page: one still a draft, one awaiting inspection.
    DemoProvider(
        "200340000009",
        "ОФ «Жаңа қадам» (демо)",
        "ОФ",
        "non_state",
        "99000001",
        D(2025, 3, 1),
        True,
        "г. Астана, ул. Туран, 44",
        "Серикова Асель Болатовна",
        40,
        "draft",
    ),
    DemoProvider(
        "200440000018",
        "ТОО «Шуақ» (демо)",
        "ТОО",
        "non_state",
        "99000002",
        D(2025, 5, 1),
        True,
        "г. Астана, ул. Сыганак, 10",
        "Касымов Тимур Ерланович",
        30,
        "inspection",
    ),
]

USERS: list[tuple[str, str, str, str, str | None]] = [
    # username, role, first name, last name, provider BIN
    ("officer", Role.AKIMAT_OFFICER, "Айгуль", "Жумабаева", None),
    ("inspector", Role.INSPECTOR, "Руслан", "Ибраев", None),
    ("analyst", Role.ANALYST, "Мария", "Ли", None),
    # a second officer: the one who checks an invoice is not the one who approves it
    ("officer2", Role.AKIMAT_OFFICER, "Даурен", "Сейтказиев", None),
    ("head.solnechny", Role.PROVIDER_HEAD, "Гульнара", "Ахметова", "100340517502"),
    ("coord.solnechny", Role.COORDINATOR, "Айжан", "Муканова", "100340517502"),
    ("head.bereke", Role.PROVIDER_HEAD, "Ерлан", "Султанов", "060640763877"),
    ("coord.bereke", Role.COORDINATOR, "Дана", "Омарова", "060640763877"),
    ("head.zhana", Role.PROVIDER_HEAD, "Асель", "Серикова", "200340000009"),
    ("head.shuak", Role.PROVIDER_HEAD, "Тимур", "Касымов", "200440000018"),
]

STAFF_NAMES = [
    "Абенова Жанар",
    "Бекмуратов Нурлан",
    "Василенко Ольга",
    "Галиева Камила",
    "Досанов Арман",
    "Ержанова Айнур",
    "Жакупов Бауыржан",
    "Искакова Салтанат",
    "Калиева Мадина",
    "Ли Сергей",
    "Мусина Гаухар",
    "Нуржанов Алмас",
    "Оразова Динара",
    "Петрова Анна",
    "Рахимов Тимур",
    "Сапарова Эльмира",
    "Тулеуов Асхат",
    "Уалиева Жанна",
    "Хасенова Лаура",
    "Шайхина Аида",
]


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def ensure_users(providers: dict[str, Provider]) -> dict[str, User]:
    users = {}
    for username, role, first, last, bin_ in USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.pilot.kz",
                "is_staff": role in (Role.AKIMAT_OFFICER, Role.INSPECTOR),
                "provider": providers.get(bin_) if bin_ else None,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=role))
        users[username] = user
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@demo.pilot.kz", DEMO_PASSWORD)
    return users


def _upload(
    provider: Provider,
    kind: str,
    user: User,
    issued: datetime.date,
    until: datetime.date | None = None,
    premises: Premises | None = None,
    number: str = "",
) -> Any:
    return services.document_upload(
        provider=provider,
        premises=premises,
        kind=kind,
        file=ContentFile(DEMO_PDF, name=f"{kind}.pdf"),
        issued_on=issued,
        valid_until=until,
        number=number or f"{provider.bin[-4:]}-{kind[:3].upper()}",
        acting_user=user,
    )


def _qualify(provider: Provider, spec: DemoProvider, user: User, *, complete: bool) -> None:
    """Premises, documents, rooms and staff. `complete=False` leaves gaps to show."""
    leased = spec.story in ("excluded", "late", "draft")
    premises = Premises.objects.create(
        provider=provider,
        address=spec.address,
        tenure=Tenure.LEASED if leased else Tenure.OWNED,
        cadastre_record=f"КН-{provider.bin[:6]}",
        lease_ends_on=D(2026, 12, 15) if leased else None,
        is_new_building=spec.story == "late",
    )
    issued = D(2026, 4, 20)
    _upload(provider, DocumentKind.STAFFING_TABLE, user, issued)
    _upload(
        provider, DocumentKind.LICENSE, user, spec.license_issued_on, number=spec.license_number
    )
    if leased:
        _upload(provider, DocumentKind.LEASE, user, D(2025, 12, 16), D(2026, 12, 15), premises)
    else:
        _upload(provider, DocumentKind.OWNERSHIP_RECORD, user, D(2020, 3, 1), premises=premises)
    if complete:
        _upload(provider, DocumentKind.SANITARY_CONCLUSION, user, issued, premises=premises)
        if premises.is_new_building:
            for kind in NEW_BUILDING_FIRE_DOCUMENTS:
                _upload(provider, kind, user, issued, premises=premises)
        else:
            _upload(
                provider, DocumentKind.FIRE_INSPECTION_ACT, user, issued, D(2027, 4, 19), premises
            )
    rooms = [
        {
            "kind": kind.value,
            "equipped": complete or index < 5,
            "inventory": "Оборудование по перечню приказа № 230" if complete or index < 5 else "",
        }
        for index, kind in enumerate(RoomKind)
    ]
    services.rooms_set(provider=provider, rooms=rooms, acting_user=user)
    _staff(provider, spec)


def _staff(provider: Provider, spec: DemoProvider) -> None:
    """A staffing table near the norms, with one gap, and a certificate about to expire."""
    per_80 = -(-spec.planned // 80)
    positions: list[tuple[str, Decimal]] = [
        (Position.DIRECTOR, Decimal(1)),
        (Position.DEPUTY_DIRECTOR, Decimal(1)),
        (Position.SOCIAL_WORK_CONSULTANT, Decimal("0.5") * -(-spec.planned // 40)),
        (Position.SPEECH_THERAPIST, Decimal(per_80)),
        (Position.DEFECTOLOGIST, Decimal(per_80)),
        (Position.PSYCHOLOGIST, Decimal(per_80)),
        (Position.MUSIC_TEACHER, Decimal(per_80)),
        (Position.PE_TEACHER, Decimal(per_80)),
        (Position.THERAPEUTIC_PE_INSTRUCTOR, Decimal(per_80)),
        (Position.OCCUPATIONAL_THERAPY_INSTRUCTOR, Decimal(max(per_80 - 1, 1))),
        (Position.MASSAGE_NURSE, Decimal(per_80)),
        (Position.ACCOUNTANT, Decimal(1)),
        (Position.HR_INSPECTOR, Decimal(1)),
        (Position.TECHNICAL_STAFF, Decimal(2)),
        (Position.LAWYER, Decimal("0.5")),
        (Position.NURSE, Decimal(1)),
        (Position.CULTURAL_ORGANISER, Decimal(1)),
        (Position.CARE_SOCIAL_WORKER, Decimal(-(-provider.planned_care_recipients // 6))),
    ]
    members: list[StaffMember] = []
    for position, total in positions:
        remaining = total
        while remaining > 0:
            fte = min(Decimal(1), remaining)
            remaining -= fte
            members.append(
                StaffMember(
                    provider=provider,
                    full_name=STAFF_NAMES[len(members) % len(STAFF_NAMES)],
                    position=position,
                    fte=fte,
                    education="Высшее профильное",
                    hired_on=D(2024, 9, 1),
                )
            )
    StaffMember.objects.bulk_create(members)
    psychologist = StaffMember.objects.filter(
        provider=provider, position=Position.PSYCHOLOGIST
    ).first()
    if psychologist:
        StaffDocument.objects.create(
            staff_member=psychologist,
            kind=StaffDocumentKind.TRAINING,
            file=ContentFile(DEMO_PDF, name="training.pdf"),
            number="СП-2023-114",
            issued_on=D(2023, 12, 10),
            valid_until=D(2026, 12, 9),
        )


def _backdate(application: AdmissionApplication, when: dict[str, datetime.date]) -> None:
    """Write historical dates onto a demo application and its events (timestamps are 'now')."""
    fields = {name: _at(day) for name, day in when.items() if name.endswith("_at")}
    if fields:
        AdmissionApplication.objects.filter(pk=application.pk).update(**fields)
    for status, day in when.items():
        if not status.endswith("_at"):
            ApplicationEvent.objects.filter(application=application, to_status=status).update(
                at=_at(day)
            )


def _admit(provider: Provider, spec: DemoProvider, users: dict[str, User]) -> None:
    officer, inspector = users["officer"], users["inspector"]
    assert spec.admitted_on is not None
    application = services.application_create(provider=provider, acting_user=officer)
    for document in provider.documents.all():
        services.document_review(
            document=document, status=ReviewStatus.ACCEPTED, acting_user=officer
        )
    services.application_submit(application=application, acting_user=officer)
    services.application_request_inspection(application=application, acting_user=officer)
    requested = spec.admitted_on - datetime.timedelta(days=14)
    submitted = spec.admitted_on - datetime.timedelta(days=20)
    _backdate(
        application,
        {
            "submitted_at": submitted,
            "inspection_requested_at": requested,
            "draft": submitted,
            "submitted": submitted,
            "inspection_requested": requested,
        },
    )
    application.refresh_from_db()
    inspected = spec.admitted_on - datetime.timedelta(days=5)
    services.application_record_inspection(
        application=application,
        result=InspectionResult.ACCESSIBLE,
        inspected_on=inspected,
        notes="Пандус, поручни, санузел и парковка для лиц с инвалидностью имеются.",
        acting_user=inspector,
    )
    services.application_approve(
        application=application,
        decision_number=f"РЕШ-А-{provider.bin[-4:]}",
        decision_date=spec.admitted_on,
        acting_user=officer,
    )
    _backdate(application, {"inspected": inspected, "approved": spec.admitted_on})
    if spec.excluded_on:
        services.provider_exclude(
            provider=provider,
            on=spec.excluded_on,
            acting_user=officer,
            reason="Закрытие отделения: аренда выросла с 10 до 12 млн ₸; дети переведены в другие отделения.",
        )


@transaction.atomic
def load_demo() -> dict[str, int]:
    existing = set(
        Provider.objects.filter(bin__in=[p.bin for p in PROVIDERS]).values_list("bin", flat=True)
    )
    providers = {}
    for spec in PROVIDERS:
        provider, _created = Provider.objects.get_or_create(
            bin=spec.bin,
            defaults={
                "name": spec.name,
                "legal_form": LegalForm(spec.legal_form),
                "sector": Sector(spec.sector),
                "license_number": spec.license_number,
                "license_issued_on": spec.license_issued_on,
                "license_home_care": spec.license_home_care,
                "address": spec.address,
                "head_name": spec.head_name,
                "phone": "+7 7172 55 " + spec.bin[-4:-2] + " " + spec.bin[-2:],
                "email": f"info{spec.bin[-4:]}@demo.pilot.kz",
                "planned_recipients": spec.planned,
                "planned_care_recipients": spec.planned // 5,
                "vehicles": 1 if spec.planned > 100 else 0,
            },
        )
        providers[spec.bin] = provider
    users = ensure_users(providers)
    officer = users["officer"]
    created = 0
    for spec in PROVIDERS:
        if spec.bin in existing:
            continue
        created += 1
        provider = providers[spec.bin]
        if spec.story == "not_eligible":
            continue
        if spec.story == "excluded":
            Branch.objects.create(
                provider=provider,
                name="Отделение на Левом берегу",
                address="г. Астана, ул. Кабанбай батыра, 11",
                closed_on=spec.excluded_on,
            )
        head = next(
            (
                u
                for u in users.values()
                if u.provider_id == provider.pk
                and u.groups.filter(name=Role.PROVIDER_HEAD).exists()
            ),
            officer,
        )
        _qualify(provider, spec, head, complete=spec.story != "draft")
        if spec.admitted_on:
            _admit(provider, spec, users)
        elif spec.story == "draft":
            services.application_create(provider=provider, acting_user=head)
        elif spec.story == "inspection":
            application = services.application_create(provider=provider, acting_user=head)
            services.application_submit(application=application, acting_user=head)
            services.application_request_inspection(application=application, acting_user=head)
    services.documents_flag_expiring(today=timezone.localdate())
    children = load_children()

    # After the children: the schedules and visits need their enrolments (idempotent too).
    visits = load_visits(today=timezone.localdate(), officer=officer)

    # Before the bills: they withhold the days the registries show (rules 8–11).
    registry_rows = load_registries(today=timezone.localdate(), officer=officer)
    invoices = load_invoices(today=timezone.localdate(), officer=officer)
    findings = load_findings(today=timezone.localdate(), officer=officer)

    answers = load_survey(today=timezone.localdate(), officer=officer)
    reports = load_reports(today=timezone.localdate(), officer=officer)
    return {
        "providers_created": created,
        "users": len(users),
        "children_created": children,
        **visits,
        "registry_rows": registry_rows,
        "invoices": invoices,
        "findings": findings,
        "survey_answers": answers,
        "reports": reports,
    }


def load_findings(*, today: datetime.date, officer: User) -> int:
    """Reconcile, once, the last finished month whole (its checked invoices can then be
    approved) and the current month up to yesterday, as the nightly job would; the findings are
    left open for the officers to review."""

    end = today - datetime.timedelta(days=1)
    periods = [previous_month_bounds(today), (month_start(end), end)]
    for start, finish in periods:
        if (
            start > finish
            or ReconciliationRun.objects.filter(period_start=start, period_end=finish).exists()
        ):
            continue
        run = ReconciliationRun.objects.create(
            period_start=start, period_end=finish, requested_by=officer
        )
        run_reconciliation(run_id=run.pk)
    return Finding.objects.filter(status=FindingStatus.OPEN).count()


def load_invoices(*, today: datetime.date, officer: User) -> int:
    """Bill every finished month of the pilot, with the year's budget: the months before the
    last are checked (by the second officer), approved and paid; the last is checked, waiting
    for approval. Drafts are recomputed on each run; frozen ones stay as they were."""

    checker = User.objects.get(username="officer2")
    _load_budget(today.year)
    other_services = ExpenseCode.objects.get(code="159")
    month = datetime.date(2026, 6, 1)
    this_month = month_start(today)
    number = 0
    while month < this_month:
        bill_month(month=month, acting_user=officer)
        following = add_months(month, 1)
        open_invoices = Invoice.objects.filter(
            month=month, status__in=[InvoiceStatus.DRAFT, InvoiceStatus.CHECKED]
        )
        if following < this_month:
            approved_at = timezone.make_aware(
                datetime.datetime.combine(following, datetime.time(11))
            )
            open_invoices.update(
                status=InvoiceStatus.APPROVED,
                checked_by=checker,
                checked_at=approved_at - datetime.timedelta(days=1),
                approved_by=officer,
                approved_at=approved_at + datetime.timedelta(days=9),
            )
            for invoice in Invoice.objects.filter(month=month, status=InvoiceStatus.APPROVED):
                number += 1
                paid_on = following.replace(day=20)
                parts = components(invoice)
                invoice.base_kzt = parts.base_kzt  # frozen with the approval
                invoice.adjustments_kzt = parts.adjustments_kzt
                invoice.status = InvoiceStatus.PAID
                invoice.payment_order = f"ПП-{month:%Y%m}-{number:03d}"
                invoice.paid_on = paid_on
                invoice.save(
                    update_fields=[
                        "status",
                        "payment_order",
                        "paid_on",
                        "base_kzt",
                        "adjustments_kzt",
                    ]
                )
                Payment.objects.create(
                    invoice=invoice,
                    order_number=invoice.payment_order,
                    paid_on=paid_on,
                    amount_kzt=parts.total_kzt,
                    expense_code=other_services,
                    recorded_by=officer,
                )
        else:
            open_invoices.update(
                status=InvoiceStatus.CHECKED, checked_by=checker, checked_at=timezone.now()
            )
        month = following
    return Invoice.objects.count()


# The demo's few hundred children cost up to about 40 M ₸ a month (the city's 3 550 would
# cost some 630 M): a plan of that size, obligations from June and payments from July, and an
# allocation for the pilot's seven months with a reserve — so the budget page and the
# analysts' spending chart compare like with like.
DEMO_PLAN_MONTH_KZT = 45_000_000
DEMO_ALLOCATION_KZT = 350_000_000


def _load_budget(year: int) -> None:
    """The year's allocation, a financing plan for the pilot's months, and base components."""

    budget, created = BudgetYear.objects.get_or_create(
        year=year,
        defaults={
            "allocation_kzt": DEMO_ALLOCATION_KZT,
            "act": "Решение маслихата г. Астаны о бюджете на 2026 год (демо)",
        },
    )
    if created:
        PlanMonth.objects.bulk_create(
            PlanMonth(
                budget_year=budget,
                month=month,
                obligations_kzt=0 if month < 6 else DEMO_PLAN_MONTH_KZT,
                payments_kzt=0 if month < 7 else DEMO_PLAN_MONTH_KZT,
            )
            for month in range(1, 13)
        )
    for provider in Provider.objects.filter(admitted_on__isnull=False):
        BaseComponent.objects.get_or_create(
            provider=provider, year=year, defaults={"monthly_kzt": 350_000}
        )


DEMO_CHILDREN = 320


def load_children() -> int:
    """A few hundred children at every stage, once; then the duplicate and warning jobs."""

    ensure_tariffs()
    if Child.objects.exists():
        return 0
    today = timezone.localdate()
    admitted = [
        p
        for p in Provider.objects.filter(admitted_on__isnull=False).order_by("pk")
        if p.is_eligible
    ]
    generated = generate_children(count=DEMO_CHILDREN, providers=admitted, today=today)
    add_duplicate_pairs(count=2)
    recipient_services.duplicates_find()
    recipient_services.enrollment_warnings_refresh(today=today)
    return generated.children
