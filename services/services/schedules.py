"""Weekly schedules: written, checked and approved (Alg. §18)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as, validated_save
from core.errors import fail
from core.jobs import VISITS_GENERATE, outbox_enqueue
from providers.models import StaffMember
from recipients.models import Enrollment, EnrollmentStatus
from services import rules
from services.models import (
    Schedule,
    ScheduleSlot,
    ScheduleStatus,
    Visit,
)
from services.services.access import _ensure_staff_of
from services.services.plans import remove_untouched_plans


def _write_slots(schedule: Schedule, slots: list[dict[str, Any]]) -> None:
    staff_ids = {slot["staff"].pk for slot in slots if slot.get("staff")}
    if (
        staff_ids
        and StaffMember.objects.filter(pk__in=staff_ids)
        .exclude(provider_id=schedule.enrollment.provider_id)
        .exists()
    ):
        raise fail(_("A staff member of another provider was chosen."), "foreign_staff", "slots")
    schedule.slots.all().delete()
    objects = [ScheduleSlot(schedule=schedule, **slot) for slot in slots]
    for slot in objects:
        slot.full_clean(exclude=["schedule"])
    ScheduleSlot.objects.bulk_create(objects)


@transaction.atomic
def schedule_create(
    *,
    enrollment: Enrollment,
    valid_from: datetime.date,
    slots: list[dict[str, Any]],
    centre_reason: str = "",
    acting_user: Any,
) -> Schedule:
    """A new draft version of the child's weekly schedule (the next version number)."""
    _ensure_staff_of(acting_user, enrollment.provider_id)
    if enrollment.status != EnrollmentStatus.APPROVED:
        raise fail(
            _("Only an approved enrolment has a schedule."), "enrollment_not_approved", "enrollment"
        )
    Enrollment.objects.select_for_update().filter(pk=enrollment.pk).first()
    latest = enrollment.schedules.aggregate(latest=Max("version"))["latest"] or 0
    schedule = Schedule(
        enrollment=enrollment,
        version=latest + 1,
        valid_from=valid_from,
        centre_reason=centre_reason,
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    validated_save(schedule, acting_user=acting_user)
    with acting_as(acting_user):
        _write_slots(schedule, slots)
    return schedule


@transaction.atomic
def schedule_update(
    *,
    schedule: Schedule,
    valid_from: datetime.date,
    slots: list[dict[str, Any]],
    centre_reason: str = "",
    acting_user: Any,
) -> Schedule:
    """Change a draft; an approved version is history and is replaced by a new version."""
    schedule = Schedule.objects.select_for_update().select_related("enrollment").get(pk=schedule.pk)
    _ensure_staff_of(acting_user, schedule.enrollment.provider_id)
    if schedule.status != ScheduleStatus.DRAFT:
        raise fail(
            _("An approved schedule cannot be changed; prepare a new version."),
            "schedule_not_draft",
        )
    schedule.valid_from = valid_from
    schedule.centre_reason = centre_reason
    validated_save(schedule, acting_user=acting_user)
    with acting_as(acting_user):
        _write_slots(schedule, slots)
    return schedule


def schedule_problems(schedule: Schedule) -> list[tuple[str, str]]:
    """Everything that stops approval: the rules of Alg. §2 and the enrolment's dates."""
    enrollment = schedule.enrollment
    problems = rules.schedule_problems(
        list(schedule.slots.all()), centre_reason=schedule.centre_reason
    )
    if schedule.valid_from < enrollment.start_on or (
        enrollment.end_on is not None and schedule.valid_from > enrollment.end_on
    ):
        problems.append(
            (
                "outside_enrollment",
                str(_("The schedule must apply from a day of the enrolment.")),
            )
        )
    later = (
        enrollment.schedules.filter(
            status=ScheduleStatus.APPROVED, valid_from__gte=schedule.valid_from
        )
        .exclude(pk=schedule.pk)
        .exists()
    )
    if later:
        problems.append(
            (
                "not_after_approved",
                str(_("A new version must apply from after the last approved version's date.")),
            )
        )
    return problems


@transaction.atomic
def schedule_approve(*, schedule: Schedule, acting_user: Any, plan_now: bool = True) -> Schedule:
    """The head approves a version (Alg. §21); it applies from its date and replaces older plans.

    The coming weeks are planned at once after commit (`plan_now`); a caller approving many
    schedules (the demo) plans them in one run afterwards instead.
    """
    # The enrolment's row serialises approvals of its versions (the "after the last approved
    # version" check must see the other's result).
    Enrollment.objects.select_for_update().filter(
        pk=Schedule.objects.filter(pk=schedule.pk).values("enrollment_id")[:1]
    ).first()
    schedule = (
        Schedule.objects.select_for_update(of=("self",))
        .select_related("enrollment")
        .get(pk=schedule.pk)
    )
    _ensure_staff_of(acting_user, schedule.enrollment.provider_id, head_only=True)
    if schedule.status != ScheduleStatus.DRAFT:
        raise fail(_("This schedule is already approved."), "schedule_not_draft")
    problems = schedule_problems(schedule)
    if problems:
        raise ValidationError([ValidationError(message, code=code) for code, message in problems])
    schedule.status = ScheduleStatus.APPROVED
    schedule.approved_by = acting_user
    schedule.approved_at = timezone.now()
    validated_save(schedule, acting_user=acting_user)
    # Untouched plans of other versions give way from the new date on — from today at the
    # earliest: a past day's plans are the journal's business, not the schedule's.
    start = max(schedule.valid_from, timezone.localdate())
    with acting_as(acting_user):
        remove_untouched_plans(
            Visit.objects.filter(
                slot__schedule__enrollment_id=schedule.enrollment_id, date__gte=start
            ).exclude(slot__schedule=schedule)
        )
    if not plan_now:
        return schedule
    outbox_enqueue(
        VISITS_GENERATE, start=start.isoformat(), enrollment_ids=[schedule.enrollment_id]
    )
    return schedule
