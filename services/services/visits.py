"""Logging visits: created, marked done, missed or cancelled, overlaps flagged (Alg. §19)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.audit import validated_save
from core.errors import fail
from providers.models import StaffMember
from recipients.models import Child, Enrollment
from services import rules
from services.models import (
    Visit,
    VisitStatus,
)
from services.services.access import _ensure_staff_of
from services.services.catalogue import _clean_services


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
