"""The pilot's half-years: the periods of monitoring (R261 §10) and of the questionnaire."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.periods import month_end, month_start

PILOT_START = datetime.date(2026, 6, 5)  # the order takes effect (domain.md §1)


def half_year_bounds(year: int, half: int) -> tuple[datetime.date, datetime.date]:
    if half == 1:
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30)
    return datetime.date(year, 7, 1), datetime.date(year, 12, 31)


def half_of(day: datetime.date) -> tuple[int, int]:
    return day.year, 1 if day.month <= 6 else 2


def previous_half(day: datetime.date) -> tuple[int, int]:
    year, half = half_of(day)
    return (year, 1) if half == 2 else (year - 1, 2)


def half_years(first_day: datetime.date, last_day: datetime.date) -> Iterator[tuple[int, int]]:
    """(year, half) of every half-year with a day in [first_day, last_day], oldest first."""
    year, half = half_of(first_day)
    while half_year_bounds(year, half)[0] <= last_day:
        yield year, half
        year, half = (year, 2) if half == 1 else (year + 1, 1)


HALF_CHOICES = [(1, _("first (January–June)")), (2, _("second (July–December)"))]


def half_year_label(year: int, half: int | None) -> str:
    """How a half-year is named on pages and in reports: "H2 2026" in the active language."""
    return gettext("H%(half)s %(year)s") % {"half": half, "year": year}


def data_as_of(today: datetime.date) -> datetime.date:
    """The last day the analysts' figures count: the end of the last month that has ended.
    The dashboard changes once a month, on the 1st, so that figures saved on two days of a
    month are the same figures (docs/decisions.md, "Small cells")."""
    return month_start(today) - datetime.timedelta(days=1)


def releases(today: datetime.date) -> list[datetime.date]:
    """Every day the dashboard's figures have counted up to since the pilot began: the end
    of each month of the pilot that has ended, oldest first."""
    out: list[datetime.date] = []
    day = month_end(PILOT_START)
    while day <= data_as_of(today):
        out.append(day)
        day = month_end(day + datetime.timedelta(days=1))
    return out


def release_periods(as_of: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """(first day, last day counted) of every period the dashboard has offered up to the
    figures of `as_of` (a month's end), as each month's figures counted it, oldest first."""
    periods = set()
    for day in releases(as_of + datetime.timedelta(days=1)):
        for _code, _label, start, end in dashboard_periods(day + datetime.timedelta(days=1)):
            periods.add((start, min(end, day)))
    return sorted(periods)


def dashboard_periods(today: datetime.date) -> list[tuple[str, str, datetime.date, datetime.date]]:
    """(code, label, start, end) of every half-year of the pilot with a month ended, newest
    first, then the whole pilot: the periods the analysts' dashboard offers."""
    as_of = data_as_of(today)
    options: list[tuple[str, str, datetime.date, datetime.date]] = []
    if as_of < PILOT_START:
        return options
    for year, half in reversed(list(half_years(PILOT_START, as_of))):
        start, end = half_year_bounds(year, half)
        options.append((f"{year}-H{half}", half_year_label(year, half), start, end))
    options.append(("pilot", str(_("The whole pilot")), PILOT_START, as_of))
    return options
