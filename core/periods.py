"""Calendar months, the one vocabulary of periods every app uses (billing, the journal, the
reconciliation, the demo): a month is named by its first day, its last day is computed here.

Pure date arithmetic, no "today": callers pass the day that matters (the service day, the
month billed), so a rule never depends on when it runs.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator


def month_start(day: datetime.date) -> datetime.date:
    """The first day of the month `day` is in."""
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    """The last day of the month `day` is in."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and the last day of the month `day` is in."""
    return month_start(day), month_end(day)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` after (or before, if negative) the one of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def same_day_next_month(day: datetime.date) -> datetime.date:
    """The same day next month, or that month's last day (31 January → 28/29 February)."""
    return min(
        add_months(day, 1).replace(day=1) + datetime.timedelta(days=day.day - 1),
        month_end(add_months(day, 1)),
    )


def previous_month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and the last day of the month before the one `day` is in."""
    return month_bounds(add_months(day, -1))


def months_between(
    first_day: datetime.date, last_day: datetime.date
) -> Iterator[tuple[datetime.date, datetime.date]]:
    """The period from `first_day` to `last_day` cut at month ends: each piece's first and last
    day (the first and the last piece may be parts of their months)."""
    start = first_day
    while start <= last_day:
        end = min(last_day, month_end(start))
        yield start, end
        start = end + datetime.timedelta(days=1)


def ranges_overlap(
    start: datetime.date,
    end: datetime.date | None,
    other_start: datetime.date,
    other_end: datetime.date | None,
) -> bool:
    """Whether two periods of days share a day; an end of None is open (valid until further
    notice). Tariffs of one setting never overlap (the model's check and the import's)."""
    return (end is None or other_start <= end) and (other_end is None or start <= other_end)
