"""The akimat's working-day transfers (CalendarDay) and what they change in the planned visits.

A day off has no visits, a working day moved onto a weekend or holiday follows the weekday it
names (domain.md §5; `rules.schedule_weekday`). Planned visits are made ahead by
`visits_generate`, which never removes one, so a transfer entered or removed later replans
its day here: the schedule's plans that no longer fit the day go, the ones that now fit are
generated after the commit.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

import holidays
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as, validated_save
from core.errors import RoleRequired
from core.jobs import VISITS_GENERATE, outbox_enqueue
from core.roles import Role, roles_of
from services.models import CalendarDay, Visit, VisitStatus
from services.services import flag_overlaps_on, schedule_weekday_of


def _ensure_officer(user: Any) -> None:
    if Role.AKIMAT_OFFICER not in roles_of(user):
        raise RoleRequired(_("Only the akimat enters working-day transfers."))


@transaction.atomic
def calendar_day_save(*, day: CalendarDay, acting_user: Any) -> CalendarDay:
    """Record a transfer (new or changed) and replan the days it affects."""
    _ensure_officer(acting_user)
    previous = (
        CalendarDay.objects.filter(pk=day.pk).values_list("date", flat=True).first()
        if day.pk is not None
        else None
    )
    validated_save(day, acting_user=acting_user)
    for date in sorted({day.date} if previous is None else {day.date, previous}):
        _replan(date, acting_user=acting_user)
    return day


@transaction.atomic
def calendar_day_delete(*, day: CalendarDay, acting_user: Any) -> None:
    """Remove a transfer: its day follows the ordinary calendar again."""
    _ensure_officer(acting_user)
    date = day.date
    with acting_as(acting_user):
        day.delete()
    _replan(date, acting_user=acting_user)


def _replan(date: datetime.date, *, acting_user: Any) -> None:
    """Drop the day's untouched plans of another weekday; queue the plans the day now has.

    Only days from today on: a past day's journal records what happened and is corrected by
    the head, not by the calendar. A plan someone logged by hand (no schedule slot), changed,
    confirmed or corrected is kept.
    """

    if date < timezone.localdate():
        return
    weekday = schedule_weekday_of(date)
    stale = Visit.objects.filter(
        date=date,
        status=VisitStatus.PLANNED,
        confirmation_method="",
        missed_reason="",
        slot__isnull=False,
        corrections__isnull=True,
    )
    if weekday is not None:
        stale = stale.exclude(slot__weekday=weekday)
    found = list(stale.values_list("pk", "child_id"))
    if found:
        children = {child_id for _pk, child_id in found}
        with acting_as(acting_user):
            Visit.objects.filter(pk__in=[pk for pk, _child_id in found]).delete()
        # A removed plan may have been what another visit of the child's day overlapped.
        flag_overlaps_on((child_id, date) for child_id in children)
    if weekday is not None:
        start = date.isoformat()
        outbox_enqueue(VISITS_GENERATE, start=start, days=1)


def holidays_of_year(year: int) -> tuple[tuple[datetime.date, str], ...]:
    """Kazakhstan's public holidays the `holidays` package knows for `year`, in date order.

    Named in Kazakh on Kazakh pages, otherwise in English (the package has no Russian names).
    """
    return _holidays(year, "kk" if (get_language() or "")[:2] == "kk" else "en_US")


@functools.lru_cache(maxsize=32)
def _holidays(year: int, language: str) -> tuple[tuple[datetime.date, str], ...]:
    return tuple(sorted(holidays.country_holidays("KZ", years=year, language=language).items()))
