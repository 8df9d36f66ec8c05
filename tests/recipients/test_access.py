"""A provider's staff see only the children enrolled with it; every opened card is recorded."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import (
    ChildFactory,
    IparFactory,
    admitted_provider,
    analyst,
    coordinator_of,
    enrollment_for,
    head_of,
    inspector,
    officer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_centres():
    mine, other = admitted_provider(), admitted_provider()
    own_child, foreign_child = ChildFactory(), ChildFactory()
    for child, provider in ((own_child, mine), (foreign_child, other)):
        IparFactory(child=child)
        enrollment_for(child, provider)
    return mine, own_child, foreign_child


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_coordinator_cannot_open_another_centres_child_by_url(client, two_centres):
    mine, own_child, foreign_child = two_centres
    client.force_login(coordinator_of(mine))
    assert client.get(reverse("recipients:child", args=[foreign_child.pk])).status_code == 404
    page = client.get(reverse("recipients:child", args=[own_child.pk]))
    assert page.status_code == 200 and own_child.iin in page.content.decode()


def test_coordinator_cannot_read_another_centres_child_by_api(two_centres):
    mine, own_child, foreign_child = two_centres
    client = api(coordinator_of(mine))
    assert client.get(f"/api/children/{foreign_child.pk}/").status_code == 404
    listing = client.get("/api/children/").json()["results"]
    assert [row["iin"] for row in listing] == [own_child.iin]
    enrollments = client.get("/api/enrollments/").json()["results"]
    assert {row["child_iin"] for row in enrollments} == {own_child.iin}


def test_opening_a_card_is_recorded_with_who(client, two_centres):
    mine, own_child, _ = two_centres
    reader = head_of(mine)
    client.force_login(reader)
    client.get(reverse("recipients:child", args=[own_child.pk]))
    api(reader).get(f"/api/children/{own_child.pk}/")
    reads = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_pk=str(own_child.pk))
    assert reads.count() == 2
    assert set(reads.values_list("actor", flat=True)) == {reader.pk}


@pytest.mark.parametrize("make_user", [analyst, inspector])
def test_analysts_and_inspectors_see_no_children(make_user, two_centres):
    client = api(make_user())
    assert client.get("/api/children/").json()["count"] == 0
    assert client.get("/api/enrollments/").json()["count"] == 0


def test_officer_sees_all_children(two_centres):
    assert api(officer()).get("/api/children/").json()["count"] == 2


def test_past_enrolments_still_give_access(client):
    provider = admitted_provider()
    child = ChildFactory()
    enrollment = enrollment_for(child, provider)
    enrollment.end_on = enrollment.start_on
    enrollment.save()
    client.force_login(coordinator_of(provider))
    assert client.get(reverse("recipients:child", args=[child.pk])).status_code == 200
    listing = client.get(reverse("recipients:children") + "?status=ended")
    assert child.full_name in listing.content.decode()


def test_children_list_and_api_do_not_query_per_child(client, django_assert_max_num_queries):
    provider = admitted_provider()
    for _ in range(20):
        child = ChildFactory()
        IparFactory(child=child)
        enrollment_for(child, provider)
    user = coordinator_of(provider)
    client.force_login(user)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("recipients:children"))
    assert page.status_code == 200 and page.content.decode().count("/children/") >= 20
    with django_assert_max_num_queries(8):
        assert api(user).get("/api/children/").json()["count"] == 20


def test_a_list_read_is_recorded_for_every_child_on_the_page(two_centres):
    _mine, own_child, foreign_child = two_centres
    reader = officer()
    api(reader).get("/api/children/")
    recorded = set(
        LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=reader).values_list(
            "object_pk", flat=True
        )
    )
    assert recorded == {str(own_child.pk), str(foreign_child.pk)}


def test_an_admin_export_of_children_is_recorded(client, two_centres):
    _mine, own_child, foreign_child = two_centres
    reader = officer()
    client.force_login(reader)
    page = client.get(reverse("admin:recipients_child_export"))
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=reader).exists()
    formats = dict((label, value) for value, label in page.context["form"].fields["format"].choices)
    response = client.post(
        reverse("admin:recipients_child_export"),
        {
            "format": formats["csv"],
            "resource": "0",
            **{f"childresource_{n}": "on" for n in ("iin", "last_name")},
        },
    )
    assert response.status_code == 200
    recorded = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=reader)
    assert set(recorded.values_list("object_pk", flat=True)) == {
        str(own_child.pk),
        str(foreign_child.pk),
    }
