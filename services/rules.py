"""Pure rules about visits (domain.md §5): no database access."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

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
