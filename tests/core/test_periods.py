"""The months' arithmetic every app takes from core.periods."""

import datetime

import pytest

from core import periods

D = datetime.date


@pytest.mark.parametrize(
    ("day", "bounds"),
    [
        (D(2026, 2, 14), (D(2026, 2, 1), D(2026, 2, 28))),
        (D(2028, 2, 29), (D(2028, 2, 1), D(2028, 2, 29))),  # a leap year
        (D(2026, 12, 31), (D(2026, 12, 1), D(2026, 12, 31))),
        (D(2026, 7, 1), (D(2026, 7, 1), D(2026, 7, 31))),
    ],
)
def test_a_months_bounds(day, bounds):
    assert periods.month_bounds(day) == bounds
    assert (periods.month_start(day), periods.month_end(day)) == bounds


@pytest.mark.parametrize(
    ("day", "months", "first"),
    [
        (D(2026, 12, 15), 1, D(2027, 1, 1)),
        (D(2026, 1, 31), -1, D(2025, 12, 1)),
        (D(2026, 7, 6), -5, D(2026, 2, 1)),
        (D(2026, 7, 6), 0, D(2026, 7, 1)),
        (D(2026, 1, 1), 24, D(2028, 1, 1)),
    ],
)
def test_months_are_added_across_years(day, months, first):
    assert periods.add_months(day, months) == first


def test_the_previous_month_of_january_is_last_years_december():
    assert periods.previous_month_bounds(D(2027, 1, 10)) == (D(2026, 12, 1), D(2026, 12, 31))


def test_a_period_is_cut_at_month_ends_keeping_its_own_first_and_last_day():
    assert list(periods.months_between(D(2026, 6, 5), D(2026, 8, 10))) == [
        (D(2026, 6, 5), D(2026, 6, 30)),
        (D(2026, 7, 1), D(2026, 7, 31)),
        (D(2026, 8, 1), D(2026, 8, 10)),
    ]
    assert list(periods.months_between(D(2026, 7, 3), D(2026, 7, 3))) == [
        (D(2026, 7, 3), D(2026, 7, 3))
    ]
    assert list(periods.months_between(D(2026, 7, 4), D(2026, 7, 3))) == []


@pytest.mark.parametrize(
    ("day", "next_month"),
    [
        (D(2026, 1, 31), D(2026, 2, 28)),  # the month's last day where it is shorter
        (D(2028, 1, 30), D(2028, 2, 29)),
        (D(2026, 3, 15), D(2026, 4, 15)),
        (D(2026, 12, 31), D(2027, 1, 31)),
    ],
)
def test_the_same_day_next_month(day, next_month):
    assert periods.same_day_next_month(day) == next_month


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ((D(2026, 6, 5), None), (D(2027, 1, 1), None), True),  # two open periods
        ((D(2026, 6, 5), D(2026, 12, 31)), (D(2027, 1, 1), None), False),  # end to end
        ((D(2026, 6, 5), D(2026, 12, 31)), (D(2026, 12, 31), None), True),  # one shared day
        ((D(2027, 1, 1), D(2027, 1, 31)), (D(2026, 6, 5), D(2026, 12, 31)), False),
        ((D(2026, 7, 1), D(2026, 7, 31)), (D(2026, 6, 5), None), True),  # inside an open one
    ],
)
def test_ranges_overlap_where_they_share_a_day(a, b, overlap):
    assert periods.ranges_overlap(*a, *b) is overlap
    assert periods.ranges_overlap(*b, *a) is overlap
