"""Visits: the time rules and who sees them."""

import datetime

import pytest
from django.db import IntegrityError
from django.urls import reverse

from services.models import Visit
from services.rules import visit_time_problem
from tests.factories import ChildFactory, admitted_provider, coordinator_of, inspector, officer

T = datetime.time


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (T(9), T(13), None),
        (T(9), T(13, 1), "longer_than_four_hours"),
        (T(9), T(9), "end_not_after_start"),
        (T(9), T(8, 59), "end_not_after_start"),
    ],
)
def test_visit_time_rules(start, end, code):
    problem = visit_time_problem(start, end)
    assert (problem[0] if problem else None) == code


def make_visit(provider, **fields):
    values = {
        "visit_id": f"V-{Visit.objects.count() + 1}",
        "setting": "home",
        "date": datetime.date(2026, 7, 6),
        "start": T(10),
        "end": T(12),
        "status": "done",
        **fields,
    }
    values.setdefault("child", ChildFactory())
    return Visit.objects.create(provider=provider, **values)


@pytest.mark.django_db
def test_the_database_refuses_a_visit_that_ends_before_it_starts():
    with pytest.raises(IntegrityError):
        make_visit(admitted_provider(), end=T(9))


@pytest.mark.django_db
def test_the_visit_journal_in_the_admin_is_scoped(client):
    mine, other = admitted_provider(), admitted_provider()
    make_visit(mine, visit_id="V-MINE")
    make_visit(other, visit_id="V-OTHER")

    client.force_login(officer())
    listing = client.get(reverse("admin:services_visit_changelist"))
    assert {v.visit_id for v in listing.context["cl"].result_list} == {"V-MINE", "V-OTHER"}

    client.force_login(inspector())
    assert client.get(reverse("admin:services_visit_changelist")).status_code == 403

    from services.selectors import visits_for_user

    assert [v.visit_id for v in visits_for_user(user=coordinator_of(mine))] == ["V-MINE"]
