"""Every write of the visits stage (domain.md §5): schedules, planned visits, logging, confirmation.

Pages, the API, the admin, tasks and the demo call these, so each rule is enforced once.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import uuid
from collections.abc import Iterable
from typing import Any

import holidays
from auditlog.models import LogEntry
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as, validated_save
from core.errors import RoleRequired, fail
from core.jobs import VISITS_GENERATE, outbox_enqueue
from core.roles import PROVIDER_ROLES, Role, ensure_role, has_role, roles_of
from providers.models import StaffMember
from providers.uploads import reencoded_png
from recipients.models import Child, Enrollment, EnrollmentStatus, ServiceKind
from services import rules
from services.models import (
    CalendarDay,
    CalendarDayKind,
    CatalogueService,
    ConfirmationMethod,
    Schedule,
    ScheduleSlot,
    ScheduleStatus,
    Visit,
    VisitCorrection,
    VisitStatus,
)

PLAN_AHEAD_DAYS = 28
PIN_ATTEMPTS = 5
SIGNATURE_MAX_BYTES = 300 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- who may act -------------------------------------------------------------------------------


def _ensure_staff_of(user: Any, provider_id: int, *, head_only: bool = False) -> None:
    """The akimat, or the provider's own staff (its head when `head_only`)."""
    roles = roles_of(user)
    if Role.AKIMAT_OFFICER in roles:
        return
    wanted = {Role.PROVIDER_HEAD} if head_only else PROVIDER_ROLES
    if roles & wanted and getattr(user, "provider_id", None) == provider_id:
        return
    raise RoleRequired(_("Your role does not allow this action."))


# --- the catalogue and the calendar ------------------------------------------------------------


def service_codes() -> set[str]:
    """Codes a visit may name: the eight kinds and the catalogue's offered services."""
    return set(ServiceKind.values) | set(
        CatalogueService.objects.filter(is_active=True).values_list("code", flat=True)
    )


def _clean_services(services: Iterable[str]) -> list[str]:
    chosen = sorted({code.strip() for code in services if code and code.strip()})
    unknown = [code for code in chosen if code not in service_codes()]
    if unknown:
        raise fail(
            _("Unknown services: %(codes)s.") % {"codes": ", ".join(unknown)},
            "unknown_service",
            "services",
        )
    return chosen


def public_holidays(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    return {
        day
        for day in holidays.country_holidays("KZ", years=range(start.year, end.year + 1))
        if start <= day <= end
    }


def transfers_between(start: datetime.date, end: datetime.date) -> dict[datetime.date, Any]:
    return {
        day.date: rules.Transfer(
            working=day.kind == CalendarDayKind.WORKING_DAY, works_as=day.works_as
        )
        for day in CalendarDay.objects.filter(date__range=(start, end))
    }


def schedule_weekday_of(day: datetime.date) -> int | None:
    """Whose weekday's visits take place on `day` (None: a holiday or a day off)."""
    return rules.schedule_weekday(
        day, public_holidays=public_holidays(day, day), transfers=transfers_between(day, day)
    )


# --- schedules ---------------------------------------------------------------------------------


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


# --- planned visits ----------------------------------------------------------------------------


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


# --- logging visits ----------------------------------------------------------------------------


def _enrolled_on(*, child_id: int, provider_id: int, day: datetime.date) -> bool:
    return (
        Enrollment.objects.in_force(day).filter(child_id=child_id, provider_id=provider_id).exists()
    )


def _check(visit: Visit, *, services_required: bool = True) -> None:
    """The rules every logged visit keeps (Alg. §2, §14), each refusal with its field and code.

    A visit logged or marked done in the portal names the services given: it is paid for "the
    actual volume of services rendered" (R261 §6), and a done visit with none is no record of
    it. A journal imported without its optional `services` column keeps what it says
    (exchange.md); a correction asks for services only when it changes them."""
    problem = rules.visit_time_problem(visit.start, visit.end)
    if problem:  # the rule's words are also a file row's ("row 5: the visit…"): a sentence here
        raise fail(capfirst(problem[1]), problem[0], "end")
    if not _enrolled_on(child_id=visit.child_id, provider_id=visit.provider_id, day=visit.date):
        raise fail(
            _("The child is not enrolled with this provider on %(day)s.")
            % {"day": f"{visit.date:%d.%m.%Y}"},
            "not_enrolled_that_day",
            "child",
        )
    if visit.staff_id and visit.staff is not None and visit.staff.provider_id != visit.provider_id:
        raise fail(_("The staff member works for another provider."), "foreign_staff", "staff")
    if visit.status == VisitStatus.DONE and visit.date > timezone.localdate():
        raise fail(_("A visit on a future day cannot be marked done."), "visit_in_future", "date")
    visit.services = _clean_services(visit.services)
    if services_required and visit.status == VisitStatus.DONE and not visit.services:
        raise fail(_("Tick the services given during the visit."), "services_required", "services")


def flag_overlaps(*, child_id: int, day: datetime.date) -> None:
    """Flag the child's home and centre visits of one day that overlap in time (Alg. §14)."""
    flag_overlaps_in(Visit.objects.filter(child_id=child_id, date=day))


def flag_overlaps_on(days: Iterable[tuple[int, datetime.date]]) -> int:
    """The same for several (child, day) pairs at once: the children's visits of those days'
    span, in the two statements of `flag_overlaps_in`, never a query per pair."""
    pairs = set(days)
    if not pairs:
        return 0
    dates = [day for _child, day in pairs]
    return flag_overlaps_in(
        Visit.objects.filter(
            child_id__in={child for child, _day in pairs}, date__range=(min(dates), max(dates))
        )
    )


def flag_overlaps_in(visits: Any) -> int:
    """Set the overlap flag right on every visit of `visits`: two statements, any size.

    A visit overlaps when another visit of the same child and day in the other setting, neither
    missed nor cancelled, runs at the same time (touching ends do not). A visit whose flag
    changes gets a new `updated_at`, so the API's `updated_since` feed carries it.
    """
    closed = [VisitStatus.CANCELLED, VisitStatus.MISSED]
    other_setting = (
        Visit.objects.filter(
            child_id=OuterRef("child_id"),
            date=OuterRef("date"),
            start__lt=OuterRef("end"),
            end__gt=OuterRef("start"),
        )
        .exclude(setting=OuterRef("setting"))
        .exclude(status__in=closed)
    )
    now = timezone.now()
    raised = (
        visits.filter(Exists(other_setting), overlaps=False)
        .exclude(status__in=closed)
        .update(overlaps=True, updated_at=now)
    )
    lowered = (
        visits.filter(overlaps=True)
        .filter(~Exists(other_setting) | Q(status__in=closed))
        .update(overlaps=False, updated_at=now)
    )
    return int(raised) + int(lowered)


def _locked(visit: Visit) -> Visit:
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("child", "provider", "staff")
        .get(pk=visit.pk)
    )


def _ensure_may_edit(visit: Visit, user: Any) -> None:
    _ensure_staff_of(user, visit.provider_id)
    if visit.is_confirmed:
        raise fail(
            _(
                "The representative has confirmed this visit; only the head can correct it,"
                " with a reason."
            ),
            "visit_confirmed",
        )


@transaction.atomic
def visit_create(
    *,
    provider_id: int,
    child: Child,
    setting: str,
    date: datetime.date,
    start: datetime.time,
    end: datetime.time,
    status: str = VisitStatus.DONE,
    services: Iterable[str] = (),
    staff: StaffMember | None = None,
    visit_id: str = "",
    acting_user: Any,
) -> tuple[Visit, bool]:
    """Log a visit that was not planned. A repeated `visit_id` returns the visit already logged.

    The client chooses the id (a hidden form field, an API client's key), so a submit repeated
    by a flaky network finds its first visit instead of creating a second.
    """
    _ensure_staff_of(acting_user, provider_id)
    visit_id = visit_id or f"U{uuid.uuid4().hex}"
    existing = Visit.objects.filter(visit_id=visit_id).first()
    if existing is not None:
        return _repeated(existing, provider_id=provider_id, child=child, date=date), False
    if status not in (VisitStatus.PLANNED, VisitStatus.DONE):
        raise fail(_("A new visit is either planned or done."), "invalid_status", "status")
    visit = Visit(
        visit_id=visit_id,
        provider_id=provider_id,
        child=child,
        setting=setting,
        date=date,
        start=start,
        end=end,
        status=status,
        services=list(services),
        staff=staff,
    )
    _check(visit)
    try:
        with transaction.atomic():
            validated_save(visit, acting_user=acting_user)
    except (IntegrityError, ValidationError) as error:
        # Two submits of one id at the same moment: the other one won; answer with its visit.
        existing = Visit.objects.filter(visit_id=visit_id).first()
        if existing is None:
            raise
        if isinstance(error, ValidationError) and "visit_id" not in getattr(
            error, "error_dict", {}
        ):
            raise
        return _repeated(existing, provider_id=provider_id, child=child, date=date), False
    flag_overlaps(child_id=visit.child_id, day=visit.date)
    visit.refresh_from_db(fields=["overlaps"])
    return visit, True


def _repeated(existing: Visit, *, provider_id: int, child: Child, date: datetime.date) -> Visit:
    """A repeated id is the same visit only if it names the same provider, child and day.

    An id another provider used answers exactly as one of this provider's used for another
    visit: the answer must not tell a stranger's visit from one's own (issue 13, item 10)."""
    if (
        existing.provider_id != provider_id
        or existing.child_id != child.pk
        or existing.date != date
    ):
        raise fail(
            _("This form was already used for another visit; open a new form."),
            "visit_id_reused",
            "visit_id",
        )
    return existing


@transaction.atomic
def visit_mark_done(
    *,
    visit: Visit,
    start: datetime.time,
    end: datetime.time,
    services: Iterable[str],
    staff: StaffMember | None = None,
    acting_user: Any,
) -> Visit:
    """The visit took place: its real times, the services given and who gave them."""
    visit = _locked(visit)
    _ensure_may_edit(visit, acting_user)
    if visit.status == VisitStatus.CANCELLED:
        raise fail(_("A cancelled visit cannot be marked done."), "visit_cancelled", "status")
    visit.status = VisitStatus.DONE
    visit.start, visit.end = start, end
    visit.services = list(services)
    visit.missed_reason = ""
    if staff is not None:
        visit.staff = staff
    _check(visit)
    validated_save(visit, acting_user=acting_user)
    flag_overlaps(child_id=visit.child_id, day=visit.date)
    return visit


def _close(visit: Visit, *, status: str, reason: str, acting_user: Any) -> Visit:
    visit = _locked(visit)
    _ensure_may_edit(visit, acting_user)
    if not reason.strip():
        raise fail(_("Give the reason."), "reason_required", "reason")
    if status == VisitStatus.MISSED and visit.date > timezone.localdate():
        raise fail(
            _("A visit on a future day cannot be missed yet; cancel it instead."),
            "visit_in_future",
            "date",
        )
    visit.status = status
    visit.missed_reason = reason.strip()
    visit.services = []
    validated_save(visit, acting_user=acting_user)
    flag_overlaps(child_id=visit.child_id, day=visit.date)
    return visit


@transaction.atomic
def visit_mark_missed(*, visit: Visit, reason: str, acting_user: Any) -> Visit:
    """The child did not receive the visit (ill, away, not at home): the reason is kept."""
    return _close(visit, status=VisitStatus.MISSED, reason=reason, acting_user=acting_user)


@transaction.atomic
def visit_cancel(*, visit: Visit, reason: str, acting_user: Any) -> Visit:
    """A planned visit that will not take place (rescheduled, provider's reason)."""
    return _close(visit, status=VisitStatus.CANCELLED, reason=reason, acting_user=acting_user)


# --- the representative's confirmation (Alg. §20) ----------------------------------------------


def signature_png(data_url: str) -> bytes:
    """The PNG bytes of a signature drawn on the canvas (a data: URL), checked by content."""
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise fail(_("Draw the signature first."), "signature_missing", "signature")
    try:
        content = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise fail(
            _("The signature could not be read."), "signature_invalid", "signature"
        ) from None
    if not content.startswith(PNG_MAGIC):
        raise fail(_("The signature could not be read."), "signature_invalid", "signature")
    if len(content) > SIGNATURE_MAX_BYTES:
        raise fail(_("The signature image is too large."), "signature_too_large", "signature")
    # Decoded whole and written again: only the drawn pixels are stored, never bytes of the
    # upload (a PNG header followed by HTML, text chunks, a profile, trailing data).
    try:
        return reencoded_png(content)
    except ValidationError:
        raise fail(
            _("The signature could not be read."), "signature_invalid", "signature"
        ) from None


def _active_enrollment(visit: Visit) -> Enrollment | None:
    return (
        Enrollment.objects.select_for_update()
        .in_force(visit.date)
        .filter(child_id=visit.child_id, provider_id=visit.provider_id)
        .order_by("-start_on")
        .first()
    )


def _pin_accepted(visit: Visit, pin: str) -> bool:
    """Check the representative's PIN; five wrong entries in a row lock it until it is reset.

    Returns False for a wrong PIN after counting the failure (the count must survive the
    refusal, so the caller raises only after this transaction's savepoint is committed).
    """
    enrollment = _active_enrollment(visit)
    if enrollment is None or not enrollment.confirmation_pin:
        raise fail(
            _("The representative has not chosen a PIN for this enrolment."), "no_pin", "pin"
        )
    if enrollment.pin_failures >= PIN_ATTEMPTS:
        raise fail(
            _(
                "The PIN is locked after %(count)d wrong entries; set a new one with the representative."
            )
            % {"count": PIN_ATTEMPTS},
            "pin_locked",
            "pin",
        )
    if check_password(pin, enrollment.confirmation_pin):
        if enrollment.pin_failures:
            Enrollment.objects.filter(pk=enrollment.pk).update(pin_failures=0)
        return True
    Enrollment.objects.filter(pk=enrollment.pk).update(pin_failures=enrollment.pin_failures + 1)
    return False


def visit_confirm(
    *,
    visit: Visit,
    method: str,
    signature: str = "",
    pin: str = "",
    scan: UploadedFile | None = None,
    acting_user: Any,
) -> Visit:
    """Record the legal representative's confirmation of a done visit, by one of three methods.

    A signature drawn on the device and a paper-journal scan are stored as files; a PIN is
    checked against the hash chosen at enrolment. Confirming an already confirmed visit again
    changes nothing (a repeated submit).
    """
    wrong_pin = False
    with transaction.atomic():
        visit = _locked(visit)
        _ensure_staff_of(acting_user, visit.provider_id)
        if visit.is_confirmed:
            return visit
        if visit.status != VisitStatus.DONE:
            raise fail(
                _("Only a visit that took place can be confirmed."), "visit_not_done", "status"
            )
        if method == ConfirmationMethod.SIGNATURE:
            content = signature_png(signature)
            # stored under a random name (the field's upload_to)
            visit.signature.save("signature.png", ContentFile(content), save=False)
        elif method == ConfirmationMethod.PIN:
            if not pin.strip():
                raise fail(_("Enter the PIN."), "pin_missing", "pin")
            wrong_pin = not _pin_accepted(visit, pin.strip())
        elif method == ConfirmationMethod.PAPER:
            if scan is None:
                raise fail(_("Attach the scan of the signed journal."), "scan_missing", "scan")
            visit.paper_scan = scan
        else:
            raise fail(_("Choose how the representative confirms."), "invalid_method", "method")
        if not wrong_pin:
            visit.confirmation_method = method
            visit.confirmed_at = timezone.now()
            visit.confirmation_recorded_by = acting_user
            try:
                validated_save(visit, acting_user=acting_user)
            except ValidationError as error:
                # The model's field is `paper_scan`; this service, its forms and the API say
                # `scan`: a refused file is named as the caller named it.
                if hasattr(error, "error_dict") and "paper_scan" in error.error_dict:
                    error.error_dict["scan"] = error.error_dict.pop("paper_scan")
                raise
    if wrong_pin:
        raise fail(_("The PIN is wrong."), "wrong_pin", "pin")
    return visit


@transaction.atomic
def enrollment_set_pin(*, enrollment: Enrollment, pin: str, acting_user: Any) -> Enrollment:
    """Store the PIN the representative chose (hashed, never shown again); unlocks a locked PIN."""
    _ensure_staff_of(acting_user, enrollment.provider_id)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.confirmation_pin and not has_role(
        acting_user, Role.PROVIDER_HEAD, Role.AKIMAT_OFFICER
    ):
        # Otherwise the person whose confirmations the PIN checks could lift its lock-out.
        raise RoleRequired(_("Only the head changes a PIN that is already set."))
    pin = pin.strip()
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise fail(_("A PIN is 4 to 8 digits."), "invalid_pin", "pin")
    enrollment.confirmation_pin = make_password(pin)
    enrollment.pin_failures = 0
    with acting_as(acting_user):
        enrollment.save(update_fields=["confirmation_pin", "pin_failures", "updated_at"])

        LogEntry.objects.log_create(
            enrollment,
            force_log=True,
            action=LogEntry.Action.UPDATE,
            changes={"confirmation_pin": ["***", "*** (new)"]},
            actor=acting_user,
        )
    return enrollment


# --- corrections -------------------------------------------------------------------------------

CORRECTABLE = ("start", "end", "setting", "services", "staff", "status", "missed_reason")


@transaction.atomic
def visit_correct(*, visit: Visit, reason: str, changes: dict[str, Any], acting_user: Any) -> Visit:
    """The head corrects a visit, confirmed or not; the reason and the changes are recorded."""
    visit = _locked(visit)
    _ensure_staff_of(acting_user, visit.provider_id, head_only=True)
    if not reason.strip():
        raise fail(_("Give the reason for the correction."), "reason_required", "reason")
    changes = dict(changes)
    if "services" in changes:
        changes["services"] = _clean_services(changes["services"])
    if "missed_reason" in changes:
        changes["missed_reason"] = (changes["missed_reason"] or "").strip()
    before: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in CORRECTABLE:
            raise fail(_("This field cannot be corrected."), "not_correctable", field)
        old = getattr(visit, field)
        if old != value:
            before[field] = [_plain(old), _plain(value)]
            setattr(visit, field, value)
    if not before:
        raise fail(_("Nothing was changed."), "no_change")
    if visit.status in (VisitStatus.DONE, VisitStatus.PLANNED):
        visit.missed_reason = ""
    elif not visit.missed_reason:
        raise fail(
            _("A missed or cancelled visit needs its reason."), "reason_required", "missed_reason"
        )
    if visit.is_confirmed and visit.status != VisitStatus.DONE:
        raise fail(
            _("The representative confirmed that this visit took place."),
            "visit_confirmed",
            "status",
        )
    _check(visit, services_required="services" in changes)
    validated_save(visit, acting_user=acting_user)
    with acting_as(acting_user):
        VisitCorrection.objects.create(
            visit=visit, corrected_by=acting_user, reason=reason.strip(), changes=before
        )
    flag_overlaps(child_id=visit.child_id, day=visit.date)
    return visit


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.time):
        return f"{value:%H:%M}"
    if isinstance(value, StaffMember):
        return value.full_name
    return value
