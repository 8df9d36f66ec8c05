"""Demo data for the visits stage (domain.md §5): half a year of schedules and visits.

Every child enrolled with an admitted provider gets a weekly schedule approved by the head
through the real services (a tenth of them a second, later version), the planned visits are made
by the real `visits_generate`, and the past is then turned into a journal that reads as it
happened: mostly done and confirmed by the representative, some missed or cancelled, the last
weeks' confirmations still open for the coordinator. Deterministic (a seeded generator, rows in
primary-key order) and written once: when the demo's enrolments already have schedules, nothing
is done.
"""

from __future__ import annotations

import datetime
import random
import struct
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from core.choices import Setting
from core.models import User
from core.roles import Role
from demo.files import DEMO_PDF
from providers.models import StaffMember
from recipients.models import Enrollment, EnrollmentStatus, Ipar, ServiceKind
from services import services
from services.calendar import calendar_day_save
from services.models import (
    CalendarDay,
    CalendarDayKind,
    CatalogueService,
    ConfirmationMethod,
    Schedule,
    ScheduleSlot,
    Visit,
    VisitStatus,
)

SEED = 2026
# The PIN every demo representative chose, so that a PIN confirmation can be tried in the UI.
DEMO_PIN = "2468"
FEWER_CENTRE_REASON = "По заключению оценки: утомляемость, посещение центра 2 раза в неделю"
TRANSFER_NOTE = "Демонстрационный перенос"

# The kinds given at home (the rest need the centre's rooms), and how often each is the theme
# of a weekly visit; a kind in the child's ИПАР weighs three times as much.
HOME_KINDS = {
    ServiceKind.PEDAGOGICAL: 4.0,
    ServiceKind.MEDICAL: 3.0,
    ServiceKind.HOUSEHOLD: 3.0,
    ServiceKind.LEGAL: 0.3,
    ServiceKind.ECONOMIC: 0.3,
}
CENTRE_KINDS = {
    ServiceKind.PEDAGOGICAL: 4.0,
    ServiceKind.PSYCHOLOGICAL: 3.0,
    ServiceKind.MEDICAL: 3.0,
    ServiceKind.LABOUR: 2.0,
    ServiceKind.CULTURAL: 2.0,
    ServiceKind.HOUSEHOLD: 1.0,
    ServiceKind.LEGAL: 0.2,
    ServiceKind.ECONOMIC: 0.2,
}

# Why visits are missed: (reason, weight, shortest and longest run of visits in a row).
MISSED = [
    ("Ребёнок болеет", 5, 2, 5),
    ("Семья в отъезде", 2, 3, 6),
    ("Нет дома, не предупредили", 2, 1, 1),
    ("Госпитализация", 1, 3, 7),
]
CANCELLED_HOME = [
    "Перенос по просьбе семьи",
    "Специалист на больничном, замена не найдена",
]
CANCELLED_CENTRE = [
    "Перенос по просьбе семьи",
    "Специалист на больничном, замена не найдена",
    "Карантин в группе центра",
    "Плановая дезинфекция помещений центра",
]
# A new episode of missed visits starts at about one visit in thirty (runs average three).
MISSED_START = 0.034
CANCELLED_SHARE = 0.03
RECENT_DAYS = 14  # the coordinator's to-do: the last two weeks are confirmed less often
CONFIRMED_SHARE = 0.91
CONFIRMED_RECENT_SHARE = 0.45
METHODS = [
    (ConfirmationMethod.PIN, 0.45),
    (ConfirmationMethod.SIGNATURE, 0.35),
    (ConfirmationMethod.PAPER, 0.20),
]
SECOND_VERSION_SHARE = 0.10
FEWER_CENTRE_SHARE = 0.05
EXTRA_VISITS = 12
OVERLAPPING_VISITS = 3

PAPER_SCAN_NAME = "journal-scans/demo/journal-page.pdf"
PAPER_SCAN = DEMO_PDF  # a scan of the paper journal


@dataclass
class Plan:
    """What the demo decided for one enrolment: its acting users and its slots' themes."""

    enrollment: Enrollment
    approver: User
    recorder: User
    kinds: list[str]
    method: str
    # (schedule pk, weekday, setting) -> the kind of service the weekly visit is about
    themes: dict[tuple[int, int, str], str] = field(default_factory=dict)


def load_visits(*, today: datetime.date, officer: User) -> dict[str, int]:
    """Schedules, a half-year of visits and one working-day transfer; counts of what was made."""
    enrollments = [
        enrollment
        for enrollment in Enrollment.objects.filter(
            status=EnrollmentStatus.APPROVED, provider__admitted_on__isnull=False
        )
        .select_related("provider")
        .order_by("pk")
        if enrollment.provider.is_eligible
    ]
    if not enrollments or Schedule.objects.filter(enrollment__in=enrollments).exists():
        return {}
    rng = random.Random(SEED)
    _transfer(today, officer=officer)
    plans = _plans(enrollments, officer=officer, rng=rng)
    schedules = _schedules(plans, today=today, rng=rng)
    # Every representative chose the same PIN: one hash for all (`enrollment_set_pin` hashes
    # each with the real hasher, a third of a second apiece); the confirmations below need it.
    pins = Enrollment.objects.filter(pk__in=[e.pk for e in enrollments]).update(
        confirmation_pin=make_password(DEMO_PIN), pin_failures=0
    )
    # One set-based run over the whole half-year, after the transfer, so that it is honoured.
    # (Each approval also queued a 28-day run on commit; those find the visits made here.)
    start = min(enrollment.start_on for enrollment in enrollments)
    services.visits_generate(start=start, days=(today - start).days + services.PLAN_AHEAD_DAYS)
    _history(plans, schedules=schedules, today=today, rng=rng)
    extra = _extra_visits(plans, today=today, rng=rng)
    demo_visits = Visit.objects.filter(provider_id__in={p.enrollment.provider_id for p in plans})
    statuses = Counter(demo_visits.values_list("status", flat=True).iterator())
    return {
        "schedules_created": len(schedules),
        "pins_set": pins,
        "visits_unplanned": extra,
        **{f"visits_{status}": statuses.get(status, 0) for status in VisitStatus.values},
        "visits_confirmed": demo_visits.exclude(confirmation_method="").count(),
    }


# --- the calendar ------------------------------------------------------------------------------


def _transfer(today: datetime.date, *, officer: User) -> None:
    """A Friday off whose visits move to the next day, a Saturday worked as a Friday."""
    friday = today + datetime.timedelta(days=7 + (4 - today.weekday()) % 7)
    known = services.public_holidays(friday, friday + datetime.timedelta(days=35))
    while friday in known or friday + datetime.timedelta(days=1) in known:
        friday += datetime.timedelta(days=7)
    saturday = friday + datetime.timedelta(days=1)
    if CalendarDay.objects.filter(date__in=[friday, saturday]).exists():
        return
    note = (
        f"{TRANSFER_NOTE}: пятница {friday:%d.%m.%Y} — выходной,"
        f" суббота {saturday:%d.%m.%Y} — рабочий день по графику пятницы"
    )
    calendar_day_save(
        day=CalendarDay(date=friday, kind=CalendarDayKind.DAY_OFF, note=note),
        acting_user=officer,
    )
    calendar_day_save(
        day=CalendarDay(
            date=saturday, kind=CalendarDayKind.WORKING_DAY, works_as=friday.weekday(), note=note
        ),
        acting_user=officer,
    )


# --- schedules ---------------------------------------------------------------------------------


def _plans(enrollments: list[Enrollment], *, officer: User, rng: random.Random) -> list[Plan]:
    """Who approves and who records confirmations for each provider; the child's ИПАР kinds."""
    people: dict[tuple[int, str], User] = {}
    for user in (
        User.objects.filter(
            provider__in={e.provider_id for e in enrollments},
            groups__name__in=[Role.PROVIDER_HEAD, Role.COORDINATOR],
        )
        .prefetch_related("groups")
        .order_by("pk")
    ):
        for group in user.groups.all():
            people.setdefault((user.provider_id or 0, group.name), user)
    kinds: dict[int, list[str]] = {}
    for child_id, recommended in (
        Ipar.objects.filter(child_id__in={e.child_id for e in enrollments}, home_services=True)
        .order_by("child_id", "issued_on")
        .values_list("child_id", "services")
    ):
        kinds[child_id] = list(recommended or [])
    plans = []
    for enrollment in enrollments:
        head = people.get((enrollment.provider_id, Role.PROVIDER_HEAD))
        coordinator = people.get((enrollment.provider_id, Role.COORDINATOR))
        plans.append(
            Plan(
                enrollment=enrollment,
                # The services let the akimat act where a provider has no demo head.
                approver=head or officer,
                recorder=coordinator or head or officer,
                kinds=kinds.get(enrollment.child_id, []),
                method=_weighted(rng, METHODS),
            )
        )
    return plans


def _weighted(rng: random.Random, choices: list[tuple[Any, float]]) -> Any:
    return rng.choices([value for value, _w in choices], weights=[w for _v, w in choices])[0]


def _minutes(value: datetime.time) -> int:
    return value.hour * 60 + value.minute


def _time(minutes: int) -> datetime.time:
    return datetime.time(minutes // 60, minutes % 60)


def _week(rng: random.Random, *, home: int, centre: int) -> list[dict[str, Any]]:
    """A weekly pattern (Mon–Fri): centre mornings or afternoons, home visits 1.5–3.5 hours.

    On a day with both, the centre visit ends by 14:00 and the home visit starts from 15:00, so
    the schedule's own visits never overlap (the approval refuses that).
    """
    centre_days = sorted(rng.sample(range(5), centre))
    free = [day for day in range(5) if day not in centre_days]
    shared = list(centre_days)
    rng.shuffle(free)
    rng.shuffle(shared)
    home_days = sorted((free + shared)[:home])
    centre_start = rng.choice([540, 540, 570, 600, 840])  # 9:00, 9:30, 10:00, 14:00
    centre_length = rng.choice([90, 120, 150, 180, 180, 210, 240])
    home_start = rng.choice([600, 660, 900, 960])  # 10:00, 11:00, 15:00, 16:00
    home_length = rng.choice([90, 90, 120, 120, 150, 180, 210])
    slots: list[tuple[int, str, int, int]] = []  # weekday, setting, start and length, minutes
    for day in centre_days:
        start, length = centre_start, centre_length
        if day in home_days and start >= 14 * 60:
            start = 540
        if day in home_days:
            length = min(length, 14 * 60 - start)
        slots.append((day, Setting.CENTRE, start, length))
    for day in home_days:
        start = home_start
        if day in centre_days and start < 15 * 60:
            start = rng.choice([900, 930, 960])
        slots.append((day, Setting.HOME, start, home_length))
    return [
        {"weekday": day, "setting": setting, "start": _time(start), "duration_minutes": length}
        for day, setting, start, length in sorted(slots, key=lambda slot: (slot[0], slot[2]))
    ]


def _days(pattern: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(slot["weekday"], slot["setting"]) for slot in pattern]


def _theme(rng: random.Random, setting: str, recommended: list[str]) -> str:
    weights = HOME_KINDS if setting == Setting.HOME else CENTRE_KINDS
    kinds = list(weights)
    return rng.choices(
        kinds, weights=[weights[kind] * (3 if kind in recommended else 1) for kind in kinds]
    )[0]


def _schedules(plans: list[Plan], *, today: datetime.date, rng: random.Random) -> list[Schedule]:
    """v1 from the enrolment's start for every child, v2 from a later Monday for a tenth."""
    staff: dict[tuple[int, str], list[StaffMember]] = defaultdict(list)
    for member in StaffMember.objects.filter(
        provider_id__in={p.enrollment.provider_id for p in plans}, left_on__isnull=True
    ).order_by("pk"):
        staff[(member.provider_id, member.position)].append(member)
    positions: dict[str, list[str]] = defaultdict(list)
    for kind, service_positions in CatalogueService.objects.values_list("kind", "positions"):
        for position in service_positions or []:
            if position not in positions[kind]:
                positions[kind].append(position)

    def prepare(
        plan: Plan, pattern: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[str]]:
        slots, themes = [], []
        for slot in pattern:
            kind = _theme(rng, slot["setting"], plan.kinds)
            members = [
                member
                for position in positions[kind]
                for member in staff[(plan.enrollment.provider_id, position)]
            ]
            slots.append({**slot, "staff": rng.choice(members) if members else None})
            themes.append(kind)
        return slots, themes

    created: list[Schedule] = []
    for plan in plans:
        enrollment = plan.enrollment
        fewer_centre = rng.random() < FEWER_CENTRE_SHARE
        home, centre = rng.choice([2, 2, 3]), (2 if fewer_centre else rng.choice([3, 3, 4]))
        versions = [(enrollment.start_on, _week(rng, home=home, centre=centre))]
        last_day = min(enrollment.end_on or today, today) - datetime.timedelta(days=7)
        earliest = enrollment.start_on + datetime.timedelta(days=35)
        if rng.random() < SECOND_VERSION_SHARE and earliest <= last_day:
            changed = earliest + datetime.timedelta(
                days=rng.randrange((last_day - earliest).days + 1)
            )
            changed -= datetime.timedelta(days=changed.weekday())  # from a Monday
            pattern = _week(rng, home=home, centre=centre)
            for _attempt in range(20):  # other weekdays for the other setting
                if _days(pattern) != _days(versions[0][1]):
                    break
                pattern = _week(rng, home=home, centre=centre)
            if changed > enrollment.start_on:
                versions.append((changed, pattern))
        for valid_from, pattern in versions:
            slots, themes = prepare(plan, pattern)
            schedule = services.schedule_create(
                enrollment=enrollment,
                valid_from=valid_from,
                slots=slots,
                centre_reason=FEWER_CENTRE_REASON if fewer_centre else "",
                acting_user=plan.approver,
            )
            schedule = services.schedule_approve(
                schedule=schedule, acting_user=plan.approver, plan_now=False
            )
            for slot, kind in zip(slots, themes, strict=True):
                plan.themes[(schedule.pk, slot["weekday"], slot["setting"])] = kind
            created.append(schedule)
    # Prepared and approved a few days before it applied, as it would have been.
    by_day: dict[datetime.date, list[int]] = defaultdict(list)
    for schedule in created:
        by_day[schedule.valid_from].append(schedule.pk)
    for valid_from, pks in by_day.items():
        when = _at(valid_from - datetime.timedelta(days=3), datetime.time(11))
        Schedule.objects.filter(pk__in=pks).update(created_at=when, approved_at=when)
    return created


def _at(day: datetime.date, moment: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, moment))


# --- the journal -------------------------------------------------------------------------------


def _catalogue() -> dict[str, list[str]]:
    codes: dict[str, list[str]] = defaultdict(list)
    for kind, code in CatalogueService.objects.filter(is_active=True).values_list("kind", "code"):
        codes[kind].append(code)
    return codes


def _services_given(
    rng: random.Random, catalogue: dict[str, list[str]], theme: str, setting: str, kinds: list[str]
) -> list[str]:
    """One or two services of the visit's theme, now and then one more the ИПАР recommends."""
    own = catalogue.get(theme) or [theme]
    given = set(rng.sample(own, min(len(own), rng.choice([1, 1, 2]))))
    allowed = HOME_KINDS if setting == Setting.HOME else CENTRE_KINDS
    more = [kind for kind in kinds if kind in allowed and kind != theme and catalogue.get(kind)]
    if more and rng.random() < 0.25:
        given.add(rng.choice(catalogue[rng.choice(more)]))
    return sorted(given)


def _signature_png(rng: random.Random, width: int = 160, height: int = 48) -> bytes:
    """A small greyscale PNG with a pen stroke, as the signature canvas would send it."""
    ink = [[255] * width for _row in range(height)]
    x, y = 8.0, height / 2
    step_y = 0.0
    while x < width - 8:
        step_y = max(-2.5, min(2.5, step_y + rng.uniform(-1.2, 1.2)))
        y = max(6.0, min(height - 7.0, y + step_y))
        for dx in (0, 1):
            for dy in (0, 1):
                ink[int(y) + dy][int(x) + dx] = 20
        x += 0.7
    raw = b"".join(b"\x00" + bytes(row) for row in ink)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    return (
        services.PNG_MAGIC
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _stored(name: str, content: bytes) -> str:
    """The storage name of a demo file, written once (a re-run finds it and reuses it)."""
    if default_storage.exists(name):
        return name
    return default_storage.save(name, ContentFile(content))


def _history(
    plans: list[Plan], *, schedules: list[Schedule], today: datetime.date, rng: random.Random
) -> None:
    """Turn the planned visits before today into the journal, in set-based writes.

    This is demo data, so it skips the per-visit services (`visit_mark_done`, `visit_confirm`,
    …) for speed; their rules hold by construction: only past visits of approved schedules are
    touched (so the child was enrolled that day and the visit is not in the future), times only
    shrink inside the planned ≤ 4 h, services are catalogue codes, only done visits are
    confirmed, a PIN confirmation has the enrolment's PIN, a signature or scan has its file.
    """
    by_enrollment = {plan.enrollment.pk: plan for plan in plans}
    enrollment_of = {schedule.pk: schedule.enrollment_id for schedule in schedules}
    slots = {
        pk: (schedule_id, weekday)
        for pk, schedule_id, weekday in ScheduleSlot.objects.filter(
            schedule__in=schedules
        ).values_list("pk", "schedule_id", "weekday")
    }
    catalogue = _catalogue()
    paper = _stored(PAPER_SCAN_NAME, PAPER_SCAN)
    signatures: dict[int, str] = {}
    recent = today - datetime.timedelta(days=RECENT_DAYS)
    # New values per field group -> the visits that get them (one UPDATE per group).
    changes: dict[tuple[str, ...], dict[tuple[Any, ...], list[int]]] = defaultdict(
        lambda: defaultdict(list)
    )
    visits = (
        Visit.objects.filter(
            slot__schedule__in=schedules, status=VisitStatus.PLANNED, date__lt=today
        )
        .order_by("child_id", "date", "start", "pk")
        .values_list("pk", "child_id", "slot_id", "setting", "date", "start", "end")
    )
    run_reason, run_left = "", 0
    child = None
    for pk, child_id, slot_id, setting, day, start, end in visits.iterator(chunk_size=2000):
        if child_id != child:
            child, run_reason, run_left = child_id, "", 0
        schedule_id, weekday = slots[slot_id]
        plan = by_enrollment[enrollment_of[schedule_id]]
        if not run_left and rng.random() < MISSED_START:
            run_reason, _weight, shortest, longest = _weighted(
                rng, [(row, row[1]) for row in MISSED]
            )
            run_left = rng.randint(shortest, longest)
        if run_left:
            run_left -= 1
            changes[("status", "missed_reason")][(VisitStatus.MISSED, run_reason)].append(pk)
            continue
        if rng.random() < CANCELLED_SHARE:
            reason = rng.choice(CANCELLED_HOME if setting == Setting.HOME else CANCELLED_CENTRE)
            changes[("status", "missed_reason")][(VisitStatus.CANCELLED, reason)].append(pk)
            continue
        changes[("status",)][(VisitStatus.DONE,)].append(pk)
        theme = plan.themes[(schedule_id, weekday, setting)]
        given = _services_given(rng, catalogue, theme, setting, plan.kinds)
        changes[("services",)][(tuple(given),)].append(pk)
        if rng.random() < 0.2:  # a late start: the visit still ends as planned
            late = _time(_minutes(start) + rng.choice([5, 10, 15, 20]))
            changes[("start",)][(late,)].append(pk)
        if rng.random() >= (CONFIRMED_RECENT_SHARE if day >= recent else CONFIRMED_SHARE):
            continue
        method = plan.method if rng.random() < 0.8 else _weighted(rng, METHODS)
        signature = scan = ""
        if method == ConfirmationMethod.SIGNATURE:
            if plan.enrollment.pk not in signatures:
                signatures[plan.enrollment.pk] = _stored(
                    f"signatures/demo/representative-{plan.enrollment.pk}.png",
                    _signature_png(rng),
                )
            signature = signatures[plan.enrollment.pk]
        elif method == ConfirmationMethod.PAPER:
            scan = paper
        changes[("confirmation_method", "confirmation_recorded_by", "signature", "paper_scan")][
            (method, plan.recorder.pk, signature, scan)
        ].append(pk)
        changes[("confirmed_at",)][(_at(day, end),)].append(pk)
    for fields, groups in changes.items():
        for values, pks in groups.items():
            update = {
                ("confirmation_recorded_by_id" if name == "confirmation_recorded_by" else name): (
                    list(value) if name == "services" else value
                )
                for name, value in zip(fields, values, strict=True)
            }
            for offset in range(0, len(pks), 500):
                Visit.objects.filter(pk__in=pks[offset : offset + 500]).update(**update)


def _extra_visits(plans: list[Plan], *, today: datetime.date, rng: random.Random) -> int:
    """Visits the coordinators logged outside the schedule, through the real service.

    A Saturday make-up home visit after an illness, and a few home visits logged over the
    same day's centre visit, which the overlap flag then shows (Alg. §14).
    """
    catalogue = _catalogue()
    by_child = {plan.enrollment.child_id: plan for plan in plans}
    made = 0
    ill = (
        Visit.objects.filter(
            child_id__in=by_child,
            status=VisitStatus.MISSED,
            missed_reason=MISSED[0][0],
            date__lt=today - datetime.timedelta(days=7),
        )
        .order_by("child_id", "-date")
        .values_list("child_id", "date")
    )
    last_ill: dict[int, datetime.date] = {}
    for child_id, day in ill:
        last_ill.setdefault(child_id, day)
    known = services.public_holidays(min(last_ill.values(), default=today), today)
    for child_id in sorted(last_ill)[:: max(1, len(last_ill) // EXTRA_VISITS)][:EXTRA_VISITS]:
        plan = by_child[child_id]
        saturday = last_ill[child_id] + datetime.timedelta(
            days=(5 - last_ill[child_id].weekday()) % 7 or 7
        )
        if saturday >= today or saturday in known or not plan.enrollment.covers(saturday):
            continue
        made += _log(
            plan,
            visit_id=f"U-demo-{plan.enrollment.pk}-{saturday:%Y%m%d}",
            setting=Setting.HOME,
            day=saturday,
            start=datetime.time(10),
            end=datetime.time(12),
            given=_services_given(rng, catalogue, ServiceKind.PEDAGOGICAL, Setting.HOME, []),
        )
    # Done centre visits of the last two months on days without a home visit, by child.
    window = (today - datetime.timedelta(days=60), today - datetime.timedelta(days=3))
    home_days = set(
        Visit.objects.filter(
            child_id__in=by_child, setting=Setting.HOME, date__range=window
        ).values_list("child_id", "date")
    )
    centre: dict[int, list[tuple[datetime.date, datetime.time]]] = defaultdict(list)
    for child_id, day, end in (
        Visit.objects.filter(
            child_id__in=by_child,
            setting=Setting.CENTRE,
            status=VisitStatus.DONE,
            date__range=window,
            end__lte=datetime.time(20),
        )
        .order_by("child_id", "date")
        .values_list("child_id", "date", "end")
    ):
        if (child_id, day) not in home_days:
            centre[child_id].append((day, end))
    for child_id in rng.sample(sorted(centre), min(OVERLAPPING_VISITS, len(centre))):
        day, end = rng.choice(centre[child_id])
        start = _minutes(end) - 60
        made += _log(
            by_child[child_id],
            visit_id=f"U-demo-{by_child[child_id].enrollment.pk}-{day:%Y%m%d}",
            setting=Setting.HOME,
            day=day,
            start=_time(start),
            end=_time(start + 120),
            given=_services_given(rng, catalogue, ServiceKind.HOUSEHOLD, Setting.HOME, []),
        )
    return made


def _log(
    plan: Plan,
    *,
    visit_id: str,
    setting: str,
    day: datetime.date,
    start: datetime.time,
    end: datetime.time,
    given: list[str],
) -> int:
    _visit, created = services.visit_create(
        provider_id=plan.enrollment.provider_id,
        child=plan.enrollment.child,
        setting=setting,
        date=day,
        start=start,
        end=end,
        status=VisitStatus.DONE,
        services=given,
        visit_id=visit_id,
        acting_user=plan.recorder,
    )
    return int(created)
