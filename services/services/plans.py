"""Planned visits generated from approved schedules, and removed when an enrolment ends."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q

from core.audit import acting_as
from core.roles import Role, ensure_role
from recipients.models import Enrollment, EnrollmentStatus
from services import rules
from services.models import (
    Schedule,
    ScheduleStatus,
    Visit,
    VisitStatus,
)
from services.services.catalogue import public_holidays, transfers_between
from services.services.visits import flag_overlaps_on

PLAN_AHEAD_DAYS = 28


def remove_untouched_plans(visits: Any) -> int:
    """Delete the planned visits among `visits` that nobody has touched; returns how many.

    Untouched: generated from a schedule, still planned, no confirmation, no reason, never
    corrected. Anything a person logged or changed stays. (A removed plan is not in the API's
    `updated_since` feed: plans are a forecast; the feed carries what was done or missed.)
    """
    stale = visits.filter(
        status=VisitStatus.PLANNED,
        confirmation_method="",
        missed_reason="",
        slot__isnull=False,
        corrections__isnull=True,
    )
    pairs = set(stale.values_list("child_id", "date"))
    removed, _by_model = Visit.objects.filter(
        pk__in=list(stale.values_list("pk", flat=True))
    ).delete()
    flag_overlaps_on(pairs)
    return removed


def enrollment_plans_end(*, enrollment: Enrollment, acting_user: Any) -> int:
    """An enrolment ended: its untouched plans after the last day of service go (recipients)."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    if enrollment.end_on is None:
        return 0
    with acting_as(acting_user):
        return remove_untouched_plans(
            Visit.objects.filter(
                child_id=enrollment.child_id,
                provider_id=enrollment.provider_id,
                date__gt=enrollment.end_on,
            )
        )


def enrollment_ended_plans_end(*, enrollment: Enrollment, acting_user: Any, **_signal: Any) -> None:
    """`recipients.signals.enrollment_ended`'s receiver."""
    enrollment_plans_end(enrollment=enrollment, acting_user=acting_user)


def planned_visit_id(slot_id: int, day: datetime.date) -> str:
    """Deterministic, so generating the same plan twice creates nothing new."""
    return f"P{slot_id}-{day:%Y%m%d}"


@transaction.atomic
def visits_generate(
    *,
    start: datetime.date,
    days: int = PLAN_AHEAD_DAYS,
    enrollment_ids: Iterable[int] | None = None,
) -> int:
    """Planned visits from approved schedules for `days` days from `start`; returns how many.

    Idempotent: each slot and day has one id, and an existing id is never written again
    (so a cancelled or removed plan does not come back). Public holidays and the akimat's days
    off have no visits; a transferred working day follows the weekday it names.
    """
    end = start + datetime.timedelta(days=days - 1)
    schedules = Schedule.objects.filter(
        status=ScheduleStatus.APPROVED,
        valid_from__lte=end,
        enrollment__status=EnrollmentStatus.APPROVED,
        enrollment__start_on__lte=end,
    ).filter(Q(enrollment__end_on__isnull=True) | Q(enrollment__end_on__gte=start))
    if enrollment_ids is not None:
        schedules = schedules.filter(enrollment_id__in=list(enrollment_ids))
    schedules = schedules.select_related("enrollment").prefetch_related("slots")
    by_enrollment: dict[int, list[Schedule]] = {}
    for schedule in schedules.order_by("enrollment_id", "valid_from", "version"):
        by_enrollment.setdefault(schedule.enrollment_id, []).append(schedule)
    holidays_ = public_holidays(start, end)
    transfers = transfers_between(start, end)
    # A day already planned from another version keeps that plan (a past day when a version
    # applying from before today was approved): one day is never planned twice.
    planned_by: dict[tuple[int, datetime.date], set[int]] = {}
    for enrollment_id, day, schedule_id in Visit.objects.filter(
        slot__schedule__enrollment_id__in=schedules.values("enrollment_id"),
        date__range=(start, end),
    ).values_list("slot__schedule__enrollment_id", "date", "slot__schedule_id"):
        planned_by.setdefault((enrollment_id, day), set()).add(schedule_id)
    candidates: list[Visit] = []
    for versions in by_enrollment.values():
        enrollment = versions[0].enrollment
        first = max(start, enrollment.start_on)
        last = min(end, enrollment.end_on) if enrollment.end_on else end
        day = first
        while day <= last:
            weekday = rules.schedule_weekday(day, public_holidays=holidays_, transfers=transfers)
            current = [version for version in versions if version.valid_from <= day]
            other_plans = planned_by.get((enrollment.pk, day), set()) - (
                {current[-1].pk} if current else set()
            )
            if weekday is not None and current and not other_plans:
                for slot in current[-1].slots.all():
                    if slot.weekday == weekday:
                        candidates.append(
                            Visit(
                                visit_id=planned_visit_id(slot.pk, day),
                                child_id=enrollment.child_id,
                                provider_id=enrollment.provider_id,
                                setting=slot.setting,
                                date=day,
                                start=slot.start,
                                end=slot.end,
                                staff_id=slot.staff_id,
                                slot=slot,
                            )
                        )
            day += datetime.timedelta(days=1)
    existing: set[str] = set()
    ids = [visit.visit_id for visit in candidates]
    for offset in range(0, len(ids), 900):
        existing.update(
            Visit.objects.filter(visit_id__in=ids[offset : offset + 900]).values_list(
                "visit_id", flat=True
            )
        )
    new = [visit for visit in candidates if visit.visit_id not in existing]
    # The nightly run and an approval's run may meet: an id written by the other is skipped.
    Visit.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new)
