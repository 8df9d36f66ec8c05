"""Pure rules about visits (domain.md §5): no database access."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_VISIT = datetime.timedelta(hours=4)


def minutes_between(start: datetime.time, end: datetime.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def visit_time_problem(start: datetime.time, end: datetime.time) -> tuple[str, str] | None:
    """(code, message) when a visit's times break Alg. §2: end after start, at most 4 hours."""
    length = minutes_between(start, end)
    if length <= 0:
        return "end_not_after_start", _("the visit must end after it starts")
    if length > MAX_VISIT.total_seconds() // 60:
        return (
            "longer_than_four_hours",
            _("a visit lasts at most 4 hours; this one lasts %(hours)d h %(minutes)02d min")
            % {"hours": length // 60, "minutes": length % 60},
        )
    return None


class SlotLike(Protocol):
    weekday: int
    setting: str
    start: datetime.time
    duration_minutes: int


MIN_HOME_PER_WEEK = 2
MIN_CENTRE_PER_WEEK = 3

WEEKDAY_NAMES = (
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
)


def _end_minutes(slot: SlotLike) -> int:
    return slot.start.hour * 60 + slot.start.minute + slot.duration_minutes


def schedule_problems(slots: Sequence[SlotLike], *, centre_reason: str) -> list[tuple[str, str]]:
    """Why a weekly schedule cannot be approved (Alg. §2, §14): (code, message) pairs.

    At most four hours a visit, at least two home visits a week; fewer than three centre visits
    only with a reason tied to the child's needs. Visits of one day must not overlap.
    """
    problems: list[tuple[str, str]] = []
    if not slots:
        return [("empty_schedule", _("the schedule has no visits"))]
    for slot in slots:
        if slot.duration_minutes > MAX_VISIT.total_seconds() // 60:
            problems.append(
                (
                    "longer_than_four_hours",
                    _("%(day)s %(start)s: a visit lasts at most 4 hours")
                    % {"day": WEEKDAY_NAMES[slot.weekday], "start": f"{slot.start:%H:%M}"},
                )
            )
        if _end_minutes(slot) > 24 * 60:
            problems.append(
                (
                    "past_midnight",
                    _("%(day)s %(start)s: a visit must end on the same day")
                    % {"day": WEEKDAY_NAMES[slot.weekday], "start": f"{slot.start:%H:%M}"},
                )
            )
    home = sum(1 for slot in slots if slot.setting == "home")
    centre = sum(1 for slot in slots if slot.setting == "centre")
    if home < MIN_HOME_PER_WEEK:
        problems.append(
            (
                "too_few_home_visits",
                _(
                    "at least %(minimum)d home visits a week are required; the schedule has %(count)d"
                )
                % {"minimum": MIN_HOME_PER_WEEK, "count": home},
            )
        )
    if centre < MIN_CENTRE_PER_WEEK and not centre_reason.strip():
        problems.append(
            (
                "centre_reason_required",
                _(
                    "fewer than %(minimum)d centre visits a week (%(count)d) need a recorded reason"
                    " tied to the child's needs"
                )
                % {"minimum": MIN_CENTRE_PER_WEEK, "count": centre},
            )
        )
    ordered = sorted(slots, key=lambda slot: (slot.weekday, slot.start))
    for first, second in itertools.pairwise(ordered):
        if first.weekday == second.weekday and _end_minutes(first) > (
            second.start.hour * 60 + second.start.minute
        ):
            problems.append(
                (
                    "visits_overlap",
                    _("%(day)s: the visits at %(first)s and %(second)s overlap")
                    % {
                        "day": WEEKDAY_NAMES[first.weekday],
                        "first": f"{first.start:%H:%M}",
                        "second": f"{second.start:%H:%M}",
                    },
                )
            )
    return problems


@dataclass(frozen=True)
class Transfer:
    """A working-day transfer entered by the akimat (CalendarDay), as the rules need it."""

    working: bool
    works_as: int | None = None


def schedule_weekday(
    day: datetime.date, *, public_holidays: Container[datetime.date], transfers: dict
) -> int | None:
    """Whose weekday's visits take place on `day`, or None when no visits are planned.

    A transfer entered by the akimat wins over everything: a working day moved onto a weekend
    or holiday follows the weekday it names (its own by default); a day off has no visits.
    Otherwise a public holiday has no visits and every other day follows its own weekday
    (a schedule may hold Saturday visits).
    """
    transfer = transfers.get(day)
    if transfer is not None:
        if not transfer.working:
            return None
        return day.weekday() if transfer.works_as is None else transfer.works_as
    if day in public_holidays:
        return None
    return day.weekday()
